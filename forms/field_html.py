"""The `field` component (label, hint, error and control of one form field, GOV.UK style), in Python.

It was a Jinja macro of templates/components/forms.html, the most called of the site (10 to 30 times
a form page): the macro's own work (the call, its `set`s, the describedby list) cost about as much
as the control it wraps. `templates/components/forms.html` now exports this function under the
macro's name (`{% set field = render_field %}`), so every `{% from "components/forms.html" import
field %}`, `{{ field(form.x, hint=…, class=…, autocomplete=…) }}` and `{% call field(…) %}` stays
as it was, and the HTML is the macro's to the byte (tests/forms/test_field_html.py renders both
on every kind of field, hint, error, class and caller).

The control itself is still wtforms' (`field(**attrs)`): widgets, `render_kw` and the app's own
widgets are untouched."""
from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape


def render_field(field: Any, hint: Any = None, class_: Any = "", extra_describedby: Any = None,
                 label_class: Any = "", *, caller: Callable[[], Any] | None = None, **attrs: Any) -> Markup:
    """`{{ field(form.x, hint=None, class="", extra_describedby=None, label_class="", **attrs) }}`:
    the attributes go to the control; a `{% call %}` block's content comes after it."""
    if "class" in attrs:  # `class` is a Python keyword: templates pass it by name
        class_ = attrs.pop("class")
    if hint is None:
        hint = field.description
    fid = field.id
    errors = field.errors
    if hint or extra_describedby or errors:
        attrs["aria-describedby"] = " ".join(str(part) for part in (
            fid + "-aide" if hint else None, extra_describedby, fid + "-erreur" if errors else None) if part)
    if errors:
        attrs["aria-invalid"] = "true"
    eid = escape(fid)
    text = field.label.text
    required = (' <span class="required">(obligatoire)</span>'
                if field.flags.required and not text.endswith("*") else "")
    parts = [
        '<div class="field', " field--error" if errors else "", " ", escape(class_), '" id="', eid, '-groupe">\n',
        '  <label for="', eid, '" class="', escape(label_class), '">', escape(text), required, "</label>\n",
    ]
    if hint:
        parts += ['<p class="hint" id="', eid, '-aide">', escape(hint), "</p>"]
    parts.append("  ")
    if errors:
        parts += ['<p class="error-message" id="', eid, '-erreur"><span class="visually-hidden">Erreur : </span>',
                  escape(errors[0]), "</p>"]
    parts += ["\n  ", field(**attrs), "\n  ", caller() if caller else "", "\n</div>\n"]
    return Markup("".join(parts))
