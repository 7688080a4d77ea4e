"""Security hardening (issue 8): no account takeover through the public sign-up, links in mails from
PUBLIC_URL only, no open redirect, throttles on every secret and mail, atomic counters, constant-time
logins, an absolute session lifetime, and personal pages never cached."""
import threading
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from core.urls import safe_next
from extensions import db
from models import AuthToken, User, UserSession
from models.base import utcnow
from tests import factories
from tests.auth.test_registration import VALID
from tests.helpers import errors_of, link_in, page, submit

STRANGER_PASSWORD = "Etranger-pris-1!"
OWNER_PASSWORD = "Proprietaire-2!"


def path_of(url):
    parts = urlparse(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def mails_to(outbox, address):
    return [m for m in outbox("email") if m["to"] == address]


def can_log_in(app, email, password):
    return app.test_client().post("/compte/connexion", data={"email": email, "password": password}).status_code == 302


@pytest.fixture
def structure_with_manager(app, login):
    with app.app_context():
        _, structure = factories.partner_setup(max_active_technicians=5)
        factories.technician(structure, email="gerant@example.fr", first_name="Paul", last_name="GERANT",
                             role="partner_manager")
        db.session.commit()
    client = app.test_client()
    assert login(client, "gerant@example.fr").status_code == 302
    return client


def invite(manager, email="invite@example.fr"):
    response = manager.post("/partenaires/techniciens/nouveau",
                            data={"civility": "Mme", "last_name": "Invitee", "first_name": "Ines", "email": email})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def sign_up_as_stranger(client, email):
    return submit(client, "/compte/inscription",
                  dict(VALID, email=email, first_name="Etranger", last_name="Pirate",
                       password=STRANGER_PASSWORD, password_confirm=STRANGER_PASSWORD))


# --- 1. The public sign-up never changes an existing account ---------------------------------------

def test_sign_up_cannot_take_over_an_invited_technician(app, structure_with_manager, outbox):
    invite(structure_with_manager)
    invitation = mails_to(outbox, "invite@example.fr")[-1]
    stranger = app.test_client()
    assert sign_up_as_stranger(stranger, "invite@example.fr").h1.get_text() == "Consultez votre boîte mail"
    with app.app_context():
        user = User.query.filter_by(email="invite@example.fr").one()
        assert (user.first_name, user.last_name, user.password_hash, user.active) == ("Ines", "INVITEE", None, False)
    # The owner clicks the newest mail: it warns, and holds no activation link.
    newest = mails_to(outbox, "invite@example.fr")[-1]
    assert newest["subject"] == "Votre compte existe déjà"
    assert "/compte/activation" not in newest["body"]
    # The manager's invitation still works, and it is where the owner chooses the password.
    owner = app.test_client()
    assert owner.get(path_of(link_in(invitation["body"]))).status_code == 302
    soup = page(owner, "/compte/activation")
    assert soup.select_one("#password_confirm")
    response = owner.post("/compte/activation", data={"password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD})
    assert response.status_code == 302
    assert not can_log_in(app, "invite@example.fr", STRANGER_PASSWORD)
    assert can_log_in(app, "invite@example.fr", OWNER_PASSWORD)


def test_deactivated_technician_cannot_reactivate_themself(app, structure_with_manager, outbox):
    with app.app_context():
        structure_id = User.query.filter_by(email="gerant@example.fr").one().structure_id
        technician = factories.user(email="parti@example.fr", role="partner_technician", structure_id=structure_id)
        db.session.commit()
        technician_id = technician.id
    response = structure_with_manager.post(f"/partenaires/techniciens/{technician_id}/desactivation")
    assert response.status_code == 303
    # The technician signs up again with the address, then tries every mail that arrives.
    sign_up_as_stranger(app.test_client(), "parti@example.fr")
    submit(app.test_client(), "/compte/mot-de-passe-oublie", {"email": "parti@example.fr"})
    received = mails_to(outbox, "parti@example.fr")
    assert [m["subject"] for m in received] == ["Votre compte existe déjà"]
    assert "/compte/activation" not in received[0]["body"] and "reinitialiser" not in received[0]["body"]
    with app.app_context():
        user = db.session.get(User, technician_id)
        assert not user.active and user.check_password(factories.PASSWORD)
    assert not can_log_in(app, "parti@example.fr", STRANGER_PASSWORD)
    assert not can_log_in(app, "parti@example.fr", factories.PASSWORD)


def test_old_activation_link_of_a_deactivated_account_does_not_reactivate(app, outbox):
    with app.app_context():
        user = factories.user(email="ancien@example.fr")
        _, raw = AuthToken.issue(user, "account_activation", 12)
        db.session.commit()
        user.active = False  # deactivated afterwards
        db.session.commit()
    client = app.test_client()
    client.get(f"/compte/activation/{raw}")
    assert page(client, "/compte/activation", status=410).h1.get_text() == "Ce lien n’est plus valide"


def test_citizen_whose_address_was_squatted_gets_the_account_back(app, outbox):
    """A stranger signed up first with the owner's address: the owner's click alone activates
    nothing, and « Mot de passe oublié » gives the owner the account with their own password."""
    sign_up_as_stranger(app.test_client(), "victime@example.fr")
    stranger_link = link_in(mails_to(outbox, "victime@example.fr")[-1]["body"])
    owner = app.test_client()
    owner.get(path_of(stranger_link))
    soup = submit(owner, "/compte/activation", {"password": OWNER_PASSWORD}, status=422)
    assert "Le mot de passe est incorrect." in errors_of(soup)
    # The owner signs up too: nothing is overwritten, a fresh activation link is mailed.
    submit(owner, "/compte/inscription", dict(VALID, email="victime@example.fr", password=OWNER_PASSWORD,
                                               password_confirm=OWNER_PASSWORD))
    with app.app_context():
        assert User.query.filter_by(email="victime@example.fr").one().first_name == "Etranger"
    assert mails_to(outbox, "victime@example.fr")[-1]["subject"] == "Votre compte existe déjà"
    submit(owner, "/compte/mot-de-passe-oublie", {"email": "victime@example.fr"})
    owner.get(path_of(link_in(mails_to(outbox, "victime@example.fr")[-1]["body"])))
    response = owner.post("/compte/mot-de-passe/reinitialiser",
                          data={"password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD})
    assert response.status_code == 302
    assert can_log_in(app, "victime@example.fr", OWNER_PASSWORD)
    assert not can_log_in(app, "victime@example.fr", STRANGER_PASSWORD)


# --- 2. Links in mails come from PUBLIC_URL -------------------------------------------------------

def test_forged_host_is_refused(client):
    response = client.get("/compte/mot-de-passe-oublie", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]  # headers are still set


def test_links_in_mails_ignore_the_host_and_forwarded_host(tmp_path, template_db, make_user):
    from tests.conftest import _sqlite_app, _teardown
    app = _sqlite_app(tmp_path, template_db, PUBLIC_URL="https://guichet.example.fr",
                      TRUSTED_HOSTS=["guichet.example.fr", "interne.example.fr"], PROXY_FIX=True)
    try:
        with app.app_context():
            factories.user(email="cible@example.fr")
            db.session.commit()
        client = app.test_client()
        client.post("/compte/mot-de-passe-oublie", data={"email": "cible@example.fr"},
                    headers={"Host": "interne.example.fr", "X-Forwarded-Host": "evil.example"})
        from models import OutboxMessage
        with app.app_context():
            body = OutboxMessage.query.filter_by(recipient="cible@example.fr").one().body
        assert link_in(body).startswith("https://guichet.example.fr/compte/mot-de-passe/reinitialiser/")
        assert "evil" not in body and "interne" not in body
    finally:
        _teardown(app)


def test_production_refuses_to_start_without_public_url(tmp_path):
    from app import create_app
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "PUBLIC_URL": "https://guichet.example.fr/chemin"})


def test_trusted_hosts_default_to_the_public_url_host(app):
    assert app.config["TRUSTED_HOSTS"] == ["guichet.test"]


# --- 3. Redirect targets ------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example",
    "\\\\evil.example", "https://evil.example/", "http:/evil.example", " /\t/evil.example", "/\r\n/evil",
    "javascript:alert(1)", "/\x00/evil", "evil.example", "", "/%2F%2Fevil.example", "/\u3000/evil",
])
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target) is None


