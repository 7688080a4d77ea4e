"""Logging: one line per event, with its time, level, request id and user id, on stderr (journald
under systemd, the terminal under `flask run` or gunicorn), and never a NIR, an IBAN, a token or
a password.

- Every request has an id: the `X-Request-ID` the reverse proxy sent when it looks like one, else a
  new one; it is on `g.request_id`, in the response's `X-Request-ID` header (and so in gunicorn's
  access log) and on every log line written while the request runs.
- `RedactingFormatter` masks, in the whole line (message and traceback), what looks like a NIR,
  an IBAN, or the value of a `token=` / `password=` / … parameter, and a token in the path of the
  links mailed to users (`/compte/activation/<token>`).
- `GunicornLogger` (deploy/gunicorn.conf.py) writes access lines without query strings and with
  those paths masked."""
from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request

HANDLER_NAME = "guichet"
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] user=%(user_id)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

MASK = "[masqué]"
# NIR: 13 characters (sex, year, month, département with 2A/2B, commune, order), and maybe its
# 2-digit key, written together or in groups separated by spaces, dots or dashes.
_NIR = re.compile(r"(?<![\w])[1-478][ .-]?\d{2}[ .-]?\d{2}[ .-]?(?:\d{2}|2[ABab])[ .-]?\d{3}[ .-]?\d{3}"
                  r"(?:[ .-]?\d{2})?(?![\w])")
# IBAN: country code, 2 check digits, 11 to 30 capitals or digits, together or in groups of 4
# separated by spaces. (Lowercase would also take request ids and other hexadecimal values.)
_IBAN = re.compile(r"(?<![\w])(?:[A-Z]{2}\d{2}[A-Z0-9]{11,30}"
                   r"|[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![\w])")
# `name=value` (query strings, forms) and `'name': 'value'` (dicts, JSON): the value is masked;
# ordinary text ("Votre code : …" in an SMS) is not a parameter.
_SECRET_PARAMS = re.compile(
    r"(?i)\b((?:[a-z_]*token|[a-z_]*password|passwd|mot_de_passe|secret|code|api_key|signature)"
    r"(?:=|[\"']\s*:\s*[\"']?))([^\s&\"',;}]+)")
# The paths of the links mailed with a token (blueprints/auth): the token is masked.
_TOKEN_PATHS = re.compile(r"(/compte/(?:activation|mot-de-passe/reinitialiser|adresse-mail/confirmer)/)"
                          r"[^/?#\s\"]+")


def redact(text: str) -> str:
    """`text` with NIRs, IBANs, secret parameter values and mailed tokens masked."""
    text = _TOKEN_PATHS.sub(r"\1" + MASK, text)
    text = _SECRET_PARAMS.sub(r"\1" + MASK, text)
    text = _IBAN.sub(MASK, text)
    return _NIR.sub(MASK, text)


def strip_query(target: str) -> str:
    """A request target without its query string (which may hold a token), path tokens masked."""
    return redact(target.split("?", 1)[0])


class ContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record ("-" outside a request or when anonymous).
    The user is the one already loaded for the request: logging never queries the database."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = user_id = "-"
        if has_request_context():
            request_id = g.get("request_id", "-")
            user = g.get("_login_user")
            if user is not None and getattr(user, "is_authenticated", False):
                user_id = str(user.get_id())
        record.request_id = getattr(record, "request_id", request_id)
        record.user_id = getattr(record, "user_id", user_id)
        return True


class RedactingFormatter(logging.Formatter):
    """One line per event (line breaks of messages and tracebacks written as `\\n`), redacted."""

    def format(self, record: logging.LogRecord) -> str:
        for name in ("request_id", "user_id"):
            if not hasattr(record, name):
                setattr(record, name, "-")
        return redact(super().format(record)).replace("\r", "").replace("\n", "\\n")


def make_handler(stream: TextIO | None = None, level: int | str = logging.INFO) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setLevel(level)
    handler.addFilter(ContextFilter())
    handler.setFormatter(RedactingFormatter(FORMAT, DATE_FORMAT))
    return handler


def configure(level: int | str = logging.INFO) -> logging.Handler:
    """Send every logger's records (the app's, the outbox's SMS lines, the libraries') to stderr
    through one handler on the root logger; calling it again (one app per test) replaces nothing."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is not None:
        handler.setLevel(level)
    else:
        handler = make_handler(level=level)
        root.addHandler(handler)
    # Also when the handler was there already: `flask db upgrade` in the same process (alembic's
    # fileConfig) puts the root logger back to WARNING, which would hide the SMS lines.
    if root.level == logging.NOTSET or root.level > handler.level:
        root.setLevel(handler.level)
    return handler


def request_id_from(header: str | None) -> str:
    """The proxy's request id when it looks like one (no spaces, quotes or line breaks to forge
    log lines with), else a new random one."""
    if header and REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    if not app.testing:
        configure(level)
    # Records of app.logger go to the root handler (Flask adds its own only when none would show them).
    app.logger.setLevel(level)

    @app.before_request
    def assign_request_id():
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id") or request_id_from(None)
        return response


def gunicorn_logger_class() -> type:
    """gunicorn's Logger whose access lines never show a query string or a mailed token, even
    with a format using %(r)s, %(q)s or the referer %(f)s (deploy/gunicorn.conf.py)."""
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
            atoms = super().atoms(resp, req, environ, request_time)
            path = strip_query(atoms.get("U", "") or "")
            atoms["U"] = path
            atoms["q"] = ""
            atoms["r"] = f"{atoms.get('m', '-')} {path} {atoms.get('H', '-')}"
            if atoms.get("f") and atoms["f"] != "-":
                atoms["f"] = strip_query(atoms["f"])
            return atoms

    return GunicornLogger
