"""Table rows editor: a form field holding a list of rows of typed columns (« composition de la
famille »…), edited row by row — « Ajouter » opens a row form, « Enregistrer » puts the row in
the table, « Modifier » and « Supprimer » act on one row — inline with htmx (only the table is
swapped) and as plain posts without JavaScript (the row form shown in the page, then back).

A table is described by a small spec, `Table` of `Column`s (name, label, type, required,
choices); the Portail Des Aides catalogue's FieldSpec maps to it in one line:

    table = Table.from_spec(field_spec)     # blueprints/armees/catalogue.py FieldSpec of type "table"

and it becomes a field of a form like any other:

    class DossierForm(Form):
        famille = RowsField(Table("famille", "Composition de la famille", columns=(
            Column("nom", "Nom", required=True),
            Column("naissance", "Date de naissance", "date", required=True),
            Column("lien", "Lien de parenté", "select", required=True, choices=("Conjoint", "Enfant")),
        ), min_rows=1, max_rows=10))

    # a form built per case (the wizard's dossier step depends on the benefit):
    attrs = {spec.name: RowsField(Table.from_spec(spec)) for spec in benefit.tables}
    DossierForm = type("DossierForm", (Form,), attrs)

`form.famille.data` is the list of rows, each `{column: value}` in the data contract's text
forms: text as typed, a choice's value, dates "YYYY-MM-DD", amounts "1234.56", numbers "3".
It is `[]`-able from stored data too: `DossierForm(data={"famille": rows})` prefills it.

Its template, inside the form (templates/components/rows.html), with the URL the form posts to:

    {% from "components/rows.html" import rows_table %}
    {{ rows_table(form.famille, url=page.url) }}

In a wizard (core.wizard) nothing else is needed: every row, the row form being typed and the
button pressed are posted with the step, and a button other than Précédent/Suivant/Enregistrer
redisplays the step after saving the draft. The field's state is a pure function of what was
posted (the rows before the action, the action, the row form), so the draft rebuilds exactly
what was shown, nothing typed is lost (an open row form stays open with its values), and the
recap's `page.data_of(slug)` sees the rows. « Suivant » is refused while a row form holds
something (« Enregistrez ou annulez la ligne en cours ») or with fewer rows than `min_rows`.

Posted names, for a field `famille`: `famille-lignes` (the rows, one hidden input: a line per
row, a tab between cells),
`famille-ligne-<column>` (the row form), `famille-ouvert` ("nouvelle" or the row's index while the
row form is shown), and the buttons `famille-ajouter`, `famille-modifier` (= index),
`famille-supprimer` (= index), `famille-enregistrer`, `famille-annuler`.

With htmx, a table's own buttons post the enclosing form (its `hx-post`), and only need the table
back: the view answers them with `table_answer(form, url)` (the table alone, retargeted by response
headers) before rendering the whole form:

    answer = table_answer(page.form, page.url)
    if answer is not None:
        return answer"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, get_template_attribute, has_request_context, request
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.form import BaseForm
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.formatting import fr_amount, fr_date
from forms.base import strip_invisible
from forms.fields import DateFRField

COLUMN_TYPES = ("text", "select", "date", "amount", "number")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NEW = "nouvelle"
MAX_PARSED_ROWS = 50  # a forged post cannot make the field parse more
AMOUNT_MAX = Decimal("99999999.99")
OPEN_ROW_ERROR = "Enregistrez ou annulez la ligne en cours du tableau « {label} »."


@dataclass(frozen=True)
class Column:
    """One column: `type` among text, select, date (JJ/MM/AAAA), amount (euros), number (a whole
    number); `choices` for a select (values, or (value, label) pairs); `max_length` for text,
    `max` for amounts and numbers."""
    name: str
    label: str
    type: str = "text"
    required: bool = False
    choices: tuple[Any, ...] = ()
    max_length: int | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.type not in COLUMN_TYPES:
            raise ValueError(f"bad column {self.name!r} of type {self.type!r}")
        if self.type == "select" and not self.choices:
            raise ValueError(f"select column {self.name!r} needs choices")

    @classmethod
    def from_spec(cls, spec: Any) -> Column:
        """From any object with the same attributes (the armees catalogue's FieldSpec)."""
        return cls(spec.name, spec.label, spec.type, bool(getattr(spec, "required", False)),
                   tuple(getattr(spec, "choices", ()) or ()), getattr(spec, "max_length", None),
                   getattr(spec, "max", None))

    @property
    def choice_pairs(self) -> list[tuple[str, str]]:
        return [(c, c) if isinstance(c, str) else (str(c[0]), str(c[1])) for c in self.choices]

    def unbound_field(self) -> Any:
        """The row form's field for this column, with French messages."""
        label = self.label
        if self.type == "select":
            check = [InputRequired(f"Sélectionnez « {label} ».")] if self.required else [Optional()]
            choices = [SelectChoice("", "Sélectionnez")] + [SelectChoice(v, text) for v, text in self.choice_pairs]
            return SelectField(label, check, choices=choices, validate_choice=False,
                               filters=[strip_invisible])
        check = [InputRequired(f"Saisissez « {label} ».")] if self.required else [Optional()]
        if self.type == "date":
            return DateFRField(label, check, filters=[strip_invisible])
        if self.type in ("amount", "number"):
            return NumberText(label, check, column=self, filters=[strip_invisible])
        length = [Length(max=self.max_length or 200,
                         message=f"« {label} » doit faire {self.max_length or 200} caractères maximum.")]
        return StringField(label, check + length, filters=[strip_invisible, _clean])

    def stored(self, field: Field) -> str:
        """The row form field's value in the data contract's text form."""
        value = field.data
        if value in (None, ""):
            return ""
        if self.type == "date":
            return value.isoformat()
        if self.type == "amount":
            return f"{value:.2f}"
        if self.type == "number":
            return str(int(value))
        return str(value)

    def typed(self, value: str) -> str:
        """A stored value as the row form shows it to be typed again (dates JJ/MM/AAAA…)."""
        if not value:
            return ""
        if self.type == "date":
            try:
                return date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                return value
        if self.type == "amount":
            return value.replace(".", ",")
        return value

    def display(self, value: str) -> str:
        """A stored value as the table shows it (dates JJ/MM/AAAA, amounts « 1 234,56 € », a
        choice's label)."""
        if not value:
            return "—"
        if self.type == "date":
            try:
                return fr_date(date.fromisoformat(value))
            except ValueError:
                return value
        if self.type == "amount":
            try:
                return fr_amount(Decimal(value))
            except (InvalidOperation, ArithmeticError):
                return value
        if self.type == "select":
            return dict(self.choice_pairs).get(value, value)
        return value


def _clean(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


class NumberText(StringField):
    """An amount in euros (« 1 234,56 », « 1234.5 », « 80 € ») or a whole number, typed as text:
    `.data` is a Decimal (or None); the text typed is shown back on error."""

    def __init__(self, label: str, validators: list[Any], column: Column, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal" if column.type == "amount" else "numeric"})
        super().__init__(label, validators, **kwargs)
        self.column = column
        self.text = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.text:
            self.raw_data = [""] if valuelist else valuelist
            return
        compact = re.sub(r"[\s\u00a0\u202f€]", "", self.text).replace(",", ".")
        label = self.column.label
        if self.column.type == "number":
            if not re.fullmatch(r"\d{1,9}", compact):
                raise ValueError(f"« {label} » doit être un nombre entier, par exemple 3.")
        elif not re.fullmatch(r"\d{1,9}(\.\d{1,2})?", compact):
            raise ValueError(f"« {label} » doit être un montant en euros, par exemple 1250,50.")
        self.data = Decimal(compact)

    def pre_validate(self, form: BaseForm) -> None:
        limit = self.column.max
        if self.data is not None and limit is not None and self.data > Decimal(str(limit)):
            shown = fr_amount(limit) if self.column.type == "amount" else f"{limit:g}"
            raise ValidationError(f"« {self.column.label} » ne peut pas dépasser {shown}.")

    def _value(self) -> str:
        return self.text or (str(self.data).replace(".", ",") if self.data is not None else "")


@dataclass(frozen=True)
class Table:
    """A table's spec: its field `name`, `label` (the table's caption), columns, and how many rows
    it must and may hold (`min_rows` is at least 1 when `required`)."""
    name: str
    label: str
    columns: tuple[Column, ...]
    min_rows: int = 0
    max_rows: int = 10
    required: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or not self.columns or self.max_rows < max(self.min_rows, 1):
            raise ValueError(f"bad table {self.name!r}")
        if self.max_rows > MAX_PARSED_ROWS:
            raise ValueError(f"a table holds at most {MAX_PARSED_ROWS} rows")

    @classmethod
    def from_spec(cls, spec: Any) -> Table:
        """From the armees catalogue's FieldSpec of type "table" (or anything shaped like it)."""
        return cls(spec.name, spec.label, tuple(Column.from_spec(c) for c in spec.columns),
                   int(getattr(spec, "min_rows", 0) or 0), int(getattr(spec, "max_rows", 10) or 10),
                   bool(getattr(spec, "required", False)))

    @property
    def least(self) -> int:
        return max(self.min_rows, 1 if self.required else 0)


class RowsField(Field):
    """A form field holding the rows of a `Table`; see the module's docstring."""
    type = "RowsField"

    def __init__(self, table: Table, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(label or table.label, **kwargs)
        self.table = table
        self.rows: list[dict[str, str]] = []
        self.editing: int | str | None = None   # None, NEW, or the index of the row being changed
        self.row_form: BaseForm | None = None
        self.messages: list[str] = []           # what the live region announces
        self.focus: str | None = None           # "form" or "table": where the focus goes after an action
        self.flags.required = table.least > 0

    # -- the row form

    def _row_form(self, formdata: Any = None, values: dict[str, str] | None = None) -> BaseForm:
        """The row form, from what was posted, or from a row's stored values (shown as typed)."""
        prefix = f"{self.name}-ligne-"
        form = BaseForm([(c.name, c.unbound_field()) for c in self.table.columns], prefix=prefix)
        if values is not None:
            formdata = MultiDict({prefix + c.name: c.typed(values.get(c.name, "")) for c in self.table.columns})
        form.process(formdata)
        return form

    def _row_of(self, form: BaseForm) -> dict[str, str]:
        return {c.name: c.stored(form[c.name]) for c in self.table.columns}

    @staticmethod
    def _is_empty(form: BaseForm) -> bool:
        return not any((v or "").strip() for f in form for v in (f.raw_data or []) if isinstance(v, str))

    # -- processing what was posted (or stored)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.rows, self.editing, self.row_form, self.messages, self.focus = [], None, None, [], None
        if formdata is None or not self._posted(formdata):
            if isinstance(data, list):
                self.rows = [self._clean_row(r) for r in data if isinstance(r, dict)][:self.table.max_rows]
            elif data is unset_value and isinstance(self.default, list):
                self.rows = [self._clean_row(r) for r in self.default if isinstance(r, dict)]
            self.data = [dict(r) for r in self.rows]
            return
        self.rows = self._parse_rows(formdata)
        self._apply(formdata)
        self.data = [dict(r) for r in self.rows]
        self.errors = list(self.process_errors)  # shown at once: the row form's problem, a full table

    def _posted(self, formdata: Any) -> bool:
        prefix = self.name + "-"
        return any(isinstance(k, str) and k.startswith(prefix) for k in formdata)

    def _clean_row(self, row: dict[str, Any]) -> dict[str, str]:
        # tabs and line breaks separate cells and rows in the posted rows: never inside a value
        return {c.name: " ".join(str(row.get(c.name) or "")[:400].split()) if c.type == "text"
                else re.sub(r"[\t\r\n]", " ", str(row.get(c.name) or "")[:400]) for c in self.table.columns}

    def _parse_rows(self, formdata: Any) -> list[dict[str, str]]:
        """The rows posted back: `<name>-lignes` holds them all, one line per row and a tab between
        cells in the columns' order (what `hidden_inputs` writes). Drafts saved before that format
        hold one input per cell, `<name>-<i>-<column>`: still read."""
        packed = formdata.get(f"{self.name}-lignes")
        if isinstance(packed, str):
            columns = [c.name for c in self.table.columns]
            lines = [line for line in packed.replace("\r\n", "\n").split("\n") if line.strip()]
            return [self._clean_row(dict(zip(columns, line.split("\t"), strict=False)))
                    for line in lines[:MAX_PARSED_ROWS]]
        found: dict[int, dict[str, str]] = {}
        pattern = re.compile(rf"^{re.escape(self.name)}-(\d{{1,2}})-([a-z][a-z0-9_]*)$")
        names = {c.name for c in self.table.columns}
        for key in formdata:
            match = pattern.match(key) if isinstance(key, str) else None
            if match and match.group(2) in names and int(match.group(1)) < MAX_PARSED_ROWS:
                found.setdefault(int(match.group(1)), {})[match.group(2)] = str(formdata.get(key) or "")[:400]
        return [self._clean_row(found[i]) for i in sorted(found)]

    def _index(self, raw: Any) -> int | None:
        try:
            index = int(str(raw))
        except ValueError:
            return None
        return index if 0 <= index < len(self.rows) else None

    def _announce(self, formdata: Any, key: str, message: str) -> None:
        # Only the request that pressed the button announces it (not a draft rebuilt later).
        if has_request_context() and request.method == "POST" and key in request.form and formdata is not None:
            self.messages.append(message)
            self.focus = self.focus or "table"

    def _apply(self, formdata: Any) -> None:
        name, label = self.name, self.table.label
        opened = formdata.get(f"{name}-ouvert")
        opened = NEW if opened == NEW else self._index(opened) if opened is not None else None
        if f"{name}-ajouter" in formdata:
            if len(self.rows) >= self.table.max_rows:
                self.process_errors.append(self.max_error)
                return
            self.editing, self.row_form = NEW, self._row_form(values={})
            self._focus_form(formdata, f"{name}-ajouter")
        elif f"{name}-modifier" in formdata:
            index = self._index(formdata.get(f"{name}-modifier"))
            if index is not None:
                self.editing, self.row_form = index, self._row_form(values=self.rows[index])
                self._focus_form(formdata, f"{name}-modifier")
        elif f"{name}-supprimer" in formdata:
            index = self._index(formdata.get(f"{name}-supprimer"))
            if index is not None:
                del self.rows[index]
                self._announce(formdata, f"{name}-supprimer",
                               f"La ligne {index + 1} a été supprimée du tableau « {label} ».")
        elif f"{name}-annuler" in formdata:
            self._announce(formdata, f"{name}-annuler", "La saisie de la ligne a été annulée.")
        elif f"{name}-enregistrer" in formdata and opened is not None:
            form = self._row_form(formdata)
            if form.validate():
                if opened == NEW:
                    if len(self.rows) >= self.table.max_rows:
                        self.process_errors.append(self.max_error)
                        return
                    self.rows.append(self._row_of(form))
                    self._announce(formdata, f"{name}-enregistrer",
                                   f"La ligne {len(self.rows)} a été ajoutée au tableau « {label} ».")
                else:
                    self.rows[opened] = self._row_of(form)
                    self._announce(formdata, f"{name}-enregistrer",
                                   f"La ligne {opened + 1} du tableau « {label} » a été modifiée.")
            else:
                self.editing, self.row_form = opened, form
                self.process_errors.append(next(iter(form.errors.values()))[0])
                self._focus_form(formdata, f"{name}-enregistrer")
        elif opened is not None:
            # Another button of the page (the wizard's « Enregistrer », « Précédent »…): the row
            # form stays open with what was typed.
            self.editing, self.row_form = opened, self._row_form(formdata)

    def _focus_form(self, formdata: Any, key: str) -> None:
        if has_request_context() and request.method == "POST" and key in request.form:
            self.focus = "form"

    # -- checks

    @property
    def max_error(self) -> str:
        n = self.table.max_rows
        return f"Le tableau « {self.table.label} » ne peut pas avoir plus de {n} ligne{'s' if n > 1 else ''}."

    def pre_validate(self, form: BaseForm) -> None:
        if self.row_form is not None and not self._is_empty(self.row_form):
            raise ValidationError(OPEN_ROW_ERROR.format(label=self.table.label))
        least = self.table.least
        if len(self.rows) < least:
            raise ValidationError(f"Ajoutez au moins {least} ligne{'s' if least > 1 else ''} au tableau "
                                  f"« {self.table.label} » avec le bouton « Ajouter ».")
        if len(self.rows) > self.table.max_rows:
            raise ValidationError(self.max_error)
        for number, row in enumerate(self.rows, start=1):
            if not self._row_form(values=row).validate():
                raise ValidationError(f"La ligne {number} du tableau « {self.table.label} » n’est pas "
                                      "complète : modifiez-la.")

    # -- for templates

    @property
    def focus_id(self) -> str | None:
        """The row form's input that takes the focus: the first with an error, else the first."""
        if self.focus != "form" or self.row_form is None:
            return None
        fields = list(self.row_form)
        return next((f.id for f in fields if f.errors), fields[0].id)

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.table.max_rows

    @property
    def editing_label(self) -> str:
        if self.editing == NEW:
            return "Ajouter une ligne"
        return f"Modifier la ligne {int(self.editing) + 1}" if self.editing is not None else ""

    @property
    def limits_text(self) -> str:
        least, most = self.table.least, self.table.max_rows
        most_text = f"{most} ligne{'s' if most > 1 else ''} maximum"
        if least:
            return f"Au moins {least} ligne{'s' if least > 1 else ''}, {most_text}."
        return most_text[:1].upper() + most_text[1:] + "."

    def cells(self, row: dict[str, str]) -> list[str]:
        return [c.display(row.get(c.name, "")) for c in self.table.columns]

    def hidden_inputs(self) -> Markup:
        """The rows in one hidden input posted with every button of the form: a line per row, a tab
        between cells (a few bytes per row, where an input per cell cost ~55 bytes each)."""
        packed = "\n".join("\t".join(row.get(c.name, "") for c in self.table.columns) for row in self.rows)
        parts = [f'<input type="hidden" name="{self.name}-lignes" value="{escape(packed)}">']
        if self.editing is not None:
            parts.append(f'<input type="hidden" name="{self.name}-ouvert" value="{escape(str(self.editing))}">')
        return Markup("".join(parts))

    def __call__(self, **kwargs: Any) -> Markup:
        return self.hidden_inputs()

    def _value(self) -> str:
        return ""


BUTTONS = ("ajouter", "modifier", "supprimer", "enregistrer", "annuler")


def table_answer(form: BaseForm | None, url: str) -> Response | None:
    """With htmx, the answer to one of a table's own buttons: that table alone (the `rows_table`
    macro), not the whole form around it. The buttons have no htmx attributes of their own: htmx
    posts the enclosing form (its `hx-post`) with the button pressed, and this answer's headers
    send the table to its place (`HX-Retarget`, `HX-Reselect`), its live region updated out of band.
    None when the request is not an htmx post of a table's button: the caller then renders the whole
    form as usual."""
    if (form is None or not has_request_context() or request.method != "POST"
            or request.headers.get("HX-Request") != "true"):
        return None
    for field in form:
        if isinstance(field, RowsField) and any(f"{field.name}-{button}" in request.form for button in BUTTONS):
            html = get_template_attribute("components/rows.html", "rows_table")(field, url=url, oob=True)
            selector = f"#{field.id}"
            return Response(html, headers={"HX-Retarget": selector, "HX-Reselect": selector,
                                           "HX-Reswap": "outerHTML"})
    return None
