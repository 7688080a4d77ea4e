"""The portals' landing pages: titles without repetition, placeholders that say so, and the
Espace Partenaires landing that sends technicians to their manager instead of a sign-up."""
import pytest

from tests.helpers import page

PLACEHOLDER = "Ce portail est en préparation : ses démarches ne sont pas encore disponibles en ligne."


@pytest.mark.parametrize("url, title", [
    ("/partenaires/", "Espace Partenaires – Guichet"),
    ("/armees/", "e-social des armées – Portail Des Aides – Guichet"),
    ("/apgis/", "Apgis – Espace Assuré – Guichet"),
    ("/", "Guichet, vos démarches de protection sociale en ligne – Guichet"),
])
def test_landing_titles_do_not_repeat_the_portal_name(client, url, title):
    assert page(client, url).title.get_text(strip=True) == title


def test_a_portal_page_keeps_the_portal_name_after_its_own_title(client):
    assert page(client, "/msa/").title.get_text(strip=True) == "Mon espace privé – MSA – Mon espace privé"


@pytest.mark.parametrize("url", ["/apgis/"])
def test_placeholder_portals_say_they_are_not_online_yet(client, url):
    soup = page(client, url)
    assert soup.select_one("#portail-en-preparation").get_text(strip=True) == PLACEHOLDER
    main = soup.select_one("main")
    assert not main.find("a", string="S’inscrire") and not main.find("a", string="Se connecter")
    assert main.find("a", string="Revenir à l’accueil de Guichet")["href"] == "/"


def test_home_marks_the_placeholder_portals(client):
    soup = page(client, "/")
    marked = [card.h2.get_text(strip=True) for card in soup.select("ul.cards > li")
              if card.select_one(".hint") and "En préparation" in card.select_one(".hint").get_text()]
    assert marked == ["Apgis – Espace Assuré"]


def test_partner_landing_says_technicians_are_created_by_their_manager(client):
    soup = page(client, "/partenaires/")
    assert soup.find("a", string="S’inscrire") is None  # neither in the page nor in the header
    assert soup.select_one("main a.button").get_text(strip=True) == "Se connecter"
    assert soup.select_one("#comptes-techniciens").get_text(strip=True) == (
        "Votre compte de technicien est créé par le gestionnaire de votre structure : vous recevez alors "
        "par courriel un lien pour l’activer et choisir votre mot de passe.")
    assert page(client, "/").find("a", string="S’inscrire")  # the site's own sign-up stays elsewhere


def test_armees_landing_is_online_with_its_sign_in_and_application_links(client):
    soup = page(client, "/armees/")
    assert soup.select_one("#portail-en-preparation") is None
    main = soup.select_one("main")
    assert main.find("a", string="Déposer une demande")["href"] == "/armees/prestations/"
    assert main.find("a", string="Se connecter/S’inscrire")["href"] == "/compte/connexion?next=/armees/"
