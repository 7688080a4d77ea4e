"""MSA login by NIR (throttled like the email login) and sign-up with an emailed 6-digit code."""
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from extensions import db
from models import Organisation, User
from models.base import utcnow
from models.msa import MsaMember, MsaSignup, SignupCodeError
from tests import factories
from tests.helpers import errors_of, link_in, page, submit

NIR = "2850733063123"
PASSWORD = factories.PASSWORD
NEW_PASSWORD = "Nouveau-mot-2026"


def make_member(app, nir=NIR, email="adherente@example.fr", password=PASSWORD):
    with app.app_context():
        fund = Organisation.query.filter_by(portal="msa").first() or factories.organisation(
            portal="msa", code="MSA33", name="MSA Gironde")
        user = factories.user(email=email, password=password, first_name="Élise", last_name="FONTAINE")
        db.session.add(MsaMember(user=user, nir=nir, birth_date=date(1985, 7, 14), organisation=fund))
        db.session.commit()
        return user.id


def msa_login(client, nir=NIR, password=PASSWORD, **kwargs):
    return client.post("/msa/connexion", data={"nir": nir, "password": password}, **kwargs)


# --- Login ------------------------------------------------------------------------------------

def test_login_page(client):
    soup = page(client, "/msa/connexion")
    assert soup.h1.get_text(strip=True) == "Se connecter à Mon espace privé"
    assert soup.select_one("label[for=nir]").get_text(" ", strip=True).startswith(
        "Identifiant (numéro de sécurité sociale sans la clé)")
    assert soup.select_one("label[for=password]").get_text(" ", strip=True).startswith("Mot de passe")
    assert soup.select_one("a[href='/msa/mot-de-passe-oublie']").get_text(strip=True) == "Mot de passe oublié"
    assert soup.find(string="Pas encore inscrit ?")
    assert soup.select_one("main a[href='/msa/inscription']").get_text(strip=True) == "S’inscrire"
    assert soup.select_one(".portal-person").get_text(strip=True) == "Déconnecté"
    # The login box itself says so too (seed 004: « vérifier si je suis bien connecté »).
    assert soup.select_one(".msa-login-box .msa-login-state").get_text(" ", strip=True) == \
        "État de la connexion : Déconnecté"


def test_login_with_nir_typed_with_spaces_connects_and_shows_connected(app, client):
    make_member(app)
    response = msa_login(client, nir="2 85 07 33 063 123")
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/")
    soup = page(client, "/msa/")
    assert soup.select_one(".portal-person .state").get_text(strip=True) == "Connecté"
    assert "FONTAINE" in soup.select_one(".portal-person").get_text()


def test_login_regenerates_the_session(app, client):
    make_member(app)
    with client.session_transaction() as s:
        s["planted"] = "x"
    msa_login(client)
    with client.session_transaction() as s:
        assert "planted" not in s


def test_unknown_nir_and_wrong_password_get_the_same_answer(app, client):
    make_member(app)
    wrong_password = submit(client, "/msa/connexion", {"nir": NIR, "password": "Mauvais-1"}, status=422)
    unknown = submit(client, "/msa/connexion", {"nir": "1850775123456", "password": PASSWORD}, status=422)
    assert errors_of(wrong_password) == errors_of(unknown) == ["Identifiant ou mot de passe incorrect."]
    assert wrong_password.title.get_text().startswith("Erreur : ")
    assert unknown.select_one("#nir")["value"] == "1850775123456"  # what was typed is kept


def test_malformed_nir_is_explained_next_to_the_field(client):
    soup = submit(client, "/msa/connexion", {"nir": "185077512345", "password": "x"}, status=422)
    assert soup.select_one("#nir-erreur").get_text(" ", strip=True).endswith(
        "Le numéro de sécurité sociale sans la clé doit comporter 13 caractères.")
    assert soup.select_one(".error-summary a[href='#nir']")
    assert soup.select_one("#nir")["aria-describedby"] == "nir-aide nir-erreur"


