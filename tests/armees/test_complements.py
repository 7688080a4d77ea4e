"""Complement requests, the ressortissant's side (seed 000, part D « Répondre aux demandes de
compléments »): the request page, « Répondre » → files → « Valider », « Envoyé » with the sending
date, the envelope, idempotency, refusals, and the mail's link through the login."""
from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from extensions import db
from models import AidApplication, Attachment
from models.armees import APPLICATION_WORKFLOW, ComplementRequest
from tests import factories
from tests.helpers import check_page, fragment, page

from tests.armees.test_follow import PDF, post_files, upload_form

ASKED_AT = datetime(2026, 10, 12, 8, 30, tzinfo=timezone.utc)  # 12/10/2026 10h30min in Paris


def _request(app, make_application, state="instruction"):
    application_id = make_application(state)
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        complement = factories.armees_complement(
            a, "Pièces manquantes pour l’instruction", now=ASKED_AT,
            documents=[{"label": "Avis d’imposition", "reason": "illisible"},
                       {"label": "RIB", "reason": "non-conforme"}])
        db.session.commit()
        return application_id, complement.id


def dl(soup):
    return {div.dt.get_text(" ", strip=True): div.dd.get_text(" ", strip=True) for div in soup.select("dl > div")}


def test_the_request_page_shows_object_documents_date_and_state(app, armees_login, make_application):
    application_id, complement_id = _request(app, make_application)
    soup = page(armees_login("member"), f"/armees/demandes/{application_id}/complements/{complement_id}")
    assert soup.h1.get_text() == "Demande de complément de pièces"
    fields = dl(soup)
    assert fields["Objet de la demande"] == "Pièces manquantes pour l’instruction"
    assert [li.get_text() for li in soup.select("#pieces-demandees li")] == [
        "Avis d’imposition – Document illisible",
        "RIB – Le document transmis ne correspond pas au document demandé"]
    assert fields["Date et heure de la demande"] == "12/10/2026 10h30min"
    assert fields["État de la demande"] == "En attente de réponse"
    answer = soup.select_one("#reponse a")
    assert answer.get_text() == "Répondre" and answer["href"].endswith("?repondre=1")
    assert soup.select_one("a[href='/armees/demandes/']").get_text() == "Précédent"


def test_answering_with_a_file_sends_it_once(app, armees_login, make_application):
    application_id, complement_id = _request(app, make_application)
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/complements/{complement_id}"
    soup = fragment(client, url + "?repondre=1")  # « Répondre » opened in place
    assert soup.select_one("h2").get_text() == "Répondre"
    assert soup.select_one("legend").get_text(" ", strip=True).startswith(
        "Pièces complémentaires : Avis d’imposition, RIB")
    fields = upload_form(client, url + "?repondre=1")
    response = post_files(client, url, fields, files=[("avis.pdf", PDF), ("rib.pdf", PDF + b" ")])
    assert response.status_code == 303 and response.location.endswith(url)
    again = client.post(url, data=fields)  # a double click, or Back + resend
    assert again.status_code == 303 and again.location.endswith(url)
    soup = page(client, url)
    assert soup.select_one(".notice--success").get_text().startswith("Votre réponse a bien été envoyée")
    fields_shown = dl(soup)
    assert fields_shown["État de la demande"] == "Envoyé"
    assert "Date et heure de la demande" not in fields_shown
    assert fields_shown["Date et heure de l’envoi"] != "12/10/2026 10h30min"
    assert soup.select_one("#reponse a") is None  # no « Répondre » any more
    with app.app_context():
        complement = db.session.get(ComplementRequest, complement_id)
        assert complement.state == "envoye" and complement.answered_at > ASKED_AT
        files = Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).all()
        assert sorted((f.original_name, f.document) for f in files) == [
            ("avis.pdf", f"complement-{complement_id}"), ("rib.pdf", f"complement-{complement_id}")]
        entries = APPLICATION_WORKFLOW.history(db.session.get(AidApplication, application_id),
                                               kinds=["complement_answer"])
        assert [e.text for e in entries] == ["Pièces manquantes pour l’instruction : avis.pdf, rib.pdf"]
        assert db.session.get(AidApplication, application_id).unanswered_complements() == 0
    row = page(client, "/armees/demandes/").select_one(f"#demande-{application_id}")
    assert row.select_one("a.envelope") is not None and row.select_one(".envelope-count") is None
    documents = page(client, f"/armees/demandes/{application_id}?onglet=documents")
    assert [th.get_text() for th in documents.select("#onglet tbody th")] == [
        "Réponse à la demande de complément « Pièces manquantes pour l’instruction »"] * 2


