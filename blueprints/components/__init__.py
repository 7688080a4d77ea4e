"""Shared HTMX endpoints of the components usable by every portal (commune search, attachments…)."""
import re

from flask import Blueprint, abort, request

from core.access import public
from core.places import commune_index, search_communes
from core.templating import render

bp = Blueprint("components", __name__)
bp.cli.help = "Shared components: clean up files uploaded to forms that were never sent."

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@bp.route("/communes")
@public
def commune_search():
    """The <select> of towns matching `<champ>-recherche` (postcode digits or first letters)."""
    name = request.args.get("champ", "")
    if not FIELD_NAME.match(name):
        abort(400)
    query = (request.args.get(f"{name}-recherche") or request.args.get("q") or "").strip()[:60]
    # Typing sends a request per pause: the same answer for the same query is served from memory.
    return commune_index().rendered((name, query), lambda: render(
        "components/commune_search.html", block="results", name=name, id=name,
        matches=search_communes(query), query=query)[0])


from blueprints.components import demo  # noqa: E402,F401  (registers /composants/demo on bp)
from blueprints.components import attachments  # noqa: E402,F401  (registers the attachment routes on bp)
from blueprints.components import assistant  # noqa: E402,F401  (registers /composants/assistant on bp)
from blueprints.components import bank  # noqa: E402,F401  (registers /composants/iban on bp)
from blueprints.components import dossier  # noqa: E402,F401  (registers /composants/dossier on bp)
from blueprints.components import documents  # noqa: E402,F401  (registers /composants/justificatifs on bp)
