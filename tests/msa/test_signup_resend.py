"""« Renvoyer le code » at the MSA sign-up code step, and the limits on sign-up emails: at most 3 new
codes per sign-up, at most N sign-up emails per IP address and hour (sign-ups and resends alike),
counted on the login throttle's store (database here; Redis when REDIS_URL is set)."""
import os
import re
import time
from datetime import date, timedelta

import pytest

from blueprints.msa.quotas import IP_LIMIT_SETTING
from extensions import db
from models import AuditEvent, User
from models.base import utcnow
from models.msa import MsaMember, MsaSignup, SignupCodeError
from tests.conftest import require
from tests.helpers import errors_of, page, submit
from tests.msa.test_auth import NEW_PASSWORD, NIR, SIGNUP, code_in, make_member, start_signup

CODE_URL = "/msa/inscription/code"
RESEND = {"renvoyer": "1"}
CODE_RESENT = "Un nouveau code vous a été envoyé à l’adresse indiquée. Le code précédent ne fonctionne plus."
NO_MORE_RESENDS = ("Vous avez déjà demandé 3 nouveaux codes pour cette inscription : vous ne pouvez plus en "
                   "demander. Saisissez le dernier code reçu, ou recommencez l’inscription.")
CODE_SUBJECT = "Votre code d’inscription à Mon espace privé"


def ip_limit_message(minutes):
    when = "1 heure" if minutes == 60 else f"{minutes} minute{'s' if minutes > 1 else ''}"
    return (f"Trop de codes d’inscription ont été demandés pour cette adresse ou depuis votre connexion "
            f"internet. Réessayez dans {when}.")


def codes_sent(outbox, to=SIGNUP["email"]):
    return [code_in(m["body"]) for m in outbox("email") if m["to"] == to and m["subject"] == CODE_SUBJECT]


def notices(soup):
    return [p.get_text(strip=True) for p in soup.select("#messages .notice--success")]


def remaining(soup):
    return soup.select_one("#renvoi-reste").get_text(strip=True)


def resend(client, status=303, **kwargs):
    return submit(client, CODE_URL, RESEND, status=status, **kwargs)


