"""Portail Des Aides, Igesa agents' side (slice AGENT). Placeholders (404) until the slice lands."""
from flask import abort

from blueprints.agent import bp


@bp.route("/armees/demandes/")
def armees_queue():
    abort(404)


@bp.route("/armees/demandes/<int:application_id>", methods=["GET", "POST"])
def armees_application(application_id):
    abort(404)


@bp.route("/armees/catalogue", methods=["GET", "POST"])
def armees_catalogue():
    abort(404)
