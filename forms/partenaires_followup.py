"""Espace Partenaires, following a request (seed 002, section VI): the history's filters and the
« Compléter la demande » / « Annuler la demande » forms."""
from forms.base import Form
from wtforms import BooleanField, HiddenField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from core.submission import token_or_new
from forms.fields import CountedTextAreaField
from models.partenaires import REQUEST_WORKFLOW, catalogue

# --- History -----------------------------------------------------------------------------------

SORTS = {  # URL value -> label; the columns are chosen in blueprints/partenaires/history.py
    "depot": "Date de dépôt",
    "date-statut": "Date du dernier statut",
    "offre": "Offre de service",
    "statut": "Statut",
    "demandeur": "Demandeur",
    "personne": "Personne concernée",
}
ORDERS = {"az": "A-Z", "za": "Z-A"}
PAGE_SIZES = ("10", "25", "50")
# Stored slug -> the seed's label, for the states a history lists (never « Annulée »).
STATUS_FILTERS = {s.slug: s.label for s in REQUEST_WORKFLOW.states if s.listed}
SEARCH_MAX = 60

DEFAULTS = {"recherche": "", "statut": "", "offre": "", "tri": "depot", "ordre": "za", "par_page": "10"}


class HistoryFilterForm(Form):
    """The GET form above the history. Never invalid: a value outside the choices falls back to
    its default, so any URL renders (bookmarks, hand-edited links)."""

    class Meta:
        csrf = False  # GET, reads only

    recherche = SearchField("Rechercher une demande",
                            description="Numéro de demande ou nom de la personne concernée")
    statut = SelectField("Statut", choices=[SelectChoice("", "Tous les statuts")]
                         + [SelectChoice(value, label) for value, label in STATUS_FILTERS.items()])
    offre = SelectField("Offre de service")
    tri = SelectField("Trier par", choices=[SelectChoice(value, label) for value, label in SORTS.items()])
    ordre = SelectField("Ordre", choices=[SelectChoice(value, label) for value, label in ORDERS.items()])
    par_page = SelectField("Demandes par page", choices=[SelectChoice(n, n) for n in PAGE_SIZES])

    def __init__(self, args, **kwargs):
        super().__init__(formdata=args, **kwargs)
        self.offre.choices = [SelectChoice("", "Toutes les offres de service")] + [
            SelectChoice(str(o["code"]), o["label"]) for o in catalogue()["ods"]]
        for name, default in DEFAULTS.items():
            field = self[name]
            value = field.data if isinstance(field.data, str) else ""
            if name == "recherche":
                field.data = " ".join(value.split())[:SEARCH_MAX]
            else:
                field.data = value if value in {str(c.value) for c in field.choices} else default

    @property
    def filtered(self):
        return bool(self.recherche.data or self.statut.data or self.offre.data)

    def args(self):
        """The non-default values, for links that keep the history's state."""
        return {name: self[name].data for name, default in DEFAULTS.items() if self[name].data != default}


# --- Compléter / Annuler -----------------------------------------------------------------------

class RequestCompleteForm(Form):
    """« Compléter la demande »: a comment appended to the request's, and/or attachments."""
    comment = CountedTextAreaField(
        "Commentaires", description="Compléter le commentaire si besoin : votre texte sera ajouté à la suite "
        "du commentaire de la demande.",
        too_long="Le commentaire ajouté doit faire {max} caractères maximum pour que le commentaire de la "
                 "demande ne dépasse pas 5000 caractères (il en fait {count}).")
    submission = HiddenField()  # one-time token (core.submission): the form posted twice completes once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)

    def set_remaining(self, remaining):
        self.comment.max_chars = max(remaining, 0)

    def has_comment(self):
        return bool((self.comment.data or "").strip())


class RequestCancelForm(Form):
    motive = SelectField("Sélectionner le motif de l'annulation *", validate_choice=False,
                         validators=[DataRequired("Sélectionnez le motif de l'annulation.")])
    confirm = BooleanField("Je confirme l'annulation",
                           validators=[DataRequired("Cochez « Je confirme l'annulation » pour annuler la demande.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.motive.choices = [SelectChoice("", "Sélectionner un motif")] + [
            SelectChoice(m, m) for m in catalogue()["cancel_motives"]]

    def validate_motive(self, field):
        if field.data not in catalogue()["cancel_motives"]:
            raise ValidationError("Sélectionnez le motif de l'annulation.")
