"""Apgis « Mes services » (seed 003, §5 and §6): the period filter of the reimbursements and
statements (GET), and « Une prise en charge hospitalière » (the form that generates one)."""
from __future__ import annotations

from typing import Any

from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from core.inputs import to_id
from core.submission import token_or_new
from forms.base import Form
from forms.fields import DateFRField


class PeriodFilterForm(Form):
    """« Du » / « Au » (GET, bookmarkable). Never refuses the page: a date that is not one is
    said next to its field and ignored; the page number rides along for the pagination links."""

    class Meta:
        csrf = False  # GET, reads only

    du = DateFRField("Du", [Optional()])
    au = DateFRField("Au", [Optional()])

    def __init__(self, args: Any, **kwargs: Any) -> None:
        super().__init__(formdata=args, **kwargs)
        self.page = max(to_id(args.get("page")) or 1, 1)
        self.validate()
        if self.du.errors:
            self.du.data = None
        if self.au.errors:
            self.au.data = None
        if self.du.data and self.au.data and self.au.data < self.du.data:
            self.au.errors = [*self.au.errors, "La date de fin doit être postérieure ou égale à la date de début."]
            self.au.data = None

    @property
    def active(self) -> bool:
        return bool(self.du.data or self.au.data)

    @property
    def has_errors(self) -> bool:
        return bool(self.du.errors or self.au.errors)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link keeping this period (the pagination's)."""
        values = {"du": self.du.data.strftime("%d/%m/%Y") if self.du.data else "",
                  "au": self.au.data.strftime("%d/%m/%Y") if self.au.data else "",
                  "page": self.page if self.page > 1 else ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None, 1)}

    def apply(self, query: Any, column: Any) -> Any:
        if self.du.data:
            query = query.filter(column >= self.du.data)
        if self.au.data:
            query = query.filter(column <= self.au.data)
        return query


class HospitalCoverForm(Form):
    """« Une prise en charge hospitalière »: who is admitted, where and when; generated at once."""
    submission = HiddenField()  # one-time token: posted twice, the form generates once
    beneficiary = SelectField("Bénéficiaire", [InputRequired("Sélectionnez le bénéficiaire hospitalisé.")],
                              choices=[], validate_choice=False)
    hospital = StringField("Nom de l’établissement hospitalier", [
        InputRequired("Saisissez le nom de l’établissement hospitalier."),
        Length(max=120, message="Le nom de l’établissement doit faire 120 caractères maximum.")])
    finess = StringField("N° FINESS de l’établissement (facultatif)", [
        Optional(), Regexp(r"^\d{9}$", message="Le numéro FINESS doit comporter 9 chiffres.")],
        description="9 chiffres, indiqués sur les documents de l’établissement",
        filters=[lambda v: "".join((v or "").split()) or None])
    city = StringField("Ville de l’établissement", [
        InputRequired("Saisissez la ville de l’établissement."),
        Length(max=120, message="La ville doit faire 120 caractères maximum.")])
    admission_on = DateFRField("Date d’entrée", [InputRequired("Saisissez la date d’entrée.")])
    discharge_on = DateFRField("Date de sortie (facultative)", [Optional()],
                               description="Format attendu : JJ/MM/AAAA. Laissez vide si elle n’est pas connue.")

    def __init__(self, *args: Any, beneficiaries: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)
        self.beneficiary.choices = [("", "Sélectionnez le bénéficiaire"), *beneficiaries]

    def validate_beneficiary(self, field: Any) -> None:
        if field.data not in {value for value, _ in self.beneficiary.choices if value}:
            raise ValidationError("Sélectionnez le bénéficiaire hospitalisé.")

    def validate_discharge_on(self, field: Any) -> None:
        if field.data and self.admission_on.data and field.data < self.admission_on.data:
            raise ValidationError("La date de sortie ne peut pas être antérieure à la date d’entrée.")
