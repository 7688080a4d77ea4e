"""Forms of the application wizard of the Portail Des Aides (blueprints/armees/apply.py), one per
step; those that depend on the benefit are built from its catalogue entry and cached per benefit:

    eligibility_form(benefit)   # « Critères d'éligibilité »: one Oui/Non question per criterion
    dossier_form(benefit)       # « Votre dossier »: the benefit's own fields (catalogue FieldSpecs)
                                # and « Domiciliation bancaire » (forms/bank.py, DossierBaseForm)
    dossier_form_for(benefit, stored_bank)  # the same, with the profile's bank details read-only
    SwornStatementForm          # « Récapitulatif »: the « Attestation sur l'honneur »

Field names of the dossier form are the catalogue's field names prefixed with `f_` (a catalogue
name can never clash with a form attribute)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.armees.catalogue import Benefit, FieldSpec
from core.rows import RowsField, Table
from forms.bank import BankDetailsForm
from forms.base import Form
from forms.fields import DateFRField

FIELD_PREFIX = "f_"
NEW_BANK = "bank_new"   # the dossier form's flag (and button): « Utiliser une nouvelle domiciliation bancaire »
BANK_FIELDS = ("bank_abroad", "account_holder", "iban", "bic")
REFRESH, BANK_BLOCK = "actualiser", "domiciliation"   # what the button's htmx request asks for
YES_NO = [SelectChoice("oui", "Oui"), SelectChoice("non", "Non")]
SWORN_MESSAGE = "Cochez la case pour certifier l’exactitude des renseignements."
AMOUNT = re.compile(r"^\d{1,9}(?:[.,]\d{1,2})?$")


class AmountField(StringField):
    """An amount in euros typed « 1 234,56 » or « 1234.56 »: `.data` is a Decimal (or None); the
    text typed is shown back as it was."""

    def __init__(self, label: str | None = None, validators: Any = None, maximum: float | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("description", "En euros, par exemple 350,00")
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum
        self.raw_text = ""

    def _value(self) -> str:
        return self.raw_text

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        compact = re.sub(r"[\s\u00a0\u202f€]", "", self.raw_text)
        if not compact:
            self.raw_data = [""] if valuelist else valuelist
            return
        if not AMOUNT.match(compact):
            raise ValueError("Saisissez un montant en euros, par exemple 350,00.")
        try:
            self.data = Decimal(compact.replace(",", ".")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError("Saisissez un montant en euros, par exemple 350,00.") from None

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.maximum is not None and self.data > Decimal(str(self.maximum)):
            limit = f"{self.maximum:,.0f}".replace(",", "\u202f")
            raise ValidationError(f"Le montant ne peut pas dépasser {limit} €.")


def _required(spec: FieldSpec, message: str) -> list[Any]:
    return [InputRequired(message)] if spec.required else [Optional()]


def field_for(spec: FieldSpec) -> Any:
    """The WTForms field of a catalogue field (not a table: tables are core.rows sections);
    a required field's label ends with « * » (explained above the form)."""
    label = spec.label + (" *" if spec.required and spec.type != "checkbox" else "")
    if spec.type == "text":
        validators = _required(spec, f"Renseignez le champ « {label} ».")
        validators.append(Length(max=spec.max_length or 200,
                                 message=f"Ce champ doit faire {spec.max_length or 200} caractères maximum."))
        return StringField(label, validators)
    if spec.type == "textarea":
        limit = spec.max_length or 2000
        return TextAreaField(label, [*_required(spec, f"Renseignez le champ « {label} »."),
                                     Length(max=limit, message=f"Ce champ doit faire {limit} caractères maximum.")])
    if spec.type == "select":
        choices = [SelectChoice("", "Sélectionnez"), *(SelectChoice(c, c) for c in spec.choices)]
        return SelectField(label, choices=choices,
                           validators=_required(spec, f"Sélectionnez une valeur pour « {label} »."),
                           validate_choice=True)
    if spec.type == "date":
        return DateFRField(label, _required(spec, f"Saisissez la date : « {label} »."))
    if spec.type == "checkbox":
        return BooleanField(label)
    if spec.type == "amount":
        return AmountField(label, _required(spec, f"Saisissez le montant : « {label} »."), maximum=spec.max)
    if spec.type == "number":
        validators = _required(spec, f"Saisissez un nombre : « {label} »")
        validators.append(NumberRange(min=0, max=spec.max, message="Saisissez un nombre positif."))
        return IntegerField(label, validators)
    raise ValueError(f"no form field for type {spec.type}")


