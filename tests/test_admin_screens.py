"""The administrator's screens: organisations (list, create) and agents (list, create and invite)."""
from urllib.parse import urlparse

import pytest

from extensions import db
from models import AuditEvent, Organisation, PartnerSettings, Structure, User, UserSession
from core import admin
from tests import factories
from tests.helpers import errors_of, link_in, page, submit

ORGS = "/agent/administration/organismes"
AGENTS = "/agent/administration/agents"
STRUCTURES = "/agent/administration/structures"


@pytest.fixture
def admin_client(app, make_user, login):
    make_user(email="admin@example.fr", role="admin")
    client = app.test_client()
    assert login(client, "admin@example.fr").status_code == 302
    return client


def test_the_administrators_index_links_every_screen(admin_client):
    soup = page(admin_client, "/agent/")
    links = {a.get_text(): a["href"] for a in soup.select("#agent-agent a")}
    assert links == {"Organismes": ORGS, "Agents des organismes": AGENTS, "Structures partenaires": STRUCTURES}


def test_only_administrators(app, make_user, login):
    with app.app_context():
        org = factories.organisation(code="331")
        db.session.commit()
        org_id = org.id
    make_user(email="agent@example.fr", role="agent", organisation_id=org_id)
    agent = app.test_client()
    login(agent, "agent@example.fr")
    assert not page(agent, "/agent/").select("#agent-agent")
    with app.app_context():
        factories.structure(name="CCAS")
        db.session.commit()
        structure_id = Structure.query.one().id
        agent_id = User.query.filter_by(email="agent@example.fr").one().id
    for url in (ORGS, AGENTS, STRUCTURES, f"{STRUCTURES}/{structure_id}"):
        assert agent.get(url).status_code == 403
        assert agent.post(url, data={"name": "X"}).status_code == 403
        assert app.test_client().get(url).status_code == 302  # to the login page
    for url in (f"{AGENTS}/{agent_id}/desactivation", f"{AGENTS}/{agent_id}/reactivation"):
        assert agent.post(url).status_code == 403
        assert app.test_client().post(url).status_code == 302
    with app.app_context():
        assert Organisation.query.count() == 1 and Structure.query.count() == 1
        assert User.query.filter_by(role="partner_manager").count() == 0
        assert db.session.get(User, agent_id).active


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
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("#agents tbody tr")]
    assert rows == [["MARTIN Paul", "paul.martin@cpam33.fr", "CPAM GIRONDE", "En attente d’activation",
                     "Désactiver le compte de Paul MARTIN"]]
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


# --- Deactivating and reactivating agents ------------------------------------------------------------

@pytest.fixture
def agent_ids(app, make_user):
    """An active agent (with a password) of CPAM GIRONDE, and one invited who never chose one."""
    with app.app_context():
        org = factories.organisation(code="331", name="CPAM GIRONDE")
        db.session.commit()
        org_id = org.id
    active = make_user(email="paul@cpam33.fr", role="agent", organisation_id=org_id, first_name="Paul",
                       last_name="MARTIN")
    invited = make_user(email="lea@cpam33.fr", role="agent", organisation_id=org_id, first_name="Léa",
                        last_name="BERNARD", active=False, password=None)
    return {"active": active, "invited": invited}


def agent_states(client):
    return {tr.select("td")[1].get_text(): tr.select_one(".account-state").get_text()
            for tr in page(client, AGENTS).select("#agents tbody tr")}


