"""Who sees what: the insured their own DITs, questions and files; the managers of the insured's
institution; nobody else (404 for every object, file and action; the login page for visitors)."""
import pytest

from models.apgis import ApgisQuestion, ApgisRequest
from tests.apgis.conftest import pdf_file


@pytest.fixture
def objects(app, apgis, apgis_login):
    client = apgis_login("insured")
    client.post("/apgis/nous-transmettre", data={"nature": "Devis optique", "pieces_jointes": pdf_file()},
                content_type="multipart/form-data")
    client.post("/apgis/vous-avez-une-question", data={"theme": "garanties", "text": "Ma question"})
    from blueprints.apgis.service import request_files
    with app.app_context():
        dit = ApgisRequest.query.one()
        [attachment] = request_files(dit)
        question = ApgisQuestion.query.one()
        return {"dit": dit.id, "attachment": attachment.id, "question": question.id}


def test_objects_of_another_insured_are_404(app, apgis, apgis_login, objects):
    other = apgis_login("insured2")
    stranger = apgis_login("stranger")
    for client in (other, stranger):
        assert client.get(f"/apgis/suivi/demandes/{objects['dit']}").status_code == 404
        assert client.get(f"/apgis/suivi/questions/{objects['question']}").status_code == 404
    owner = apgis_login("insured")
    assert owner.get(f"/apgis/suivi/demandes/{objects['dit']}").status_code == 200
    assert owner.get(f"/apgis/suivi/questions/{objects['question']}").status_code == 200


def test_the_file_is_read_by_its_owner_and_its_managers_only(app, apgis, apgis_login, objects):
    from bs4 import BeautifulSoup
    owner = apgis_login("insured")
    html = owner.get(f"/apgis/suivi/demandes/{objects['dit']}").get_data(as_text=True)
    link = BeautifulSoup(html, "html.parser").select_one(".attachment-list a")["href"]
    assert owner.get(link).status_code == 200
    assert apgis_login("manager").get(link).status_code == 200
    for who in ("insured2", "stranger", "other_manager"):
        assert apgis_login(who).get(link).status_code == 404, who
    assert app.test_client().get(link).status_code in (302, 303, 401, 404)


def test_managers_of_another_institution_get_404(app, apgis, apgis_login, objects):
    other = apgis_login("other_manager")
    assert other.get(f"/agent/apgis/demandes/{objects['dit']}").status_code == 404
    assert other.post(f"/agent/apgis/demandes/{objects['dit']}/valider").status_code == 404
    refused = other.post(f"/agent/apgis/demandes/{objects['dit']}/refuser", data={"refus-reason": "Non"})
    assert refused.status_code == 404
    assert other.get(f"/agent/apgis/questions/{objects['question']}").status_code == 404
    assert other.post(f"/agent/apgis/questions/{objects['question']}", data={"answer": "x"}).status_code == 404
    html = other.get("/agent/apgis/demandes?statut=tous").get_data(as_text=True)
    assert "DIT-" not in html
    html = other.get("/agent/apgis/questions?statut=tous").get_data(as_text=True)
    assert "QST-" not in html
    with app.app_context():
        assert ApgisRequest.query.one().status == "en-attente"
        assert ApgisQuestion.query.one().answer is None
    manager = apgis_login("manager")
    assert manager.get(f"/agent/apgis/demandes/{objects['dit']}").status_code == 200
    assert manager.get(f"/agent/apgis/questions/{objects['question']}").status_code == 200


def test_insured_cannot_reach_the_managers_pages(app, apgis, apgis_login, objects):
    client = apgis_login("insured")
    for url in ("/agent/apgis/demandes", f"/agent/apgis/demandes/{objects['dit']}", "/agent/apgis/questions",
                f"/agent/apgis/questions/{objects['question']}"):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/agent/apgis/demandes/{objects['dit']}/valider").status_code in (403, 404)


def test_managers_have_no_insured_space(app, apgis, apgis_login):
    manager = apgis_login("manager")
    for url in ("/apgis/mes-donnees", "/apgis/suivi", "/apgis/notifications", "/apgis/nous-transmettre"):
        assert manager.get(url).status_code == 404, url


def test_visitors_are_sent_to_the_login(app, apgis, objects):
    client = app.test_client()
    for url in ("/apgis/mes-donnees", "/apgis/suivi", f"/apgis/suivi/demandes/{objects['dit']}",
                "/apgis/mes-donnees/adresse-postale", "/apgis/notifications",
                f"/agent/apgis/demandes/{objects['dit']}", "/agent/apgis/questions"):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], url
    assert client.get("/apgis/").status_code == 200


def test_a_citizen_without_file_gets_a_clear_page(app, apgis, apgis_login):
    client = apgis_login("stranger")
    for url in ("/apgis/mes-donnees", "/apgis/mes-donnees/adresse-postale", "/apgis/nous-transmettre",
                "/apgis/vous-avez-une-question", "/apgis/suivi"):
        response = client.get(url)
        assert response.status_code == 404 and "n’est relié à aucun dossier d’assuré" in response.get_data(as_text=True)
    response = client.post("/apgis/vous-avez-une-question", data={"theme": "garanties", "text": "x"})
    assert response.status_code == 404
    with app.app_context():
        assert ApgisQuestion.query.count() == 0
