"""The `field` component (label, hint, error and control of one form field, GOV.UK style), in Python.

It was a Jinja macro of templates/components/forms.html, the most called of the site (10 to 30 times
a form page): the macro's own work (the call, its `set`s, the describedby list) cost about as much
as the control it wraps. `templates/components/forms.html` now exports this function under the
macro's name (`{% set field = render_field %}`), so every `{% from "components/forms.html" import
field %}`, `{{ field(form.x, hint=…, class=…, autocomplete=…) }}` and `{% call field(…) %}` stays
as it was, and the HTML is the macro's to the byte (tests/forms/test_field_html.py renders both
on every kind of field, hint, error, class and caller).

The control itself is still wtforms' (`field(**attrs)`): widgets, `render_kw` and the app's own
widgets are untouched. A plain text input without an error (TextInput, TelInput, EmailInput,
URLInput, SearchInput of wtforms, the default meta) is the same HTML around its value for the same
field, arguments and flags: that skeleton is rendered once, by the same code, with a marker in
place of the value, and the value escaped as wtforms' `html_params` escapes it goes in its place."""
from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape
from wtforms.meta import DefaultMeta
from wtforms.widgets import EmailInput, SearchInput, TelInput, TextInput, URLInput

PLAIN_INPUTS = (TextInput, TelInput, EmailInput, URLInput, SearchInput)
VALUE_MARK = "\x00guichet-field-value\x00"  # escaping leaves it as it is; never typed (forms.base drops NUL)
SKELETONS_MAX = 4096
_skeletons: dict[tuple[Any, ...], tuple[str, str]] = {}


def _typed(value: Any) -> tuple[type, Any]:
    return type(value), value  # Markup and str of the same text are escaped differently


def _skeleton_key(field: Any, hint: Any, class_: Any, extra_describedby: Any, label_class: Any,
                  attrs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a plain text input's HTML depends on, but its value; None when it may depend on more."""
    widget = field.widget
    if type(widget) not in PLAIN_INPUTS or field.errors or "value" in attrs:
        return None
    render_kw = field.render_kw or {}
    flags = vars(field.flags)
    if ("value" in render_kw or getattr(field, "_datalist", None) is not None
            or type(field.meta).render_field is not DefaultMeta.render_field
            or any(callable(v) for v in flags.values())):
        return None
    try:
        key = (type(widget), field.id, field.name, _typed(field.label.text), _typed(hint), _typed(class_),
               _typed(extra_describedby), _typed(label_class),
               tuple((k, type(v), v) for k, v in attrs.items()),
               tuple((k, type(v), v) for k, v in render_kw.items()), tuple(sorted(flags.items())))
        hash(key)
    except TypeError:  # an unhashable attribute value: rendered as usual
        return None
    return key


def render_field(field: Any, hint: Any = None, class_: Any = "", extra_describedby: Any = None,
                 label_class: Any = "", *, caller: Callable[[], Any] | None = None, **attrs: Any) -> Markup:
    """`{{ field(form.x, hint=None, class="", extra_describedby=None, label_class="", **attrs) }}`:
    the attributes go to the control; a `{% call %}` block's content comes after it."""
    if "class" in attrs:  # `class` is a Python keyword: templates pass it by name
        class_ = attrs.pop("class")
    if hint is None:
        hint = field.description
    key = None if caller else _skeleton_key(field, hint, class_, extra_describedby, label_class, attrs)
    if key is not None:
        skeleton = _skeletons.get(key)
        if skeleton is None:
            # Plain str halves: Markup + str would escape the value a second time.
            before, mark, after = str(_render(field, hint, class_, extra_describedby, label_class, None,
                                              dict(attrs, value=VALUE_MARK))).partition(VALUE_MARK)
            if not mark or VALUE_MARK in after:
                return _render(field, hint, class_, extra_describedby, label_class, caller, attrs)
            if len(_skeletons) >= SKELETONS_MAX:
                _skeletons.clear()
            skeleton = _skeletons[key] = (before, after)
        # wtforms' html_params on the value: markupsafe's escape, double quotes as &quot;
        value = str(escape(field._value())).replace(chr(34), "&quot;")
        return Markup(skeleton[0] + value + skeleton[1])
    return _render(field, hint, class_, extra_describedby, label_class, caller, attrs)


def _render(field: Any, hint: Any, class_: Any, extra_describedby: Any, label_class: Any,
            caller: Callable[[], Any] | None, attrs: dict[str, Any]) -> str:
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
