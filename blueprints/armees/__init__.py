"""Portal blueprint: e-social des armées / Portail Des Aides (seed 000, spec armees.md).

Modules: `home` (portal home, « Mon espace », the PDA personal space, « Mes informations »,
« Mon porte-documents », « Mes documents reçus »), `benefits` (« Déposer une demande »: the
catalogue, its search and detail pages), `apply` (the six-step wizard), `follow` (« Suivre mes
demandes », « Suivi de la demande d'aide », complement requests). Operations that change state
live in `service`; the catalogue in `catalogue`. The Igesa agents' side is blueprints/agent/armees.py."""
from flask import Blueprint

bp = Blueprint("armees", __name__)

from blueprints.armees import home  # noqa: E402,F401
