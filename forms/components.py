"""Form of the components demo page (/composants/demo)."""
from forms.base import Form
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from forms.fields import CountedTextAreaField
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
