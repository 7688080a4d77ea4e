"""The partner manager's technicians: list, create with an activation link, the maximum of active
technicians, deactivate (sessions ended), reactivate, scoping."""
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest

from extensions import db
from models import AuditEvent, AuthToken, Convention, PartnerSettings, User, UserSession
from tests import factories
from tests.helpers import errors_of, link_in, page, submit

LIST = "/partenaires/techniciens"
NEW = "/partenaires/techniciens/nouveau"
NEW_PASSWORD = "Nouveau-mot-2"


@pytest.fixture
def world(app):
    """A structure with a manager and two active technicians (CPAM GIRONDE: 5 at most), and
    another structure with its own technician."""
    with app.app_context():
        org, structure = factories.partner_setup(max_active_technicians=5)
        factories.technician(structure, email="manager@example.fr", first_name="Paul", last_name="GERANT",
                             role="partner_manager")
        martine = factories.technician(structure, email="martine@example.fr")
        victor = factories.technician(structure, email="victor@example.fr", first_name="Victor", last_name="CHAUSSON")
        _, other_structure = factories.partner_setup(org_name="CPAM LANDES", org_code="401")
        stranger = factories.technician(other_structure, email="stranger@example.fr", first_name="Jean",
                                        last_name="AUTRE")
        db.session.commit()
        return {"org": org.id, "structure": structure.id, "martine": martine.id, "victor": victor.id,
                "stranger": stranger.id}


