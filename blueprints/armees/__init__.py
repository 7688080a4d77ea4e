"""Portal blueprint: armees. Its screens are built by the portal's own issue."""
from flask import Blueprint

from core.access import public
from core.templating import render

bp = Blueprint("armees", __name__)


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="armees")
