"""The managers' side: find an insured, record a reimbursement (checked, once), group the
reimbursements not yet on a statement into one; FAQ entries (add, edit, order, delete) and
documents of the documentation space (add with a file, publish, withdraw, delete), as the
insured then see them."""
import io
from datetime import date

from models.apgis import ApgisFaq, ApgisPublication, ApgisReimbursement, ApgisStatement
from tests.apgis_services import factories_services as fs
from tests.helpers import errors_of, page, submit

RECORD = {"paid_on": "12/03/2026", "beneficiary": "Noël LEFÈVRE", "label": "Orthodontie", "care_date": "01/03/2026",
          "expense": "1 200,00", "social_security": "193,50", "apgis": "806,50", "payee": "Cabinet Dentaire Sourire"}


def test_a_manager_finds_an_insured_by_name_or_member_number(apgis_login):
    client = apgis_login("manager")
    soup = page(client, "/agent/apgis/reglements?recherche=lef")
    assert [a.get_text(strip=True) for a in soup.select("table tbody a")] == ["Éloïse LEFÈVRE"]
    response = client.get("/agent/apgis/reglements?recherche=100235")
    assert response.status_code == 303 and response.headers["Location"].endswith("/reglements")
    none = page(client, "/agent/apgis/reglements?recherche=200001")  # another institution's insured
    assert none.select_one("#aucun-assure").get_text(strip=True) == "Aucun assuré ne correspond à « 200001 »."


def test_a_reimbursement_is_recorded_once_and_shows_to_the_insured(app, apgis, apgis_login):
    client = apgis_login("manager")
    url = f"/agent/apgis/assures/{apgis['insured']}/reglements"
    token = page(client, url).select_one("input[name=submission]")["value"]
    response = submit(client, url, {**RECORD, "submission": token}, status=303)
    assert page(client, response.headers["Location"]).select_one("#messages").get_text(strip=True) == \
        "Le remboursement est enregistré."
    submit(client, url, {**RECORD, "submission": token}, status=303)  # posted again: recorded once
    with app.app_context():
        (row,) = ApgisReimbursement.query.all()
        assert (row.insured_id, row.expense_cents, row.social_security_cents, row.apgis_cents, row.payee) == (
            apgis["insured"], 120000, 19350, 80650, "Cabinet Dentaire Sourire")
    insured = page(apgis_login("insured"), "/apgis/remboursements")
    cells = [td.get_text(strip=True).replace("\u00a0", " ") for td in insured.select("#remboursements tbody td")]
    assert cells == ["12/03/2026", "Noël LEFÈVRE", "Orthodontie", "01/03/2026", "1 200,00 €", "193,50 €",
                     "806,50 €", "Cabinet Dentaire Sourire"]


def test_a_bad_reimbursement_is_refused_with_the_reasons(app, apgis, apgis_login):
    client = apgis_login("manager")
    url = f"/agent/apgis/assures/{apgis['insured']}/reglements"
    soup = submit(client, url, {**RECORD, "beneficiary": "Zoé AUTRE", "care_date": "20/03/2026", "apgis": "1200",
                                "label": ""}, status=422)
    assert errors_of(soup) == ["Sélectionnez le bénéficiaire des soins.", "Saisissez le soin remboursé.",
                               "La date du soin ne peut pas être postérieure à la date du règlement.",
                               "Les remboursements de la Sécurité sociale et de l’Apgis dépassent la dépense."]
    assert soup.select_one("#payee")["value"] == "Cabinet Dentaire Sourire"
    with app.app_context():
        assert ApgisReimbursement.query.count() == 0


def test_a_statement_groups_the_reimbursements_not_yet_on_one(app, apgis, apgis_login, seed):
    def make(c):
        stated = fs.reimbursement(c["insured"], date(2026, 1, 10))
        fs.statement(c["insured"], "DEC-2026-000001", date(2026, 1, 31), [stated])
        fs.reimbursement(c["insured"], date(2026, 2, 3), apgis=1000)
        fs.reimbursement(c["insured"], date(2026, 3, 17), apgis=2000)
        fs.reimbursement(c["insured2"], date(2026, 3, 17))
    seed(make)
    client = apgis_login("manager")
    url = f"/agent/apgis/assures/{apgis['insured']}"
    soup = page(client, url + "/reglements")
    assert "2 remboursements en attente de décompte." in soup.get_text()
    token = soup.select_one("input[name=decompte-submission]")["value"]
    response = submit(client, url + "/decomptes", {"decompte-submission": token}, status=303)
    after = page(client, response.headers["Location"])
    message = after.select_one("#messages").get_text(strip=True)
    assert message.startswith("Le décompte n° DEC-") and message.endswith("« Mes décomptes ».")
    assert "Aucun remboursement n’est en attente de décompte." in after.get_text()
    again = submit(client, url + "/decomptes", {"decompte-submission": token}, status=303)  # a double click
    assert again.headers["Location"] == response.headers["Location"]
    with app.app_context():
        statement = ApgisStatement.query.filter(ApgisStatement.number != "DEC-2026-000001").one()
        assert statement.insured_id == apgis["insured"] and statement.kind == "ponctuel"
        assert (statement.period_start, statement.period_end, statement.total_cents) == (
            date(2026, 2, 3), date(2026, 3, 17), 3000)
        assert ApgisReimbursement.query.filter_by(statement_id=None).count() == 1  # Paul's
    nothing = submit(client, url + "/decomptes", {"decompte-submission": "f" * 32}, status=303)
    assert "aucun décompte n’a été créé" in page(client, nothing.headers["Location"]).select_one("#messages").get_text()
    statements = page(apgis_login("insured"), "/apgis/decomptes")
    assert len(statements.select("#decomptes tbody tr")) == 2