def test_an_agent_is_deactivated_then_reactivated(app, admin_client, agent_ids, login):
    paul = app.test_client()
    assert login(paul, "paul@cpam33.fr").status_code == 302
    assert paul.get("/agent/").status_code == 200
    soup = page(admin_client, AGENTS)
    button = soup.select_one(f"form[action='{AGENTS}/{agent_ids['active']}/desactivation'] button")
    assert button.get_text(" ", strip=True) == "Désactiver le compte de Paul MARTIN"

    response = submit(admin_client, f"{AGENTS}/{agent_ids['active']}/desactivation", {}, status=303)
    assert response.headers["Location"].endswith(AGENTS)
    soup = page(admin_client, AGENTS)
    assert soup.select_one("#messages .notice--success").get_text(strip=True) == (
        "Le compte de Paul MARTIN est désactivé : il ne peut plus se connecter.")
    assert agent_states(admin_client)["paul@cpam33.fr"] == "Désactivé"
    # Logged out at once, and the login is refused.
    assert paul.get("/agent/").status_code == 302
    assert login(paul, "paul@cpam33.fr").status_code != 302
    with app.app_context():
        assert UserSession.query.filter_by(user_id=agent_ids["active"]).count() == 0
        assert AuditEvent.query.filter_by(action="account_deactivated").one().actor_id is not None

    # A second click: nothing changes, the page says why.
    again = submit(admin_client, f"{AGENTS}/{agent_ids['active']}/desactivation", {}, status=409)
    assert again.select_one("#agents-refus").get_text() == (
        "Le compte de Paul MARTIN est déjà désactivé : rien n’a été modifié.")

    response = submit(admin_client, f"{AGENTS}/{agent_ids['active']}/reactivation", {}, status=303)
    soup = page(admin_client, response.headers["Location"])
    assert soup.select_one("#messages .notice--success").get_text(strip=True) == (
        "Le compte de Paul MARTIN est réactivé : il peut de nouveau se connecter.")
    assert agent_states(admin_client)["paul@cpam33.fr"] == "Actif"
    assert login(paul, "paul@cpam33.fr").status_code == 302
    refused = submit(admin_client, f"{AGENTS}/{agent_ids['active']}/reactivation", {}, status=409)
    assert refused.select_one("#agents-refus").get_text() == (
        "Le compte de Paul MARTIN n’est pas désactivé : rien n’a été modifié.")


def test_an_agent_who_never_chose_a_password_gets_a_new_link(app, admin_client, agent_ids, outbox):
    with app.app_context():
        admin.invite(db.session.get(User, agent_ids["invited"]))
        db.session.commit()
    [first_link] = outbox()
    assert agent_states(admin_client)["lea@cpam33.fr"] == "En attente d’activation"
    submit(admin_client, f"{AGENTS}/{agent_ids['invited']}/desactivation", {}, status=303)
    assert agent_states(admin_client)["lea@cpam33.fr"] == "Désactivé"
    # The link mailed before no longer activates the account.
    assert app.test_client().get(urlparse(link_in(first_link["body"])).path).status_code != 302
    submit(admin_client, f"{AGENTS}/{agent_ids['invited']}/reactivation", {}, status=303)
    soup = page(admin_client, AGENTS)
    assert soup.select_one("#messages .notice--success").get_text(strip=True) == (
        "Un nouveau lien d’activation a été envoyé à Léa BERNARD (lea@cpam33.fr).")
    assert agent_states(admin_client)["lea@cpam33.fr"] == "En attente d’activation"
    mails = outbox()
    assert len(mails) == 2 and mails[-1]["to"] == "lea@cpam33.fr"
    lea = app.test_client()
    assert lea.get(urlparse(link_in(mails[-1]["body"])).path).status_code == 302
    response = lea.post("/compte/activation", data={"password": "Agent-cpam-331", "password_confirm": "Agent-cpam-331"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, agent_ids["invited"]).active


def test_only_agents_accounts(app, admin_client, agent_ids, make_user):
    other = make_user(email="citoyen@example.fr")
    assert admin_client.post(f"{AGENTS}/{other}/desactivation").status_code == 404
    assert admin_client.post(f"{AGENTS}/999999/reactivation").status_code == 404
    with app.app_context():
        assert db.session.get(User, other).active


# --- Partner structures and their managers -----------------------------------------------------------

MANAGER = {"last_name": "durand", "first_name": "sophie", "email": "Sophie.Durand@ccas-bordeaux.fr"}


def test_a_structure_is_created_with_its_manager(app, admin_client, outbox):
    soup = page(admin_client, STRUCTURES)
    assert soup.h1.get_text() == "Structures partenaires"
    assert soup.select_one("#max_technicians")["value"] == "10"
    assert soup.select_one("#structure fieldset legend").get_text() == "Gestionnaire de la structure"
    response = submit(admin_client, STRUCTURES, {"name": " CCAS de  Bordeaux ", "max_technicians": "5", **MANAGER},
                      status=303)
    assert response.headers["Location"].endswith(STRUCTURES)
    soup = page(admin_client, STRUCTURES)
    assert soup.select_one("#messages .notice--success").get_text(" ", strip=True) == (
        "La structure CCAS de Bordeaux a été créée. Un courriel a été envoyé à Sophie DURAND "
        "(sophie.durand@ccas-bordeaux.fr), gestionnaire de la structure, pour activer son compte et choisir son "
        "mot de passe.")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("#structures tbody tr")]
    assert rows == [["CCAS de Bordeaux", "5", "DURAND Sophie (en attente d’activation)",
                     "Gestionnaires de CCAS de Bordeaux"]]
    [mail] = outbox()
    assert mail["to"] == "sophie.durand@ccas-bordeaux.fr"
    manager = app.test_client()
    assert manager.get(urlparse(link_in(mail["body"])).path).status_code == 302
    password = "Gestion-ccas-33"
    assert manager.post("/compte/activation", data={"password": password,
                                                    "password_confirm": password}).status_code == 302
    with app.app_context():
        structure = Structure.query.one()
        user = User.query.filter_by(email="sophie.durand@ccas-bordeaux.fr").one()
        assert (structure.name, structure.max_active_technicians) == ("CCAS de Bordeaux", 5)
        assert user.active and user.role == "partner_manager" and user.structure_id == structure.id
        actions = {e.action: e.actor_id for e in AuditEvent.query}
        assert actions["structure_created"] is not None and actions["partner_manager_created"] is not None
    # The manager reaches the technicians' screen of their structure.
    assert manager.get("/partenaires/techniciens").status_code == 200


