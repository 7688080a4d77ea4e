"""« Mot de passe oublié » from the MSA login: by identifier (NIR without key) or email, the same
answer in every case, the platform's reset link mailed to the account's address only."""
from urllib.parse import urlsplit

from tests.helpers import errors_of, link_in, page, submit
from tests.msa.services_world import world  # noqa: F401

URL = "/msa/mot-de-passe-oublie"


def answer(soup):
    return soup.select_one("#reponse-mot-de-passe").get_text()


def test_same_answer_for_known_and_unknown_identifiers(app, world, client, outbox):
    soup = page(client, "/msa/connexion")
    assert soup.find("a", string="Mot de passe oublié")["href"] == URL
    assert page(client, URL).h1.get_text() == "Mot de passe oublié"
    known = submit(client, URL, {"identifier": "2 85 07 33 063 001"})
    assert len(outbox("email")) == 1 and outbox("email")[0]["to"] == "jeanne@example.fr"
    unknown = submit(client, URL, {"identifier": "1850775123456"})
    by_email = submit(client, URL, {"identifier": "Paul@Example.fr"})
    unknown_email = submit(client, URL, {"identifier": "personne@example.fr"})
    assert answer(known) == answer(unknown) == answer(by_email) == answer(unknown_email)
    assert known.h1.get_text() == unknown.h1.get_text() == "Consultez votre boîte mail"
    assert [m["to"] for m in outbox("email")] == ["jeanne@example.fr", "paul@example.fr"]


def test_the_link_resets_and_leads_back_to_the_msa_login(app, world, client, outbox):
    submit(client, URL, {"identifier": "2850733063001"})
    link = link_in(outbox("email")[-1]["body"])
    client.get(urlsplit(link).path)
    new_password = "Nouveau-mot-2-passe!"
    response = client.post("/compte/mot-de-passe/reinitialiser",
                           data={"password": new_password, "password_confirm": new_password})
    assert response.status_code == 302 and response.headers["Location"] == "/msa/connexion"
    response = client.post("/msa/connexion", data={"nir": "2850733063001", "password": new_password})
    assert response.status_code == 302


def test_errors(world, client):
    soup = submit(client, URL, {"identifier": ""}, status=422)
    assert errors_of(soup) == ["Saisissez votre identifiant ou votre adresse e-mail."]
    soup = submit(client, URL, {"identifier": "12345"}, status=422)
    assert errors_of(soup) == ["Saisissez votre numéro de sécurité sociale sans la clé (13 caractères) ou votre "
                               "adresse e-mail."]
    assert soup.select_one("#identifier")["value"] == "12345"
