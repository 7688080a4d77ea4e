"""Portal home of e-social des armées."""
from core.access import public
from core.templating import render

from blueprints.armees import bp


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="armees")
