"""Home page (enabled portals), the accessibility statement and /favicon.ico."""
from flask import Blueprint, redirect

from core.access import public
from core.templating import render, static_url

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render("main/index.html")


@bp.route("/accessibilite")
@public
def accessibility():
    return render("main/accessibility.html")


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers and tools that ignore <link rel="icon"> ask for /favicon.ico: sent to the
    versioned icon. Cached for a week only, since the target's version changes with the icon."""
    response = redirect(static_url("favicon.svg"), code=301)
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response
