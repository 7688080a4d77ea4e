"""The portals' landing pages: titles without repetition, and the
Espace Partenaires landing that sends technicians to their manager instead of a sign-up."""
import pytest

from tests.helpers import page

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
