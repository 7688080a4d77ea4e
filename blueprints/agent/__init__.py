"""Agent screens of every portal. The whole blueprint is reserved to agents (and administrators)."""
from flask import Blueprint
from flask_login import current_user

from core import portals
from core.access import protect_blueprint
from core.templating import render

bp = Blueprint("agent", __name__)
protect_blueprint(bp, "agent", "admin")


@bp.route("/")
def index():
    return render("agent/index.html", organisation=current_user.organisation,
                  sections=portals.agent_sections(current_user))


from blueprints.agent import partenaires  # noqa: E402,F401  (Espace Partenaires agent screens)
from blueprints.agent import msa  # noqa: E402,F401  (MSA « Ma messagerie » agent inbox)
from blueprints.agent import admin  # noqa: E402,F401  (the administrator's organisations and agents)
from blueprints.agent import armees  # noqa: E402,F401  (Portail Des Aides, Igesa agents)
from blueprints.agent import apgis  # noqa: E402,F401  (Apgis managers: DIT queue, questions)
from blueprints.agent import apgis_services  # noqa: E402,F401  (Apgis managers: payments, documentation)
from blueprints.agent import msa_documents  # noqa: E402,F401  (MSA « Documents reçus »)
from blueprints.agent import msa_services  # noqa: E402,F401  (MSA appointments and payments)
