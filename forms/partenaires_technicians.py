"""Espace Partenaires: the partner manager's screens for the technicians of their structure."""
import re

from forms.base import Form
from wtforms import EmailField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from forms.auth import email_validators
from forms.validators import name_characters

NAME_MAX = 80


def title_case(name):
    """« jean-marie » → « Jean-Marie »."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), name)


class TechnicianCreateForm(Form):
    civility = RadioField("Civilité", choices=[SelectChoice("Mme", "Madame"), SelectChoice("M.", "Monsieur")],
                          validators=[InputRequired("Sélectionnez la civilité du technicien.")])
    last_name = StringField("Nom", [DataRequired("Saisissez le nom du technicien."),
                                    Length(max=NAME_MAX, message=f"Le nom doit faire {NAME_MAX} caractères maximum."),
                                    name_characters("nom")],
                            render_kw={"autocomplete": "off"})
    first_name = StringField("Prénom", [DataRequired("Saisissez le prénom du technicien."),
                                        Length(max=NAME_MAX,
                                               message=f"Le prénom doit faire {NAME_MAX} caractères maximum."),
                                        name_characters("prénom")],
                             render_kw={"autocomplete": "off"})
    email = EmailField("Adresse e-mail professionnelle",
                       email_validators("Saisissez l’adresse e-mail du technicien."),
                       description="Le technicien y recevra le lien pour activer son compte et choisir son mot de "
                                   "passe.",
                       render_kw={"autocomplete": "off"})

    def cleaned_last_name(self):
        return " ".join(self.last_name.data.split()).upper()

    def cleaned_first_name(self):
        return title_case(" ".join(self.first_name.data.split()))


class TechnicianStatusForm(Form):
    """« Désactiver », « Réactiver », « Renvoyer le lien d’activation »: nothing but the CSRF token."""