def client_of(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def manager(app, login, world):
    return client_of(app, login, "manager@example.fr")


def notices(soup):
    return [p.get_text(strip=True) for p in soup.select("#messages .notice")]


def rows(soup):
    return {tr.select_one("td").get_text(strip=True): tr.select_one(".technician-state").get_text(strip=True)
            for tr in soup.select("#techniciens tbody tr")}


def new_technician(**changes):
    data = {"civility": "Mme", "last_name": "dupont", "first_name": "jean-marie", "email": "Nouveau@Example.fr"}
    data.update(changes)
    return data


def set_maximum(app, org_id, maximum):
    with app.app_context():
        db.session.get(PartnerSettings, org_id).max_active_technicians = maximum
        db.session.commit()


def test_list_shows_the_structures_technicians_only(app, manager, world):
    soup = page(manager, LIST)
    assert soup.h1.get_text() == "Techniciens de ma structure"
    assert rows(soup) == {"CHAUSSON Victor": "Actif", "LAPIERRE Martine": "Actif"}
    quota = soup.select_one("#techniciens-quota").get_text()
    assert "2 techniciens actifs ou en attente d’activation sur 5 au plus" in quota
    assert soup.select_one(f"form[action='/partenaires/techniciens/{world['victor']}/desactivation'] button")


def test_technicians_and_other_roles_are_refused(app, login, world):
    technician = client_of(app, login, "victor@example.fr")
    assert page(technician, LIST, status=403).h1.get_text() == "Accès refusé"
    assert technician.get(NEW).status_code == 403
    assert technician.post(f"/partenaires/techniciens/{world['martine']}/desactivation").status_code == 403
    with app.app_context():
        assert db.session.get(User, world["martine"]).active
        factories.user(email="agent@example.fr", role="agent")
        db.session.commit()
    assert client_of(app, login, "agent@example.fr").get(LIST).status_code == 403
    assert app.test_client().get(LIST).status_code == 302


def test_create_a_technician_who_activates_the_account(app, manager, world, outbox):
    soup = page(manager, NEW)
    assert soup.h1.get_text() == "Créer un technicien"
    assert soup.select_one("fieldset legend").get_text(strip=True).startswith("Civilité")
    response = manager.post(NEW, data=new_technician())
    assert response.status_code == 303
    soup = page(manager, response.headers["Location"])
    assert ("Le compte de Jean-Marie DUPONT a été créé. Un courriel lui a été envoyé à nouveau@example.fr pour "
            "l’activer et choisir son mot de passe.") in notices(soup)
    assert rows(soup)["DUPONT Jean-Marie"] == "En attente d’activation"
    with app.app_context():
        user = User.query.filter_by(email="nouveau@example.fr").one()
        assert (user.role, user.active, user.password_hash, user.structure_id, user.civility) == (
            "partner_technician", False, None, world["structure"], "Mme")
        token = AuthToken.query.filter_by(user_id=user.id).one()
        assert token.expires_at - token.created_at == timedelta(hours=12)
        assert AuditEvent.query.filter_by(action="partner_technician_created", object_id=str(user.id)).count() == 1
    (mail,) = outbox("email")
    assert mail["to"] == "nouveau@example.fr"
    assert mail["body"].startswith("Bonjour Jean-Marie DUPONT,")
    assert "valable 12 heures" in mail["body"]
    # The technician follows the link and chooses a password.
    technician = app.test_client()
    link = link_in(mail["body"])
    assert urlparse(link).path.startswith("/compte/activation/")
    technician.get(urlparse(link).path)
    soup = page(technician, "/compte/activation")
    assert soup.select_one("#password")
    response = technician.post("/compte/activation", data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        user = User.query.filter_by(email="nouveau@example.fr").one()
        assert user.active and user.check_password(NEW_PASSWORD)
    assert rows(page(manager, LIST))["DUPONT Jean-Marie"] == "Actif"
    other = app.test_client()
    assert other.post("/compte/connexion", data={"email": "nouveau@example.fr",
                                                 "password": NEW_PASSWORD}).status_code == 302


def test_create_validation_and_an_email_already_used(app, manager, world, outbox):
    soup = submit(manager, NEW, {}, status=422)
    assert errors_of(soup) == ["Sélectionnez la civilité du technicien.", "Saisissez le nom du technicien.",
                               "Saisissez le prénom du technicien.", "Saisissez l’adresse e-mail du technicien."]
    soup = submit(manager, NEW, new_technician(last_name="Dupont3", email="pas-une-adresse"), status=422)
    assert errors_of(soup) == ["Le nom ne peut contenir que des lettres, des espaces, des apostrophes et des tirets.",
                               "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."]
    soup = submit(manager, NEW, new_technician(email="VICTOR@example.fr"), status=422)
    assert errors_of(soup) == ["Cette adresse e-mail est déjà utilisée par un autre compte : saisissez-en une autre."]
    assert soup.select_one("#last_name")["value"] == "dupont"  # what was typed is kept
    assert outbox() == []
    with app.app_context():
        assert User.query.filter_by(structure_id=world["structure"]).count() == 3


def test_maximum_of_active_technicians_is_enforced(app, manager, world, outbox):
    set_maximum(app, world["org"], 3)
    assert manager.post(NEW, data=new_technician()).status_code == 303  # 3rd: pending counts as active
    soup = submit(manager, NEW, new_technician(email="quatre@example.fr"), status=422)
    (error,) = errors_of(soup)
    assert error.startswith("Le nombre maximum de techniciens actifs de votre structure est atteint : 3 techniciens "
                            "au plus, fixé par CPAM GIRONDE")
    assert len(outbox("email")) == 1
    with app.app_context():
        assert User.query.filter_by(email="quatre@example.fr").first() is None
    # Said on the form before anything is typed.
    soup = page(manager, NEW)
    assert "3 techniciens au plus" in soup.select_one("#technicien-limite").get_text()


def test_the_smallest_maximum_of_current_conventions_applies(app, manager, world):
    with app.app_context():
        from models import Structure
        structure = db.session.get(Structure, world["structure"])
        small, _ = factories.partner_setup(org_name="CPAM DORDOGNE", org_code="241", structure_obj=structure,
                                           max_active_technicians=2)
        factories.partner_setup(org_name="CPAM LANDES BIS", org_code="402", structure_obj=structure,
                                           max_active_technicians=1, start=date.today() - timedelta(days=400),
                                           end=date.today() - timedelta(days=10))
        db.session.commit()
        small_id = small.id
    soup = submit(manager, NEW, new_technician(), status=422)
    (error,) = errors_of(soup)
    assert "2 techniciens au plus, fixé par CPAM DORDOGNE" in error
    with app.app_context():
        Convention.query.filter_by(organisation_id=small_id).one().start_date = date.today() + timedelta(days=5)
        db.session.commit()
    assert manager.post(NEW, data=new_technician()).status_code == 303  # only CPAM GIRONDE's 5 now


def test_deactivate_ends_sessions_and_login(app, manager, world, login):
    victor = client_of(app, login, "victor@example.fr")
    assert victor.get("/partenaires/organisme").status_code == 200
    url = f"/partenaires/techniciens/{world['victor']}/desactivation"
    response = manager.post(url)
    assert response.status_code == 303
    soup = page(manager, response.headers["Location"])
    assert "Le compte de Victor CHAUSSON est désactivé : il ne peut plus se connecter." in notices(soup)
    assert rows(soup)["CHAUSSON Victor"] == "Désactivé"
    with app.app_context():
        assert not db.session.get(User, world["victor"]).active
        assert UserSession.query.filter_by(user_id=world["victor"]).count() == 0
        assert AuditEvent.query.filter_by(action="partner_technician_deactivated").count() == 1
    # The copied cookie no longer works, and the password no longer opens a session.
    response = victor.get("/partenaires/organisme")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert login(app.test_client(), "victor@example.fr").status_code == 422
    # A repeated POST changes nothing and says so.
    soup = submit(manager, url, {}, status=409)
    assert soup.select_one("#techniciens-refus").get_text(strip=True) == (
        "Le compte de Victor CHAUSSON est déjà désactivé : rien n’a été modifié.")


def test_reactivate_within_the_maximum(app, manager, world, login):
    manager.post(f"/partenaires/techniciens/{world['victor']}/desactivation")
    set_maximum(app, world["org"], 1)
    url = f"/partenaires/techniciens/{world['victor']}/reactivation"
    soup = submit(manager, url, {}, status=409)
    assert "Le nombre maximum de techniciens actifs de votre structure est atteint : 1 technicien au plus" in \
        soup.select_one("#techniciens-refus").get_text()
    with app.app_context():
        assert not db.session.get(User, world["victor"]).active
    set_maximum(app, world["org"], 2)
    response = manager.post(url)
    assert response.status_code == 303
    soup = page(manager, response.headers["Location"])
    assert "Le compte de Victor CHAUSSON est réactivé : il peut de nouveau se connecter." in notices(soup)
    assert rows(soup)["CHAUSSON Victor"] == "Actif"
    assert login(app.test_client(), "victor@example.fr").status_code == 302
    assert submit(manager, url, {}, status=409).select_one("#techniciens-refus")


def test_a_pending_technician_deactivated_can_no_longer_activate(app, manager, world, outbox):
    manager.post(NEW, data=new_technician())
    link = urlparse(link_in(outbox("email")[-1]["body"])).path
    with app.app_context():
        user_id = User.query.filter_by(email="nouveau@example.fr").one().id
    assert manager.post(f"/partenaires/techniciens/{user_id}/desactivation").status_code == 303
    technician = app.test_client()
    technician.get(link)
    assert technician.get("/compte/activation").status_code == 410
    # Reactivated, they get a new link.
    assert manager.post(f"/partenaires/techniciens/{user_id}/reactivation").status_code == 303
    assert len(outbox("email")) == 2
    assert rows(page(manager, LIST))["DUPONT Jean-Marie"] == "En attente d’activation"
    new_link = urlparse(link_in(outbox("email")[-1]["body"])).path
    assert new_link != link
    assert manager.post(f"/partenaires/techniciens/{user_id}/lien-activation").status_code == 303
    assert len(outbox("email")) == 3
    technician.get(urlparse(link_in(outbox("email")[-1]["body"])).path)
    assert technician.get("/compte/activation").status_code == 200
    fresh = app.test_client()
    fresh.get(new_link)  # superseded by the one sent after it
    assert fresh.get("/compte/activation").status_code == 410


def test_another_structures_technician_is_not_found(app, manager, world):
    for action in ("desactivation", "reactivation", "lien-activation"):
        assert manager.post(f"/partenaires/techniciens/{world['stranger']}/{action}").status_code == 404
    with app.app_context():
        assert db.session.get(User, world["stranger"]).active
        manager_id = User.query.filter_by(email="manager@example.fr").one().id
    # Managers are not technicians: not even their own account.
    assert manager.post(f"/partenaires/techniciens/{manager_id}/desactivation").status_code == 404


def test_create_requires_the_csrf_token(csrf_app, login):
    with csrf_app.app_context():
        _, structure = factories.partner_setup()
        factories.technician(structure, email="manager@example.fr", role="partner_manager")
        db.session.commit()
    client = csrf_app.test_client()
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    client.post("/compte/connexion", data={"email": "manager@example.fr", "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert client.post(NEW, data=new_technician()).status_code == 400
    token = page(client, NEW).select_one("form input[name=csrf_token]")["value"]
    assert client.post(NEW, data=dict(new_technician(), csrf_token=token)).status_code == 303
    with csrf_app.app_context():
        assert User.query.filter_by(email="nouveau@example.fr").count() == 1
