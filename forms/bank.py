"""Bank details (« Domiciliation bancaire »): IBAN checked, BIC derived from it.

The IBAN is normalised (spaces removed, upper case) and checked with schwifty (country, length,
check digits, national checksum). The BIC is derived from the IBAN with schwifty's bank registry,
French and foreign banks alike; when the registry does not know the bank, the BIC field stays
editable and is required (checked with schwifty too). Without « Domiciliation bancaire à
l'étranger » the IBAN must be French (FR, or one of the French overseas codes).

The BIC is filled when the form is *processed* (built from a post or from a wizard draft), not
only when it is validated: a step redisplayed by any button (« Vérifier l'IBAN », « Précédent »
then back…) shows it filled. With htmx, leaving the IBAN field posts the bank fields to
`components.bank_check` (blueprints/components/bank.py), which answers the BIC field and the
bank's name (or the IBAN's error) without a page load. The IBAN is posted, never put in a URL.

A form gets the four fields by subclassing `BankDetailsForm` (field names are fixed: the
component's endpoint rebuilds this form from the post; a `prefix` is fine, pass it to the macro):

    class DossierForm(BankDetailsForm):           # forms/armees_apply.py, say
        ...the step's other fields...

    form = DossierForm()
    if form.validate_on_submit():
        data["bank"] = form.bank_data()           # {"abroad", "holder", "iban", "bic"}

and its template, inside the form (templates/components/bank.html):

    {% from "components/bank.html" import bank_details %}
    {{ bank_details(form) }}                       # legend « Domiciliation bancaire » by default

Prefill from stored details (e.g. RessortissantProfile): `DossierForm(data=BankDetailsForm.initial(
abroad=p.bank_abroad, holder=p.account_holder, iban=p.iban, bic=p.bic))` on a first GET.

`check_iban(text, abroad=True)` is the plain function behind it all (→ `IbanCheck`), for code
that is not a form."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import BooleanField, StringField
from wtforms.form import BaseForm
from wtforms.validators import InputRequired, Length, ValidationError

from forms.base import Form
from forms.fields import Validator, clean_text

INVALID_IBAN = "L’IBAN saisi n’est pas valide : vérifiez-le."
MISSING_IBAN = "Saisissez l’IBAN."
NOT_FRENCH_IBAN = ("Cet IBAN n’est pas celui d’un compte en France : cochez « Domiciliation bancaire à "
                   "l’étranger » ou saisissez l’IBAN d’un compte en France.")
MISSING_BIC = "Saisissez le BIC : il n’a pas pu être trouvé à partir de l’IBAN."
INVALID_BIC = "Le BIC saisi n’est pas valide : vérifiez-le (8 ou 11 lettres et chiffres)."
MISSING_HOLDER = "Saisissez le titulaire du compte."
# The countries whose IBANs are French accounts (metropolitan and overseas France).
FRENCH_IBAN_COUNTRIES = frozenset({"FR", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"})
IBAN_MAX = 34 + 8  # 34 characters, and spaces between groups


def normalize_iban(value: str | None) -> str:
    """« fr76 3000 6000… » → « FR7630006000… »: every space (no-break ones too) and dash removed."""
    return "".join(ch for ch in (value or "") if not ch.isspace() and ch != "-").upper()


def normalize_bic(value: str | None) -> str:
    return normalize_iban(value)


@dataclass(frozen=True)
class IbanCheck:
    """What is known of a typed IBAN: `iban` normalised, `error` (French) when it is not valid,
    and, when the bank registry knows the bank, its `bic` and `bank_name`."""
    iban: str
    error: str | None = None
    bic: str | None = None
    bank_name: str | None = None
    country: str | None = None

    @property
    def valid(self) -> bool:
        return bool(self.iban) and self.error is None

    @property
    def formatted(self) -> str:
        """In groups of four, as printed on a RIB."""
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))


def check_iban(value: str | None, *, abroad: bool = True) -> IbanCheck:
    """Check an IBAN as typed. Without `abroad`, only an account in France is accepted."""
    iban = normalize_iban(value)
    if not iban:
        return IbanCheck("", MISSING_IBAN)
    try:
        parsed = IBAN(iban)
    except (SchwiftyException, ValueError):
        return IbanCheck(iban, INVALID_IBAN)
    country = parsed.country_code
    if not abroad and country not in FRENCH_IBAN_COUNTRIES:
        return IbanCheck(iban, NOT_FRENCH_IBAN, country=country)
    try:
        bic = parsed.bic
    except (SchwiftyException, ValueError):
        bic = None
    bank_name = (getattr(parsed, "bank_name", None) or None) if bic is not None else None
    return IbanCheck(iban, bic=str(bic) if bic is not None else None, bank_name=bank_name, country=country)


class IbanField(StringField):
    """An IBAN: `.data` is normalised (no spaces, upper case); `.check` is its IbanCheck once the
    form is processed. Shown in groups of four once valid. The form's `abroad_field` (a
    BooleanField's name) says whether foreign accounts are accepted (absent: they are)."""

    def __init__(self, label: str | None = None, validators: Sequence[Validator] | None = None,
                 abroad_field: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"autocomplete": "off", "spellcheck": "false",
                                        "autocapitalize": "characters", "maxlength": IBAN_MAX})
        super().__init__(label, validators, **kwargs)
        self.abroad_field = abroad_field
        self.raw_text = ""
        self.check: IbanCheck = IbanCheck("")

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.raw_text = clean_text(self.data) or ""
        self.data = normalize_iban(self.data)

    def process_data(self, value: Any) -> None:
        super().process_data(normalize_iban(value) if isinstance(value, str) else value)

    def _value(self) -> str:
        if self.check.valid and self.check.iban == self.data:
            return self.check.formatted
        return getattr(self, "raw_text", None) or (self.data or "")

    def run_check(self, form: BaseForm) -> IbanCheck:
        abroad = True
        if self.abroad_field is not None and self.abroad_field in form:
            abroad = bool(form[self.abroad_field].data)
        self.check = check_iban(self.data, abroad=abroad)
        return self.check

    def pre_validate(self, form: BaseForm) -> None:
        check = self.run_check(form)
        if self.data and check.error:
            raise ValidationError(check.error)


