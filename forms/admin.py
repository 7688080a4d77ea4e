"""The administrator's screens: organisations, agents, partner structures and their managers (the CLI
does the same, core.admin)."""
import re

from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from forms.agent_partenaires import FrenchIntegerField
from forms.auth import email_validators
from forms.base import Form
from forms.partenaires_technicians import NAME_MAX, title_case
from forms.validators import name_characters


class OrganisationCreateForm(Form):
    portal = SelectField("Portail", coerce=str, validate_choice=False,
                         validators=[InputRequired("Sélectionnez le portail de l’organisme.")])
    code = StringField("Code de l’organisme", [DataRequired("Saisissez le code de l’organisme."),
                                               Length(max=10, message="Le code fait 10 caractères maximum.")],
                       description="Espace Partenaires : 1 à 3 chiffres, par exemple 331 (il figure dans les numéros "
                                   "de demande). Autres portails : 1 à 10 lettres ou chiffres.",
                       render_kw={"autocomplete": "off"})
    name = StringField("Nom de l’organisme", [DataRequired("Saisissez le nom de l’organisme."),
                                              Length(max=120, message="Le nom fait 120 caractères maximum.")],
                       render_kw={"autocomplete": "off"})

    def validate_portal(self, field):
        if field.data not in {value for value, _ in field.choices or []} or not field.data:
            raise ValidationError("Sélectionnez le portail de l’organisme.")

    def validate_code(self, field):
        code = (field.data or "").strip()
        if self.portal.data == "partenaires":
            if not re.fullmatch(r"\d{1,3}", code):
                raise ValidationError("Saisissez un code de 1 à 3 chiffres, par exemple 331.")
        elif not re.fullmatch(r"[A-Za-z0-9_-]{1,10}", code):
            raise ValidationError("Saisissez un code de 1 à 10 lettres, chiffres, tirets ou soulignés, sans espace.")


def _invited_person(who: str, owner: str) -> type[Form]:
    """The name and address of an account the administrator creates (`who`: « de l’agent »…,
    `owner`: « L’agent »…, in the messages)."""
    class InvitedPersonFields(Form):
        last_name = StringField("Nom", [DataRequired(f"Saisissez le nom {who}."),
                                        Length(max=NAME_MAX,
                                               message=f"Le nom doit faire {NAME_MAX} caractères maximum."),
                                        name_characters("nom")],
                                render_kw={"autocomplete": "off"})
        first_name = StringField("Prénom", [DataRequired(f"Saisissez le prénom {who}."),
                                            Length(max=NAME_MAX,
                                                   message=f"Le prénom doit faire {NAME_MAX} caractères maximum."),
                                            name_characters("prénom")],
                                 render_kw={"autocomplete": "off"})
        email = EmailField("Adresse e-mail professionnelle", email_validators(f"Saisissez l’adresse e-mail {who}."),
                           description=f"{owner} y recevra le lien pour activer son compte et choisir son mot de "
                                       "passe.",
                           render_kw={"autocomplete": "off"})

        def cleaned_last_name(self):
            return " ".join(self.last_name.data.split()).upper()

        def cleaned_first_name(self):
            return title_case(" ".join(self.first_name.data.split()))

    return InvitedPersonFields


class AgentCreateForm(_invited_person("de l’agent", "L’agent")):
    organisation = SelectField("Organisme", coerce=str, validate_choice=False,
                               validators=[InputRequired("Sélectionnez l’organisme de l’agent.")])

    def validate_organisation(self, field):
        if field.data not in {value for value, _ in field.choices or []} or not field.data:
            raise ValidationError("Sélectionnez l’organisme de l’agent.")


class AccountStatusForm(Form):
    """« Désactiver », « Réactiver » an account: nothing but the CSRF token."""


MANAGER_WHO, MANAGER_OWNER = "du gestionnaire", "Le gestionnaire"


class PartnerManagerCreateForm(_invited_person(MANAGER_WHO, MANAGER_OWNER)):
    """A partner manager of an existing structure."""


class _StructureFields(Form):
    """Defined before the manager's fields are made, so that the form (and its error summary)
    lists them first, as the page does."""
    name = StringField("Nom de la structure", [DataRequired("Saisissez le nom de la structure."),
                                                Length(max=120, message="Le nom fait 120 caractères maximum.")],
                       render_kw={"autocomplete": "off"})
    max_technicians = FrenchIntegerField(
        "Nombre maximum de techniciens actifs", default=10,
        validators=[InputRequired("Saisissez le nombre maximum de techniciens actifs, par exemple 10.")],
        description="Un nombre entier, par exemple 10.", render_kw={"inputmode": "numeric", "autocomplete": "off"})

    def validate_max_technicians(self, field):
        if field.data is not None and not 1 <= field.data <= 10_000:
            raise ValidationError("Saisissez un nombre entre 1 et 10000.")

    def cleaned_name(self):
        return " ".join(self.name.data.split())


class StructureCreateForm(_StructureFields, _invited_person(MANAGER_WHO, MANAGER_OWNER)):
    """A partner structure and its manager, who then creates its technicians."""
