"""Sign-up (seed 000): form, commune of birth, abroad mode, activation link, one email = one account."""
from urllib.parse import urlparse

from models import User
from tests.helpers import errors_of, link_in, page, submit

VALID = {
    "civility": "Mme", "first_name": "Anne", "last_name": "Lefèvre", "email": "anne.lefevre@example.fr",
    "birth_date": "14/07/1985", "birth_country": "FR", "birth_commune-recherche": "33000",
    "birth_commune": "33063-33000", "password": "Bordeaux-33!", "password_confirm": "Bordeaux-33!", "accept": "y",
}


def path_of(url):
    return urlparse(url).path


def test_form_has_every_field_of_the_seed(client):
    soup = page(client, "/compte/inscription")
    assert soup.select_one("fieldset legend").get_text(" ", strip=True).startswith("Civilité")
    labels = [label.get_text(" ", strip=True) for label in soup.select("label")]
    for expected in ("Prénom", "Nom", "Courriel personnel", "Date de naissance", "Pays de naissance",
                     "Code postal ou ville de naissance", "Mot de passe", "Confirmation du mot de passe"):
        assert any(label.startswith(expected) for label in labels), expected
    assert soup.select_one("#birth_country option[selected]")["value"] == "FR"
    assert "caractère spécial" in soup.select_one("#password-aide").get_text()
    assert soup.select_one("button[type=submit]:-soup-contains('Valider')")


def test_countries_are_in_french(client):
    soup = page(client, "/compte/inscription")
    names = {o.get_text() for o in soup.select("#birth_country option")}
    assert {"France", "Allemagne", "Algérie", "Royaume-Uni", "Côte d'Ivoire"} <= names


def test_register_then_activate_by_emailed_link(app, client, outbox):
    soup = submit(client, "/compte/inscription", VALID)
    assert soup.h1.get_text() == "Consultez votre boîte mail"
    with app.app_context():
        user = User.query.filter_by(email="anne.lefevre@example.fr").one()
        assert not user.active
        assert user.citizen_profile.birth_city == "Bordeaux"
        assert user.citizen_profile.birth_insee == "33063"
    mail = outbox("email")[-1]
    assert mail["to"] == "anne.lefevre@example.fr" and mail["subject"] == "Activez votre compte"
    response = client.get(path_of(link_in(mail["body"])))
    assert response.status_code == 302 and response.headers["Location"] == "/compte/activation"
    soup = page(client, "/compte/activation")
    # The link alone does not activate: the password chosen at sign-up proves who clicked.
    assert soup.select_one("label[for=password]").get_text(strip=True).startswith("Mot de passe")
    soup = submit(client, "/compte/activation", {"password": "Autre-mot-2!"}, status=422)
    assert "Le mot de passe est incorrect." in errors_of(soup)
    response = client.post("/compte/activation", data={"password": VALID["password"]})
    assert response.status_code == 302
    soup = page(client, response.headers["Location"])
    assert "Votre compte est désormais actif." in soup.select_one("#messages").get_text()
    with app.app_context():
        assert User.query.filter_by(email="anne.lefevre@example.fr").one().active
    # The link is single use.
    client.post("/compte/deconnexion")
    client.get(path_of(link_in(mail["body"])))
    assert page(client, "/compte/activation", status=410).h1.get_text() == "Ce lien n’est plus valide"


def test_redirects_back_where_the_user_started(app, client, outbox):
    submit(client, "/compte/inscription", dict(VALID, next="/armees/"))
    client.get(path_of(link_in(outbox("email")[-1]["body"])))
    response = client.post("/compte/activation", data={"password": VALID["password"]})
    assert response.headers["Location"] == "/armees/"


def test_existing_email_gets_the_same_answer_and_a_warning_mail(client, make_user, outbox):
    make_user(email="anne.lefevre@example.fr")
    soup = submit(client, "/compte/inscription", dict(VALID, email="Anne.Lefevre@example.fr"))
    assert soup.h1.get_text() == "Consultez votre boîte mail"
    mail = outbox("email")[-1]
    assert mail["subject"] == "Votre compte existe déjà"
    assert "/compte/activation" not in mail["body"]  # no activation link for an active account
    assert "http://guichet.test/compte/mot-de-passe-oublie" in mail["body"]


