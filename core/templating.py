"""Rendering helpers: page or HTMX fragment from one template, versioned static URLs, error pages."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request, url_for
# The request's context, read once where a template helper would go through several proxies (Flask's
# own name for it, as its proxies use: the version is pinned in pyproject.toml).
from flask.globals import _cv_request
from flask.templating import Environment as FlaskEnvironment
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import HTTPException, SecurityError

SITE_NAME = "Guichet"


class Environment(FlaskEnvironment):
    """Flask's Jinja environment, whose templates share its globals as they are (a dict) instead
    of each wrapping them in a ChainMap of its own: Jinja copies a template's globals into every
    render's context and compares them at every `{% from … import %}`, and a ChainMap makes each
    of those a loop in Python (10–15 µs, a dozen times per page). No template here has globals of
    its own (none is loaded with `globals=`), so the ChainMap protected nothing."""

    def make_globals(self, d: Any) -> Any:
        return self.globals if not d else super().make_globals(d)


def wants_fragment() -> bool:
    """Whether HTMX asked for a part of the page: not a boosted navigation, nor the restoring of
    a page from history (which needs the whole page). It only chooses the shape of the answer."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render the whole page, or only `block` when HTMX asked for a fragment.

    `request.htmx` only chooses the shape of the answer; it is never used for access control."""
    if block and wants_fragment():
        return render_block(template, block, **context), status
    return render_template(template, **context), status


def static_url(filename: str) -> str:
    """The file's URL, versioned by its content's hash (computed once per app, at each call in debug)."""
    ctx = _cv_request.get(None)
    app = ctx.app if ctx is not None else current_app._get_current_object()
    cache = app.extensions["guichet_urls"]
    key = ("static", filename, ctx.request.script_root if ctx is not None else None)
    url = None if app.debug else cache.get(key)
    if url is None:
        path = Path(app.static_folder) / filename
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        url = cache[key] = url_for("static", filename=filename, v=digest)
    return url


def template_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` for templates: the URL of a page without arguments (the site's menus and footers,
    on every page) is built once per app and reused; anything else goes to url_for as usual.
    (The request's context is read once, not through three proxies: a page calls this a dozen times.)"""
    ctx = _cv_request.get(None)
    if values or ctx is None:
        return url_for(endpoint, **values)
    script_root = ctx.request.script_root
    key = (ctx.request.blueprint, endpoint, script_root) if endpoint[:1] == "." else (endpoint, script_root)
    cache = ctx.app.extensions["guichet_urls"]
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint)
    return url


ERROR_TITLES = {
    400: ("Requête incorrecte",
          "La demande envoyée n’a pas pu être comprise. Revenez à la page précédente et réessayez."),
    403: ("Accès refusé", "Vous n’avez pas les droits nécessaires pour accéder à cette page."),
    404: ("Page introuvable", "La page que vous cherchez n’existe pas ou n’est plus disponible. "
          "Si vous avez saisi l’adresse, vérifiez-la."),
    405: ("Action impossible", "Cette action n’est pas possible sur cette page."),
    409: ("Formulaire déjà envoyé", "Ce formulaire a déjà servi à un autre envoi : rien n’a été enregistré. "
          "Revenez à la page précédente, rechargez-la, puis recommencez."),
    413: ("Fichier trop volumineux", "L’envoi dépasse la taille maximale autorisée. "
          "Réduisez la taille des fichiers et réessayez."),
    429: ("Trop de tentatives", "Vous avez fait trop de tentatives. Patientez avant de réessayer."),
    500: ("Erreur technique", "Une erreur technique nous empêche d’afficher cette page. "
          "Réessayez dans quelques minutes ; vos données enregistrées sont conservées."),
}


BAD_HOST_PAGE = ("<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Requête incorrecte</title>"
                 "<h1>Requête incorrecte</h1><p>Cette adresse ne correspond pas au site. "
                 "Vérifiez l’adresse saisie.</p></html>")


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from core.places import country_name
    from forms.field_html import render_field
    app.extensions["guichet_urls"] = {}
    app.jinja_env.globals.update(static_url=static_url, url_for=template_url_for, SITE_NAME=SITE_NAME,
                                 country_name=country_name, render_field=render_field)
    from core.formatting import FILTERS
    app.jinja_env.filters.update(FILTERS)

    from core import portals
    listed = [p for p in portals.enabled(app) if p.listed]

    by_blueprint: dict[str | None, dict[str, Any]] = {}

    @app.context_processor
    def portal_context():
        # Mails are rendered outside requests too (a workflow hook, a job): no portal then.
        ctx = _cv_request.get(None)
        blueprint = ctx.request.blueprint if ctx is not None else None
        context = by_blueprint.get(blueprint)
        if context is None:  # the same for every page of a blueprint: made once (Flask only reads it)
            portal = portals.get((blueprint or "").split(".")[0])
            context = by_blueprint[blueprint] = {
                "current_portal": portal.code if portal else None,
                "portal_name": portal.name if portal else SITE_NAME,
                "enabled_portals": listed,
            }
        return context

    @app.errorhandler(HTTPException)
    def http_error(error):
        if isinstance(error, SecurityError):
            # The Host header is not one of TRUSTED_HOSTS: no URL can be built for this request,
            # so the page (whose layout links to the site) is replaced by a bare French message.
            return BAD_HOST_PAGE, 400, {"Content-Type": "text/html; charset=utf-8"}
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unhandled_error(error):
        from core.outages import is_unavailable, unavailable_response
        if is_unavailable(error):  # raised by another error handler (core.outages answers the rest)
            return unavailable_response()
        app.logger.exception("Unhandled error")
        from extensions import db
        db.session.rollback()
        return render_error(500)


def render_error(code: int) -> Any:
    """The error page for `code`; its layout shows the logged-in user: when the database is
    unreachable, the page of core.outages (503) that needs nothing stored is shown instead."""
    from core.outages import unavailable_errors, unavailable_response
    title, message = ERROR_TITLES.get(code, ERROR_TITLES[500] if code >= 500 else ERROR_TITLES[400])
    try:
        return render("errors/error.html", block="content", status=code, code=code, title=title, message=message)
    except unavailable_errors():
        return unavailable_response()
