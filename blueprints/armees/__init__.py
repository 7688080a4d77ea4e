"""Portal blueprint: e-social des armées / Portail Des Aides (seed 000, spec armees.md).

Modules: `home` (portal home, « Mon espace », the PDA personal space, « Mes informations »,
« Mon porte-documents », « Mes documents reçus »), `benefits` (« Déposer une demande »: the
catalogue, its search and detail pages), `apply` (the six-step wizard), `follow` (« Suivre mes
demandes », « Suivi de la demande d'aide », complement requests). Operations that change state
live in `service`; the catalogue in `catalogue`. The Igesa agents' side is blueprints/agent/armees.py.

Every page needs a ressortissant's login (a citizen account), except those marked @public; any
other account (an agent) gets 404, as for another ressortissant's application."""
from flask import Blueprint

from core.access import protect_blueprint

bp = Blueprint("armees", __name__)
protect_blueprint(bp, "citizen", refusal=404)

from blueprints.armees import home  # noqa: E402,F401  (slice SPACE)
from blueprints.armees import benefits  # noqa: E402,F401  (slice WIZARD)
from blueprints.armees import apply  # noqa: E402,F401  (slice WIZARD)
from blueprints.armees import follow  # noqa: E402,F401  (slice FOLLOW)
