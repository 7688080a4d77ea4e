"""Portail Des Aides, « Suivre mes demandes » (seed 000, part D): the forms of the follow-up.
Each carries only the CSRF token and, where a post creates something, its one-time submission
token (core.submission): the files themselves come through core.uploads.AttachmentSet."""
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from core.submission import token_or_new
from forms.base import Form
from models.armees import APPLICATION_WORKFLOW


class _OnceForm(Form):
    submission = HiddenField()  # one-time token: posted twice, the form acts once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


class ApplicationDeleteForm(Form):
    """« Supprimer » a draft: the confirmation's button."""


class ApplicationDuplicateForm(_OnceForm):
    """« Dupliquer »: a button on each row that allows it."""


class DocumentAddForm(_OnceForm):
    """« Ajouter un document complémentaire » → « Valider »."""


class ComplementAnswerForm(_OnceForm):
    """« Répondre » to a complement request → « Valider »."""


class ApplicationFilterForm(Form):
    """« Suivre mes demandes »: the state filter (GET). Never invalid: an unknown state shows all."""

    class Meta:
        csrf = False  # GET, reads only

    etat = SelectField("État de la demande")

    def __init__(self, args, **kwargs):
        super().__init__(formdata=args, **kwargs)
        self.etat.choices = [SelectChoice("", "Tous les états")] + [
            SelectChoice(s.slug, s.label) for s in APPLICATION_WORKFLOW.states]
        if self.etat.data not in APPLICATION_WORKFLOW.by_slug:
            self.etat.data = ""
