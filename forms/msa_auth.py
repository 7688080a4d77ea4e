"""MSA « Mon espace privé »: login by NIR, sign-up with an emailed code (one form per screen)."""
from forms.base import Form
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from core import nir as nir_rules
from forms.auth import (confirm_password_field, email_validators, first_name_field, last_name_field,
                        new_password_field)
from forms.fields import PASSWORD_MAX, DateFRField

NIR_LABEL = "Identifiant (numéro de sécurité sociale sans la clé)"
NIR_HINT = "13 caractères, par exemple 1 85 07 75 123 456 (2A ou 2B pour un département de naissance en Corse)"


class NirField(StringField):
    """The NIR without key; `.data` is the normalised number (spaces and dots removed)."""

    def __init__(self, label=NIR_LABEL, validators=None, **kwargs):
        kwargs.setdefault("description", NIR_HINT)
        kwargs.setdefault("render_kw", {"autocomplete": "username", "spellcheck": "false", "maxlength": 25})
        super().__init__(label, validators or [DataRequired("Saisissez votre numéro de sécurité sociale sans la clé.")],
                         **kwargs)

    def _value(self):
        return self.raw_data[0] if self.raw_data else (self.data or "")

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = nir_rules.normalize(self.data)

    def post_validate(self, form, validation_stopped):
        if not validation_stopped and not self.errors:
            message = nir_rules.problem(self.data)
            if message:
                self.errors.append(message)


class MsaLoginForm(Form):
    nir = NirField()
    password = PasswordField("Mot de passe", [InputRequired("Saisissez votre mot de passe."),
                                              Length(max=PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})


class MsaSignupForm(Form):
    # The same words as at login (seed 004: « mon identifiant (mon numéro de sécurité sociale sans la clé) »).
    nir = NirField(NIR_LABEL, render_kw={"spellcheck": "false", "maxlength": 25})
    last_name = last_name_field()
    first_name = first_name_field()
    birth_date = DateFRField("Date de naissance", [InputRequired("Saisissez votre date de naissance.")],
                             not_future=True, render_kw={"autocomplete": "bday"})
    email = EmailField("Adresse e-mail", email_validators(),
                       description="Le code pour finaliser votre inscription y sera envoyé immédiatement.",
                       render_kw={"autocomplete": "email", "spellcheck": "false"})

    def validate_birth_date(self, field):
        if field.data and not self.nir.errors and self.nir.data and nir_rules.problem(self.nir.data) is None \
                and not nir_rules.matches_birth_date(self.nir.data, field.data):
            raise ValidationError("La date de naissance ne correspond pas au numéro de sécurité sociale "
                                  "(année et mois de naissance). Vérifiez l’un et l’autre.")


class MsaSignupCodeForm(Form):
    code = StringField("Code reçu par e-mail", [DataRequired("Saisissez le code reçu par e-mail."),
                                                Regexp(r"^\s*\d{6}\s*$", message="Le code comporte 6 chiffres.")],
                       description="6 chiffres",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6,
                                  "spellcheck": "false"})
    password = new_password_field()
    password_confirm = confirm_password_field()


class MsaSignupResendForm(Form):
    """« Renvoyer le code » on the code step: nothing but the CSRF token."""
