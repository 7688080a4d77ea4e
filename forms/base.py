"""The base of every form: text fields drop invisible characters before anything reads them.

Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) can make a text
read differently from what it holds (an agent would read « 2202 € » where « 2022 » was written);
zero-width and other format characters hide text; control characters other than tabs and line
breaks are never typed (and PostgreSQL refuses NUL). They are removed from every text field
(string, text area, and their subclasses: names, comments, messages, answers, searches),
passwords excepted: a password is compared as typed."""
from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm

from forms import html_params

html_params.install()  # wtforms' widgets build their attributes without string.Formatter (same HTML)

INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # control characters but tab, LF, CR
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"  # bidi marks, zero-width, invisible operators
    "\ufeff\ufff9-\ufffb]")  # zero-width no-break space, interlinear annotations


def strip_invisible(value: object) -> object:
    return INVISIBLE.sub("", value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form: BaseForm, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                options = dict(options, filters=[strip_invisible, *unbound_field.kwargs.get("filters", ())])
            return super().bind_field(form, unbound_field, options)
