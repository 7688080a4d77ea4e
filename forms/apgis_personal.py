"""Forms of « Mes données personnelles » (Apgis, seed 003 §3): each change of personal data
(postal address, email, bank details for health reimbursements, payment method of contributions)
is a form of its own with a supporting document (an upload set, core.uploads) and a one-time
submission token; it creates a DIT, nothing is changed yet. « Alerte par mail lors du règlement
d'une prestation » is switched directly."""
from __future__ import annotations

from typing import Any

from flask import request
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.places import countries_fr
from core.submission import token_or_new
from forms.auth import email_validators
from forms.bank import BankDetailsForm
from forms.base import Form
from forms.fields import clean_text
from forms.places import CommuneField, CountryField
from models.apgis import CONTRIBUTION_METHODS

FRANCE, ABROAD = "france", "etranger"
SEARCH = "rechercher"  # the commune search's button (components/commune.html)


class _Submitted(Form):
    """The one-time token of the DIT it creates (core.submission), and the notification it answers."""
    submission = HiddenField()
    notification = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


def _line(label: str, required: bool = False) -> StringField:
    checks = [DataRequired("Saisissez le numéro et le libellé de la voie.")] if required else [Optional()]
    return StringField(label, [*checks, Length(max=38, message="Chaque ligne d’adresse doit faire 38 caractères "
                                                               "maximum.")], filters=[clean_text])


class AddressChangeForm(_Submitted):
    """« Modifier » the postal address: in France (the commune search) or abroad (town and country)."""
    place = RadioField("Votre adresse est", choices=[SelectChoice(FRANCE, "En France"),
                                                      SelectChoice(ABROAD, "À l’étranger")], default=FRANCE,
                       validators=[InputRequired("Indiquez si votre adresse est en France ou à l’étranger.")])
    address_line1 = _line("N° et libellé de la voie", required=True)
    address_line2 = _line("Complément d’adresse (bâtiment, lieu-dit…)")
    commune = CommuneField("Code postal et ville (adresse en France)", required=False)
    postcode_abroad = StringField("Code postal (adresse à l’étranger)", [
        Optional(), Length(max=10, message="Le code postal doit faire 10 caractères maximum.")], filters=[clean_text])
    city_abroad = StringField("Ville (adresse à l’étranger)", [
        Length(max=120, message="La ville doit faire 120 caractères maximum.")], filters=[clean_text])
    country = CountryField("Pays (adresse à l’étranger)")

    @property
    def abroad(self) -> bool:
        return self.place.data == ABROAD

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        self.commune.required = not self.abroad
        self.commune.active = not self.abroad

    @staticmethod
    def is_refresh() -> bool:
        """« Rechercher » (the commune search without JavaScript): redisplay, don't validate."""
        return SEARCH in request.form

    def validate_city_abroad(self, field: StringField) -> None:
        if self.abroad and not (field.data or "").strip():
            raise ValidationError("Saisissez la ville.")

    def validate_country(self, field: CountryField) -> None:
        if self.abroad and field.data not in {code for code, _ in countries_fr() if code != "FR"}:
            raise ValidationError("Sélectionnez le pays de votre adresse à l’étranger.")

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"address_line1": self.address_line1.data,
                                "address_line2": self.address_line2.data or None}
        if self.abroad:
            data.update(postcode=self.postcode_abroad.data or None, insee=None, city=self.city_abroad.data,
                        country=self.country.data)
        else:
            commune = self.commune.data
            data.update(postcode=commune.postcode, insee=commune.insee, city=commune.name, country="FR")
        return data


class EmailChangeForm(_Submitted):
    email = StringField("Nouvelle adresse mail", email_validators("Saisissez votre nouvelle adresse mail."),
                        render_kw={"autocomplete": "email", "spellcheck": "false"})

    def payload(self) -> dict[str, Any]:
        return {"email": (self.email.data or "").strip().lower()}


class HealthBankChangeForm(_Submitted, BankDetailsForm):
    """The account health reimbursements are paid to (IBAN checked, BIC derived: forms/bank.py)."""

    def payload(self) -> dict[str, Any]:
        return {"account_holder": self.account_holder.data, "iban": self.iban.data, "bic": self.bic.data or None,
                "abroad": bool(self.bank_abroad.data)}


BANK_FIELDS = ("bank_abroad", "account_holder", "iban", "bic")


class ContributionMethodForm(_Submitted, BankDetailsForm):
    """The payment method of contributions (individual contracts); a direct debit needs an account."""
    method = RadioField("Mode de règlement des cotisations",
                        choices=[SelectChoice(code, label) for code, label in CONTRIBUTION_METHODS.items()],
                        validators=[InputRequired("Choisissez le mode de règlement de vos cotisations.")])

    @property
    def debit(self) -> bool:
        return self.method.data == "prelevement"

    def validate(self, extra_validators: Any = None) -> bool:
        if not self.debit:
            # The account is asked for a direct debit only: the other methods ignore it.
            for name in BANK_FIELDS:
                self[name].validators = [Optional()]
            super().validate(extra_validators)
            for name in BANK_FIELDS:
                self[name].errors = []
            self._errors = None
            return not any(f.errors for f in self)
        return super().validate(extra_validators)

    def payload(self) -> dict[str, Any]:
        if not self.debit:
            return {"method": self.method.data, "iban": None, "bic": None}
        return {"method": self.method.data, "account_holder": self.account_holder.data, "iban": self.iban.data,
                "bic": self.bic.data or None}


class PaymentAlertForm(Form):
    """« Alerte par mail lors du règlement d’une prestation »: on or off, confirmed (no DIT)."""
    alert = RadioField("Alerte par mail lors du règlement d’une prestation",
                       choices=[SelectChoice("oui", "Activée"), SelectChoice("non", "Désactivée")],
                       validators=[InputRequired("Choisissez d’activer ou de désactiver l’alerte.")])