def test_faq_entries_are_added_edited_ordered_and_deleted(app, apgis, apgis_login):
    client = apgis_login("manager")
    for question in ("Comment obtenir ma carte ?", "Quand suis-je remboursé ?", "Comment changer d’adresse ?"):
        token = page(client, "/agent/apgis/documentation").select_one("input[name=submission]")["value"]
        submit(client, "/agent/apgis/documentation/questions",
               {"submission": token, "question": question, "answer": f"Réponse à « {question} »"}, status=303)
    empty = submit(client, "/agent/apgis/documentation/questions", {"question": "", "answer": ""}, status=422)
    assert errors_of(empty) == ["Saisissez la question.", "Saisissez la réponse."]
    with app.app_context():
        ids = [e.id for e in ApgisFaq.query.order_by(ApgisFaq.position)]
    submit(client, f"/agent/apgis/documentation/questions/{ids[2]}/monter", {}, status=303)
    submit(client, f"/agent/apgis/documentation/questions/{ids[0]}/supprimer", {}, status=303)
    edit = page(client, f"/agent/apgis/documentation/questions/{ids[1]}")
    assert edit.select_one("#question")["value"] == "Quand suis-je remboursé ?"
    submit(client, f"/agent/apgis/documentation/questions/{ids[1]}",
           {"question": "Sous quel délai suis-je remboursé ?", "answer": "Sous 48 heures en général."}, status=303)
    soup = page(apgis_login("insured"), "/apgis/questions-frequentes")
    assert [s.get_text(strip=True) for s in soup.select("details summary")] == [
        "Comment changer d’adresse ?", "Sous quel délai suis-je remboursé ?"]
    assert soup.select("details p")[1].get_text(strip=True) == "Sous 48 heures en général."
    other = page(apgis_login("other_insured"), "/apgis/questions-frequentes")
    assert other.select("details") == []


def test_documents_are_added_with_a_file_published_withdrawn_and_deleted(app, apgis, apgis_login):
    client = apgis_login("manager")
    new = page(client, "/agent/apgis/documentation/documents/nouveau")
    assert [o.get_text() for o in new.select("#contract_name option")] == [
        "Tous les assurés", "Les assurés du contrat Santé Entreprise", "Les assurés du contrat Santé Individuelle"]
    token = new.select_one("input[name=submission]")["value"]
    refused = submit(client, "/agent/apgis/documentation/documents/nouveau",
                     {"submission": token, "title": "", "contract_name": ""}, status=422)
    assert errors_of(refused) == ["Saisissez le titre du document.", "Sélectionnez au moins un fichier."]
    response = client.post("/agent/apgis/documentation/documents/nouveau", data={
        "submission": token, "title": "Tableau des garanties 2026", "description": "Vos garanties, poste par poste.",
        "contract_name": "Santé Individuelle", "published": "y",
        "pieces_jointes": (io.BytesIO(b"%PDF-1.4\n%garanties\n"), "garanties-2026.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        publication = ApgisPublication.query.one()
        pid = publication.id
        assert (publication.contract_name, publication.published) == ("Santé Individuelle", True)
    eloise = apgis_login("insured")
    soup = page(eloise, "/apgis/documentation")
    card = soup.select_one(f"#publication-{pid}")
    assert card.h2.get_text(strip=True) == "Tableau des garanties 2026"
    download = eloise.get(card.select_one("a")["href"])
    assert download.status_code == 200 and download.data == b"%PDF-1.4\n%garanties\n"
    paul = apgis_login("insured2")  # another contract: not for him
    assert page(paul, "/apgis/documentation").select_one(f"#publication-{pid}") is None
    assert paul.get(f"/apgis/documentation/{pid}/fichier").status_code == 404
    submit(client, f"/agent/apgis/documentation/documents/{pid}/retirer", {}, status=303)
    assert page(eloise, "/apgis/documentation").select_one(f"#publication-{pid}") is None
    assert eloise.get(f"/apgis/documentation/{pid}/fichier").status_code == 404
    submit(client, f"/agent/apgis/documentation/documents/{pid}/publier", {}, status=303)
    assert page(eloise, "/apgis/documentation").select_one(f"#publication-{pid}") is not None
    submit(client, f"/agent/apgis/documentation/documents/{pid}/supprimer", {}, status=303)
    with app.app_context():
        assert ApgisPublication.query.count() == 0
        from models.attachment import Attachment
        assert Attachment.query.filter_by(subject_type="apgis_publication").count() == 0
