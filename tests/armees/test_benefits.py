"""« Déposer une demande »: the benefits (aids and loans apart, means-tested ones marked), the
search by keyword in the label, the detail sheet and its « Déposer une demande » (login first)."""
from urllib.parse import parse_qs, urlparse

from extensions import db
from models.armees import BenefitSetting
from tests.helpers import fragment, page

LIST = "/armees/prestations/"


def names(soup, heading):
    section = soup.find("h2", string=heading)
    return [a.get_text() for a in section.find_next("ul").select("a")] if section else []


def test_the_list_shows_aids_and_loans_apart(client):
    soup = page(client, LIST)
    assert soup.h1.get_text() == "Déposer une demande"
    aids = names(soup, "Prestations d’action sociale")
    loans = names(soup, "Prêts d’action sociale")
    assert "Aide à la garde des jeunes enfants" in aids and "Secours exceptionnel" in aids
    assert loans == ["Prêt social", "Prêt à l’installation"]
    item = soup.find("a", string="Aide à la garde des jeunes enfants").parent
    assert "Prestation soumise à condition de ressources" in item.get_text()
    item = soup.find("a", string="Secours exceptionnel").parent
    assert "Prestation soumise à condition de ressources" not in item.get_text()


def test_search_by_keyword_accents_ignored_with_and_without_javascript(client):
    soup = page(client, LIST + "?q=PRET")
    assert names(soup, "Prêts d’action sociale") == ["Prêt social", "Prêt à l’installation"]
    assert names(soup, "Prestations d’action sociale") == []
    assert soup.select_one("input[name=q]")["value"] == "PRET"
    soup = fragment(client, LIST + "?q=garde")
    assert [a.get_text() for a in soup.select("#prestations ul a")] == [
        "Aide à la garde des jeunes enfants"]
    soup = page(client, LIST + "?q=introuvable")
    assert "Aucune prestation ne contient « introuvable »" in soup.get_text()


def test_the_detail_sheet_and_the_way_in_for_a_visitor(client):
    soup = page(client, "/armees/prestations/pret-social")
    assert soup.h1.get_text() == "Prêt social"
    text = soup.get_text()
    assert "Avez-vous un prêt social en cours de remboursement ?" in text
    assert "Justificatif de la qualité de ressortissant" in text and "Attestation sur l’honneur" in text
    link = soup.find("a", string="Déposer une demande")
    url = urlparse(link["href"])
    assert url.path == "/compte/connexion"
    assert parse_qs(url.query)["next"] == ["/armees/prestations/pret-social/demande"]
    assert page(client, "/armees/prestations/inconnue", status=404)


def test_the_detail_sheet_for_a_ressortissant_posts_to_the_application_form(armees_login):
    soup = page(armees_login("member"), "/armees/prestations/garde-jeunes-enfants")
    form = soup.select_one("#contenu form:has(button)")
    assert form["action"] == "/armees/prestations/garde-jeunes-enfants/demande" and form["method"] == "post"
    assert form.button.get_text() == "Déposer une demande"
    assert form.select_one("input[name=csrf_token]")


def test_an_unpublished_benefit_is_neither_listed_nor_shown(app, client):
    with app.app_context():
        db.session.add(BenefitSetting(code="secours-exceptionnel", published=False))
        db.session.commit()
    assert "Secours exceptionnel" not in page(client, LIST).get_text()
    page(client, "/armees/prestations/secours-exceptionnel", status=404)
