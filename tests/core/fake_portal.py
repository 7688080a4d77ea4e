"""A portal that exists only for tests/core/test_portals.py: a blueprint, nothing else."""
from flask import Blueprint

from core.access import public, roles_required

bp = Blueprint("essai", __name__)


@bp.route("/")
@public
def index():
    return "Portail d’essai"


@bp.route("/file")
@roles_required("agent")
def queue():
    return "File d’essai"