def raw_value(spec: FieldSpec, field: Any) -> Any:
    """A validated field's value as AidApplication.data["dossier"] keeps it (recap.py contract)."""
    data = field.data
    if spec.type == "checkbox":
        return bool(data)
    if data in (None, ""):
        return None
    if spec.type == "date":
        return data.isoformat()
    if spec.type == "amount":
        return f"{data:.2f}"
    return data


@lru_cache(maxsize=64)
def eligibility_form(benefit: Benefit) -> type[Form]:
    attrs = {q.name: RadioField(q.label, choices=YES_NO,
                                validators=[InputRequired("Répondez par Oui ou par Non à cette question.")])
             for q in benefit.eligibility}
    return type(f"Eligibility_{benefit.code.replace('-', '_')}", (Form,), attrs)


class LastValueFlagField(HiddenField):
    """A "1"/"" flag kept in a hidden input and set by a button of the same name: the button's value,
    posted after the hidden input, wins (the last value posted)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = "1" if valuelist and valuelist[-1] == "1" else ""

    def _value(self) -> str:
        return self.data or ""


class DossierBaseForm(BankDetailsForm):
    """« Votre dossier »'s bank details. With `stored_bank` (the profile's details, from an earlier
    processed application: `dossier_form_for(benefit, stored_bank)`), they are used as they are,
    read-only: whatever bank fields are posted, the stored ones are processed, until « Utiliser une
    nouvelle domiciliation bancaire » (`bank_new`) asks for new ones, typed in empty fields."""
    stored_bank: dict[str, Any] | None = None
    bank_new = LastValueFlagField()

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, extra_filters: Any = None,
                **kwargs: Any) -> None:
        stored = self.stored_bank
        if stored:
            formdata = self.meta.wrap_formdata(self, formdata)
            if formdata is None:
                data = {**(data or {}), **BankDetailsForm.initial(**stored)}
            elif (formdata.getlist(self.bank_new.name) or [""])[-1] != "1":
                formdata = MultiDict(formdata)
                for name in BANK_FIELDS:
                    formdata.poplist(self[name].name)
                for name, value in BankDetailsForm.initial(**stored).items():
                    if value:
                        formdata[self[name].name] = "y" if value is True else value
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def is_refresh(self, formdata: Any = None) -> bool:
        """With htmx, « Utiliser une nouvelle domiciliation bancaire » only asks for the bank block."""
        data = request.form if formdata is None else formdata
        return data.get(REFRESH) == BANK_BLOCK

    def refresh_block(self, formdata: Any = None) -> str | None:
        return BANK_BLOCK if self.is_refresh(formdata) else None

    @property
    def uses_stored_bank(self) -> bool:
        """The stored bank details are used (shown read-only, no RIB asked again)."""
        return bool(self.stored_bank) and self.bank_new.data != "1"


@lru_cache(maxsize=64)
def dossier_form(benefit: Benefit) -> type[Form]:
    attrs = {FIELD_PREFIX + spec.name: RowsField(Table.from_spec(spec)) if spec.type == "table" else field_for(spec)
             for spec in benefit.fields}
    return type(f"Dossier_{benefit.code.replace('-', '_')}", (DossierBaseForm,), attrs)


def dossier_form_for(benefit: Benefit, stored_bank: dict[str, Any] | None) -> type[Form]:
    """The benefit's dossier form for a user whose profile holds bank details (`stored_bank`:
    BankDetailsForm.initial's arguments) or not (None)."""
    base = dossier_form(benefit)
    if not stored_bank:
        return base
    return type(base.__name__, (base,), {"stored_bank": dict(stored_bank)})


class SwornStatementForm(Form):
    """« Attestation sur l'honneur »; `submission` makes « Transmettre » count once (core.submission)."""
    sworn = BooleanField("Je certifie sur l’honneur l’exactitude des renseignements fournis.",
                         [InputRequired(SWORN_MESSAGE)])
    submission = HiddenField()


class _LockedInformationsForm(Form):
    """A profile fixed by an earlier transmitted application: nothing to type (read-only)."""


def informations_form(locked: bool) -> type[Form]:
    """« Vos informations »: the SPACE slice's field groups (forms/armees_informations.py), or
    nothing to type once the profile is fixed by a transmitted application."""
    from forms.armees_informations import InformationsForm
    return _LockedInformationsForm if locked else InformationsForm
