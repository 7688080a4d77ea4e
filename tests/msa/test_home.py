"""« Mon espace privé »: public presentation with the login box, members' tiles, information pages."""
import pytest

from extensions import db
from models import Organisation
from models.msa import MsaMember
from tests.helpers import page
from tests.msa.test_auth import make_member, msa_login

ASSISTANCE = ("Assistance internet 03 20 900 500, du lundi au vendredi de 8h30 à 12h15 et de 13h30 à 16h30")
THEMES = ["Santé, invalidité", "Famille, logement", "Enfance", "Logement", "Retraite", "RSA, Prime d’activité",
          "Mes paiements et mes remboursements", "Obtenir mes attestations", "Contact & échanges",
          "Vous pouvez également"]


@pytest.fixture
def member_client(app):
    make_member(app)
    client = app.test_client()
    assert msa_login(client).status_code == 302
    return client


def test_anonymous_visitors_see_the_presentation_and_the_login_box(client):
    soup = page(client, "/msa/")
    assert soup.h1.get_text(strip=True) == "Mon espace privé"
    form = soup.select_one("form[action^='/msa/connexion']")
    assert form.select_one("#nir") and form.select_one("#password")
    assert soup.select_one("a[href='/msa/inscription']").get_text(strip=True) == "S’inscrire"
    assert soup.select_one(".portal-person").get_text(strip=True) == "Déconnecté"
    assert soup.select_one(".msa-assistance").get_text(strip=True) == ASSISTANCE
    assert not soup.select(".msa-services")


def test_users_without_an_msa_profile_see_the_presentation(citizen_client):
    soup = page(citizen_client, "/msa/")
    assert soup.select_one("form[action^='/msa/connexion']")
    assert not soup.select(".msa-services")
    assert soup.select_one(".portal-person").get_text(strip=True) == "Déconnecté"


def test_members_see_the_tiles_by_theme(member_client):
    soup = page(member_client, "/msa/")
    assert [h.get_text(strip=True) for h in soup.select(".msa-services .card h3")] == THEMES
    labels = [a.get_text(strip=True) for a in soup.select(".msa-services a")]
    for label in ["Demander la complémentaire santé solidaire",
                  "Demander ma carte d’assurance maladie (carte vitale ou CEAM)",
                  "Demander une pension d’invalidité", "Attestation de droits maladie",
                  "Déclarer un changement de situation", "Déclarer mes ressources pour les prestations familiales",
                  "Consulter mon quotient familial", "Déclarer mon patrimoine", "S’informer sur ma retraite",
                  "Demander et suivre ma retraite", "Attestation de droits RSA",
                  "Attestation de paiement ou de non paiement", "Attestation de médecin traitant",
                  "Nous envoyer un message", "Nous envoyer un document", "Demander un rendez-vous"]:
        assert label in labels, label
    assert soup.select_one(".portal-person .state").get_text(strip=True) == "Connecté"
    assert soup.select_one("#msa-mes-messages").get_text(strip=True) == "Mes messages"
    assert soup.find("a", string="Accéder à la messagerie")
    assert soup.select_one(".msa-assistance").get_text(strip=True) == ASSISTANCE


def test_every_tile_leads_to_a_page(member_client):
    soup = page(member_client, "/msa/")
    for link in soup.select(".msa-services a"):
        target = page(member_client, link["href"])
        assert target.h1.get_text(strip=True)


def _member_app(tmp_path, template_db, with_messaging):
    from tests.conftest import _sqlite_app
    app = _sqlite_app(tmp_path, template_db)
    if with_messaging and "msa.messages" not in app.view_functions:
        app.add_url_rule("/msa/messages-test", endpoint="msa.messages", view_func=lambda: "messagerie")
    if not with_messaging:
        app.view_functions.pop("msa.messages", None)
    make_member(app)
    client = app.test_client()
    assert msa_login(client).status_code == 302
    return app, client


def test_messages_link_to_the_information_page_without_the_messaging(tmp_path, template_db):
    app, client = _member_app(tmp_path, template_db, with_messaging=False)
    soup = page(client, "/msa/")
    link = soup.find("a", string="Nous envoyer un message")
    assert link["href"] == "/msa/services/nous-envoyer-un-message"
    assert soup.find("a", string="Accéder à la messagerie")["href"] == link["href"]
    info = page(client, link["href"])
    assert info.h1.get_text(strip=True) == "Nous envoyer un message"
    assert "03 20 900 500" in info.select_one("main").get_text()


def test_messages_link_to_the_messaging_when_it_exists(tmp_path, template_db):
    app, client = _member_app(tmp_path, template_db, with_messaging=True)
    soup = page(client, "/msa/")
    with app.test_request_context():
        from flask import url_for
        href = url_for("msa.messages")
    assert soup.find("a", string="Nous envoyer un message")["href"] == href
    assert soup.find("a", string="Accéder à la messagerie")["href"] == href


def test_information_page_of_a_service_not_online(client):
    soup = page(client, "/msa/services/pension-invalidite")
    assert soup.h1.get_text(strip=True) == "Demander une pension d’invalidité"
    assert "service médical" in soup.select_one("main").get_text()


def test_information_page_of_a_suggested_service_leads_members_to_writing(client, member_client):
    """« J'utilise le service en ligne » for a service not online here: the member can still write."""
    soup = page(member_client, "/msa/services/prime-activite")
    link = soup.find("a", string="Rédiger mon message sur ce sujet")
    assert link["href"].startswith("/msa/messages/nouveau?")
    writing = page(member_client, link["href"])
    assert writing.select_one("textarea#body")
    assert "Prime d’activité" in writing.select_one("#msg-objet-choix").get_text()
    # Visitors who are not members get the information only.
    assert not page(client, "/msa/services/prime-activite").find("a", string="Rédiger mon message sur ce sujet")


def test_unknown_information_page_is_404(client):
    response = client.get("/msa/services/inconnu")
    assert response.status_code == 404


def test_demo_members_are_seeded_once_and_log_in_with_their_nir(app):
    from core.demo_msa import DEMO_PASSWORD, seed_msa
    with app.app_context():
        fund = Organisation(portal="msa", code="MSA33", name="MSA Gironde")
        db.session.add(fund)
        db.session.commit()
        first = seed_msa({"MSA33": fund})
        assert len([line for line in first if line.startswith("Adhérent MSA créé")]) == 2
        assert seed_msa({"MSA33": fund}) == []
        members = MsaMember.query.order_by(MsaMember.id).all()
        assert [m.user.email for m in members] == ["msa.adherent@demo.guichet.fr", "msa.exploitant@demo.guichet.fr"]
        assert all(m.organisation_id == fund.id for m in members)
        nirs = [m.nir for m in members]
    client = app.test_client()
    for nir in nirs:
        assert msa_login(client, nir=nir, password=DEMO_PASSWORD).status_code == 302
        client.post("/compte/deconnexion")


def test_vous_pouvez_egalement_entries_are_information_pages(member_client):
    soup = page(member_client, "/msa/")
    card = soup.select_one("#theme-vous-pouvez-egalement").find_parent("li")
    links = {a.get_text(strip=True): a["href"] for a in card.select("a")}
    assert list(links) == ["Bien vivre ma retraite", "Consulter le « Mémo Santé Enfant »", "Gérer mes procurations"]
    procurations = page(member_client, links["Gérer mes procurations"])
    assert procurations.h1.get_text() == "Gérer mes procurations"
    text = procurations.get_text()
    assert "Demander une procuration" in text and "Suivre mes procurations" in text
