"""Portal blueprint: msa (« Mon espace privé »). The views live in the modules imported at the end."""
from flask import Blueprint

bp = Blueprint("msa", __name__)

# The views register themselves on `bp`: imported last, once `bp` exists.
from blueprints.msa import auth, home  # noqa: E402,F401
# « Ma messagerie »: its engineer adds the import of blueprints.msa.messages here.
from blueprints.msa import messages  # noqa: E402,F401
from blueprints.msa import documents  # noqa: E402,F401  (« Nous envoyer un document »)
from blueprints.msa import digest  # noqa: E402,F401  (agents' digest mails, « flask msa digest »)
# Payments, attestations, contact details, appointments (issue 10, part 2).
from blueprints.msa import appointments, contact, password, payments  # noqa: E402,F401
