"""Login by email, logout, sessions that really end, throttling."""
import pytest

from extensions import db
from models import User, UserSession
from tests.factories import PASSWORD
from tests.helpers import errors_of, page, submit


def test_login_page_has_labelled_fields(client):
    soup = page(client, "/compte/connexion")
    assert soup.select_one("label[for=email]").get_text(strip=True).startswith("Adresse e-mail")
    assert soup.select_one("label[for=password]").get_text(strip=True).startswith("Mot de passe")
    assert soup.select_one("a[href='/compte/mot-de-passe-oublie']").get_text(strip=True) == "Mot de passe oublié"


def test_login_success_redirects_and_shows_name(client, make_user):
    make_user(email="Anne.Durand@Example.fr", first_name="Anne", last_name="Durand")
    response = client.post("/compte/connexion", data={"email": "anne.durand@example.FR", "password": PASSWORD})
    assert response.status_code == 302
    soup = page(client, response.headers["Location"])
    assert soup.select_one(".account-nav").get_text(" ", strip=True).startswith("Anne Durand")
    assert "Vous êtes connecté." in soup.select_one("#messages").get_text()


@pytest.mark.parametrize("email,password", [("inconnu@example.fr", PASSWORD), ("anne@example.fr", "Mauvais-1")])
def test_same_answer_whether_or_not_the_account_exists(client, make_user, email, password):
    make_user(email="anne@example.fr")
    soup = submit(client, "/compte/connexion", {"email": email, "password": password}, status=422)
    assert errors_of(soup) == ["Adresse e-mail ou mot de passe incorrect."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one("#email")["value"] == email  # what was typed is kept


def test_missing_fields_give_french_errors(client):
    soup = submit(client, "/compte/connexion", {"email": "", "password": ""}, status=422)
    assert errors_of(soup) == ["Saisissez votre adresse e-mail.", "Saisissez votre mot de passe."]
    assert soup.select_one("#email")["aria-describedby"] == "email-erreur"
    assert soup.select_one(".error-summary a")["href"] == "#email"


def test_inactive_account_cannot_log_in(client, make_user):
    make_user(email="off@example.fr", active=False)
    soup = submit(client, "/compte/connexion", {"email": "off@example.fr", "password": PASSWORD}, status=422)
    assert errors_of(soup) == ["Adresse e-mail ou mot de passe incorrect."]


def test_open_redirect_is_refused(client, make_user, login):
    make_user(email="a@example.fr")
    response = client.post("/compte/connexion?next=//evil.example/x",
                           data={"email": "a@example.fr", "password": PASSWORD})
    assert response.headers["Location"] == "/compte/"
    response = client.post("/compte/deconnexion")
    response = client.post("/compte/connexion?next=/compte/mot-de-passe",
                           data={"email": "a@example.fr", "password": PASSWORD})
    assert response.headers["Location"] == "/compte/mot-de-passe"


def test_session_is_regenerated_at_login(app, client, make_user):
    make_user(email="a@example.fr")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    client.post("/compte/connexion", data={"email": "a@example.fr", "password": PASSWORD})
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("sid")


def test_logout_ends_the_session_even_for_a_copied_cookie(app, make_user, login):
    make_user(email="a@example.fr")
    client = app.test_client()
    login(client, "a@example.fr")
    cookie = client.get_cookie("guichet", domain="guichet.test").value
    assert client.get("/compte/").status_code == 200
    response = client.post("/compte/deconnexion")
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("guichet", cookie, domain="guichet.test")
    response = thief.get("/compte/")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    with app.app_context():
        assert UserSession.query.count() == 0


def test_logout_needs_post(client):
    assert client.get("/compte/deconnexion").status_code == 405


def test_idle_session_expires(app, make_user, login):
    from datetime import timedelta
    make_user(email="a@example.fr")
    client = app.test_client()
    login(client, "a@example.fr")
    with app.app_context():
        row = UserSession.query.one()
        row.last_seen_at = row.last_seen_at - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()
    response = client.get("/compte/")
    assert response.status_code == 302


def test_keep_alive_extends_the_session(app, make_user, login):
    from datetime import timedelta
    make_user(email="a@example.fr")
    client = app.test_client()
    login(client, "a@example.fr")
    with app.app_context():
        row = UserSession.query.one()
        row.last_seen_at = row.last_seen_at - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
        db.session.commit()
    assert client.post("/compte/session/prolonger").status_code == 204
    with app.app_context():
        assert not UserSession.query.one().is_idle(app.config["SESSION_IDLE_MINUTES"])


def test_idle_warning_is_configured_for_logged_in_pages(citizen_client, app):
    soup = page(citizen_client, "/compte/")
    assert soup.body["data-idle-minutes"] == str(app.config["SESSION_IDLE_MINUTES"])
    assert soup.select_one("#session-warning button").get_text(strip=True) == "Continuer"


def test_last_login_is_recorded(app, make_user, login):
    user_id = make_user(email="a@example.fr")
    login(app.test_client(), "a@example.fr")
    with app.app_context():
        assert db.session.get(User, user_id).last_login_at is not None
