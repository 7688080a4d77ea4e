"""The administrator's screens: organisations (list, create) and agents (list, create and invite)."""
from urllib.parse import urlparse

import pytest

from extensions import db
from models import AuditEvent, Organisation, PartnerSettings, User
from tests import factories
from tests.helpers import errors_of, link_in, page, submit

ORGS = "/agent/administration/organismes"
AGENTS = "/agent/administration/agents"


@pytest.fixture
def admin_client(app, make_user, login):
    make_user(email="admin@example.fr", role="admin")
    client = app.test_client()
    assert login(client, "admin@example.fr").status_code == 302
    return client


def test_the_administrators_index_links_both_screens(admin_client):
    soup = page(admin_client, "/agent/")
    links = {a.get_text(): a["href"] for a in soup.select("#agent-agent a")}
    assert links == {"Organismes": ORGS, "Agents des organismes": AGENTS}


def test_only_administrators(app, make_user, login):
    with app.app_context():
        org = factories.organisation(code="331")
        db.session.commit()
        org_id = org.id
    make_user(email="agent@example.fr", role="agent", organisation_id=org_id)
    agent = app.test_client()
    login(agent, "agent@example.fr")
    assert not page(agent, "/agent/").select("#agent-agent")
    for url in (ORGS, AGENTS):
        assert agent.get(url).status_code == 403
        assert agent.post(url, data={"name": "X"}).status_code == 403
        assert app.test_client().get(url).status_code == 302  # to the login page
    with app.app_context():
        assert Organisation.query.count() == 1


def test_an_organisation_is_created(app, admin_client):
    soup = page(admin_client, ORGS)
    assert soup.h1.get_text() == "Organismes"
    assert [o["value"] for o in soup.select("#portal option")][:3] == ["", "partenaires", "msa"]
    response = submit(admin_client, ORGS, {"portal": "partenaires", "code": "331", "name": "CPAM GIRONDE"},
                      status=303)
    assert response.headers["Location"].endswith(ORGS)
    soup = page(admin_client, ORGS)
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("#organismes tbody tr")]
    assert rows == [["Espace Partenaires", "331", "CPAM GIRONDE",
                     "Offres de service et conventions de CPAM GIRONDE"]]
    with app.app_context():
        org = Organisation.query.one()
        assert db.session.get(PartnerSettings, org.id) is not None
        assert AuditEvent.query.filter_by(action="organisation_created").one().actor_id is not None


@pytest.mark.parametrize("data, message", [
    ({"portal": "", "code": "331", "name": "X"}, "Sélectionnez le portail de l’organisme."),
    ({"portal": "agent", "code": "331", "name": "X"}, "Sélectionnez le portail de l’organisme."),
    ({"portal": "partenaires", "code": "CPAM", "name": "X"}, "Saisissez un code de 1 à 3 chiffres, par exemple 331."),
    ({"portal": "msa", "code": "MSA 33", "name": "X"}, "Saisissez un code de 1 à 10 lettres"),
    ({"portal": "msa", "code": "MSA33", "name": "  "}, "Saisissez le nom de l’organisme."),
])
def test_a_bad_organisation_is_refused_in_french(app, admin_client, data, message):
    soup = submit(admin_client, ORGS, data, status=422)
    assert any(e.startswith(message) for e in errors_of(soup)), errors_of(soup)
    with app.app_context():
        assert Organisation.query.count() == 0


def test_an_organisation_code_is_unique_per_portal(app, admin_client):
    submit(admin_client, ORGS, {"portal": "msa", "code": "331", "name": "MSA"}, status=303)
    submit(admin_client, ORGS, {"portal": "partenaires", "code": "331", "name": "CPAM"}, status=303)
    soup = submit(admin_client, ORGS, {"portal": "msa", "code": "331", "name": "Autre"}, status=422)
    assert errors_of(soup) == ["Un organisme de ce portail a déjà ce code : saisissez-en un autre."]


def test_an_agent_is_created_and_invited(app, admin_client, outbox):
    with app.app_context():
        org = factories.organisation(code="331", name="CPAM GIRONDE")
        db.session.commit()
        org_id = org.id
    soup = page(admin_client, AGENTS)
    assert soup.h1.get_text() == "Agents des organismes"
    assert "CPAM GIRONDE (331, Espace Partenaires)" in soup.select_one("#organisation").get_text()
    response = submit(admin_client, AGENTS, {"last_name": "martin", "first_name": "paul",
                                             "email": "Paul.Martin@cpam33.fr", "organisation": str(org_id)},
                      status=303)
    assert response.headers["Location"].endswith(AGENTS)
    soup = page(admin_client, AGENTS)
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in soup.select("#agents tbody tr")]
    assert rows == [["MARTIN Paul", "paul.martin@cpam33.fr", "CPAM GIRONDE", "En attente d’activation"]]
    [mail] = outbox()
    assert mail["to"] == "paul.martin@cpam33.fr"
    agent = app.test_client()
    assert agent.get(urlparse(link_in(mail["body"])).path).status_code == 302
    password = "Agent-cpam-331"
    response = agent.post("/compte/activation", data={"password": password, "password_confirm": password})
    assert response.status_code == 302
    with app.app_context():
        user = User.query.filter_by(email="paul.martin@cpam33.fr").one()
        assert user.active and user.organisation_id == org_id and user.role == "agent"


def test_an_agent_needs_an_organisation_and_a_free_address(app, admin_client, make_user):
    with app.app_context():
        factories.organisation(code="331")
        db.session.commit()
        org_id = Organisation.query.one().id
    make_user(email="pris@example.fr")
    base = {"last_name": "MARTIN", "first_name": "Paul", "email": "pris@example.fr", "organisation": str(org_id)}
    soup = submit(admin_client, AGENTS, base, status=422)
    assert errors_of(soup) == ["Cette adresse e-mail est déjà utilisée par un autre compte : saisissez-en une autre."]
    for organisation in ("", "999999", "abc"):
        soup = submit(admin_client, AGENTS, dict(base, email="libre@example.fr", organisation=organisation),
                      status=422)
        assert errors_of(soup) == ["Sélectionnez l’organisme de l’agent."]
    with app.app_context():
        assert User.query.filter_by(role="agent").count() == 0
