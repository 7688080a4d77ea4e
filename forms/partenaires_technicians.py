"""Espace Partenaires: the partner manager's screens for the technicians of their structure."""
import re

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from forms.auth import email_validators

NAME_CHARACTERS = re.compile(r"^[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*$")
NAME_MAX = 80


class NameCharacters:
    def __init__(self, what):
        self.what = what

    def __call__(self, form, field):
        if field.data and not NAME_CHARACTERS.match(" ".join(field.data.split())):
            raise ValidationError(f"Le {self.what} ne peut contenir que des lettres, des espaces, des "
                                  "apostrophes et des tirets.")


def title_case(name):
    """« jean-marie » → « Jean-Marie »."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), name)


class TechnicianCreateForm(FlaskForm):
    civility = RadioField("Civilité", choices=[SelectChoice("Mme", "Madame"), SelectChoice("M.", "Monsieur")],
                          validators=[InputRequired("Sélectionnez la civilité du technicien.")])
    last_name = StringField("Nom", [DataRequired("Saisissez le nom du technicien."),
                                    Length(max=NAME_MAX, message=f"Le nom doit faire {NAME_MAX} caractères maximum."),
                                    NameCharacters("nom")],
                            render_kw={"autocomplete": "off"})
    first_name = StringField("Prénom", [DataRequired("Saisissez le prénom du technicien."),
                                        Length(max=NAME_MAX,
                                               message=f"Le prénom doit faire {NAME_MAX} caractères maximum."),
                                        NameCharacters("prénom")],
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


class TechnicianStatusForm(FlaskForm):
    """« Désactiver », « Réactiver », « Renvoyer le lien d’activation »: nothing but the CSRF token."""
