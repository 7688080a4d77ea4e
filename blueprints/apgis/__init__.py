"""Portal blueprint: apgis. Its screens are built by the portal's own issue."""
from flask import Blueprint

from core.access import public
from core.templating import render

bp = Blueprint("apgis", __name__)


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="apgis")
