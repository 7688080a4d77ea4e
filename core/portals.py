"""The portal registry: one record per portal, read by everything that lists or links portals (the
home page, the header, the account page, where each role lands after login, the agent index, the
blueprints registered and the `PORTALS` setting). Adding a portal is one `Portal(...)` below.

A portal's code is its blueprint name and URL prefix (`/<code>/`); its blueprint is the `bp` of the
module `blueprint` (by default `blueprints.<code>`)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app

if TYPE_CHECKING:
    from models import User


@dataclass(frozen=True)
class AgentLink:
    """A link of the agent index (« Espace agents ») for the agents of an organisation of the
    portal (`admin=True`: for administrators instead). `with_organisation` passes the agent's
    organisation id to the endpoint as `organisation_id`."""
    label: str
    endpoint: str
    admin: bool = False
    with_organisation: bool = False


@dataclass(frozen=True)
class Portal:
    code: str
    name: str
    description: str
    blueprint: str = ""          # module holding `bp`; "" means blueprints.<code>
    home_endpoint: str = ""      # the member's home; "" means <code>.index
    roles: tuple[str, ...] = ()  # roles that land here after login
    agent_title: str = ""        # heading of its section on the agent index
    agent_links: tuple[AgentLink, ...] = ()
    services: tuple[str, ...] = ()  # what it offers to other portals: "messages", "documents"…
    listed: bool = True          # shown on the home page
    available: bool = True       # False: a placeholder, its pages say it is not online yet
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def module(self) -> str:
        return self.blueprint or f"blueprints.{self.code}"

    @property
    def home(self) -> str:
        return self.home_endpoint or f"{self.code}.index"

    def load_blueprint(self) -> Blueprint:
        return importlib.import_module(self.module).bp


REGISTRY: dict[str, Portal] = {}


def register(portal: Portal) -> Portal:
    REGISTRY[portal.code] = portal
    return portal


register(Portal(
    code="partenaires", name="Espace Partenaires",
    description="Pour les techniciens des structures partenaires de l’Assurance Maladie : offres de service, "
                "historique des demandes.",
    roles=("partner_technician", "partner_manager"),
    agent_title="Espace Partenaires",
    agent_links=(AgentLink("Demandes des structures partenaires", "agent.partner_queue"),
                 AgentLink("Paramètres de l’organisme et conventions", "agent.partner_settings",
                           with_organisation=True),
                 AgentLink("Paramètres des organismes et conventions", "agent.partner_organisations", admin=True)),
))
register(Portal(
    code="msa", name="MSA – Mon espace privé",
    description="Pour les adhérents de la MSA : messagerie sécurisée, envoi de documents.",
    agent_title="MSA – Ma messagerie",
    agent_links=(AgentLink("Conversations des adhérents", "agent.msa_inbox"),
                 AgentLink("Documents reçus", "agent.msa_documents"),
                 AgentLink("Demandes de rendez-vous", "agent.msa_appointments"),
                 AgentLink("Enregistrer un paiement", "agent.msa_payment_new")),
    services=("messages",),
))
register(Portal(
    code="armees", name="e-social des armées – Portail Des Aides",
    description="Pour les ressortissants du ministère des Armées : demandes de prestations et de prêts "
                "d’action sociale.",
    agent_title="Portail Des Aides (Igesa)",
    agent_links=(AgentLink("Demandes de prestation", "agent.armees_queue"),
                 AgentLink("Catalogue des prestations", "agent.armees_catalogue")),
))
register(Portal(
    code="apgis", name="Apgis – Espace Assuré",
    description="Pour les assurés de l’Apgis : remboursements, demandes et documents.",
    agent_title="Apgis – Espace Assuré (gestionnaires)",
    agent_links=(AgentLink("Demandes d’intervention (DIT)", "agent.apgis_queue"),
                 AgentLink("Questions des assurés", "agent.apgis_questions"),
                 AgentLink("Règlements et décomptes", "agent.apgis_payments"),
                 AgentLink("Questions fréquentes et documentation", "agent.apgis_publications")),
))
register(Portal(
    code="agent", name="Espace agents",
    description="Pour les agents des organismes : traitement des demandes et des messages.",
    roles=("agent",),
    agent_title="Administration",
    agent_links=(AgentLink("Organismes", "agent.admin_organisations", admin=True),
                 AgentLink("Agents des organismes", "agent.admin_agents", admin=True),
                 AgentLink("Structures partenaires", "agent.admin_structures", admin=True)),
))


def enabled(app: Flask | None = None) -> list[Portal]:
    """The portals turned on by `PORTALS` (every declared one when it is not set), in its order."""
    app = app or current_app
    setting = app.config.get("PORTALS")
    codes = [c.strip() for c in setting.split(",") if c.strip()] if setting else list(REGISTRY)
    return [REGISTRY[c] for c in codes if c in REGISTRY]


def enabled_codes(app: Flask | None = None) -> list[str]:
    return [p.code for p in enabled(app)]


def get(code: str | None) -> Portal | None:
    return REGISTRY.get(code or "")


def home_of_role(role: str, app: Flask | None = None) -> Portal | None:
    """The enabled portal where users with `role` land after login, if any."""
    return next((p for p in enabled(app) if role in p.roles), None)


def agent_sections(user: User, app: Flask | None = None) -> list[tuple[Portal, list[tuple[str, str, dict[str, int]]]]]:
    """[(portal, [(label, endpoint, values)])] of the agent index for `user`: the links of their
    organisation's portal, or the administrators' links."""
    is_admin = user.role == "admin"
    organisation = user.organisation
    sections = []
    for portal in enabled(app):
        if not is_admin and (organisation is None or organisation.portal != portal.code):
            continue
        links = [(link.label, link.endpoint,
                  {"organisation_id": organisation.id} if link.with_organisation else {})
                 for link in portal.agent_links if link.admin == is_admin]
        if links:
            sections.append((portal, links))
    return sections