def test_safe_next_keeps_same_site_paths():
    assert safe_next("/armees/?page=2") == "/armees/?page=2"
    assert safe_next("/partenaires/historique?tri=date#x") == "/partenaires/historique?tri=date#x"


@pytest.mark.parametrize("raw", ["/%09/evil.example", "/%0D%0ASet-Cookie:x=1", "%2F%2Fevil.example",
                                 "/%5Cevil.example"])
def test_login_never_redirects_off_site(app, make_user, raw):
    make_user(email="a@example.fr")
    response = app.test_client().post(f"/compte/connexion?next={raw}",
                                      data={"email": "a@example.fr", "password": factories.PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    assert "\r" not in location and "\n" not in location


# --- 4. Throttles on re-authentication and on mails --------------------------------------------

def test_current_password_guesses_are_throttled(app, citizen_client):
    data = {"current_password": "Faux-mot-1", "password": "Nouveau-mot-9!", "password_confirm": "Nouveau-mot-9!"}
    for _ in range(5):
        soup = submit(citizen_client, "/compte/mot-de-passe", data, status=422)
        assert "Le mot de passe actuel est incorrect." in errors_of(soup)
    soup = submit(citizen_client, "/compte/mot-de-passe", dict(data, current_password=factories.PASSWORD), status=429)
    assert errors_of(soup) == ["Trop de tentatives de connexion. Réessayez dans 1 minute."]
    with app.app_context():  # the password did not change
        assert User.query.filter_by(email="citoyen@example.fr").one().check_password(factories.PASSWORD)


@pytest.mark.parametrize("url,data", [
    ("/compte/mot-de-passe-oublie", {"email": "cible@example.fr"}),
    ("/compte/inscription", dict(VALID, email="cible@example.fr")),
])
def test_mails_to_one_address_are_limited(app, make_user, outbox, url, data):
    make_user(email="cible@example.fr")
    limit = app.config["MAIL_QUOTA_PER_ADDRESS_PER_HOUR"]
    for i in range(limit):  # from different addresses: the per-address limit is the one met
        submit(app.test_client(), url, data, environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
    soup = submit(app.test_client(), url, data, status=429, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert errors_of(soup)[0].startswith("Trop de courriels ont été demandés pour cette adresse")
    assert len(mails_to(outbox, "cible@example.fr")) == limit


def test_mails_from_one_ip_are_limited_whoever_they_go_to(app, outbox):
    limit = app.config["MAIL_QUOTA_PER_IP_PER_HOUR"]
    client = app.test_client()
    for i in range(limit):
        submit(client, "/compte/mot-de-passe-oublie", {"email": f"inconnu{i}@example.fr"})
    soup = submit(client, "/compte/mot-de-passe-oublie", {"email": "encore@example.fr"}, status=429)
    assert errors_of(soup)[0].startswith("Trop de courriels")


def test_msa_member_has_one_login_budget_whatever_the_identifier(app):
    from tests.msa.test_auth import NIR, make_member, msa_login
    make_member(app, email="adherente@example.fr")
    client = app.test_client()
    for i in range(3):
        assert msa_login(client, password="Faux-mot-1", environ_base={"REMOTE_ADDR": f"10.2.0.{i}"}).status_code == 422
    for i in range(2):
        response = client.post("/compte/connexion", data={"email": "adherente@example.fr", "password": "Faux-mot-1"},
                               environ_base={"REMOTE_ADDR": f"10.2.1.{i}"})
        assert response.status_code == 422
    # Five failures for the account, from five addresses: the sixth try waits, by NIR or by email.
    assert msa_login(client, environ_base={"REMOTE_ADDR": "10.2.2.1"}).status_code == 429
    response = client.post("/compte/connexion", data={"email": "adherente@example.fr", "password": factories.PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert response.status_code == 429
    assert NIR  # the number used above


def test_opening_invalid_links_is_throttled(client):
    for _ in range(5):
        assert client.get("/compte/mot-de-passe/reinitialiser/faux-jeton").status_code == 410
    response = client.get("/compte/mot-de-passe/reinitialiser/faux-jeton")
    assert response.status_code == 429


# --- 5. Atomic counters -------------------------------------------------------------------------

def _in_parallel(count, action):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        results[i] = action(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_wrong_logins_evaluate_at_most_the_free_tries(any_db_app):
    app = any_db_app
    with app.app_context():
        factories.user(email="cible@example.fr")
        db.session.commit()

    def attempt(i):
        return app.test_client().post("/compte/connexion", data={"email": "cible@example.fr", "password": "Faux-1"},
                                      environ_base={"REMOTE_ADDR": f"10.3.0.{i}"}).status_code
    statuses = _in_parallel(12, attempt)
    assert statuses.count(422) == app.config["THROTTLE_FREE_FAILURES"], statuses
    assert statuses.count(429) == 12 - app.config["THROTTLE_FREE_FAILURES"]


def test_parallel_code_tries_compare_at_most_five_codes(any_db_app):
    from models.msa import SIGNUP_CODE_TRIES, MsaSignup
    from tests.msa.test_auth import SIGNUP
    app = any_db_app
    clients = []
    first = app.test_client()
    first.post("/msa/inscription", data=SIGNUP)
    with first.session_transaction() as s:
        token = s["msa_signup"]
    for _ in range(16):
        c = app.test_client()
        with c.session_transaction() as s:
            s["msa_signup"] = token
        clients.append(c)

    def attempt(i):
        return clients[i].post("/msa/inscription/code", data={"code": "000000" if i % 2 else "999999",
                                                              "password": "Nouveau-mot-2026",
                                                              "password_confirm": "Nouveau-mot-2026"}).status_code
    _in_parallel(16, attempt)
    with app.app_context():
        assert MsaSignup.query.one().attempts == SIGNUP_CODE_TRIES


# --- 6. One password hash compared in every case ---------------------------------------------

def test_every_login_compares_one_password_hash(app, monkeypatch):
    import models.user
    calls = []
    real = models.user.check_password_hash
    monkeypatch.setattr(models.user, "check_password_hash", lambda h, p: calls.append(1) or real(h, p))
    with app.app_context():
        factories.user(email="actif@example.fr")
        factories.user(email="inactif@example.fr", active=False)
        factories.user(email="invite@example.fr", password=None, active=False)
        db.session.commit()
    for i, email in enumerate(["actif@example.fr", "inactif@example.fr", "invite@example.fr", "inconnu@example.fr"]):
        calls.clear()
        app.test_client().post("/compte/connexion", data={"email": email, "password": "Faux-mot-1"},
                               environ_base={"REMOTE_ADDR": f"10.4.0.{i}"})
        assert len(calls) == 1, email


# --- 7. Absolute session lifetime --------------------------------------------------------------

def test_session_ends_after_twelve_hours_even_when_active(app, citizen_client):
    assert citizen_client.get("/compte/").status_code == 200
    with app.app_context():
        row = UserSession.query.one()
        row.created_at = utcnow() - timedelta(hours=12, minutes=1)
        row.last_seen_at = utcnow()
        db.session.commit()
    response = citizen_client.get("/compte/")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    with app.app_context():
        assert UserSession.query.count() == 0


# --- 12. Personal pages are never stored ----------------------------------------------------------

def test_personal_pages_and_session_setting_answers_are_no_store(app, make_user, citizen_client):
    assert citizen_client.get("/compte/").headers["Cache-Control"] == "no-store"
    make_user(email="b@example.fr")
    response = app.test_client().post("/compte/connexion",
                                      data={"email": "b@example.fr", "password": factories.PASSWORD})
    assert "Set-Cookie" in response.headers and response.headers["Cache-Control"] == "no-store"
    seen = set()
    for url, headers in (("/", {}), ("/accessibilite", {}), ("/composants/communes?q=33000", {"HX-Request": "true"})):
        anonymous = app.test_client().get(url, headers=headers)
        cookie = "Set-Cookie" in anonymous.headers
        seen.add(cookie)
        assert anonymous.headers["Cache-Control"] == ("no-store" if cookie else "no-cache"), url
    assert seen == {True, False}  # both kinds were met