def test_answering_without_a_file_says_so(app, armees_login, make_application):
    application_id, complement_id = _request(app, make_application)
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/complements/{complement_id}"
    response = client.post(url, data=upload_form(client, url + "?repondre=1"))
    assert response.status_code == 422
    soup = check_page(response.get_data(as_text=True))
    assert soup.title.get_text().startswith("Erreur : ")
    assert [a.get_text() for a in soup.select(".error-summary a")] == ["Sélectionnez au moins un fichier."]
    with app.app_context():
        assert db.session.get(ComplementRequest, complement_id).state == "en-attente"


def test_a_request_already_answered_cannot_be_answered_again(app, armees_login, make_application):
    application_id, complement_id = _request(app, make_application)
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/complements/{complement_id}"
    fields = upload_form(client, url + "?repondre=1")
    with app.app_context():  # answered meanwhile (another tab)
        db.session.get(ComplementRequest, complement_id).mark_sent()
        db.session.commit()
    response = post_files(client, url, fields)
    assert response.status_code == 409
    soup = check_page(response.get_data(as_text=True))
    assert soup.select_one(".notice--error").get_text().startswith(
        "Cette demande de complément a déjà reçu une réponse le ")
    soup = page(client, url + "?repondre=1")
    assert soup.select_one(".notice--error") and soup.select_one("input[type=file]") is None
    with app.app_context():
        assert Attachment.query.filter_by(subject_type="armees_application", subject_id=application_id).count() == 0


