"""« Nous envoyer un document », member side (msa.md part A, seed 004): the service page, the
wizard's steps and rules, the draft, the sending (once), the acknowledgement."""
import io
import re

from pypdf import PdfReader

from models import Attachment, Draft, MsaDocumentSubmission, OutboxMessage
from tests.helpers import errors_of, fragment, page, submit
from tests.msa.documents_fixtures import (BASE, SEND, STEP, agent, client_of, fill_files, information,  # noqa: F401
                                          jeanne, lot_of, make_world, paul, pdf_bytes, post_step, send_all, send_form,
                                          upload, walk_to_files, world)

WARNING = ("Les documents contenant des informations médicales doivent être transmis par courrier postal à "
           "l’adresse du service médical de votre MSA")


def pdf_text(data):
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def breadcrumb(soup):
    return [li.get_text(" ", strip=True) for li in soup.select(".wizard-steps li")]


def test_the_service_page_and_the_first_step_show_the_medical_warning(jeanne):
    soup = page(jeanne, BASE)
    assert soup.h1.get_text(strip=True) == "Nous envoyer un document"
    assert WARNING in soup.select_one(".notice--warning").get_text()
    assert soup.select_one(f"a.button[href='{SEND}']").get_text(strip=True) == "Envoyer un document"
    assert "Vous n’avez encore envoyé aucun document." in soup.get_text()

    soup = page(jeanne, SEND, follow_redirects=True)
    assert soup.h1.get_text(strip=True) == "Objet de l’envoi"
    assert WARNING in soup.select_one("#avertissement-medical").get_text()
    steps = breadcrumb(soup)
    assert [s.split(" (")[0].removeprefix("Étape 1 sur 5, en cours : ") for s in steps] == [
        "Objet de l’envoi", "Nombre de documents", "Saisie des informations", "Ajout d’un fichier",
        "Envoi et accusé de réception"]
    labels = [label.get_text(strip=True) for label in soup.select("#subject-groupe .choice label")]
    assert "D’autres documents" in labels and len(labels) == 6


def test_the_home_tile_and_the_messaging_link_lead_here(jeanne):
    soup = page(jeanne, "/msa/")
    assert soup.find("a", string=re.compile("Nous envoyer un document"))["href"] == BASE
    response = jeanne.get("/msa/messages/envoyer-un-document")
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE)


