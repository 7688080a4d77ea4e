"""Portal blueprint: msa. Its screens are built by the portal's own issue."""
from flask import Blueprint

from core.access import public
from core.templating import render

bp = Blueprint("msa", __name__)


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="msa")
