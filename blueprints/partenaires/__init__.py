"""Espace Partenaires (seed 002): partner technicians file offers of service (ODS) for insured people.

The landing page is public; everything else requires a partner technician or manager, and most
pages an organisation chosen after login (see context.py)."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

from core.access import protect_blueprint, public
from core.templating import render

bp = Blueprint("partenaires", __name__)
protect_blueprint(bp, "partner_technician", "partner_manager")


@bp.route("/")
@public
def index():
    if current_user.is_authenticated and current_user.has_role("partner_technician", "partner_manager"):
        return redirect(url_for("partenaires.home"))
    return render("portal/index.html", portal="partenaires")


from blueprints.partenaires import context, selection  # noqa: E402,F401  (routes)
from blueprints.partenaires import requests  # noqa: E402,F401  (new requests)
from blueprints.partenaires import detail, history  # noqa: E402,F401  (history, detail, complete, cancel)
from blueprints.partenaires import technicians  # noqa: E402,F401  (the manager's technicians)
from blueprints.partenaires import cli  # noqa: E402,F401  (flask partenaires recount)