def test_login_is_throttled_per_nir_even_from_another_address(app, client):
    make_member(app)
    for i in range(5):
        msa_login(client, password="Mauvais-1", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
    # The right password from a new address: the account key still makes it wait.
    soup = submit(client, "/msa/connexion", {"nir": NIR, "password": PASSWORD}, status=429,
                  environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert errors_of(soup) == ["Trop de tentatives de connexion. Réessayez dans 1 minute."]
    # Another member is not blocked by it (keys are per NIR).
    make_member(app, nir="162032A004056", email="autre@example.fr")
    assert msa_login(client, nir="162032A004056", environ_base={"REMOTE_ADDR": "10.0.2.1"}).status_code == 302


def test_password_reset_unlocks_the_nir_login_and_leads_back_to_it(app, client, outbox):
    make_member(app)
    for i in range(5):  # from several addresses: the NIR's own counter locks the login
        msa_login(client, password="Mauvais-1", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
    assert msa_login(client).status_code == 429
    client.post("/compte/mot-de-passe-oublie", data={"email": "adherente@example.fr"})
    link = link_in(outbox("email")[-1]["body"])
    client.get(urlsplit(link).path)
    new_password = "Nouveau-mot-2-passe!"
    response = client.post("/compte/mot-de-passe/reinitialiser",
                           data={"password": new_password, "password_confirm": new_password})
    assert response.status_code == 302 and response.headers["Location"] == "/msa/connexion"
    assert msa_login(client, password=new_password).status_code == 302


def test_unknown_nirs_are_throttled_too(client):
    for _ in range(5):
        msa_login(client, nir="1850775123456", password="Mauvais-1")
    soup = submit(client, "/msa/connexion", {"nir": "1850775123456", "password": "Mauvais-1"}, status=429)
    assert errors_of(soup)[0].startswith("Trop de tentatives de connexion.")


def test_login_works_with_csrf_on(csrf_app):
    make_member(csrf_app)
    client = csrf_app.test_client()
    assert msa_login(client).status_code == 400
    token = page(client, "/msa/connexion").select_one("input[name=csrf_token]")["value"]
    response = client.post("/msa/connexion", data={"nir": NIR, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


# --- Sign-up ----------------------------------------------------------------------------------

SIGNUP = {"nir": "1 62 03 2A 004 056", "last_name": "LACOSTE", "first_name": "Jean-Pierre",
          "birth_date": "21/03/1962", "email": "jp.lacoste@example.fr"}


def code_in(body):
    return re.search(r"\b(\d{6})\b", body).group(1)


def code_sent_notices(soup):
    """Every text of the page saying a code was sent: the code page says it once (no flash too)."""
    return [el.get_text(" ", strip=True) for el in soup.select("main p")
            if "Un code vient de vous être envoyé" in el.get_text()]


def start_signup(client, **changes):
    response = client.post("/msa/inscription", data=dict(SIGNUP, **changes))
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/inscription/code")
    return response


def test_signup_page(client):
    soup = page(client, "/msa/inscription")
    for name in ("nir", "last_name", "first_name", "birth_date", "email"):
        assert soup.select_one(f"#{name}"), name
    assert soup.select_one("label[for=birth_date]").get_text(" ", strip=True).startswith("Date de naissance")


def test_signup_names_the_nir_as_the_login_does(client):
    """Seed 004: « mon identifiant (mon numéro de sécurité sociale sans la clé) », in both places."""
    labels = [page(client, url).select_one("label[for=nir]").get_text(" ", strip=True)
              for url in ("/msa/connexion", "/msa/inscription")]
    assert labels == ["Identifiant (numéro de sécurité sociale sans la clé) (obligatoire)"] * 2


def test_signup_emails_a_code_at_once_then_creates_and_connects_the_account(app, client, outbox):
    with app.app_context():
        factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        db.session.commit()
    response = start_signup(client)
    assert "token" not in response.headers["Location"] and "162032A004056" not in response.headers["Location"]
    mails = outbox("email")
    assert len(mails) == 1 and mails[0]["to"] == "jp.lacoste@example.fr"
    assert "30 minutes" in mails[0]["body"]
    code = code_in(mails[0]["body"])

    soup = page(client, "/msa/inscription/code")
    assert soup.h1.get_text(strip=True) == "Saisissez le code reçu par e-mail"
    assert code_sent_notices(soup) == ["Un code vient de vous être envoyé à jp.lacoste@example.fr. "
                                       "Il est valable 30 minutes et vous pouvez faire 5 essais."]
    assert soup.select_one("#code")["autocomplete"] == "one-time-code"

    response = client.post("/msa/inscription/code", data={"code": code, "password": NEW_PASSWORD,
                                                         "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/msa/")
    home = page(client, "/msa/")
    assert home.select_one(".notice--success").get_text(strip=True) == "Votre compte est créé."
    assert home.select_one(".portal-person .state").get_text(strip=True) == "Connecté"
    with app.app_context():
        member = MsaMember.query.filter_by(nir="162032A004056").one()
        assert member.user.email == "jp.lacoste@example.fr" and member.user.role == "citizen"
        assert member.user.active and member.user.check_password(NEW_PASSWORD)
        assert member.birth_date == date(1962, 3, 21) and member.organisation.code == "MSA33"
    # The new member logs in with their NIR afterwards.
    client.post("/compte/deconnexion")
    assert msa_login(client, nir="162032A004056", password=NEW_PASSWORD).status_code == 302


def test_wrong_code_counts_tries_then_refuses(app, client, outbox):
    start_signup(client)
    code = code_in(outbox("email")[0]["body"])
    wrong = "000000" if code != "000000" else "111111"
    data = {"code": wrong, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    for left in (4, 3, 2, 1):
        soup = submit(client, "/msa/inscription/code", data, status=422)
        assert soup.select_one("#code-erreur").get_text(" ", strip=True).endswith(
            f"Le code saisi est incorrect. Il vous reste {left} essai{'s' if left > 1 else ''}.")
        assert soup.select_one("#password") is not None
    soup = submit(client, "/msa/inscription/code", data, status=410)
    assert soup.h1.get_text(strip=True) == "Trop d’essais avec un code erroné"
    assert soup.select_one("main a[href='/msa/inscription']").get_text(strip=True) == "Recommencer l’inscription"
    # Even the right code no longer works: the sign-up is over.
    soup = submit(client, "/msa/inscription/code", dict(data, code=code), status=410)
    with app.app_context():
        assert MsaMember.query.count() == 0


def test_expired_code_offers_a_new_code_then_to_start_again(app, client, outbox):
    start_signup(client)
    code = code_in(outbox("email")[0]["body"])

    def expire():
        with app.app_context():
            MsaSignup.query.one().expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()

    expire()
    typed = {"code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    # While « Renvoyer le code » is possible, the code page says so next to the field.
    soup = submit(client, "/msa/inscription/code", typed, status=422)
    expired = ("Ce code a expiré : il est valable 30 minutes. "
               "Demandez un nouveau code avec le bouton « Renvoyer le code ».")
    assert errors_of(soup) == [expired]
    assert expired in soup.select_one("#code-erreur").get_text()
    assert soup.select_one("button[name=renvoyer]")
    # Once no new code may be asked for, the sign-up is over: start again.
    with app.app_context():
        MsaSignup.query.one().resends = 3
        db.session.commit()
    soup = submit(client, "/msa/inscription/code", typed, status=410)
    assert soup.h1.get_text(strip=True) == "Ce code a expiré"
    assert "30 minutes" in soup.select_one("main").get_text()
    assert soup.select_one("main a[href='/msa/inscription']")
    with app.app_context():
        assert User.query.filter_by(email="jp.lacoste@example.fr").first() is None


def test_model_clock_expiry_tries_and_reuse(app):
    """The same rules, with the clock passed to the model."""
    with app.app_context():
        now = utcnow()
        signup, code = MsaSignup.start(now=now, nir=NIR, email="a@example.fr", last_name="A", first_name="B",
                                       birth_date=date(1985, 7, 14))
        db.session.flush()
        with pytest.raises(SignupCodeError) as error:
            signup.check(code, now=now + timedelta(minutes=30))
        assert error.value.reason == "expired"
        signup.check(code, now=now + timedelta(minutes=29, seconds=59))
        with pytest.raises(SignupCodeError) as error:
            signup.check(code, now=now + timedelta(minutes=1))
        assert error.value.reason == "used"
        other, other_code = MsaSignup.start(now=now, nir=NIR, email="a@example.fr", last_name="A",
                                            first_name="B", birth_date=date(1985, 7, 14))
        db.session.flush()
        wrong = "000000" if other_code != "000000" else "111111"
        reasons = []
        for _ in range(5):
            with pytest.raises(SignupCodeError) as error:
                other.check(wrong, now=now)
            reasons.append(error.value.reason)
        assert reasons == ["wrong"] * 4 + ["tries"] and other.tries_left == 0
        with pytest.raises(SignupCodeError) as error:
            other.check(other_code, now=now)
        assert error.value.reason == "tries"


def test_bad_password_does_not_use_a_try(app, client, outbox):
    start_signup(client)
    soup = submit(client, "/msa/inscription/code", {"code": "000000", "password": "court",
                                                    "password_confirm": "court"}, status=422)
    assert soup.select_one("#password-erreur")
    assert soup.select_one("#code")["value"] == "000000"
    with app.app_context():
        assert MsaSignup.query.one().attempts == 0


def test_signup_without_a_signup_in_progress(client):
    soup = page(client, "/msa/inscription/code", status=410)
    assert soup.h1.get_text(strip=True) == "Aucune inscription en cours"


def test_signup_form_errors_are_clear_and_keep_what_was_typed(client):
    soup = submit(client, "/msa/inscription", dict(SIGNUP, nir="162032C004056", email="pas-une-adresse"),
                  status=422)
    errors = errors_of(soup)
    assert errors[0].startswith("Le numéro de sécurité sociale ne doit contenir que des chiffres")
    assert "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr." in errors
    assert soup.select_one("#last_name")["value"] == "LACOSTE"
    assert soup.select_one("#nir")["value"] == "162032C004056"


def test_birth_date_must_agree_with_the_nir(client):
    soup = submit(client, "/msa/inscription", dict(SIGNUP, birth_date="21/04/1962"), status=422)
    assert errors_of(soup) == ["La date de naissance ne correspond pas au numéro de sécurité sociale "
                               "(année et mois de naissance). Vérifiez l’un et l’autre."]


@pytest.mark.parametrize("taken", ["nir", "email"])
def test_existing_nir_or_email_leaks_nothing(app, client, outbox, taken):
    if taken == "nir":
        make_member(app, nir="162032A004056", email="titulaire@example.fr")
    else:
        make_member(app, email="jp.lacoste@example.fr")
    start_signup(client)
    soup = page(client, "/msa/inscription/code")
    # Exactly what a new member sees.
    assert soup.h1.get_text(strip=True) == "Saisissez le code reçu par e-mail"
    assert code_sent_notices(soup) == ["Un code vient de vous être envoyé à jp.lacoste@example.fr. "
                                       "Il est valable 30 minutes et vous pouvez faire 5 essais."]
    mails = outbox("email")
    to_typed = [m for m in mails if m["to"] == "jp.lacoste@example.fr"]
    assert len(to_typed) == 1
    assert "existe déjà" in to_typed[0]["body"]
    assert not re.search(r"\b\d{6}\b", to_typed[0]["body"])  # no code: no account can be made
    if taken == "nir":
        assert [m["to"] for m in mails if m["to"] != "jp.lacoste@example.fr"] == ["titulaire@example.fr"]
    with app.app_context():
        assert MsaMember.query.count() == 1
