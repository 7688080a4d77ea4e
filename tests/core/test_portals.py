"""The portal registry (core.portals): a portal declared there, and nowhere else, is served, listed
on the home page and in the account page, and gets its section on the agent index."""
import pytest

from core import portals
from extensions import db
from models import Role
from tests import factories
from tests.helpers import page

ESSAI = portals.Portal(code="essai", name="Portail d’essai", description="Un portail déclaré pour ce test.",
                       blueprint="tests.core.fake_portal", agent_title="Essai – file des demandes",
                       agent_links=(portals.AgentLink("Demandes d’essai", "essai.queue"),))


@pytest.fixture
def essai_app(tmp_path, template_db, monkeypatch):
    from tests.conftest import _sqlite_app, _teardown
    monkeypatch.setitem(portals.REGISTRY, "essai", ESSAI)
    app = _sqlite_app(tmp_path, template_db, PORTALS=None)
    yield app
    _teardown(app)


def test_a_portal_declared_in_the_registry_is_served_and_listed(essai_app):
    client = essai_app.test_client()
    assert client.get("/essai/").get_data(as_text=True) == "Portail d’essai"
    home = page(client, "/")
    cards = {a.get_text(strip=True): a["href"] for a in home.select(".cards a")}
    assert cards["Portail d’essai"] == "/essai/"
    assert set(cards.values()) == {f"/{p.code}/" for p in portals.REGISTRY.values()}


def test_its_agents_find_it_on_the_agent_index(essai_app, login):
    with essai_app.app_context():
        org = factories.organisation(portal="essai", code="ESS", name="Organisme d’essai")
        factories.user(email="agent.essai@example.fr", role=Role.AGENT, organisation=org)
        db.session.commit()
    client = essai_app.test_client()
    assert login(client, "agent.essai@example.fr").headers["Location"] == "/agent/"
    soup = page(client, "/agent/")
    section = soup.select_one("#agent-essai")
    assert section.find_previous("h2").get_text(strip=True) == "Essai – file des demandes"
    assert [(a.get_text(strip=True), a["href"]) for a in section.select("a")] == [("Demandes d’essai", "/essai/file")]
    assert not soup.select_one("#agent-partenaires") and not soup.select_one("#agent-msa")


def test_portals_setting_keeps_its_order_and_ignores_unknown_codes(essai_app):
    essai_app.config["PORTALS"] = "msa, inconnu ,essai"
    assert portals.enabled_codes(essai_app) == ["msa", "essai"]


def test_role_homes_come_from_the_registry(app):
    with app.app_context():
        assert portals.home_of_role(Role.PARTNER_TECHNICIAN.value).code == "partenaires"
        assert portals.home_of_role(Role.AGENT.value).code == "agent"
        assert portals.home_of_role(Role.CITIZEN.value) is None
