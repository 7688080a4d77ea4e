"""Espace Partenaires: the forms of the five offers of service (ODS), one per screen (seed 002, IV).

Labels, limits and lists come from the seed and data/catalogues/partenaires.json. The lists an
organisation narrows (motives, documents) are given to the form by the view, from its settings.
Required fields carry the seed's asterisk, explained in text above each form (« Les champs précédés
d'un astérisque* sont obligatoires. »); the form macros then leave out « (obligatoire) »."""
import re
import secrets

from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import Form
from forms.fields import CountedTextAreaField, DateFRField, capitalise_first_name, clean_text, format_phone, upper_name
from forms.validators import NameCharacters, resolve_birth_place
from models.partenaires import catalogue, ods_catalogue

LAST_NAME_MAX = 30
FIRST_NAME_MAX = 20
BIRTH_PLACE_MAX = 30
CIVILITIES = [SelectChoice("Mme", "Madame"), SelectChoice("M.", "Monsieur")]
MOTIVE_PLACEHOLDER = "Sélectionner un motif"


# --- Fields and validators -----------------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    """Checkboxes sharing one name, rendered by the `choices` macro as a fieldset."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)  # InChoices says it in French
        super().__init__(label, validators, **kwargs)
        self.label.field_id = False


class InChoices:
    """Every value sent is one of the field's choices (a forged value is refused, in French)."""

    def __init__(self, message="Sélectionnez une réponse de la liste."):
        self.message = message

    def __call__(self, form, field):
        allowed = {c if isinstance(c, str) else (c[0] if isinstance(c, (tuple, list)) else c.value)
                   for c in field.choices or []}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in allowed for v in values if v not in (None, "")):
            raise StopValidation(self.message)


class RequiredWhen:
    """Required only when `condition(form)` holds (the Saisine blocks); otherwise the field is
    ignored altogether. Sets the `required` flag so that the macros mark the field as required."""
    field_flags = {"required": True}

    def __init__(self, condition, message):
        self.condition = condition
        self.message = message

    def __call__(self, form, field):
        if not self.condition(form):
            raise StopValidation()
        if not field.data:
            raise StopValidation(self.message)


class OnlyWhen:
    """The field is only validated when `condition(form)` holds."""

    def __init__(self, condition):
        self.condition = condition

    def __call__(self, form, field):
        if not self.condition(form):
            raise StopValidation()


class CommentsField(CountedTextAreaField):
    @property
    def limit_text(self):
        return f"({self.max_chars} caractères maximum)"


def _saisine_chosen(form):
    return form.saisine_shown()


def _renunciation_chosen(form):
    return form.renunciation_shown()


# --- The fields, declared once in the order of the page ------------------------------------
# WTForms orders a form's fields by creation, and the error summary follows that order: declaring
# them here, top to bottom as on screen, keeps the summary in page order for all five forms.

SAISINE = catalogue()["saisine"]
COMMENTS_MAX = catalogue()["comments_max"]

_motive = SelectField("Motif de la demande *", validators=[DataRequired("Sélectionnez un motif.")],
                      validate_choice=False)
_rdv_modalities = MultiCheckboxField(
    "Modalités de rendez-vous *",
    validators=[DataRequired("Sélectionnez au moins une modalité de rendez-vous."), InChoices()],
    choices=ods_catalogue(1)["rdv_modalities"], description="Sélectionnez une ou les deux modalités.")
_documents = MultiCheckboxField(
    "Documents *", validators=[DataRequired("Sélectionnez au moins un document."),
                               InChoices("Sélectionnez un document de la liste.")],
    description="Sélectionnez un ou plusieurs documents.")
_consent = BooleanField(SAISINE["consent_label"], validators=[RequiredWhen(
    _saisine_chosen, "Indiquez que l’assuré accepte que ses coordonnées soient transmises à la Mission "
                     "accompagnement santé.")], render_kw={"role": "switch"})
_frameworks = MultiCheckboxField(
    SAISINE["frameworks_legend"] + " *",
    validators=[RequiredWhen(_saisine_chosen, "Sélectionnez au moins un cadre d’accompagnement santé."),
                InChoices()],
    choices=SAISINE["frameworks"], description="Sélectionnez la ou les réponses")