def test_anonymous_visitors_are_sent_to_the_msa_login(client, world):
    for url in (BASE, SEND, STEP.format("objet"), BASE + "/1/confirmation", BASE + "/1/accuse-de-reception.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/msa/connexion" in response.headers["Location"], url


def test_each_step_refuses_what_is_missing_with_french_errors(jeanne):
    soup = submit(jeanne, STEP.format("objet"), {"suivant": "1"}, status=422)
    assert errors_of(soup) == ["Sélectionnez l’objet de votre envoi."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert post_step(jeanne, "objet", {"subject": "autres-documents", "suivant": "1"}).status_code == 303

    for wrong in ("", "0", "6", "deux"):
        soup = submit(jeanne, STEP.format("nombre"), {"count": wrong, "suivant": "1"}, status=422)
        assert errors_of(soup) == ["Sélectionnez le nombre de documents à envoyer (de 1 à 5)."], wrong
    assert post_step(jeanne, "nombre", {"count": "5", "suivant": "1"}).status_code == 303

    soup = page(jeanne, STEP.format("informations"))
    assert [f.select_one("legend").get_text(strip=True) for f in soup.select("fieldset.card")] == [
        f"Document {n}" for n in range(1, 6)]
    # The person concerned is the member until they name someone else.
    assert soup.select_one("#personne_1")["value"] == "Jeanne LACOSTE"
    natures = [o.get_text() for o in soup.select("#nature_1 option")][1:]
    assert "Pièce d’identité" in natures and "Autre document" in natures
    data = information(5, natures=("piece-identite",))
    data.update(nature_3="", motif_5="", personne_2="", nature_4="avis-imposition")  # not of this subject
    soup = submit(jeanne, STEP.format("informations"), data, status=422)
    errors = errors_of(soup)
    assert "Document 3 : sélectionnez la nature du document." in errors
    assert "Document 5 : saisissez le motif de l’envoi." in errors
    assert "Document 2 : saisissez le nom de la personne concernée." in errors
    assert len(errors) == 4  # and document 4's nature, not one of « D’autres documents »
    # What was typed is all there, errors included.
    assert soup.select_one("#motif_1")["value"] == "Déclaration de mes ressources (1)"
    assert soup.select_one("#personne_2")["value"] == ""


def test_files_refused_by_type_and_size_with_french_errors(app, jeanne):
    walk_to_files(jeanne, count=1)
    lot = lot_of(jeanne)
    soup = page(jeanne, STEP.format("fichiers"))
    assert "Les formats acceptés sont pdf, jpg, jpeg et png, 5 Mo maximum par fichier." in soup.get_text()
    response = upload(jeanne, "document-1-fichier-1", "releve.docx", b"PK\x03\x04 not a pdf", lot)
    assert response.status_code == 200
    soup = check(response)
    error = "#justificatifs-fichier-document-1-fichier-1-erreur"
    assert "n’est pas d’un format accepté" in soup.select_one(error).get_text()
    response = upload(jeanne, "document-1-fichier-1", "faux.pdf", b"MZ\x90\x00 an executable", lot)
    text = check(response).select_one("#justificatifs-fichier-document-1-fichier-1-erreur").get_text()
    assert "faux.pdf" in text
    big = pdf_bytes(5 * 1024 * 1024 + 10)
    response = upload(jeanne, "document-1-fichier-1", "gros.pdf", big, lot)
    assert "5 Mo" in check(response).select_one("#justificatifs-fichier-document-1-fichier-1-erreur").get_text()
    with app.app_context():
        assert Attachment.query.filter_by(policy="msa_documents").count() == 0


def check(response):
    from tests.helpers import check_page
    return check_page(response.get_data(as_text=True))


def test_the_first_file_of_each_document_and_the_attestation_are_required(app, jeanne):
    walk_to_files(jeanne, count=2)
    lot = lot_of(jeanne)
    assert upload(jeanne, "document-1-fichier-1", "a.pdf", pdf_bytes(), lot).status_code == 200
    response = post_step(jeanne, "fichiers", send_form(jeanne, lot, attest=False))
    assert response.status_code == 422
    errors = errors_of(check(response))
    assert "Cochez la case « J’atteste la conformité des documents transmis » pour envoyer vos documents." in errors
    assert any("Document 2 : Bulletin de salaire – fichier 1" in e for e in errors)
    assert check(response).select_one("label[for=attest]").get_text(strip=True).startswith(
        "J’atteste la conformité des documents transmis")
    with app.app_context():
        assert MsaDocumentSubmission.query.count() == 0


def test_send_two_documents_of_two_files_each(app, jeanne, world):
    response = send_all(jeanne, count=2, per_document=2)
    assert response.status_code == 303
    with app.app_context():
        submission = MsaDocumentSubmission.query.one()
        year = submission.submitted_at.year
        assert submission.reference == f"DOC-{year}-000001"
        assert submission.status == "recu" and submission.organisation_id == world["org"]
        assert [(i.position, i.nature, i.person) for i in submission.items] == [
            (1, "avis-imposition", "Jeanne LACOSTE"), (2, "bulletin-salaire", "Jeanne LACOSTE")]
        files = Attachment.query.filter_by(subject_type="msa_document_submission", subject_id=submission.id).all()
        assert sorted(a.document for a in files) == ["accuse-reception", "document-1-fichier-1",
                                                      "document-1-fichier-2", "document-2-fichier-1",
                                                      "document-2-fichier-2"]
        assert all(a.organisation_id == world["org"] for a in files)
        assert Draft.query.count() == 0
        mail = OutboxMessage.query.filter_by(channel="email").one()
        assert mail.recipient == "jeanne@example.fr"
        assert mail.subject == "MSA – Accusé de réception de vos documents"
        assert submission.reference in mail.body and "Document 2 : Bulletin de salaire (Jeanne LACOSTE)" in mail.body
        receipt = next(a for a in files if a.document == "accuse-reception")
        assert mail.attachment_ids == [receipt.id]
        submission_id = submission.id

    soup = page(jeanne, response.headers["Location"])
    assert soup.h1.get_text(strip=True) == "Envoi et accusé de réception"
    assert soup.select_one("#reference").get_text() == f"DOC-{year}-000001"
    assert breadcrumb(soup)[-1].startswith("Étape 5 sur 5, en cours")
    pdf = jeanne.get(f"{BASE}/{submission_id}/accuse-de-reception.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]

    soup = page(jeanne, BASE)
    row = soup.select_one(f"#envoi-{submission_id}")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[0] == f"DOC-{year}-000001" and cells[3] == "Reçu"
    assert row.select_one("a[download]")["href"] == f"{BASE}/{submission_id}/accuse-de-reception.pdf"


def test_the_acknowledgement_pdf_reads_back(app, jeanne):
    walk_to_files(jeanne, count=2, subject="changement-situation",
                  natures=("acte-naissance", "jugement-separation"), person="Éloïse Lefèvre-Dubois",
                  reason="Naissance de ma fille Léa")
    lot = fill_files(jeanne, count=2, per_document=1)
    response = post_step(jeanne, "fichiers", send_form(jeanne, lot))
    assert response.status_code == 303
    with app.app_context():
        submission = MsaDocumentSubmission.query.one()
        reference, submission_id = submission.reference, submission.id
    text = pdf_text(jeanne.get(f"{BASE}/{submission_id}/accuse-de-reception.pdf").data)
    assert "Accusé de réception de vos documents" in text
    assert reference in text
    assert "MSA Gironde" in text
    assert "Jeanne LACOSTE" in text
    assert "Un changement de situation familiale ou professionnelle" in text
    assert "Acte de naissance" in text and "Jugement de divorce ou de séparation" in text
    assert "Éloïse Lefèvre-Dubois" in text
    assert "Naissance de ma fille Léa (1)" in text
    assert "doc1-page1.pdf" in text and "doc2-page1.pdf" in text
    assert "service médical" in text


def test_sending_twice_sends_once(app, jeanne):
    walk_to_files(jeanne, count=1)
    lot = fill_files(jeanne, count=1, per_document=1)
    data = send_form(jeanne, lot)
    first = post_step(jeanne, "fichiers", data)
    second = post_step(jeanne, "fichiers", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert MsaDocumentSubmission.query.count() == 1
        assert OutboxMessage.query.filter_by(channel="email").count() == 1
    # A second submission is numbered next, without a gap.
    walk_to_files(jeanne, count=1)
    lot = fill_files(jeanne, count=1, per_document=1)
    assert post_step(jeanne, "fichiers", send_form(jeanne, lot)).status_code == 303
    with app.app_context():
        assert sorted(s.reference[-6:] for s in MsaDocumentSubmission.query) == ["000001", "000002"]


def test_going_back_and_forward_loses_nothing(app, jeanne):
    walk_to_files(jeanne, count=2)
    lot = fill_files(jeanne, count=2, per_document=2)
    response = post_step(jeanne, "fichiers", {"justificatifs-lot": lot, "attest": "y", "precedent": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/informations")
    soup = page(jeanne, STEP.format("informations"))
    assert soup.select_one("#nature_2 option[selected]")["value"] == "bulletin-salaire"
    assert soup.select_one("#motif_2")["value"] == "Déclaration de mes ressources (2)"
    # Back to step 2, then forward again: the count and the files are still there.
    assert post_step(jeanne, "informations", {**information(2), "suivant": None, "precedent": "1"}
                     ).headers["Location"].endswith("/nombre")
    soup = page(jeanne, STEP.format("nombre"))
    assert soup.select_one("input[name=count][checked]")["value"] == "2"
    assert post_step(jeanne, "nombre", {"count": "2", "suivant": "1"}).status_code == 303
    assert post_step(jeanne, "informations", information(2)).status_code == 303
    soup = page(jeanne, STEP.format("fichiers"))
    given = [p.get_text(" ", strip=True) for p in soup.select(".document-given")]
    assert len(given) == 4 and any("doc2-page2.png" in g for g in given)
    assert soup.select_one("#attest").has_attr("checked")


def test_a_draft_can_be_resumed_or_discarded_from_the_service_page(app, jeanne):
    walk_to_files(jeanne, count=1)
    lot = lot_of(jeanne)
    upload(jeanne, "document-1-fichier-1", "a.pdf", pdf_bytes(), lot)
    response = post_step(jeanne, "fichiers", {"justificatifs-lot": lot, "enregistrer": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(BASE)
    soup = page(jeanne, BASE)
    assert "Votre brouillon a été enregistré" in soup.select_one("#messages").get_text()
    draft = soup.select_one("#brouillon")
    assert draft.select_one("a.button").get_text(strip=True) == "Reprendre mon envoi"
    resumed = jeanne.get(draft.select_one("a.button")["href"])
    assert resumed.status_code == 303 and resumed.headers["Location"].endswith("/fichiers")
    soup = page(jeanne, STEP.format("fichiers"))
    assert "a.pdf" in soup.select_one(".document-given").get_text()

    discard = draft.find("a", string="Supprimer le brouillon")["href"]
    soup = page(jeanne, discard)
    assert soup.h1.get_text(strip=True) == "Voulez-vous supprimer votre brouillon ?"
    response = jeanne.post(discard.split("?")[0], data={"supprimer-brouillon": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(BASE)
    soup = page(jeanne, BASE)
    assert soup.select_one("#brouillon") is None
    with app.app_context():
        assert Draft.query.count() == 0


def test_htmx_steps_swap_the_wizard(jeanne):
    soup = fragment(jeanne, STEP.format("objet"))
    assert soup.select_one("#envoi-document h1").get_text(strip=True) == "Objet de l’envoi"
    response = jeanne.post(STEP.format("objet"), data={"subject": "retraite", "suivant": "1"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 303
    soup = fragment(jeanne, response.headers["Location"])
    assert soup.select_one("h1").get_text(strip=True) == "Nombre de documents"


def test_another_members_submission_and_files_are_404(app, jeanne, paul):
    assert send_all(jeanne, count=1, per_document=1).status_code == 303
    with app.app_context():
        submission = MsaDocumentSubmission.query.one()
        ids = [a.id for a in Attachment.query.filter_by(subject_id=submission.id,
                                                        subject_type="msa_document_submission")]
        submission_id = submission.id
    for url in (f"{BASE}/{submission_id}/confirmation", f"{BASE}/{submission_id}/accuse-de-reception.pdf",
                *(f"/composants/pieces-jointes/{i}" for i in ids)):
        assert paul.get(url).status_code == 404, url
        assert jeanne.get(url).status_code == 200, url
    assert "DOC-" not in page(paul, BASE).get_text()


def test_sending_on_each_database(any_db_app, login):
    """The whole sending, numbering and one-time token included, on SQLite and PostgreSQL."""
    app = any_db_app
    make_world(app)
    client = client_of(app, login, "jeanne@example.fr")
    walk_to_files(client, count=2)
    lot = fill_files(client, count=2, per_document=2)
    data = send_form(client, lot)
    assert post_step(client, "fichiers", data).status_code == 303
    assert post_step(client, "fichiers", data).status_code == 303  # the second post finds the first
    assert send_all(client, count=1, per_document=1).status_code == 303
    with app.app_context():
        submissions = MsaDocumentSubmission.query.order_by(MsaDocumentSubmission.id).all()
        assert [s.reference[-6:] for s in submissions] == ["000001", "000002"]
        assert [len(s.items) for s in submissions] == [2, 1]
        assert Attachment.query.filter_by(subject_type="msa_document_submission").count() == 5 + 2
        assert OutboxMessage.query.filter_by(channel="email").count() == 2


# --- The choice steps' block rendered once (blueprints/msa/documents.py _pristine_wizard) --------

def _html(client, url, **kwargs):
    html = client.get(url, **kwargs).get_data(as_text=True)
    html = re.sub(r'(name="csrf_token" value=")[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)


def _token(client, url):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def test_the_choice_steps_rendered_once_are_the_blocks(app, monkeypatch, jeanne, paul):
    from blueprints.msa import documents
    from core.formatting import fr_datetime
    hx = {"headers": {"HX-Request": "true"}}
    for client in (jeanne, paul):
        client.get(BASE)  # the login's message, flashed once
    assert post_step(jeanne, "objet", {"subject": "ressources", "suivant": "1"}).status_code == 303
    cases = [(client, STEP.format(step), kwargs) for client in (jeanne, paul) for step in ("objet", "nombre")
             for kwargs in ({}, hx)]
    seen = {}
    for client, url, kwargs in cases:
        seen[client, url, bool(kwargs)] = (_html(client, url, **kwargs), _html(client, url, **kwargs))
    store = app.extensions["guichet_prerendered"]
    assert sum(1 for key in store if key[0] == "msa.documents.wizard") >= 4
    with monkeypatch.context() as patched:
        patched.setattr(documents, "_pristine_wizard", lambda page, context, choices_key: None)
        for client, url, kwargs in cases:
            fresh = _html(client, url, **kwargs)
            assert seen[client, url, bool(kwargs)] == (fresh, fresh), url
    # Each member's own values: the draft's date, the CSRF token of their session.
    with app.app_context():
        draft = Draft.query.one()
        date = fr_datetime(draft.updated_at)
    objet = seen[jeanne, STEP.format("objet"), False][0]
    assert f"Brouillon enregistré le {date}." in objet
    assert "wizard-step--done" in seen[jeanne, STEP.format("nombre"), True][0]
    assert "Brouillon enregistré" not in seen[paul, STEP.format("objet"), False][0]
    for client in (jeanne, paul):
        token = _token(client, STEP.format("objet"))
        assert f'name="csrf_token" value="{token}"' in client.get(STEP.format("objet")).get_data(as_text=True)


def test_a_message_flashed_to_the_block_is_shown(jeanne):
    jeanne.get(BASE)
    assert post_step(jeanne, "objet", {"subject": "ressources", "enregistrer": "1"}).status_code == 303
    soup = fragment(jeanne, STEP.format("objet"))
    assert soup.select_one("#messages[hx-swap-oob] .notice")
    assert not fragment(jeanne, STEP.format("objet")).select_one("#messages .notice")