class BicField(StringField):
    """A BIC derived from the form's IBAN field (`iban_field`) when the bank registry knows it
    (then `.derived` is True and the input is read-only); else typed, required and checked."""

    def __init__(self, label: str | None = None, validators: Sequence[Validator] | None = None,
                 iban_field: str = "iban", **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.iban_field = iban_field
        self.derived = False

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.data = normalize_bic(self.data)

    def derive(self, form: BaseForm) -> None:
        """Fill the BIC from the IBAN when the registry knows its bank (called by the form's process)."""
        iban: IbanField = form[self.iban_field]
        check = iban.run_check(form)
        self.derived = bool(check.valid and check.bic)
        if self.derived:
            self.data = check.bic
            self.raw_data = [check.bic]
        # Asked for only once the IBAN is known to be valid and its bank unknown.
        self.flags.required = check.valid and not self.derived

    def pre_validate(self, form: BaseForm) -> None:
        if self.derived:
            return
        iban = form[self.iban_field]
        if not iban.check.valid:
            return  # the IBAN's error says what to do first
        if not self.data:
            raise ValidationError(MISSING_BIC)
        try:
            bic = BIC(self.data)
        except (SchwiftyException, ValueError):
            raise ValidationError(INVALID_BIC)
        self.data = str(bic)


class BankDetailsForm(Form):
    """« Domiciliation bancaire à l'étranger », « Titulaire du compte », « IBAN », « BIC »: subclass
    it (or use it as is) to give a form bank details. See the module's docstring."""
    bank_abroad = BooleanField("Domiciliation bancaire à l’étranger")
    account_holder = StringField("Titulaire du compte", [
        InputRequired(MISSING_HOLDER),
        Length(max=80, message="Le titulaire du compte doit faire 80 caractères maximum.")],
        filters=[clean_text], render_kw={"autocomplete": "name"})
    iban = IbanField("IBAN", [InputRequired(MISSING_IBAN), Length(max=34, message=INVALID_IBAN)],
                     abroad_field="bank_abroad", description="Par exemple FR76 3000 6000 0112 3456 7890 189")
    bic = BicField("BIC", iban_field="iban", render_kw={"autocomplete": "off", "spellcheck": "false",
                                                        "autocapitalize": "characters", "maxlength": 11 + 3},
                   description="Le BIC est ajouté automatiquement après la saisie et le contrôle de l’IBAN.")

    # Which button redisplays the step with the BIC filled, without JavaScript.
    CHECK_BUTTON = "verifier-iban"

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        self.bic.derive(self)

    def bank_data(self) -> dict[str, Any]:
        """The details as the Portail Des Aides' data contract stores them (blueprints/armees/recap.py)."""
        return {"abroad": bool(self.bank_abroad.data), "holder": self.account_holder.data or "",
                "iban": self.iban.data or "", "bic": self.bic.data or ""}

    @staticmethod
    def initial(*, abroad: bool = False, holder: str | None = None, iban: str | None = None,
                bic: str | None = None) -> dict[str, Any]:
        """`data=` for a form prefilled with stored details."""
        return {"bank_abroad": abroad, "account_holder": holder or "", "iban": iban or "", "bic": bic or ""}
