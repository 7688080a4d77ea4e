"""Forms of the components demo pages (/composants/demo, and the wizard /composants/assistant)."""
from forms.base import Form
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from forms.auth import first_name_field, last_name_field
from core.rows import Column, RowsField, Table
from forms.bank import BankDetailsForm
from forms.fields import CountedTextAreaField, DateFRField
from forms.places import CommuneField, CountryField

DEMO_MESSAGE_MAX = 750
DEMO_MESSAGE_MIN = 10


class ComponentsDemoForm(Form):
    """The cascade's codes are not fields: they come from the hidden inputs the cascade renders
    and are resolved by core.cascade in the view."""
    message = CountedTextAreaField(
        "Votre message", [DataRequired("Saisissez votre message.")],
        max_chars=DEMO_MESSAGE_MAX, min_chars=DEMO_MESSAGE_MIN,
        too_long="Le message doit faire {max} caractères maximum : il en fait {count}. Raccourcissez-le.",
        too_short="Le message doit faire au moins {min} caractères : il en fait {count}.",
        description=f"{DEMO_MESSAGE_MIN} caractères minimum. N’y mettez pas d’information médicale.")
    country = CountryField("Pays de résidence")
    commune = CommuneField("Code postal ou ville de résidence")
    # No Optional(): on an empty field it would stop the chain before validate_city_abroad.
    city_abroad = StringField(
        "Ville de résidence", [Length(max=120, message="La ville doit faire 120 caractères maximum.")],
        description="Si le pays sélectionné n’est pas la France, saisissez la ville en entier.")

    def abroad(self):
        return (self.country.data or "FR") != "FR"

    def validate(self, extra_validators=None):
        self.commune.active = not self.abroad()
        return super().validate(extra_validators)

    def validate_city_abroad(self, field):
        if self.abroad() and not (field.data or "").strip():
            raise ValidationError("Saisissez la ville de résidence en entier.")


# --- The demo wizard (/composants/assistant): one form per step ---------------------------------

class AssistantIdentityForm(Form):
    last_name = last_name_field()
    first_name = first_name_field()
    birth_date = DateFRField("Date de naissance", [InputRequired("Saisissez votre date de naissance.")],
                             not_future=True, render_kw={"autocomplete": "bday", "inputmode": "numeric"})


CONTACT_CHOICES = [SelectChoice("courriel", "Par courriel"), SelectChoice("telephone", "Par téléphone"),
                   SelectChoice("courrier", "Par courrier")]


class AssistantChoiceForm(Form):
    """The step's files are not a field: they are the wizard's attachment set (core.wizard)."""
    contact = RadioField("Comment souhaitez-vous être contacté ?", choices=CONTACT_CHOICES,
                         validators=[InputRequired("Sélectionnez comment vous souhaitez être contacté.")])


class AssistantConfirmForm(Form):
    certify = BooleanField("Je certifie l’exactitude des informations saisies",
                           validators=[DataRequired("Cochez la case pour certifier l’exactitude des informations.")])


# --- The « Votre dossier » demo wizard (/composants/dossier): the kit pieces of a file step ------

FAMILY = Table("famille", "Composition de la famille", columns=(
    Column("nom", "Nom", required=True),
    Column("prenom", "Prénom", required=True),
    Column("naissance", "Date de naissance", "date", required=True),
    Column("lien", "Lien de parenté", "select", required=True,
           choices=("Conjoint", "Enfant", "Enfant à charge du conjoint", "Autre personne à charge")),
    Column("revenus", "Revenus annuels", "amount"),
), min_rows=1, max_rows=3)


class DossierDemoForm(BankDetailsForm):
    """A family table (core/rows.py) and bank details (forms/bank.py)."""
    famille = RowsField(FAMILY)


class DossierDemoConfirmForm(Form):
    certify = BooleanField("Je certifie l’exactitude des informations saisies",
                           validators=[DataRequired("Cochez la case pour certifier l’exactitude des informations.")])
