"""The administrator's screens: organisations and agents (the CLI does the same, core.admin)."""
import re

from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

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


class AgentCreateForm(Form):
    last_name = StringField("Nom", [DataRequired("Saisissez le nom de l’agent."),
                                    Length(max=NAME_MAX, message=f"Le nom doit faire {NAME_MAX} caractères maximum."),
                                    name_characters("nom")],
                            render_kw={"autocomplete": "off"})
    first_name = StringField("Prénom", [DataRequired("Saisissez le prénom de l’agent."),
                                        Length(max=NAME_MAX,
                                               message=f"Le prénom doit faire {NAME_MAX} caractères maximum."),
                                        name_characters("prénom")],
                             render_kw={"autocomplete": "off"})
    email = EmailField("Adresse e-mail professionnelle", email_validators("Saisissez l’adresse e-mail de l’agent."),
                       description="L’agent y recevra le lien pour activer son compte et choisir son mot de passe.",
                       render_kw={"autocomplete": "off"})
    organisation = SelectField("Organisme", coerce=str, validate_choice=False,
                               validators=[InputRequired("Sélectionnez l’organisme de l’agent.")])

    def validate_organisation(self, field):
        if field.data not in {value for value, _ in field.choices or []} or not field.data:
            raise ValidationError("Sélectionnez l’organisme de l’agent.")

    def cleaned_last_name(self):
        return " ".join(self.last_name.data.split()).upper()

    def cleaned_first_name(self):
        return title_case(" ".join(self.first_name.data.split()))
