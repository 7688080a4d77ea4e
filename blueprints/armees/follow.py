"""« Suivre mes demandes » and complement requests (slice FOLLOW). Placeholders (404) until the
slice lands."""
from flask import abort

from blueprints.armees import bp


@bp.route("/demandes/")
def applications():
    abort(404)


@bp.route("/demandes/<int:application_id>")
def application(application_id):
    abort(404)


@bp.route("/demandes/<int:application_id>/complements/<int:complement_id>", methods=["GET", "POST"])
def complement(application_id, complement_id):
    abort(404)


@bp.route("/demandes/<int:application_id>/supprimer", methods=["GET", "POST"])
def delete(application_id):
    abort(404)


@bp.route("/demandes/<int:application_id>/dupliquer", methods=["POST"])
def duplicate(application_id):
    abort(404)


@bp.route("/demandes/<int:application_id>/document-complementaire", methods=["GET", "POST"])
def add_document(application_id):
    abort(404)


@bp.route("/demandes/<int:application_id>/paiements")
def payments(application_id):
    abort(404)
