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
        # The beneficiaries read for it (the insured's session query brings them as JSON besides).
        assert any("apgis_beneficiary" in q for q in selects(seen)[1:])


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
        assert not any("apgis_beneficiary" in q for q in selects(seen)[1:]), selects(seen)
        if url.startswith("/agent/"):  # a manager's session query brings no insured's file
            assert "apgis_beneficiary" not in selects(seen)[0], selects(seen)


def test_the_refusal_text_area_rendered_once_is_the_fresh_one(app, apgis, apgis_login):
    """blueprints.agent.apgis._refuse_reason_html (core.queue.prerendered) is what the template's
    macro renders for a « Refuser » form not posted; a refusal posted empty shows its error."""
    from flask import get_template_attribute
    from blueprints.agent.apgis import _refuse_reason_html
    from forms.apgis_exchanges import RequestRefuseForm
    with app.test_request_context():
        fresh = get_template_attribute("components/counter.html", "counted_textarea")(
            RequestRefuseForm(formdata=None, prefix="refus").reason, rows=4)
        assert str(_refuse_reason_html()) == str(fresh) == str(_refuse_reason_html())
        assert 'name="refus-reason"' in fresh
    assert ask(apgis_login("insured2"), "adresse").status_code == 303
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
    manager = apgis_login("manager")
    soup = page(manager, f"/agent/apgis/demandes/{dit_id}")
    assert soup.select_one("#apgis-refuser textarea[name=refus-reason]").text.strip() == ""
    assert not soup.select_one("#apgis-actions .error-summary")
    answer = manager.post(f"/agent/apgis/demandes/{dit_id}/refuser", data={"refus-reason": " "})
    assert answer.status_code == 422 and "Saisissez le motif du refus." in answer.get_data(as_text=True)


def test_the_files_rows_are_files_of(app, apgis, apgis_login):
    """service.request_files (Core rows) lists what models.attachment.files_of lists, in its order."""
    from blueprints.apgis.service import request_files
    from models.apgis import REQUEST_FILES
    from models.attachment import files_of
    from tests.apgis.conftest import pdf_file
    client = apgis_login("insured2")
    response = client.post("/apgis/nous-transmettre", data={
        "nature": "Devis optique", "pieces_jointes": [pdf_file("a.pdf"), pdf_file("b.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        dit = ApgisRequest.query.one()
        rows = request_files(dit)
        assert [(r.id, r.original_name, r.size) for r in rows] == [
            (a.id, a.original_name, a.size) for a in files_of(dit.id, REQUEST_FILES)]
        assert sorted(r.original_name for r in rows) == ["a.pdf", "b.pdf"]


def test_the_managers_page_of_a_dit_reads_it_in_one_statement(app, apgis, apgis_login):
    """The session's, then the DIT's with its insured, user and supporting documents (JSON): no
    statement for the files, none for a history the page does not show."""
    assert ask(apgis_login("insured2"), "adresse").status_code == 303
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
    manager = apgis_login("manager")
    url = f"/agent/apgis/demandes/{dit_id}"
    manager.get(url)
    with statements(app) as seen:
        soup = page(manager, url)
    assert soup.select_one(".attachment-list a")
    queries = selects(seen)
    assert len(queries) == 2, queries
    assert "apgis_request" in queries[1] and "attachment" in queries[1], queries
    assert not any("case_event" in q for q in seen), seen
