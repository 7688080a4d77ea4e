"""Forms of « Nous envoyer un document » (MSA, seed 004), one per step of the wizard
(blueprints/msa/documents.py), and the agents' « Marquer comme traité ».

    DocumentSubjectForm        # 1. « Objet de l'envoi »
    DocumentCountForm          # 2. « Nombre de documents » (1 to 5)
    document_information_form  # 3. « Saisie des informations »: per document its nature (the
                               #    subject's natures), the person concerned and the reason
    DocumentSendForm           # 4. « Ajout d'un fichier »: « J'atteste la conformité… » and the
                               #    one-time submission token (the files are the step's upload set)

Field names of step 3 end with the document's number (`nature_2`, `personne_2`, `motif_2`)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_login import current_user
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from core.catalogues import load
from forms.base import Form
from forms.fields import clean_text

CATALOGUE = "msa-documents"
MAX_DOCUMENTS = 5
PERSON_MAX = 120
REASON_MAX = 300
ATTEST_LABEL = "J’atteste la conformité des documents transmis"
ATTEST_MESSAGE = "Cochez la case « J’atteste la conformité des documents transmis » pour envoyer vos documents."


def subjects() -> list[dict[str, Any]]:
    return load(CATALOGUE)["subjects"]


def find_subject(code: str | None) -> dict[str, Any] | None:
    return next((s for s in subjects() if s["code"] == code), None)


def nature_label(subject: dict[str, Any] | None, code: str | None) -> str:
    if subject is None:
        return ""
    return next((n["label"] for n in subject["natures"] if n["code"] == code), "")


class _Choosing:
    """A choice field whose value must be one of its choices, refused with its own French message
    (WTForms says « Not a valid choice. »)."""

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)  # type: ignore[misc]
        except ValueError:
            raise ValidationError(self.validators[0].message) from None  # type: ignore[attr-defined]


class ChoiceRadioField(_Choosing, RadioField):
    pass


class ChoiceSelectField(_Choosing, SelectField):
    pass


class DocumentSubjectForm(Form):
    subject = ChoiceRadioField("Quel est l’objet de votre envoi ?",
                         choices=[SelectChoice(s["code"], s["label"]) for s in subjects()],
                         validators=[InputRequired("Sélectionnez l’objet de votre envoi.")])


class DocumentCountForm(Form):
    count = ChoiceRadioField("Combien de documents souhaitez-vous envoyer ?",
                       choices=[SelectChoice(str(n), str(n)) for n in range(1, MAX_DOCUMENTS + 1)],
                       validators=[InputRequired("Sélectionnez le nombre de documents à envoyer (de 1 à 5).")])


def _member_name() -> str:
    """The person concerned, until the member names someone else: themselves."""
    if not current_user.is_authenticated:
        return ""
    return f"{current_user.first_name or ''} {(current_user.last_name or '').upper()}".strip()


@lru_cache(maxsize=64)
def document_information_form(subject_code: str, count: int) -> type[Form]:
    """Step 3's form for `count` documents of the subject `subject_code`."""
    subject = find_subject(subject_code)
    natures = subject["natures"] if subject else []
    attrs: dict[str, Any] = {}
    for n in range(1, count + 1):
        attrs[f"nature_{n}"] = ChoiceSelectField(
            "Nature du document",
            choices=[SelectChoice("", "Sélectionnez"), *(SelectChoice(x["code"], x["label"]) for x in natures)],
            validators=[InputRequired(f"Document {n} : sélectionnez la nature du document.")],
            validate_choice=True)
        attrs[f"personne_{n}"] = StringField(
            "Nom de la personne concernée", default=_member_name, filters=[clean_text],
            description="Vous-même, ou le membre de votre famille que le document concerne.",
            validators=[DataRequired(f"Document {n} : saisissez le nom de la personne concernée."),
                        Length(max=PERSON_MAX, message=f"Document {n} : le nom de la personne concernée doit "
                                                       f"faire {PERSON_MAX} caractères maximum.")])
        attrs[f"motif_{n}"] = StringField(
            "Motif de l’envoi", filters=[clean_text],
            description="Par exemple : naissance de mon enfant, nouveau contrat de travail.",
            validators=[DataRequired(f"Document {n} : saisissez le motif de l’envoi."),
                        Length(max=REASON_MAX, message=f"Document {n} : le motif de l’envoi doit faire "
                                                       f"{REASON_MAX} caractères maximum.")])
    return type(f"DocumentInformation_{subject_code.replace('-', '_')}_{count}", (Form,), attrs)


class DocumentSendForm(Form):
    """« J'atteste la conformité des documents transmis », and « Envoyer » counted once."""
    attest = BooleanField(ATTEST_LABEL, [InputRequired(ATTEST_MESSAGE)])
    submission = HiddenField()


class DocumentProcessForm(Form):
    """« Marquer comme traité » (agent): only the CSRF token."""