def test_the_mails_link_goes_through_the_login_to_the_request(app, armees, make_application, login):
    application_id, complement_id = _request(app, make_application)
    with app.test_request_context():
        from flask import url_for
        link = url_for("armees.complement", application_id=application_id, complement_id=complement_id,
                       _external=True)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = app.test_client()
    response = client.get("/" + path)
    assert response.status_code == 302
    assert response.location == f"/compte/connexion?next={quote('/' + path + '?', safe='/?')}"
    response = client.post(response.location, data={"email": armees["emails"]["member"],
                                                     "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.location == f"/armees/demandes/{application_id}/complements/{complement_id}"
    assert page(client, response.location).h1.get_text() == "Demande de complément de pièces"


def test_an_answer_posted_on_an_expired_session_comes_back_after_the_login(app, armees, armees_login,
                                                                            make_application):
    from tests.auth.test_session_expiry import KEPT, RESTORED, expire, next_of, notices
    application_id, complement_id = _request(app, make_application)
    client = armees_login("member")
    url = f"/armees/demandes/{application_id}/complements/{complement_id}"
    fields = upload_form(client, url + "?repondre=1")
    expire(app)
    response = post_files(client, url, fields, files=[("avis.pdf", PDF)])
    assert response.status_code == 302 and next_of(response.location) == url
    login_page = page(client, response.location)
    assert notices(login_page)[0].endswith(KEPT)
    back = client.post(response.location, data={"email": armees["emails"]["member"],
                                                 "password": factories.PASSWORD}, follow_redirects=True)
    soup = check_page(back.get_data(as_text=True))
    assert any(n.endswith(RESTORED) for n in notices(soup)), notices(soup)
    assert [li.a.get_text() for li in soup.select("#pieces_jointes-contenu li")] == ["avis.pdf"]
    kept = {i["name"]: i.get("value", "") for i in soup.select("#reponse form input[type=hidden]")}
    assert client.post(url, data=kept).status_code == 303
    with app.app_context():
        assert db.session.get(ComplementRequest, complement_id).state == "envoye"


def test_the_answer_service_on_each_database(any_db_app):
    """service.answer_complement: once per token, refused once the request was answered."""
    from blueprints.armees import service
    from core.uploads import AttachmentSet
    from models import Organisation, User
    from models.armees import IllegalTransition
    token, other_token = "a" * 32, "b" * 32
    with any_db_app.app_context():
        org = factories.organisation(portal="armees", code="IGESA", name="Igesa")
        owner = factories.user(email="ressortissant@example.fr")
        agent = factories.user(email="agent@igesa.fr", role="agent", organisation=org)
        application = factories.armees_application(owner, org, state="instruction", agent=agent)
        complement = factories.armees_complement(application)
        pending = factories.armees_file(application, subject_type=None)
        pending.subject_id, pending.upload_set = None, "c" * 32
        db.session.commit()
        ids = owner.id, complement.id, application.id
    with any_db_app.test_request_context():
        owner = db.session.get(User, ids[0])
        complement = db.session.get(ComplementRequest, ids[1])
        files = AttachmentSet("armees_suivi", owner, token="c" * 32)
        assert len(files.items) == 1
        first = service.answer_complement(complement, owner, files, token)
        again = service.answer_complement(complement, owner, AttachmentSet("armees_suivi", owner, token="c" * 32),
                                          token)
        assert again.id == first.id
        with pytest.raises(IllegalTransition):
            service.answer_complement(complement, owner, AttachmentSet("armees_suivi", owner, token="d" * 32),
                                      other_token)
        db.session.rollback()
        complement = db.session.get(ComplementRequest, ids[1])
        assert complement.state == "envoye" and complement.answered_at is not None
        attachments = Attachment.query.filter_by(subject_type="armees_application", subject_id=ids[2]).all()
        assert [a.document for a in attachments] == [f"complement-{ids[1]}"]
        assert db.session.get(Organisation, attachments[0].organisation_id).code == "IGESA"


def test_with_csrf_on_a_forged_answer_changes_nothing(csrf_app, login):
    """Without the form's CSRF token (a forged cross-site post), nothing is answered or deleted."""
    with csrf_app.app_context():
        org = factories.organisation(portal="armees", code="IGESA", name="Igesa")
        owner = factories.user(email="ressortissant@example.fr")
        agent = factories.user(email="agent@igesa.fr", role="agent", organisation=org)
        application = factories.armees_application(owner, org, state="instruction", agent=agent)
        draft = factories.armees_application(owner, org)
        complement = factories.armees_complement(application)
        db.session.commit()
        ids = application.id, complement.id, draft.id
    client = csrf_app.test_client()
    soup = page(client, "/compte/connexion")
    token = soup.select_one("main input[name=csrf_token]")["value"]
    assert client.post("/compte/connexion", data={"email": "ressortissant@example.fr", "password": factories.PASSWORD,
                                                  "csrf_token": token}).status_code == 302
    url = f"/armees/demandes/{ids[0]}/complements/{ids[1]}"
    fields = upload_form(client, url + "?repondre=1")
    fields.pop("csrf_token")
    assert post_files(client, url, fields).status_code == 400  # CSRFProtect, before the view
    assert client.post(f"/armees/demandes/{ids[2]}/supprimer").status_code == 400
    assert client.post(f"/armees/demandes/{ids[0]}/dupliquer", data={"submission": "c" * 32}).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(ComplementRequest, ids[1]).state == "en-attente"
        assert db.session.get(AidApplication, ids[2]) is not None
        assert AidApplication.query.count() == 2
