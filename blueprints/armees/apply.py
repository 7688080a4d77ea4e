"""The application wizard (slice WIZARD). A placeholder (404) until the slice lands."""
from flask import abort

from blueprints.armees import bp


@bp.route("/demandes/<int:application_id>/saisie/")
@bp.route("/demandes/<int:application_id>/saisie/<step>", methods=["GET", "POST"])
def apply(application_id, step=None):
    abort(404)
