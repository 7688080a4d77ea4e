"""The manager's page of a DIT (and the insured's detail) read the insured's beneficiaries only for
a school certificate's DIT, the one that names a child (service.children_of)."""
from extensions import db
from models import User
from models.apgis import KIND_DOCUMENT, NATURE_SCHOOL_CERTIFICATE, ApgisRequest
from tests.apgis.test_dit import ask
from tests.core.test_request_path import selects, statements
from tests.helpers import page


def _school_certificate(app, apgis):
    with app.app_context():
        insured = db.session.get(User, apgis["insured2"]).apgis_insured
        dit = ApgisRequest(reference="DIT-2026-000099", user_id=insured.user_id, insured_id=insured.id,
                           organisation_id=insured.organisation_id, kind=KIND_DOCUMENT,
                           document_nature=NATURE_SCHOOL_CERTIFICATE, payload={"beneficiary_id": apgis["child"]})
        db.session.add(dit)
        db.session.commit()
        return dit.id


def test_a_school_certificate_names_the_child(app, apgis, apgis_login):
    dit_id = _school_certificate(app, apgis)
    for client, url in ((apgis_login("manager"), f"/agent/apgis/demandes/{dit_id}"),
                        (apgis_login("insured2"), f"/apgis/suivi/demandes/{dit_id}")):
        client.get(url)
        with statements(app) as seen:
            soup = page(client, url)
        rows = {div.dt.text: div.dd.text for div in soup.select("#demande-contenu div")}
        assert rows["Enfant concerné"] == "Léa Durand", rows
        assert any("apgis_beneficiary" in q for q in selects(seen))


def test_another_dit_reads_no_beneficiary(app, apgis, apgis_login):
    assert ask(apgis_login("insured2"), "adresse").status_code == 303
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
    for client, url in ((apgis_login("manager"), f"/agent/apgis/demandes/{dit_id}"),
                        (apgis_login("insured2"), f"/apgis/suivi/demandes/{dit_id}")):
        client.get(url)
        with statements(app) as seen:
            soup = page(client, url)
        assert "Enfant concerné" not in soup.select_one("#demande-contenu").text
        assert not any("apgis_beneficiary" in q for q in selects(seen)), selects(seen)