def test_errors_keep_what_was_typed(client):
    data = dict(VALID, password="court", password_confirm="autre", birth_date="31/02/1985", accept="")
    soup = submit(client, "/compte/inscription", data, status=422)
    errors = errors_of(soup)
    assert "Saisissez une date valide au format JJ/MM/AAAA." in errors
    assert any(e.startswith("Le mot de passe doit contenir au moins 8 caractères") for e in errors)
    assert "Cochez la case relative aux données personnelles pour valider." in errors
    assert soup.select_one("#first_name")["value"] == "Anne"
    assert soup.select_one("#last_name")["value"] == "Lefèvre"
    assert soup.select_one("#birth_date")["value"] == "31/02/1985"
    assert soup.select_one("#birth_commune option[selected]")["value"] == "33063-33000"
    assert soup.select_one("input[name=civility][value=Mme]").has_attr("checked")
    assert soup.title.get_text().startswith("Erreur : ")


def test_future_birth_date_is_refused(client):
    soup = submit(client, "/compte/inscription", dict(VALID, birth_date="01/01/2999"), status=422)
    assert "La date ne peut pas être dans le futur." in errors_of(soup)


def test_commune_lookup_without_javascript(client):
    data = {k: v for k, v in VALID.items() if k != "birth_commune"}
    data.update({"birth_commune-recherche": "33000", "rechercher": "birth_commune"})
    soup = submit(client, "/compte/inscription", data)
    assert not errors_of(soup)  # a lookup is not a submit
    options = [o.get_text() for o in soup.select("#birth_commune option")]
    assert "Bordeaux (33000)" in options
    assert soup.select_one("#first_name")["value"] == "Anne"


def test_ambiguous_commune_must_be_picked(client):
    data = dict(VALID, **{"birth_commune-recherche": "saint etienne", "birth_commune": ""})
    soup = submit(client, "/compte/inscription", data, status=422)
    assert "Sélectionnez la ville dans la liste." in errors_of(soup)
    assert soup.select_one("#birth_commune option").get_text() == "Sélectionnez la ville"
    assert soup.select_one(".error-summary a[href='#birth_commune-recherche']")


def test_unknown_commune_is_reported(client):
    data = dict(VALID, **{"birth_commune-recherche": "zzzz", "birth_commune": ""})
    soup = submit(client, "/compte/inscription", data, status=422)
    assert "Aucune ville ne correspond à « zzzz ». Vérifiez le code postal ou le nom de la ville." in errors_of(soup)


def test_born_abroad_requires_the_town_in_full(app, client):
    data = dict(VALID, birth_country="DZ", **{"birth_commune-recherche": "", "birth_commune": ""})
    soup = submit(client, "/compte/inscription", data, status=422)
    assert errors_of(soup) == ["Saisissez la ville de naissance en entier."]
    assert soup.select_one("#birth_city_abroad")
    assert not soup.select_one("#birth_commune-recherche")
    submit(client, "/compte/inscription", dict(data, birth_city_abroad="Oran"))
    with app.app_context():
        profile = User.query.filter_by(email=VALID["email"]).one().citizen_profile
        assert (profile.birth_country, profile.birth_city, profile.birth_insee) == ("DZ", "Oran", None)


def test_country_change_fragment_swaps_the_birth_place(client):
    from tests.helpers import fragment
    soup = fragment(client, "/compte/inscription", method="post",
                    data={"birth_country": "DZ", "changer-pays": "1", "first_name": "Anne"})
    assert soup.select_one("#lieu-naissance #birth_city_abroad")
    assert not soup.select_one("#first_name")
    soup = fragment(client, "/compte/inscription", method="post", data={"birth_country": "FR", "changer-pays": "1"})
    assert soup.select_one("#birth_commune-recherche")


def test_password_rule(client):
    for password, missing in [("Abcdefg!", "un chiffre"), ("abcdef1!", "une majuscule"),
                              ("ABCDEF1!", "une minuscule"), ("Abcdefg1", "un caractère spécial"),
                              ("A" * 60 + "a" * 60 + "1!" + "x" * 10, "au plus 128 caractères")]:
        soup = submit(client, "/compte/inscription", dict(VALID, password=password, password_confirm=password),
                      status=422)
        assert any(missing in e for e in errors_of(soup)), (password, errors_of(soup))
    ok = "Aa1!" + "x" * 124
    assert len(ok) == 128
    soup = submit(client, "/compte/inscription", dict(VALID, password=ok, password_confirm=ok))
    assert soup.h1.get_text() == "Consultez votre boîte mail"


def test_country_change_fragment_is_small(client):
    from tests.helpers import fragment
    soup = fragment(client, "/compte/inscription", method="post", data={"birth_country": "DZ", "changer-pays": "1"})
    assert len(soup.response.data) <= 5 * 1024
    assert not soup.select_one("#birth_country")  # the country list keeps its place (and focus)


def test_tampered_country_gets_a_french_error(client):
    soup = submit(client, "/compte/inscription", dict(VALID, birth_country="XX"), status=422)
    assert "Sélectionnez un pays dans la liste." in errors_of(soup)
