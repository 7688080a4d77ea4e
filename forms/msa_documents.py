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
from markupsafe import Markup
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


class _RenderedLabel:
    """The label of a prerendered radio: its HTML as wtforms first rendered it."""

    def __init__(self, label: Any) -> None:
        self.real, self.text, self.field_id, self.html = label, label.text, label.field_id, label()

    def __call__(self, text: str | None = None, **kwargs: Any) -> Markup:
        return self.html if text is None and not kwargs else self.real(text, **kwargs)

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


class _RenderedRadio:
    """One radio of a PrerenderedRadioField: the option wtforms built, with its input and label
    rendered once (a call with attributes renders it again)."""

    def __init__(self, option: Any) -> None:
        self.option, self.html, self.label = option, option(), _RenderedLabel(option.label)

    def __call__(self, **kwargs: Any) -> Markup:
        return self.option(**kwargs) if kwargs else self.html

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __getattr__(self, name: str) -> Any:
        return getattr(self.option, name)


class PrerenderedRadioField(ChoiceRadioField):
    """Radio buttons of a list that never changes at runtime (a catalogue, numbers), whose inputs
    and labels are rendered once per process for each field and checked choice instead of at every
    request: the kept HTML is wtforms' own first rendering, the same output. `choices` must be a
    tuple built once (a module constant); otherwise, or with `render_kw`, it renders as RadioField."""

    _rendered: dict[tuple, tuple] = {}

    def __init__(self, label: str | None = None, validators: Any = None, *, choices: Any, **kwargs: Any) -> None:
        super().__init__(label, validators, choices=choices, **kwargs)
        self.choices = choices  # the constant itself (SelectField keeps a copy): its identity is the key

    def __iter__(self) -> Any:
        choices = self.choices
        if type(choices) is not tuple or self.render_kw or self.coerce is not str:
            yield from super().__iter__()
            return
        key = (id(choices), self.id, self.name, tuple(c.value == self.data for c in choices),
               tuple(sorted(vars(self.flags).items())))
        entry = self._rendered.get(key)
        if entry is None or entry[0] is not choices:
            entry = self._rendered[key] = (choices, tuple(_RenderedRadio(o) for o in super().__iter__()))
        yield from entry[1]


class ChoiceSelectField(_Choosing, SelectField):
    pass


class DocumentSubjectForm(Form):
    subject = PrerenderedRadioField("Quel est l’objet de votre envoi ?",
                         choices=tuple(SelectChoice(s["code"], s["label"]) for s in subjects()),
                         validators=[InputRequired("Sélectionnez l’objet de votre envoi.")])


class DocumentCountForm(Form):
    count = PrerenderedRadioField("Combien de documents souhaitez-vous envoyer ?",
                       choices=tuple(SelectChoice(str(n), str(n)) for n in range(1, MAX_DOCUMENTS + 1)),
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
