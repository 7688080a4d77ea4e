"""Apgis managers: reimbursements and statements recorded, FAQ and documentation space (slice
SERVICES). Placeholder routes, replaced by the real screens."""
from flask import abort

from blueprints.agent import bp


def _todo(*_args, **_kwargs):
    abort(404)


bp.add_url_rule("/apgis/reglements", "apgis_payments", _todo)
bp.add_url_rule("/apgis/documentation", "apgis_publications", _todo)
