"""Agent screens of Espace Partenaires: the queue's filters, the request's actions, the
organisation's settings and its conventions with structures. One form per screen."""
from forms.base import Form
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.fields import CountedTextAreaField, DateFRField
from models.partenaires import catalogue

ANSWER_MAX = 5000
MAX_TECHNICIANS_LIMIT = 999


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes in a fieldset (components/forms.html `choices`)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
    INVALID = "Sélectionnez uniquement des valeurs de la liste."

    def process_formdata(self, valuelist):
        try:
            self.data = [self.coerce(value) for value in valuelist]
        except (ValueError, TypeError):
            self.data = []
            raise ValueError(self.INVALID) from None

    def pre_validate(self, form):
        allowed = {value for value, *_ in self.iter_choices()}
        if any(value not in allowed for value in (self.data or [])):
            raise ValidationError(self.INVALID)


class FrenchIntegerField(IntegerField):
    """IntegerField whose parsing error is in French."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError("Saisissez un nombre entier, par exemple 10.") from None


# --- Request page ------------------------------------------------------------------------------

class RequestTakeForm(Form):
    """« Prendre en charge »: nothing but the CSRF token."""


class RequestResolveForm(Form):
    answer = CountedTextAreaField(
        "Réponse", [DataRequired("Saisissez la réponse apportée à la demande.")], max_chars=ANSWER_MAX,
        too_long="La réponse doit faire {max} caractères maximum : elle en fait {count}. Raccourcissez-la.",
        description="Le technicien la lira dans l’historique de ses demandes.")


# --- Settings ----------------------------------------------------------------------------------

def _ods_with_motives():
    return [o for o in catalogue()["ods"] if o.get("motives")]


def motives_field_name(code):
    return f"motives_{code}"


# Created in the order of the page (WTForms orders fields, hence the error summary, by creation).
_ods_offered = MultiCheckboxField(
    "Offres de service proposées", coerce=int,
    choices=[SelectChoice(o["code"], o["label"]) for o in catalogue()["ods"]],
    description="Les techniciens des structures conventionnées ne voient que les offres cochées.")
_motives = {motives_field_name(entry["code"]): MultiCheckboxField(
    f"Motifs proposés pour « {entry['label']} »", choices=[SelectChoice(m, m) for m in entry["motives"]])
    for entry in _ods_with_motives()}


class OrganisationSettingsForm(Form):
    ods_offered = _ods_offered
    documents = MultiCheckboxField(
        "Documents proposés (« Demander un document »)",
        choices=[SelectChoice(d, d) for d in next(o for o in catalogue()["ods"] if o["code"] == 5)["documents"]])
    max_active_technicians = FrenchIntegerField(
        "Nombre maximum de techniciens actifs par structure",
        [InputRequired("Saisissez le nombre maximum de techniciens actifs par structure."),
         NumberRange(1, MAX_TECHNICIANS_LIMIT,
                     f"Saisissez un nombre compris entre 1 et {MAX_TECHNICIANS_LIMIT}.")],
        render_kw={"inputmode": "numeric", "size": "4"})

    def motive_fields(self):
        """(catalogue entry, field) for every ODS that has motives, in catalogue order."""
        return [(o, self[motives_field_name(o["code"])]) for o in _ods_with_motives()]

    def fill(self, settings):
        """Show the stored settings (GET)."""
        self.ods_offered.data = list(settings.ods_offered or [])
        self.documents.data = settings.documents_offered()
        self.max_active_technicians.data = settings.max_active_technicians
        for entry, f in self.motive_fields():
            f.data = settings.motives_for(entry["code"])

    def motives_data(self):
        """Motives per ODS as stored: kept for ODS not offered, so that offering them again restores them."""
        return {str(entry["code"]): list(f.data or []) for entry, f in self.motive_fields()}

    def validate_ods_offered(self, field):
        if not field.data:
            raise ValidationError("Sélectionnez au moins une offre de service.")

    def validate_documents(self, field):
        if 5 in (self.ods_offered.data or []) and not field.data:
            raise ValidationError("Sélectionnez au moins un document pour l’offre « Demander un document ».")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        offered = set(self.ods_offered.data or [])
        for entry, f in self.motive_fields():
            if entry["code"] in offered and not f.data and not f.errors:
                f.errors.append(f"Sélectionnez au moins un motif pour l’offre « {entry['label']} ».")
                valid = False
        return valid


for _name, _field in _motives.items():
    setattr(OrganisationSettingsForm, _name, _field)


# --- Conventions -------------------------------------------------------------------------------

class ConventionDatesMixin:
    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data <= self.start_date.data:
            raise ValidationError("La date de fin doit être postérieure à la date de début.")


def _start_date():
    return DateFRField("Date de début", [InputRequired("Saisissez la date de début de la convention.")],
                       description="Format attendu : JJ/MM/AAAA, par exemple 01/04/2022")


def _end_date():
    return DateFRField("Date de fin", [Optional()],
                       description="Facultative. Format attendu : JJ/MM/AAAA, par exemple 31/03/2025")


class ConventionCreateForm(ConventionDatesMixin, Form):
    structure = SelectField("Structure", coerce=str, validate_choice=False,
                            description="Sélectionnez une structure existante, ou saisissez le nom d’une "
                                        "nouvelle structure ci-dessous.")
    new_structure = StringField("Nom d’une nouvelle structure",
                                [Length(max=120, message="Le nom doit faire 120 caractères maximum.")])
    start_date = _start_date()
    end_date = _end_date()

    def validate_structure(self, field):
        chosen, typed = (field.data or "").strip(), (self.new_structure.data or "").strip()
        if chosen and typed:
            raise ValidationError("Sélectionnez une structure existante ou saisissez le nom d’une nouvelle "
                                  "structure, pas les deux.")
        if not chosen and not typed:
            raise ValidationError("Sélectionnez une structure ou saisissez le nom d’une nouvelle structure.")
        if chosen and chosen not in {value for value, *_ in field.iter_choices()}:
            raise ValidationError("Sélectionnez une structure de la liste.")


class ConventionEditForm(ConventionDatesMixin, Form):
    start_date = _start_date()
    end_date = _end_date()


class ConventionDeleteForm(Form):
    """« Supprimer la convention »: nothing but the CSRF token."""
