"""« Déposer une demande »: the benefits, their search by keyword and detail sheets (slice WIZARD).
Anyone may read them; « Déposer une demande » asks for a login first and comes back to the
application form (armees.start) after it."""
from __future__ import annotations

from flask import abort, request

from blueprints.armees import bp, catalogue
from core.access import public
from core.templating import render

MAX_KEYWORD = 100


@bp.route("/prestations/")
@public
def benefits():
    keyword = (request.args.get("q") or "").strip()[:MAX_KEYWORD]
    found = catalogue.search(keyword) if keyword else catalogue.published()
    aids = [b for b in found if not b.is_loan]
    loans = [b for b in found if b.is_loan]
    return render("armees/benefits.html", block="results", keyword=keyword, aids=aids, loans=loans,
                  count=len(found))


@bp.route("/prestations/<code>")
@public
def benefit(code: str):
    found = catalogue.get(code)
    if found is None:
        abort(404)
    return render("armees/benefit.html", benefit=found)
