"""Espace Partenaires forms, one per screen."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired


class OrganisationSelectForm(FlaskForm):
    organisation = SelectField("Sélectionner l'organisme sur lequel vous souhaitez vous connecter.",
                               coerce=str, validators=[DataRequired("Sélectionnez un organisme.")],
                               validate_choice=False)


class OrganisationContinueForm(FlaskForm):
    organisation = HiddenField()