_care = MultiCheckboxField(SAISINE["care_legend"], validators=[OnlyWhen(_renunciation_chosen), InChoices()],
                           choices=SAISINE["care"], description="Sélectionnez la ou les réponses")
_duration = RadioField(SAISINE["duration_legend"], validators=[OnlyWhen(_renunciation_chosen), InChoices()],
                       choices=SAISINE["durations"], validate_choice=False, description="Sélectionnez la réponse")
_causes = MultiCheckboxField(SAISINE["causes_legend"], validators=[OnlyWhen(_renunciation_chosen), InChoices()],
                             choices=SAISINE["causes"], description="Sélectionnez la ou les réponses")
_civility = RadioField("Civilité *", choices=CIVILITIES, validate_choice=False,
                       validators=[InputRequired("Sélectionnez la civilité de la personne concernée."),
                                   InChoices("Sélectionnez Madame ou Monsieur.")])
_last_name = StringField(
    "Nom *", filters=[upper_name],
    validators=[DataRequired("Saisissez le nom de la personne concernée."),
                Length(max=LAST_NAME_MAX, message=f"Le nom doit faire {LAST_NAME_MAX} caractères maximum."),
                NameCharacters("Le nom ne peut contenir que des lettres, des apostrophes, des tirets et des espaces.")],
    description=f"{LAST_NAME_MAX} caractères maximum : lettres, apostrophe, tiret, espace. Il sera enregistré en "
                "majuscules.", render_kw={"autocomplete": "off", "spellcheck": "false"})
_first_name = StringField(
    "Prénom *", filters=[capitalise_first_name],
    validators=[DataRequired("Saisissez le prénom de la personne concernée."),
                Length(max=FIRST_NAME_MAX, message=f"Le prénom doit faire {FIRST_NAME_MAX} caractères maximum."),
                NameCharacters("Le prénom ne peut contenir que des lettres, des apostrophes, des tirets et des "
                               "espaces.")],
    description=f"{FIRST_NAME_MAX} caractères maximum : lettres, apostrophe, tiret, espace.",
    render_kw={"autocomplete": "off", "spellcheck": "false"})
_birth_date = DateFRField("Date de naissance *", [InputRequired("Saisissez la date de naissance.")],
                          not_future=True, description="Format attendu : jj/mm/aaaa, par exemple 05/10/1970",
                          render_kw={"autocomplete": "off"})
_birth_place = StringField(
    "Lieu de naissance *", filters=[clean_text],
    validators=[DataRequired("Saisissez le lieu de naissance : numéro du département ou nom du pays."),
                Length(max=BIRTH_PLACE_MAX,
                       message=f"Le lieu de naissance doit faire {BIRTH_PLACE_MAX} caractères maximum.")],
    description="(N° du Département de naissance ou Libellé du pays)", render_kw={"autocomplete": "off"})
_phone = StringField("Téléphone *", filters=[lambda v: v.strip() if v else v],
                     validators=[DataRequired("Saisissez le numéro de téléphone.")],
                     description="10 chiffres, par exemple 06.00.00.00.00",
                     render_kw={"autocomplete": "off", "inputmode": "tel", "type": "tel"})
_comments = CommentsField(
    "Commentaires *", [DataRequired("Saisissez vos commentaires.")],
    max_chars=COMMENTS_MAX,
    too_long="Les commentaires doivent faire {max} caractères maximum (ils en font {count}).")


# --- Forms ---------------------------------------------------------------------------------

