"""Portal blueprint: Apgis Espace Assuré (seed 003, spec apgis.md).

Modules: `space` (the portal home and the insured's space: « Mes données personnelles » and the
DITs they create, the operations switched directly, « L'Apgis et moi »: card requests, « Nous
transmettre », « Vous avez une question », the notifications and « Suivi »), `services` (« Mes
services »: reimbursements, statements, contributions, the tiers-payant card, the certificate of
affiliation, hospital cover, and « Contacts et informations diverses »: contacts, FAQ,
documentation space). Operations that change state live in `service`. The managers' side is
blueprints/agent/apgis.py (DIT queue, questions) and blueprints/agent/apgis_services.py
(reimbursements, statements, FAQ and documentation).

Every page needs an insured's login (a citizen account with an Apgis file), except those marked
@public; any other account gets 404, as for another insured's objects."""
from flask import Blueprint

from core.access import protect_blueprint

bp = Blueprint("apgis", __name__)
protect_blueprint(bp, "citizen", refusal=404)

from blueprints.apgis import space  # noqa: E402,F401  (slice DIT)
from blueprints.apgis import services  # noqa: E402,F401  (slice SERVICES)
