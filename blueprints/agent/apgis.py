"""Apgis managers (« gestionnaires »): the DIT queue and the questions (slice DIT). Placeholder
routes, replaced by the real screens."""
from flask import abort

from blueprints.agent import bp


def _todo(*_args, **_kwargs):
    abort(404)


bp.add_url_rule("/apgis/demandes", "apgis_queue", _todo)
bp.add_url_rule("/apgis/questions", "apgis_questions", _todo)