def finish(client, code):
    return client.post(CODE_URL, data={"code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})


def other_code(code):
    return "000000" if code != "000000" else "111111"


class Clock:
    """Stands in for the throttle's clock (time.time) so that tests can move an hour on."""

    def __init__(self):
        # A whole second: the database store keeps microseconds, and a float's rounding to them
        # would shift the minutes announced by one.
        self.now = float(int(time.time()))

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    throttle = app.extensions["guichet_throttle"]
    real, throttle.clock = throttle.clock, Clock()
    yield throttle.clock
    throttle.clock = real


# --- The code page offers it -----------------------------------------------------------------

def test_code_page_offers_to_resend_the_code(client):
    start_signup(client)
    soup = page(client, CODE_URL)
    form = soup.select_one("form#renvoi")
    assert form["method"] == "post" and form["action"] == CODE_URL
    button = form.select_one("button[type=submit][name=renvoyer]")
    assert button.get_text(strip=True) == "Renvoyer le code"
    assert remaining(soup) == "Vous pouvez demander un nouveau code jusqu’à 3 fois."
    assert "renvoi-reste" in button["aria-describedby"].split()
    assert soup.select_one("#renvoi-titre").get_text(strip=True) == "Vous n’avez pas reçu le code ?"


# --- Resend ------------------------------------------------------------------------------------

def test_resend_emails_a_fresh_code_and_the_old_one_stops_working(app, client, outbox):
    start_signup(client)
    [first] = codes_sent(outbox)
    response = resend(client)
    assert response.headers["Location"].endswith(CODE_URL)
    soup = page(client, CODE_URL)
    assert notices(soup) == [CODE_RESENT]
    assert remaining(soup) == "Vous pouvez encore demander un nouveau code 2 fois."
    sent = codes_sent(outbox)
    assert len(sent) == 2 and sent[0] == first
    second = sent[1]
    assert second != first  # 1 chance in a million to be drawn twice
    assert "30 minutes" in outbox("email")[-1]["body"]

    soup = submit(client, CODE_URL, {"code": first, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                  status=422)
    assert soup.select_one("#code-erreur").get_text(" ", strip=True).endswith(
        "Le code saisi est incorrect. Il vous reste 4 essais.")
    response = finish(client, second)
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/")
    with app.app_context():
        assert MsaMember.query.filter_by(nir="162032A004056").one().user.email == SIGNUP["email"]
        assert AuditEvent.query.filter_by(action="msa_signup_code_resent").count() == 1


def test_the_new_code_has_its_own_tries_and_30_minutes(app, client, outbox):
    start_signup(client)
    [first] = codes_sent(outbox)
    for left in (4, 3):
        soup = submit(client, CODE_URL, {"code": other_code(first), "password": NEW_PASSWORD,
                                         "password_confirm": NEW_PASSWORD}, status=422)
        assert f"Il vous reste {left} essais." in soup.select_one("#code-erreur").get_text()
    with app.app_context():
        MsaSignup.query.one().expires_at = utcnow() - timedelta(seconds=1)  # an expired code may be replaced
        db.session.commit()
    before = utcnow()
    resend(client)
    with app.app_context():
        signup = MsaSignup.query.one()
        assert signup.attempts == 0
        assert before + timedelta(minutes=29) < signup.expires_at <= utcnow() + timedelta(minutes=30)
    second = codes_sent(outbox)[-1]
    assert finish(client, second).status_code == 302


def test_at_most_three_resends_then_a_clear_message_and_nothing_sent(app, client, outbox):
    start_signup(client)
    for left in (2, 1):
        resend(client)
        assert remaining(page(client, CODE_URL)) == f"Vous pouvez encore demander un nouveau code {left} fois."
    resend(client)
    soup = page(client, CODE_URL)
    assert soup.select_one("form#renvoi") is None  # no button left to offer
    assert "Vous avez demandé 3 nouveaux codes : vous ne pouvez plus en demander pour cette inscription." in \
        soup.select_one("main").get_text()
    assert len(codes_sent(outbox)) == 4
    with app.app_context():
        code_hash = MsaSignup.query.one().code_hash

    # A fourth one (from a page opened earlier) is refused, the page says why, nothing changes.
    soup = resend(client, status=429)
    assert soup.h1.get_text(strip=True) == "Saisissez le code reçu par e-mail"
    assert soup.title.get_text().startswith("Erreur : ")
    assert errors_of(soup) == [NO_MORE_RESENDS]
    assert soup.select_one("#renvoi-erreur").get_text(" ", strip=True).endswith(NO_MORE_RESENDS)
    assert len(codes_sent(outbox)) == 4
    with app.app_context():
        assert MsaSignup.query.one().code_hash == code_hash
    # The last code received still works.
    assert finish(client, codes_sent(outbox)[-1]).status_code == 302


@pytest.mark.parametrize("taken", ["nir", "email"])
def test_resend_for_a_registered_nir_or_email_leaks_nothing(app, client, outbox, taken):
    if taken == "nir":
        make_member(app, nir="162032A004056", email="titulaire@example.fr")
    else:
        make_member(app, email=SIGNUP["email"])
    start_signup(client)
    page(client, CODE_URL)
    resend(client)
    soup = page(client, CODE_URL)
    # Exactly what a new member sees.
    assert notices(soup) == [CODE_RESENT]
    assert remaining(soup) == "Vous pouvez encore demander un nouveau code 2 fois."
    mails = outbox("email")
    to_typed = [m for m in mails if m["to"] == SIGNUP["email"]]
    assert len(to_typed) == 2 and to_typed[0]["subject"] == to_typed[1]["subject"] != CODE_SUBJECT
    assert not any(re.search(r"\b\d{6}\b", m["body"]) for m in to_typed)  # no code: no account can be made
    # The number's owner was warned once, at the sign-up, not at every resend.
    assert [m["to"] for m in mails if m["to"] != SIGNUP["email"]] == (
        ["titulaire@example.fr"] if taken == "nir" else [])


def test_resend_after_the_code_was_used_ends_the_signup(app, client, outbox):
    start_signup(client)
    with client.session_transaction() as s:
        token = s["msa_signup"]
    assert finish(client, codes_sent(outbox)[0]).status_code == 302
    other = app.test_client()
    with other.session_transaction() as s:
        s["msa_signup"] = token
    soup = resend(other, status=410)
    assert soup.h1.get_text(strip=True) == "Ce code a déjà été utilisé"
    assert len(codes_sent(outbox)) == 1


def test_resend_without_a_signup_in_progress(client, outbox):
    soup = resend(client, status=410)
    assert soup.h1.get_text(strip=True) == "Aucune inscription en cours"
    assert outbox("email") == []


def test_resend_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    token = page(client, "/msa/inscription").select_one("input[name=csrf_token]")["value"]
    response = client.post("/msa/inscription", data=dict(SIGNUP, csrf_token=token))
    assert response.status_code == 302
    assert client.post(CODE_URL, data=RESEND).status_code == 400
    soup = page(client, CODE_URL)
    token = soup.select_one("form#renvoi input[name=csrf_token]")["value"]
    response = client.post(CODE_URL, data=dict(RESEND, csrf_token=token))
    assert response.status_code == 303
    from models import OutboxMessage
    with csrf_app.app_context():
        assert OutboxMessage.query.filter_by(subject=CODE_SUBJECT).count() == 2


def test_model_renew_rules(app):
    with app.app_context():
        now = utcnow()
        signup, first = MsaSignup.start(now=now, nir=NIR, email="a@example.fr", last_name="A", first_name="B",
                                        birth_date=date(1985, 7, 14))
        db.session.flush()
        later = now + timedelta(minutes=45)  # the first code has expired
        second = signup.renew(now=later)
        assert signup.expires_at == later + timedelta(minutes=30) and signup.attempts == 0
        if second != first:
            with pytest.raises(SignupCodeError) as error:
                signup.check(first, now=later)
            assert error.value.reason == "wrong"
        assert (signup.resends, signup.resends_left) == (1, 2)
        signup.renew(now=later)
        signup.renew(now=later)
        assert signup.resends_left == 0
        with pytest.raises(SignupCodeError) as error:
            signup.renew(now=later)
        assert error.value.reason == "resends"
        signup.resends = 1
        for _ in range(5):
            with pytest.raises(SignupCodeError):
                signup.check(other_code(second), now=later)
        with pytest.raises(SignupCodeError) as error:  # 5 wrong tries end the sign-up: no new code
            signup.renew(now=later)
        assert error.value.reason == "tries"
        other, code = MsaSignup.start(now=now, nir=NIR, email="a@example.fr", last_name="A", first_name="B",
                                      birth_date=date(1985, 7, 14))
        db.session.flush()
        other.check(code, now=now)
        with pytest.raises(SignupCodeError) as error:
            other.renew(now=now)
        assert error.value.reason == "used"


# --- Per-IP limit --------------------------------------------------------------------------------

def signup_from(client, address, status=302, **changes):
    return submit(client, "/msa/inscription", dict(SIGNUP, **changes), status=status,
                  environ_base={"REMOTE_ADDR": address})


def test_ip_limit_on_signups_sends_nothing_and_says_so_next_to_the_form(app, outbox, clock):
    app.config[IP_LIMIT_SETTING] = 3
    for i in range(3):
        signup_from(app.test_client(), "10.0.0.1", email=f"personne{i}@example.fr")
        clock.now += 60
    assert len(outbox("email")) == 3
    soup = signup_from(app.test_client(), "10.0.0.1", status=429, email="quatrieme@example.fr")
    # The oldest of the three is 3 minutes old: allowed again in 57 minutes.
    assert errors_of(soup) == [ip_limit_message(57)]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.h1.get_text(strip=True) == "S’inscrire à Mon espace privé"
    assert soup.select_one("#email")["value"] == "quatrieme@example.fr"  # what was typed is kept
    assert soup.select_one("#last_name")["value"] == SIGNUP["last_name"]
    assert len(outbox("email")) == 3  # nothing queued
    with app.app_context():
        assert MsaSignup.query.count() == 3 and MsaSignup.query.filter_by(email="quatrieme@example.fr").count() == 0
    # Another address is not concerned.
    signup_from(app.test_client(), "10.0.0.2", email="voisin@example.fr")
    # An hour after the oldest, one more is allowed.
    clock.now += 57 * 60
    signup_from(app.test_client(), "10.0.0.1", email="quatrieme@example.fr")
    assert outbox("email")[-1]["to"] == "quatrieme@example.fr"


def test_ip_limit_counts_resends_too(app, client, outbox, clock):
    app.config[IP_LIMIT_SETTING] = 2
    signup_from(client, "10.0.0.7")
    resend(client, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    clock.now += 30
    soup = resend(client, status=429, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert errors_of(soup) == [ip_limit_message(60)]
    assert soup.select_one("#renvoi-erreur").get_text(" ", strip=True).endswith(ip_limit_message(60))
    assert soup.select_one("form#renvoi")  # the sign-up may still resend later
    assert len(codes_sent(outbox)) == 2
    # The code sent last still works.
    response = client.post(CODE_URL, data={"code": codes_sent(outbox)[-1], "password": NEW_PASSWORD,
                                           "password_confirm": NEW_PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 302
    # A sign-up from that address waits as well.
    soup = signup_from(app.test_client(), "10.0.0.7", status=429, email="autre@example.fr")
    assert errors_of(soup) == [ip_limit_message(60)]


@pytest.mark.parametrize("taken", ["nir", "email"])
def test_ip_limit_answer_is_the_same_for_registered_nir_or_email(app, outbox, taken):
    """A registered NIR or address sends other emails (sometimes two): the limit still comes at the
    same count with the same answer, so it tells nothing about who is registered."""
    app.config[IP_LIMIT_SETTING] = 2
    if taken == "nir":
        make_member(app, nir="162032A004056", email="titulaire@example.fr")
    else:
        make_member(app, email=SIGNUP["email"])
    answers = {}
    for address, changes in (("10.0.1.1", {}), ("10.0.1.2", {"nir": "1 85 07 75 123 456", "birth_date": "14/07/1985",
                                                             "email": "nouveau@example.fr"})):
        for _ in range(2):
            signup_from(app.test_client(), address, **changes)
        soup = signup_from(app.test_client(), address, status=429, **changes)
        answers[address] = (errors_of(soup), soup.h1.get_text(strip=True))
    assert answers["10.0.1.1"] == answers["10.0.1.2"]
    assert answers["10.0.1.1"][0][0].startswith("Trop de codes d’inscription ont été demandés")
    with app.app_context():
        assert User.query.count() == 1


@pytest.mark.redis
def test_ip_limit_is_shared_between_app_instances_with_redis(tmp_path, template_db):
    url = os.environ.get("REDIS_URL")
    require(url, "REDIS_URL n’est pas défini : test Redis ignoré (CI l’exécute).")
    from tests.conftest import _sqlite_app
    address = f"10.{os.getpid() % 250}.{int(time.time()) % 250}.9"
    apps = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        apps.append(_sqlite_app(tmp_path / name, template_db, REDIS_URL=url, **{IP_LIMIT_SETTING: 1}))
    # A prefix of this run's own: the per-address quotas of earlier runs (same Redis) do not count.
    prefix = f"guichet-test:{os.getpid()}:{time.time_ns()}:"
    for app in apps:
        app.extensions["guichet_throttle"].store.prefix = prefix
    store = apps[0].extensions["guichet_throttle"].store
    try:
        signup_from(apps[0].test_client(), address)
        soup = signup_from(apps[1].test_client(), address, status=429, email="autre@example.fr")
        assert errors_of(soup)[0].startswith("Trop de codes d’inscription ont été demandés")
    finally:
        for k in store.redis.scan_iter(prefix + "*"):
            store.redis.delete(k)
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
