"""Bad input stopped at the edge, before any view or query sees it.

- `IntegerConverter` is the app's `int` URL converter: ids are 32-bit in every table (PostgreSQL
  `integer`), so a larger number in a URL cannot name anything and the rule does not match (404).
  Without it, `/msa/messages/99999999999999999999` reached the database, which failed (PostgreSQL:
  « integer out of range »; SQLite: « Python int too large ») and the page answered 500.
- `init_app` registers a `before_request` hook answering 400, with a French page, when the path
  or a search box carries control characters. A search goes into a query, and PostgreSQL
  refuses the NUL byte in any text; no path of the site holds one either. Elsewhere the query
  string and the forms keep their own rules: unknown filter values fall back to the defaults,
  and the forms remove invisible characters from free text (forms/base.py).
- `to_id` reads an id typed into a form field or the query string, within the same bounds."""
from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter
from werkzeug.routing import Map

from core.templating import render

MAX_ID = 2 ** 31 - 1  # PostgreSQL `integer`; SQLite's ids stay well within it
MAX_ID_DIGITS = len(str(MAX_ID))

# Control characters (C0 and DEL): none in a path; in a search, tab, LF and CR are only spaces.
_PATH_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The search boxes of the site: `recherche` (history, agent queue), `q` and `<field>-recherche`
# (commune search).
_SEARCH_PARAMETER = re.compile(r"^(recherche|q|[a-z][a-z0-9_]*-recherche)$")

BAD_INPUT_TITLE = "Requête incorrecte"
BAD_INPUT_MESSAGE = ("Votre recherche ou l’adresse de la page contient des caractères de contrôle invisibles "
                     "(par exemple un caractère nul), qui ne sont pas acceptés. Retirez-les, puis réessayez.")


class IntegerConverter(WerkzeugIntegerConverter):
    """`<int:…>` limited to ids that can exist: ASCII digits only (Werkzeug's `\\d` also takes
    « ٣ »), at most MAX_ID. Anything else does not match the rule: a plain 404."""

    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=-MAX_ID - 1 if signed and min is None else min,
                         max=max, signed=signed)


def to_id(raw: str | None) -> int | None:
    """The id in `raw` (a form or query-string value), or None when it is not one: ASCII digits
    only (« ² » passes str.isdigit() and int() refuses it), within MAX_ID."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def has_control_characters() -> bool:
    """Whether the current request's path, or one of its search boxes, carries a control character."""
    if _PATH_CONTROLS.search(request.path):
        return True
    return any(_TEXT_CONTROLS.search(value) for name, values in request.args.lists()
               if _SEARCH_PARAMETER.match(name) for value in values)


def bad_input_page() -> tuple[str, int]:
    return render("errors/error.html", block="content", status=400, code=400, title=BAD_INPUT_TITLE,
                  message=BAD_INPUT_MESSAGE)


def init_app(app: Flask) -> None:
    @app.before_request
    def reject_control_characters():
        if has_control_characters():
            return bad_input_page()
        return None
