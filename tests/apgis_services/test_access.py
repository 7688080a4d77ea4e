"""Who may see what: every statement, card, hospital cover and publication (pages, downloads)
answers 404 to another insured, to a manager (the insured's pages are not theirs) and to a
citizen without an Apgis file; anonymous visitors are sent to the login; the managers' pages
answer 403 to insured and to managers of another portal, and 404 for another institution's
objects."""
from datetime import date, timedelta

import pytest

from models.base import utcnow
from tests.apgis_services import factories_services as fs


@pytest.fixture
def objects(seed):
    """One of everything, belonging to Éloïse (insured) of Apgis, and a publication of the other
    institution."""
    today = utcnow().date()

    def make(c):
        r = fs.reimbursement(c["insured"], date(2026, 1, 10))
        statement = fs.statement(c["insured"], "DEC-2026-000001", date(2026, 1, 31), [r])
        card = fs.card(c["insured"], today - timedelta(days=1), today + timedelta(days=30))
        cover = fs.hospital_cover(c["insured"], "PEC-2026-000001")
        publication = fs.publication(c["org"], c["manager"], "Garanties Santé Individuelle",
                                     contract_name="Santé Individuelle")
        faq = fs.faq(c["org"], "Question d’Apgis ?")
        from models import User
        other_manager = User.query.filter_by(email="gestionnaire@autre.fr").one()
        other_publication = fs.publication(c["other_org"], other_manager, "Guide de l’autre institution")
        return [statement, card, cover, publication, faq, other_publication]
    statement, card, cover, publication, faq, other_publication = seed(make)
    return {"statement": statement, "card": card, "cover": cover, "publication": publication, "faq": faq,
            "other_publication": other_publication}


def _insured_urls(o):
    return [f"/apgis/decomptes/{o['statement']}/decompte.pdf",
            f"/apgis/nous-demander/carte-de-tiers-payant/{o['card']}/carte.pdf",
            f"/apgis/nous-demander/prise-en-charge-hospitaliere/{o['cover']}/prise-en-charge.pdf",
            f"/apgis/documentation/{o['publication']}/fichier"]


def test_the_owner_gets_every_object(apgis_login, objects):
    client = apgis_login("insured")
    for url in _insured_urls(objects):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["insured2", "other_insured", "citizen", "manager", "other_manager"])
def test_anyone_else_gets_404_for_every_object(apgis_login, objects, who):
    client = apgis_login(who)
    for url in _insured_urls(objects):
        assert client.get(url).status_code == 404, (who, url)
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, (who, url)


def test_another_institutions_publication_is_404_even_to_an_insured(apgis_login, objects):
    assert apgis_login("insured").get(f"/apgis/documentation/{objects['other_publication']}/fichier").status_code == 404
    assert apgis_login("other_insured").get(
        f"/apgis/documentation/{objects['other_publication']}/fichier").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(client, objects):
    for url in [*_insured_urls(objects), "/apgis/mes-services", "/apgis/remboursements",
                "/agent/apgis/reglements", f"/agent/apgis/decomptes/{objects['statement']}/decompte.pdf"]:
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], url


def test_managers_pages_are_refused_to_insured_and_other_portals_agents(app, apgis_login, apgis, objects):
    insured = apgis_login("insured")
    for url in ["/agent/apgis/reglements", "/agent/apgis/documentation",
                f"/agent/apgis/decomptes/{objects['statement']}/decompte.pdf"]:
        assert insured.get(url).status_code in (403, 404), url
    with app.app_context():
        from extensions import db
        from models import Role
        from tests import factories
        igesa = factories.organisation(portal="armees", code="IGESA")
        factories.user(email="agent@igesa.fr", role=Role.AGENT, organisation=igesa)
        db.session.commit()
    client = app.test_client()
    client.post("/compte/connexion", data={"email": "agent@igesa.fr", "password": factories.PASSWORD})
    assert client.get("/agent/apgis/reglements").status_code == 403


def test_another_institutions_manager_gets_404_for_apgis_objects(apgis_login, apgis, objects):
    client = apgis_login("other_manager")
    for method, url in [
            ("get", f"/agent/apgis/assures/{apgis['insured']}/reglements"),
            ("post", f"/agent/apgis/assures/{apgis['insured']}/reglements"),
            ("post", f"/agent/apgis/assures/{apgis['insured']}/decomptes"),
            ("get", f"/agent/apgis/decomptes/{objects['statement']}/decompte.pdf"),
            ("get", f"/agent/apgis/documentation/questions/{objects['faq']}"),
            ("post", f"/agent/apgis/documentation/questions/{objects['faq']}/supprimer"),
            ("get", f"/agent/apgis/documentation/documents/{objects['publication']}/fichier"),
            ("post", f"/agent/apgis/documentation/documents/{objects['publication']}/supprimer")]:
        assert getattr(client, method)(url).status_code == 404, (method, url)
    own = apgis_login("manager")
    assert own.get(f"/agent/apgis/decomptes/{objects['statement']}/decompte.pdf").status_code == 200
    assert own.get(f"/agent/apgis/documentation/documents/{objects['other_publication']}/fichier").status_code == 404
