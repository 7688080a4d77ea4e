"""« L'Apgis et moi »: « Nous transmettre » (a DIT with the document), « Vous avez une question »
(the manager answers: mailed, shown in « Suivi »), and « Suivi »."""
from extensions import db
from models.apgis import ApgisQuestion, ApgisRequest
from tests.apgis.conftest import pdf_file
from tests.factories import PASSWORD
from tests.helpers import errors_of, page, submit

TRANSMIT = "/apgis/nous-transmettre"
QUESTION = "/apgis/vous-avez-une-question"


def test_transmit_a_dental_estimate(app, apgis, apgis_login):
    client = apgis_login("insured")
    soup = page(client, TRANSMIT)
    groups = [g["label"] for g in soup.select("#nature optgroup")]
    assert groups == ["Etat civil ou situation familiale", "Remboursements frais de santé"]
    assert len(soup.select("#nature optgroup option")) == 22
    soup = submit(client, TRANSMIT, {"nature": "Devis dentaire"}, status=422)
    assert "Sélectionnez au moins un fichier." in " ".join(errors_of(soup))
    soup = submit(client, TRANSMIT, {"nature": "Pas une nature", "pieces_jointes": pdf_file()}, status=422,
                  content_type="multipart/form-data")
    assert "Sélectionnez la nature du document dans la liste." in errors_of(soup)
    response = client.post(TRANSMIT, data={"nature": "Devis dentaire", "comment": "Pour la couronne",
                                           "pieces_jointes-lot": soup.select_one("[name=pieces_jointes-lot]")["value"],
                                           "submission": soup.select_one("[name=submission]")["value"]})
    assert response.status_code == 303
    with app.app_context():
        dit = ApgisRequest.query.one()
        assert dit.kind == "document" and dit.document_nature == "Devis dentaire"
        assert dit.payload["comment"] == "Pour la couronne"
        dit_id = dit.id
    soup = page(client, "/apgis/suivi")
    assert "Transmission de document : Devis dentaire" in soup.select_one("#suivi").text
    soup = page(client, f"/apgis/suivi/demandes/{dit_id}")
    link = soup.select_one(".attachment-list a")["href"]
    assert client.get(link).status_code == 200
    manager = apgis_login("manager")
    assert manager.get(link).status_code == 200
    soup = page(manager, "/agent/apgis/demandes?type=document")
    assert soup.select_one("#apgis-file") and "Devis dentaire" in soup.select_one("#apgis-file").text


def test_school_certificate_needs_the_child(app, apgis, apgis_login):
    client = apgis_login("insured2")
    soup = submit(client, TRANSMIT, {"nature": "Certificat de scolarité", "pieces_jointes": pdf_file()}, status=422,
                  content_type="multipart/form-data")
    assert "Sélectionnez l’enfant concerné par le certificat de scolarité." in errors_of(soup)


def test_question_answered_mailed_and_shown_in_suivi(app, apgis, apgis_login, outbox):
    client = apgis_login("insured")
    soup = submit(client, QUESTION, {"theme": "remboursements", "text": ""}, status=422)
    assert "Écrivez votre question." in errors_of(soup)
    soup = submit(client, QUESTION, {"theme": "remboursements", "text": "x" * 2001}, status=422)
    assert "Votre question doit faire 2000 caractères maximum (elle en fait 2001)." in errors_of(soup)
    assert soup.select_one("#text").text.strip() == "x" * 2001  # nothing typed is lost
    response = client.post(QUESTION, data={"theme": "remboursements", "text": "Quand serai-je remboursé ?"})
    assert response.status_code == 303
    with app.app_context():
        question = ApgisQuestion.query.one()
        qid, reference = question.id, question.reference
    soup = page(client, "/apgis/suivi")
    assert reference in soup.select_one("#suivi").text and "En attente de réponse" in soup.select_one("#suivi").text
    manager = apgis_login("manager")
    soup = page(manager, "/agent/apgis/questions")
    assert reference in soup.select_one("#apgis-liste-questions").text
    soup = submit(manager, f"/agent/apgis/questions/{qid}", {"answer": ""}, status=422)
    assert "Saisissez la réponse." in errors_of(soup)
    response = manager.post(f"/agent/apgis/questions/{qid}", data={"answer": "Sous 48 heures."})
    assert response.status_code == 303
    [mail] = [m for m in outbox() if m["subject"] == "Apgis – Réponse à votre question"]
    assert mail["to"] == "assure@example.fr" and "Sous 48 heures." in mail["body"]
    assert app.config["MAIL_DEFAULT_SENDER"].split("<")[-1].startswith("ne-pas-repondre@")
    soup = page(client, f"/apgis/suivi/questions/{qid}")
    assert soup.select_one("#reponse").text == "Sous 48 heures."
    # Answered once.
    assert manager.post(f"/agent/apgis/questions/{qid}", data={"answer": "Encore"}).status_code == 409
    with app.app_context():
        assert db.session.get(ApgisQuestion, qid).answer == "Sous 48 heures."


def test_suivi_newest_first(app, apgis, apgis_login):
    client = apgis_login("insured")
    client.post(QUESTION, data={"theme": "garanties", "text": "Première"})
    client.post("/apgis/nous-demander/carte-de-tiers-payant/demande", data={})
    client.post(QUESTION, data={"theme": "cotisations", "text": "Deuxième"})
    rows = [tr.td.text for tr in page(client, "/apgis/suivi").select("#suivi tbody tr")]
    assert [r.split("-")[0] for r in rows] == ["QST", "DIT", "QST"]
    assert rows[0] > rows[2]


def test_home_anonymous_and_without_file(app, apgis, apgis_login, client):
    soup = page(client, "/apgis/")
    assert soup.find("h2", string="Accès à votre Espace Assuré")
    assert soup.find("a", string="Mot de passe oublié ?")
    form = soup.select_one("#acces-espace ~ form, section form")
    assert "next=" in form["action"]
    response = client.post(form["action"], data={"email": "assure@example.fr", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/apgis/")
    soup = page(client, "/apgis/")
    assert soup.find("h1", string="Mon Espace Assuré") and soup.select_one("#nombre-notifications")
    soup = page(apgis_login("stranger"), "/apgis/")
    assert soup.select_one("#pas-de-dossier")


def test_a_question_posted_on_an_expired_session_comes_back_after_the_login(app, apgis, apgis_login):
    from tests.auth.test_session_expiry import expire, next_of
    client = apgis_login("insured")
    page(client, QUESTION)
    expire(app)
    response = client.post(QUESTION, data={"theme": "cotisations", "text": "Ma question gardée"})
    assert response.status_code == 302 and next_of(response.headers["Location"]) == QUESTION
    back = client.post(response.headers["Location"], data={"email": "assure@example.fr", "password": PASSWORD})
    soup = page(client, back.headers["Location"])
    assert soup.select_one("#text").text.strip() == "Ma question gardée"
    assert soup.select_one("input[value=cotisations]").has_attr("checked")
    with app.app_context():
        assert ApgisQuestion.query.count() == 0


def test_school_certificate_without_children(app, apgis, apgis_login):
    client = apgis_login("insured")
    soup = page(client, TRANSMIT)
    assert not soup.select_one("#beneficiary")
    soup = submit(client, TRANSMIT, {"nature": "Certificat de scolarité", "pieces_jointes": pdf_file()}, status=422,
                  content_type="multipart/form-data")
    assert any(e.startswith("Aucun enfant n’est enregistré") for e in errors_of(soup))