@pytest.mark.parametrize("data, field, message", [
    ({"name": ""}, "name", "Saisissez le nom de la structure."),
    ({"max_technicians": "dix"}, "max_technicians", "Saisissez un nombre entier, par exemple 10."),
    ({"max_technicians": "0"}, "max_technicians", "Saisissez un nombre entre 1 et 10000."),
    ({"max_technicians": ""}, "max_technicians", "Saisissez le nombre maximum de techniciens actifs, par exemple 10."),
    ({"last_name": ""}, "last_name", "Saisissez le nom du gestionnaire."),
    ({"email": "pas-une-adresse"}, "email", None),
])
def test_a_bad_structure_is_refused_next_to_the_field(app, admin_client, outbox, data, field, message):
    soup = submit(admin_client, STRUCTURES, {"name": "CCAS", "max_technicians": "5", **MANAGER, **data},
                  status=422)
    assert soup.title.get_text().startswith("Erreur : ")
    error = soup.select_one(f"#{field}-erreur") or soup.select_one(f"#{field}-error")
    assert error is not None, soup.select("[id$=erreur], [id$=error]")
    if message:
        assert message in error.get_text()
    assert soup.select_one("#last_name")["value"] == data.get("last_name", "durand")  # what was typed is kept
    with app.app_context():
        assert Structure.query.count() == 0 and User.query.filter_by(role="partner_manager").count() == 0
    assert outbox() == []


def test_a_structure_name_and_a_manager_address_are_free(app, admin_client, make_user):
    make_user(email="pris@example.fr")
    submit(admin_client, STRUCTURES, {"name": "CCAS", "max_technicians": "5", **MANAGER}, status=303)
    soup = submit(admin_client, STRUCTURES, {"name": "ccas", "max_technicians": "5", **MANAGER,
                                             "email": "pris@example.fr"}, status=422)
    assert errors_of(soup) == ["Une structure porte déjà ce nom : saisissez-en un autre.",
                               "Cette adresse e-mail est déjà utilisée par un autre compte : saisissez-en une autre."]
    with app.app_context():
        assert Structure.query.count() == 1


def test_a_manager_is_added_to_an_existing_structure(app, admin_client, outbox):
    with app.app_context():
        structure = factories.structure(name="Hôpital Saint-André")
        db.session.commit()
        url = f"{STRUCTURES}/{structure.id}"
    soup = page(admin_client, STRUCTURES)
    assert soup.select_one("#structures a")["href"] == url
    soup = page(admin_client, url)
    assert soup.h1.get_text() == "Structure Hôpital Saint-André"
    assert "pas encore de gestionnaire" in soup.select_one("main").get_text()
    soup = submit(admin_client, url, {**MANAGER, "email": ""}, status=422)
    assert errors_of(soup) == ["Saisissez l’adresse e-mail du gestionnaire."]
    response = submit(admin_client, url, MANAGER, status=303)
    assert response.headers["Location"].endswith(url)
    soup = page(admin_client, url)
    assert soup.select_one("#messages .notice--success").get_text(" ", strip=True).startswith(
        "Un courriel a été envoyé à Sophie DURAND (sophie.durand@ccas-bordeaux.fr)")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in soup.select("#gestionnaires tbody tr")]
    assert rows == [["DURAND Sophie", "sophie.durand@ccas-bordeaux.fr", "En attente d’activation"]]
    assert [m["to"] for m in outbox()] == ["sophie.durand@ccas-bordeaux.fr"]
    assert admin_client.get(f"{STRUCTURES}/999999").status_code == 404
