"""Forgotten password, password change, email change (seed 000: links valid 12 hours, single use)."""
from datetime import timedelta
from urllib.parse import urlparse

from extensions import db
from models import AuditEvent, AuthToken, User, UserSession
from tests.factories import PASSWORD
from tests.helpers import errors_of, link_in, page, submit

NEW_PASSWORD = "Nouveau-mot-2"


def path_of(url):
    return urlparse(url).path


def request_reset(client, email):
    return submit(client, "/compte/mot-de-passe-oublie", {"email": email})


def test_reset_request_answers_the_same_for_unknown_accounts(client, make_user, outbox):
    make_user(email="a@example.fr")
    known = request_reset(client, "a@example.fr")
    unknown = request_reset(client, "b@example.fr")
    assert known.h1.get_text() == unknown.h1.get_text() == "Consultez votre boîte mail"
    assert known.select("main p")[1].get_text() == unknown.select("main p")[1].get_text()
    mails = outbox("email")
    assert [m["to"] for m in mails] == ["a@example.fr"]
    assert "valide pendant 12 heures" in mails[0]["body"]


def test_reset_flow_changes_password_and_link_is_single_use(app, client, make_user, outbox, login):
    make_user(email="a@example.fr")
    other_device = app.test_client()
    login(other_device, "a@example.fr")
    request_reset(client, "a@example.fr")
    link = path_of(link_in(outbox("email")[-1]["body"]))
    response = client.get(link)
    assert response.headers["Location"] == "/compte/mot-de-passe/reinitialiser"  # token leaves the URL
    page(client, "/compte/mot-de-passe/reinitialiser")
    soup = submit(client, "/compte/mot-de-passe/reinitialiser",
                  {"password": "faible", "password_confirm": "faible"}, status=422)
    assert errors_of(soup)
    response = client.post("/compte/mot-de-passe/reinitialiser",
                           data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/compte/connexion"
    assert login(client, "a@example.fr", PASSWORD).status_code == 422
    assert login(client, "a@example.fr", NEW_PASSWORD).status_code == 302
    # Sessions opened before the reset are over.
    assert other_device.get("/compte/").status_code == 302
    # The link works once only.
    fresh = app.test_client()
    fresh.get(link)
    assert page(fresh, "/compte/mot-de-passe/reinitialiser", status=410).h1.get_text() == "Ce lien n’est plus valide"
    assert outbox("email")[-1]["subject"] == "Votre mot de passe a été modifié"


def test_reset_link_expires_after_12_hours(app, client, make_user, outbox):
    make_user(email="a@example.fr")
    request_reset(client, "a@example.fr")
    with app.app_context():
        token = AuthToken.query.one()
        assert token.expires_at - token.created_at == timedelta(hours=12)
        token.expires_at = token.created_at + timedelta(seconds=1)
        token.created_at = token.created_at - timedelta(hours=12)
        token.expires_at = token.created_at + timedelta(hours=12)
        db.session.commit()
    client.get(path_of(link_in(outbox("email")[-1]["body"])))
    assert page(client, "/compte/mot-de-passe/reinitialiser", status=410)


def test_password_change_invalidates_earlier_tokens(app, client, make_user, outbox):
    user_id = make_user(email="a@example.fr")
    request_reset(client, "a@example.fr")
    link = path_of(link_in(outbox("email")[-1]["body"]))
    with app.app_context():
        user = db.session.get(User, user_id)
        user.set_password(NEW_PASSWORD)
        user.password_changed_at += timedelta(seconds=1)
        db.session.commit()
    client.get(link)
    assert page(client, "/compte/mot-de-passe/reinitialiser", status=410)


def test_forged_or_missing_token(client):
    client.get("/compte/mot-de-passe/reinitialiser/nimportequoi")
    assert page(client, "/compte/mot-de-passe/reinitialiser", status=410)
    assert page(client.application.test_client(), "/compte/mot-de-passe/reinitialiser", status=410)


def test_change_password_ends_other_sessions_but_keeps_this_one(app, make_user, login, outbox):
    make_user(email="a@example.fr")
    me, other = app.test_client(), app.test_client()
    login(me, "a@example.fr")
    login(other, "a@example.fr")
    soup = submit(me, "/compte/mot-de-passe", {"current_password": "Mauvais-1", "password": NEW_PASSWORD,
                                                "password_confirm": NEW_PASSWORD}, status=422)
    assert errors_of(soup) == ["Le mot de passe actuel est incorrect."]
    response = me.post("/compte/mot-de-passe", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                     "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert me.get("/compte/").status_code == 200
    assert other.get("/compte/").status_code == 302
    with app.app_context():
        assert UserSession.query.count() == 1
        assert AuditEvent.query.filter_by(action="password_changed").count() == 1
    assert outbox("email")[-1]["subject"] == "Votre mot de passe a été modifié"


def test_change_email_by_link_sent_to_the_new_address(app, make_user, login, outbox):
    user_id = make_user(email="a@example.fr")
    me = app.test_client()
    login(me, "a@example.fr")
    soup = submit(me, "/compte/adresse-mail", {"email": "b@example.fr", "email_confirm": "c@example.fr"}, status=422)
    assert errors_of(soup) == ["Les deux adresses mail ne sont pas identiques."]
    response = me.post("/compte/adresse-mail", data={"email": "B@example.fr", "email_confirm": "B@example.fr"})
    assert response.status_code == 302
    soup = page(me, "/compte/")
    assert "Le lien est valable uniquement 12 heures." in soup.select_one("#messages").get_text()
    mail = outbox("email")[-1]
    assert mail["to"] == "b@example.fr"
    with app.app_context():
        assert db.session.get(User, user_id).email == "a@example.fr"  # not before confirmation
    me.get(path_of(link_in(mail["body"])))
    soup = page(me, "/compte/adresse-mail/confirmer")
    assert soup.select_one("main button").get_text(strip=True) == "Mettre à jour mon compte"
    response = me.post("/compte/adresse-mail/confirmer")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).email == "b@example.fr"
    assert outbox("email")[-1]["to"] == "a@example.fr"  # the old address is told
    assert login(app.test_client(), "b@example.fr").status_code == 302


def test_change_email_to_a_taken_address_is_refused_at_confirmation(app, make_user, login, outbox):
    make_user(email="a@example.fr")
    make_user(email="taken@example.fr")
    me = app.test_client()
    login(me, "a@example.fr")
    me.post("/compte/adresse-mail", data={"email": "taken@example.fr", "email_confirm": "taken@example.fr"})
    me.get(path_of(link_in(outbox("email")[-1]["body"])))
    soup = page(me, "/compte/adresse-mail/confirmer")
    assert "déjà liée à un autre compte" in soup.select_one(".notice--error").get_text()
    assert me.post("/compte/adresse-mail/confirmer").status_code == 200  # refused, nothing changed
    with app.app_context():
        assert User.query.filter_by(email="taken@example.fr").count() == 1


def test_account_page_shows_identity(citizen_client):
    soup = page(citizen_client, "/compte/")
    assert soup.h1.get_text() == "Mon compte"
    values = [dd.get_text(strip=True) for dd in soup.select(".summary-list dd")]
    assert "citoyen@example.fr" in values
    assert soup.select_one("a[href='/compte/adresse-mail']").get_text() == "Modifier l’adresse mail"


def test_activation_of_an_account_created_by_someone_else_sets_the_password(app, client, outbox):
    """Technicians and agents are created by a manager and choose their password from the email."""
    from core.outbox import queue_email
    from models import TokenPurpose
    with app.app_context():
        user = User(email="tech@example.fr", role="partner_technician", active=False)
        db.session.add(user)
        db.session.flush()
        _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, 12)
        queue_email(user.email, "Activez votre compte", f"http://guichet.test/compte/activation/{raw}")
        db.session.commit()
    client.get(path_of(link_in(outbox("email")[-1]["body"])))
    soup = page(client, "/compte/activation")
    assert soup.select_one("#password")
    response = client.post("/compte/activation", data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        user = User.query.filter_by(email="tech@example.fr").one()
        assert user.active and user.check_password(NEW_PASSWORD)
