"""« Déposer une demande »: the benefits, their search and detail sheets (slice WIZARD).
Placeholders (404) until the slice lands."""
from flask import abort

from blueprints.armees import bp
from core.access import public


@bp.route("/prestations/")
@public
def benefits():
    abort(404)


@bp.route("/prestations/<code>")
@public
def benefit(code):
    abort(404)


@bp.route("/prestations/<code>/demande", methods=["POST"])
def start(code):
    abort(404)