class OdsRequestForm(Form):
    """What the five forms share: the motive (narrowed by the organisation) and the comments."""
    ods = None

    submission = HiddenField()

    def __init__(self, settings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not re.fullmatch(r"[0-9a-f]{32}", self.submission.data or ""):
            self.submission.data = secrets.token_hex(16)
        if "motive" in self:
            self.motive.choices = [SelectChoice("", MOTIVE_PLACEHOLDER)] + settings.motives_for(self.ods)

    def validate_motive(self, field):
        if field.data and field.data not in [c for c in field.choices[1:]]:
            raise ValidationError("Sélectionnez un motif de la liste.")

    def saisine_shown(self):
        return False

    def renunciation_shown(self):
        return False

    def request_fields(self):
        """Keyword arguments of PartnerRequest.submit."""
        fields = {"ods": self.ods, "comments": self.comments.data.strip()}
        if "motive" in self:
            fields["motive"] = self.motive.data
        return fields


class PersonConcernedFields:
    """« Personne concernée » (ODS 2 to 5)."""
    civility = _civility
    last_name = _last_name
    first_name = _first_name
    birth_date = _birth_date
    birth_place = _birth_place
    phone = _phone

    def validate_birth_place(self, field):
        stored, error = resolve_birth_place(field.data, BIRTH_PLACE_MAX)
        if error:
            raise ValidationError(error)
        field.data = stored

    def validate_phone(self, field):
        formatted = format_phone(field.data)
        if formatted is None:
            raise ValidationError("Saisissez un numéro de téléphone à 10 chiffres, par exemple 06.00.00.00.00.")
        field.data = formatted

    def request_fields(self):
        return {**super().request_fields(), "person_civility": self.civility.data,
                "person_last_name": self.last_name.data, "person_first_name": self.first_name.data,
                "person_birth_date": self.birth_date.data, "person_birth_place": self.birth_place.data,
                "person_phone": self.phone.data}


class ContactRequestCreateForm(OdsRequestForm):
    """ODS 1 « Contacter votre organisme d'assurance Maladie »."""
    ods = 1
    motive = _motive
    rdv_modalities = _rdv_modalities
    comments = _comments

    def request_fields(self):
        chosen = set(self.rdv_modalities.data)
        return {**super().request_fields(),
                "rdv_modalities": [m for m in ods_catalogue(1)["rdv_modalities"] if m in chosen]}


class DifficultyReportCreateForm(PersonConcernedFields, OdsRequestForm):
    """ODS 2 « Signaler une situation de difficulté d'accès aux droits et aux soins », with the
    blocks of « Saisine mission accompagnement santé »."""
    ods = 2
    motive = _motive
    consent = _consent
    frameworks = _frameworks
    care = _care
    duration = _duration
    causes = _causes
    comments = _comments

    def saisine_shown(self):
        return self.motive.data == SAISINE["motive"] and SAISINE["motive"] in self.motive.choices

    def renunciation_shown(self):
        return self.saisine_shown() and any(f in SAISINE["renunciation_frameworks"] for f in self.frameworks.data or [])

    def request_fields(self):
        fields = super().request_fields()
        if self.saisine_shown():
            renunciation = self.renunciation_shown()

            def ordered(values, reference):
                return [v for v in reference if v in set(values or [])]
            fields["saisine"] = {
                "consent": True,
                "frameworks": ordered(self.frameworks.data, SAISINE["frameworks"]),
                "care": ordered(self.care.data, SAISINE["care"]) if renunciation else [],
                "duration": (self.duration.data or None) if renunciation else None,
                "causes": ordered(self.causes.data, SAISINE["causes"]) if renunciation else [],
            }
        return fields


class AppointmentRequestCreateForm(PersonConcernedFields, OdsRequestForm):
    """ODS 3 « Demander un rendez-vous pour un assuré »."""
    ods = 3
    motive = _motive
    comments = _comments


class FileReviewRequestCreateForm(PersonConcernedFields, OdsRequestForm):
    """ODS 4 « Soumettre une demande d'étude de dossier »."""
    ods = 4
    motive = _motive
    comments = _comments


class DocumentRequestCreateForm(PersonConcernedFields, OdsRequestForm):
    """ODS 5 « Demander un document »: documents instead of a motive."""
    ods = 5
    documents = _documents
    comments = _comments

    def __init__(self, settings, *args, **kwargs):
        super().__init__(settings, *args, **kwargs)
        self.documents.choices = settings.documents_offered()

    def request_fields(self):
        chosen = set(self.documents.data)
        return {**super().request_fields(), "documents": [d for d in self.documents.choices if d in chosen]}


REQUEST_FORMS = {form.ods: form for form in (ContactRequestCreateForm, DifficultyReportCreateForm,
                                              AppointmentRequestCreateForm, FileReviewRequestCreateForm,
                                              DocumentRequestCreateForm)}
