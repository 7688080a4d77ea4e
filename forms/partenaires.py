"""Espace Partenaires forms, one per screen."""
from forms.base import Form
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired


class OrganisationSelectForm(Form):
    organisation = SelectField("Sélectionner l'organisme sur lequel vous souhaitez vous connecter.",
                               coerce=str, validators=[DataRequired("Sélectionnez un organisme.")],
                               validate_choice=False)


class OrganisationContinueForm(Form):
    organisation = HiddenField()
