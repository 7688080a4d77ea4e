"""Portal home, « Mon espace », the PDA personal space and the personal data (slice SPACE).
Routes other than the index are placeholders (404) until their slice lands."""
from flask import abort

from blueprints.armees import bp
from core.access import public
from core.templating import render


@bp.route("/")
@public
def index():
    return render("portal/index.html", portal="armees")


@bp.route("/espace/")
def space():
    abort(404)


@bp.route("/mon-espace/")
def account():
    abort(404)


@bp.route("/espace/mes-informations")
def informations():
    abort(404)


@bp.route("/espace/porte-documents")
def porte_documents():
    abort(404)


@bp.route("/espace/documents-recus")
def received():
    abort(404)
