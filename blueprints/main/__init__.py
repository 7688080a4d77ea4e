"""Home page (enabled portals) and the accessibility statement."""
from flask import Blueprint

from core.access import public
from core.templating import render

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render("main/index.html")


@bp.route("/accessibilite")
@public
def accessibility():
    return render("main/accessibility.html")
