"""Fields and validators shared by every portal's forms. Messages follow "Saisissez …" / "Sélectionnez …"."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from wtforms import Field, StringField, TextAreaField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.form import BaseForm
from wtforms.validators import ValidationError
from wtforms.widgets import Select, html_params

# What a field's `validators` holds: callables of (form, field) that raise ValidationError.
Validator = Callable[[BaseForm, Field], object]

PASSWORD_SPECIALS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_{|}~"
PASSWORD_HINT = ("8 caractères minimum, dont une majuscule, une minuscule, un chiffre et un caractère "
                 f"spécial ({' '.join(PASSWORD_SPECIALS)})")
PASSWORD_MAX = 128


def password_problems(password: str) -> list[str]:
    """French descriptions of what the password lacks (empty list when it follows the rule)."""
    problems = []
    if len(password) < 8:
        problems.append("au moins 8 caractères")
    if len(password) > PASSWORD_MAX:
        problems.append(f"au plus {PASSWORD_MAX} caractères")
    if not re.search(r"[A-Z]", password):
        problems.append("une majuscule")
    if not re.search(r"[a-z]", password):
        problems.append("une minuscule")
    if not re.search(r"[0-9]", password):
        problems.append("un chiffre")
    if not any(c in PASSWORD_SPECIALS for c in password):
        problems.append("un caractère spécial")
    return problems


class PasswordRule:
    def __call__(self, form: BaseForm, field: Field) -> None:
        problems = password_problems(field.data or "")
        if problems:
            raise ValidationError("Le mot de passe doit contenir " + ", ".join(problems) + ".")


class DateFRField(StringField):
    """A date typed as JJ/MM/AAAA. `.data` is a `date` (or None); the raw text is kept on error."""

    def __init__(self, label: str | None = None, validators: Sequence[Validator] | None = None,
                 not_future: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("description", "Format attendu : JJ/MM/AAAA, par exemple 14/07/1985")
        super().__init__(label, validators, **kwargs)
        self.not_future = not_future
        self.raw_text = ""

    def _value(self):
        if self.raw_text:
            return self.raw_text
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw_text:
            # Only spaces is nothing typed: InputRequired (which reads raw_data) must refuse it too,
            # or a required date would reach the database as NULL.
            self.raw_data = [""] if valuelist else valuelist
            return
        try:
            self.data = datetime.strptime(self.raw_text, "%d/%m/%Y").date()
        except ValueError:
            self.data = None
            raise ValueError("Saisissez une date valide au format JJ/MM/AAAA.")

    def pre_validate(self, form: BaseForm) -> None:
        if self.data and self.not_future and self.data > date.today():
            raise ValidationError("La date ne peut pas être dans le futur.")
        if self.data and self.data.year < 1900:
            raise ValidationError("Saisissez une date postérieure au 01/01/1900.")


def normalize_newlines(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


class CountedTextAreaField(TextAreaField):
    """Textarea whose length is counted in characters (code points), line breaks counting one.

    This is what the live counter counts in the browser (`Array.from(value)`): an « é » or an emoji
    is one character, a decomposed « é » (e + combining accent) is two on both sides. Browsers
    post line breaks as CRLF; they are stored as LF so that the server agrees with the counter.
    `too_long` / `too_short` override the messages ({max}, {min} and {count} are filled in)."""
    TOO_LONG = "Le texte doit faire {max} caractères maximum (il en fait {count})."
    TOO_SHORT = "Le texte doit faire au moins {min} caractères."

    def __init__(self, label: str | None = None, validators: Sequence[Validator] | None = None,
                 max_chars: int | None = None, min_chars: int | None = None, too_long: str | None = None,
                 too_short: str | None = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.too_long = too_long or self.TOO_LONG
        self.too_short = too_short or self.TOO_SHORT

    @property
    def limit_text(self) -> str:
        """The static hint shown under the textarea, which is all there is without JavaScript."""
        return f"{self.max_chars} caractères maximum" if self.max_chars is not None else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.data = normalize_newlines(self.data)

    def pre_validate(self, form: BaseForm) -> None:
        n = len(self.data or "")
        if self.max_chars is not None and n > self.max_chars:
            raise ValidationError(self.too_long.format(max=self.max_chars, min=self.min_chars, count=n))
        # Empty is left to DataRequired/Optional, so that an optional field may stay empty.
        if self.min_chars is not None and 0 < n < self.min_chars:
            raise ValidationError(self.too_short.format(max=self.max_chars, min=self.min_chars, count=n))


# --- Normalisation of what is typed (names, phones) -----------------------------------------------

def clean_text(value: str | None) -> str | None:
    """NFC, typographic apostrophes made plain, spaces collapsed: what the seeds' rules apply to."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\u2019", "'").replace("\u02bc", "'")
    return " ".join(value.split())


def upper_name(value: str | None) -> str | None:
    value = clean_text(value)
    return value.upper() if value else value


def capitalise_first_name(value: str | None) -> str | None:
    """« jean-marie » → « Jean-Marie », « marie claire » → « Marie Claire », « d'artagnan » → « D'Artagnan »."""
    value = clean_text(value)
    if not value:
        return value
    return re.sub(r"[^ '\-]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)


def format_phone(value: str | None) -> str | None:
    """'06.00.00.00.00' from 0600000000, 06 00 00 00 00, 06-00-00-00-00, +33 6 00 00 00 00; else None."""
    compact = re.sub(r"[ .\-]", "", value or "")
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    elif compact.startswith("0033"):
        compact = "0" + compact[4:]
    if not re.fullmatch(r"0[1-9][0-9]{8}", compact):
        return None
    return ".".join(compact[i:i + 2] for i in range(0, 10, 2))


class PrerenderedSelect(Select):
    """A <select> whose options are rendered once per list of choices instead of at every request:
    for the long constant lists (the 250 countries, 10 KB of options). The field's choices must be
    a tuple of SelectChoice built once (a module constant) and its coerce `str`; otherwise, or with
    an option carrying attributes or a group, it renders exactly as wtforms' Select does. The
    output is the same either way: the options are wtforms' own `render_option`, kept."""

    _rendered: dict[int, tuple] = {}

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        choices = field.choices
        if self.multiple or type(choices) is not tuple or field.coerce is not str:
            return super().__call__(field, **kwargs)
        entry = self._rendered.get(id(choices))
        if entry is None or entry[0] is not choices:
            entry = self._rendered[id(choices)] = self._prerender(choices)
        _, index, options, unselected = entry
        if index is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        chosen = index.get(field.data) if isinstance(field.data, str) else None
        if chosen is None:
            body = unselected
        else:
            plain, selected = options
            body = "".join(plain[:chosen]) + selected[chosen] + "".join(plain[chosen + 1:])
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{body}</select>")

    @classmethod
    def _prerender(cls, choices: tuple) -> tuple:
        values = [c.value for c in choices]
        if (not all(isinstance(c, SelectChoice) and isinstance(c.value, str) and not c.render_kw
                    and c.optgroup is None for c in choices) or len(set(values)) != len(values)):
            return choices, None, None, None
        # Plain str, not Markup: str + Markup would escape the str.
        plain = [str(cls.render_option(Choice(c.value, c.label, False, {}))) for c in choices]
        selected = [str(cls.render_option(Choice(c.value, c.label, True, {}))) for c in choices]
        return choices, {value: i for i, value in enumerate(values)}, (plain, selected), "".join(plain)
