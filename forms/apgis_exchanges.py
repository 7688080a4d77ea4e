"""Forms of « L’Apgis et moi » (Apgis, seed 003 §6): « Une carte de tiers payant » (a request, no
document), « Nous transmettre » (the nature of the document in the seed's two families, the files,
a comment; for a school certificate, which child) and « Vous avez une question » (one of the 4
themes and the text, with the live counter)."""
from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from forms.apgis_personal import _Submitted
from forms.base import Form
from forms.fields import CountedTextAreaField
from models.apgis import DOCUMENT_NATURES, NATURE_SCHOOL_CERTIFICATE, QUESTION_THEMES

QUESTION_MAX = 2000
COMMENT_MAX = 1000
ALL_NATURES = frozenset(n for natures in DOCUMENT_NATURES.values() for n in natures)


class CardRequestForm(_Submitted):
    """« Demander une carte de tiers payant »: the CSRF and one-time tokens only."""


class TransmitForm(_Submitted):
    nature = SelectField("Nature du document", choices=[SelectChoice("", "Sélectionnez la nature du document")]
                         + [SelectChoice(n, n) for n in sorted(ALL_NATURES)],
                         validators=[InputRequired("Sélectionnez la nature du document.")], validate_choice=False,
                         description="Les documents sont classés en deux familles : « Etat civil ou situation "
                                     "familiale » et « Remboursements frais de santé ».")
    beneficiary = SelectField("Enfant concerné par le certificat de scolarité", choices=[], validate_choice=False)
    comment = CountedTextAreaField("Commentaire (facultatif)", [Optional()], max_chars=COMMENT_MAX,
                                   too_long="Le commentaire doit faire {max} caractères maximum (il en fait {count}).")

    def set_children(self, children: list[Any]) -> None:
        self.beneficiary.choices = [SelectChoice("", "Sélectionnez l’enfant")] + [
            SelectChoice(str(c.id), f"{c.first_name} {c.last_name}") for c in children]

    @property
    def has_children(self) -> bool:
        return len(self.beneficiary.choices) > 1

    def validate_nature(self, field: SelectField) -> None:
        if field.data not in ALL_NATURES:
            raise ValidationError("Sélectionnez la nature du document dans la liste.")
        if field.data == NATURE_SCHOOL_CERTIFICATE and not self.has_children:
            raise ValidationError("Aucun enfant n’est enregistré comme bénéficiaire de votre contrat : choisissez une "
                                  "autre nature de document, ou posez-nous votre question.")

    def validate_beneficiary(self, field: SelectField) -> None:
        if self.nature.data != NATURE_SCHOOL_CERTIFICATE or not self.has_children:
            return
        if not field.data:
            raise ValidationError("Sélectionnez l’enfant concerné par le certificat de scolarité.")
        if field.data not in {c.value for c in field.choices if c.value}:
            raise ValidationError("Sélectionnez l’enfant dans la liste.")


class QuestionForm(_Submitted):
    theme = RadioField("Thème de votre question",
                       choices=[SelectChoice(code, label) for code, label in QUESTION_THEMES.items()],
                       validators=[InputRequired("Choisissez le thème de votre question.")])
    text = CountedTextAreaField("Votre question", [DataRequired("Écrivez votre question.")], max_chars=QUESTION_MAX,
                                too_long="Votre question doit faire {max} caractères maximum (elle en fait {count}).")


class RequestRefuseForm(Form):
    """The manager's « Refuser »: the reason is required (it is mailed to the insured)."""
    reason = CountedTextAreaField("Motif du refus", [DataRequired("Saisissez le motif du refus.")], max_chars=1000,
                                  too_long="Le motif doit faire {max} caractères maximum (il en fait {count}).",
                                  description="Il est envoyé par courriel à l’assuré et affiché dans son suivi.")


class RequestValidateForm(Form):
    """The manager's « Valider »: the CSRF token only."""


class QuestionAnswerForm(Form):
    answer = CountedTextAreaField("Votre réponse", [DataRequired("Saisissez la réponse.")], max_chars=QUESTION_MAX,
                                  too_long="La réponse doit faire {max} caractères maximum (elle en fait {count}).")
