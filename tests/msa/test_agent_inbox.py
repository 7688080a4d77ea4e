"""MSA « Ma messagerie », agent side (msa.md C, first bullet; B.7): inbox, conversation page,
« Répondre » (with the member's email notification) and « Clôturer la conversation »."""
import io
import re
from datetime import timedelta

import pytest

from extensions import db
from models import Attachment, AuditEvent, Conversation, ConversationMessage, MsaMember, StoredFile
from models.base import utcnow
from tests import factories
from tests.components.test_attachments_content import pdf_bytes
from tests.helpers import errors_of, fragment, page, submit

INBOX = "/agent/msa/"
ANSWER_SUBJECT = "MSA – Une réponse vous attend dans « Ma messagerie »"
ANSWER = "Bonjour, votre attestation de paiement est disponible dans votre espace privé."


@pytest.fixture
def world(app):
    """MSA Gironde and MSA Nord-Pas-de-Calais, an agent of each; members Jeanne and Paul of Gironde."""
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        other = factories.organisation(portal="msa", code="MSA59", name="MSA Nord-Pas-de-Calais")
        factories.user(email="agent@example.fr", role="agent", organisation=org, first_name="Alice",
                       last_name="Durand")
        factories.user(email="agent-nord@example.fr", role="agent", organisation=other)
        jeanne = factories.user(email="jeanne@example.fr", first_name="Jeanne", last_name="Lacoste")
        paul = factories.user(email="paul@example.fr", first_name="Paul", last_name="Roux")
        db.session.add(MsaMember(user=jeanne, nir="2850733063001", organisation=org))
        db.session.add(MsaMember(user=paul, nir="1850733063002", organisation=org))
        db.session.commit()
        return {"org": org.id, "other": other.id, "jeanne": jeanne.id, "paul": paul.id}


def make_conversation(app, org_id, member_id, days_ago=0, theme="famille", label="Famille, logement",
                      body="Bonjour, je voudrais mon attestation.", status="nouveau", **fields):
    with app.app_context():
        created = utcnow() - timedelta(days=days_ago)
        c = Conversation(member_id=member_id, organisation_id=org_id, theme=theme, subject="allocations",
                         reason="attestation", object_label=f"{label} > Allocations familiales > Attestation",
                         status=status, created_at=created, updated_at=created, **fields)
        db.session.add(c)
        db.session.add(ConversationMessage(conversation=c, author_id=member_id, body=body, created_at=created))
        db.session.commit()
        return c.id


def client_of(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def agent(app, login, world):
    return client_of(app, login, "agent@example.fr")


def conversation_ids(soup):
    return [int(tr["data-conversation"]) for tr in soup.select("#msa-liste tbody tr")]


def conversation(app, cid):
    with app.app_context():
        c = db.session.get(Conversation, cid)
        return {"status": c.status, "unread": c.unread_by_member,
                "messages": [(m.from_agent, m.body) for m in c.messages]}


# --- Access -------------------------------------------------------------------------------------

def test_inbox_is_for_agents_of_an_msa_organisation(app, login, world, make_user):
    with app.app_context():
        cpam, structure = factories.partner_setup()
        factories.user(email="agent-cpam@example.fr", role="agent", organisation=cpam)
        factories.technician(structure, email="tech@example.fr")
        factories.user(email="admin@example.fr", role="admin")
        db.session.commit()
    for email in ("jeanne@example.fr", "tech@example.fr", "agent-cpam@example.fr", "admin@example.fr"):
        client = client_of(app, login, email)
        assert client.get(INBOX).status_code == 403, email
        assert client.get(INBOX, headers={"HX-Request": "true"}).status_code == 403, email
    assert app.test_client().get(INBOX).status_code == 302  # anonymous: to the login page


def test_agent_home_links_to_the_inbox(app, agent):
    soup = page(agent, "/agent/")
    assert soup.select_one("#agent-msa a")["href"] == INBOX


# --- Inbox --------------------------------------------------------------------------------------

def test_inbox_lists_new_conversations_of_the_organisation_oldest_first(app, agent, world):
    w = world
    recent = make_conversation(app, w["org"], w["paul"], days_ago=1)
    old = make_conversation(app, w["org"], w["jeanne"], days_ago=5)
    answered = make_conversation(app, w["org"], w["jeanne"], days_ago=9, status="en-cours")
    make_conversation(app, w["other"], w["paul"], days_ago=20)  # another fund's
    soup = page(agent, INBOX)
    assert conversation_ids(soup) == [old, recent]  # default: Nouveau only, oldest first
    first = soup.select_one("#msa-liste tbody tr")
    cells = [td.get_text(" ", strip=True) for td in first.select("td")]
    assert cells[0] == f"Conversation n° {old} – Famille, logement > Allocations familiales > Attestation"
    assert cells[1] == "Jeanne LACOSTE"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\dh\d\dmin", cells[2])
    assert cells[3] == "Nouveau"
    assert cells[4].startswith("Non lu")
    soup = page(agent, INBOX + "?statut=tous")
    assert conversation_ids(soup) == [answered, old, recent]
    soup = page(agent, INBOX + "?statut=en-cours")
    assert conversation_ids(soup) == [answered]
    # Unknown values are ignored, never an error.
    assert conversation_ids(page(agent, INBOX + "?statut=x&theme=<b>&page=abc")) == [old, recent]


def test_inbox_filters_by_theme_and_updates_in_place(app, agent, world):
    w = world
    famille = make_conversation(app, w["org"], w["jeanne"], days_ago=3)
    sante = make_conversation(app, w["org"], w["paul"], days_ago=2, theme="sante", label="Santé")
    soup = page(agent, INBOX)
    options = [(o["value"], o.get_text(strip=True)) for o in soup.select("#theme option")]
    assert options == [("", "Tous les thèmes"), ("famille", "Famille, logement"), ("sante", "Santé")]
    form = soup.select_one("form[role=search]")
    assert form["method"] == "get" and form["hx-get"] == INBOX  # works without JS, htmx in place
    assert conversation_ids(page(agent, INBOX + "?theme=sante")) == [sante]
    part = fragment(agent, INBOX + "?theme=famille")
    assert conversation_ids(part) == [famille]
    assert part.select_one("#msa-annonce").get_text(strip=True) == "1 conversation trouvée."
    assert part.select_one("h1") is None


def test_inbox_pages(app, agent, world):
    ids = [make_conversation(app, world["org"], world["jeanne"], days_ago=30 - i) for i in range(13)]
    soup = page(agent, INBOX)
    assert conversation_ids(soup) == ids[:10]
    assert soup.select_one(".queue-total").get_text(strip=True) == "13 conversations"
    next_link = soup.select_one("nav.pagination a")
    assert next_link.get_text(strip=True) == "Page suivante"
    assert conversation_ids(page(agent, next_link["href"])) == ids[10:]
    assert conversation_ids(page(agent, INBOX + "?page=99")) == ids[10:]
    part = fragment(agent, INBOX)
    assert len(part.response.data) <= 5 * 1024  # HTMX fragment budget


def test_inbox_markers_say_answered_and_read_in_text(app, agent, world):
    cid = make_conversation(app, world["org"], world["jeanne"], status="en-cours", unread_by_member=True)
    with app.app_context():
        c = db.session.get(Conversation, cid)
        from models import User
        a = User.query.filter_by(email="agent@example.fr").one()
        db.session.add(ConversationMessage(conversation=c, author_id=a.id, from_agent=True, body="Réponse."))
        db.session.commit()
    soup = page(agent, INBOX + "?statut=en-cours")
    assert soup.select_one("td.marker").get_text(strip=True) == "Répondu – non lu par l’adhérent"


# --- Conversation page --------------------------------------------------------------------------

def test_conversation_page_shows_every_message_in_order_with_files(app, agent, world, tmp_path):
    cid = make_conversation(app, world["org"], world["jeanne"], days_ago=2, body="Première question.")
    with app.app_context():
        c = db.session.get(Conversation, cid)
        from models import User
        a = User.query.filter_by(email="agent@example.fr").one()
        db.session.add(ConversationMessage(conversation=c, author_id=a.id, from_agent=True, body="Une réponse.",
                                           created_at=utcnow() - timedelta(days=1)))
        second = ConversationMessage(conversation=c, author_id=world["jeanne"], body="Merci,\nvoici le document.")
        db.session.add(second)
        db.session.flush()
        # A file the member sent with their second message, stored as the member side does.
        import os
        from core.uploads import storage_path
        os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
        storage_path("a" * 32).write_bytes(pdf_bytes())
        db.session.add(Attachment(owner_id=world["jeanne"], organisation_id=world["org"], policy="msa_message",
                                  subject_type="ConversationMessage", subject_id=second.id,
                                  original_name="releve.pdf",
                                  stored_file=StoredFile(storage_name="a" * 32, size=len(pdf_bytes())),
                                  content_type="application/pdf", size=len(pdf_bytes())))
        db.session.commit()
        attachment_id = Attachment.query.one().id
    soup = page(agent, f"/agent/msa/conversations/{cid}")
    assert soup.h1.get_text(strip=True) == f"Conversation n° {cid}"
    items = soup.select("#msa-messages > li")
    assert [li.select_one(".user-text").get_text() for li in items] == [
        "Première question.", "Une réponse.", "Merci,\nvoici le document."]
    authors = [li.select_one(".message-meta strong").get_text(strip=True) for li in items]
    assert authors == ["Adhérent (Jeanne LACOSTE)", "Conseiller MSA (Alice DURAND)", "Adhérent (Jeanne LACOSTE)"]
    link = items[2].select_one(".attachment-list a")
    assert link.get_text(strip=True) == "releve.pdf"
    response = agent.get(link["href"])
    assert response.status_code == 200 and response.data == pdf_bytes()
    assert "attachment" in response.headers["Content-Disposition"]
    assert link["href"].endswith(f"/{attachment_id}")
    assert soup.select_one("#msa-reponse textarea[name=body]")
    assert soup.select_one("#msa-reponse [data-max='5000']")
    assert soup.select_one("#msa-cloture button").get_text(strip=True) == "Clôturer la conversation"


def test_message_html_is_shown_as_text(app, agent, world):
    evil = '<b>gras</b> <a hx-get="/compte/deconnexion" hx-trigger="load">x</a> <script>alert(1)</script>'
    cid = make_conversation(app, world["org"], world["jeanne"], body=evil)
    soup = page(agent, f"/agent/msa/conversations/{cid}")
    text = soup.select_one("#msa-messages .user-text")
    assert text.get_text() == evil
    assert text.find() is None  # no element parsed inside
    assert soup.select("[hx-get='/compte/deconnexion']") == []
    assert not any("alert(1)" in s.get_text() for s in soup.find_all("script"))
    # The object label is text too.
    cid = make_conversation(app, world["org"], world["jeanne"], label="<i>Thème</i>")
    soup = page(agent, f"/agent/msa/conversations/{cid}")
    assert soup.select_one("#msa-resume i") is None


# --- Answer -------------------------------------------------------------------------------------

def test_answer_stores_the_message_and_emails_the_member_without_its_content(app, agent, world, outbox):
    cid = make_conversation(app, world["org"], world["jeanne"])
    url = f"/agent/msa/conversations/{cid}"
    response = submit(agent, url + "/reponse", {"body": ANSWER + "\r\nCordialement."}, status=303)
    assert response.headers["Location"].endswith(url)
    after = conversation(app, cid)
    assert after["status"] == "en-cours" and after["unread"] is True
    assert after["messages"][-1] == (True, ANSWER + "\nCordialement.")
    mails = outbox("email")
    assert len(mails) == 1
    assert mails[0]["to"] == "jeanne@example.fr"
    assert mails[0]["subject"] == ANSWER_SUBJECT
    assert "« Ma messagerie »" in mails[0]["body"]
    assert "attestation de paiement" not in mails[0]["body"] and ANSWER[:20] not in mails[0]["body"]
    assert "Allocations" not in mails[0]["body"]
    with app.app_context():
        event = AuditEvent.query.filter_by(action="msa_conversation_answered").one()
        assert event.object_id == str(cid)
    soup = page(agent, url)
    assert "Votre réponse a été envoyée" in soup.select_one("#messages").get_text()
    assert soup.select_one("#msa-resume .status").get_text(strip=True) == "En cours"
    assert soup.select("#msa-messages > li")[-1].select_one(".user-text").get_text() == ANSWER + "\nCordialement."


def test_an_answer_posted_twice_is_given_once(app, agent, world, outbox):
    """A double click on « Envoyer la réponse », or a reload of the POST: the form's one-time token
    finds the first answer; one message, one email, and the same confirmation."""
    cid = make_conversation(app, world["org"], world["jeanne"])
    url = f"/agent/msa/conversations/{cid}"
    token = page(agent, url).select_one("#msa-reponse input[name=submission]")["value"]
    for _ in range(2):
        response = submit(agent, url + "/reponse", {"body": ANSWER, "submission": token}, status=303)
        assert response.headers["Location"].endswith(url)
    assert [m for m in conversation(app, cid)["messages"] if m[0]] == [(True, ANSWER)]
    assert len(outbox("email")) == 1
    fresh = page(agent, url).select_one("#msa-reponse input[name=submission]")["value"]
    assert fresh != token  # the next answer is a new one
    submit(agent, url + "/reponse", {"body": ANSWER + " Suite.", "submission": fresh}, status=303)
    assert len([m for m in conversation(app, cid)["messages"] if m[0]]) == 2


def test_answer_in_place_with_htmx_and_files(app, agent, world, outbox):
    cid = make_conversation(app, world["org"], world["jeanne"])
    data = {"body": ANSWER, "pieces_jointes": (io.BytesIO(pdf_bytes()), "courrier.pdf")}
    part = fragment(agent, f"/agent/msa/conversations/{cid}/reponse", method="post", data=data,
                    content_type="multipart/form-data")
    assert part.select_one("#msa-fil")
    assert part.select_one("#msa-resume[hx-swap-oob] .status").get_text(strip=True) == "En cours"
    assert "Votre réponse a été envoyée" in part.select_one("#messages").get_text()
    last = part.select("#msa-messages > li")[-1]
    assert last.select_one(".user-text").get_text() == ANSWER
    assert last.select_one(".attachment-list a").get_text(strip=True) == "courrier.pdf"
    with app.app_context():
        attachment = Attachment.query.one()
        message = ConversationMessage.query.filter_by(from_agent=True).one()
        assert (attachment.subject_type, attachment.subject_id, attachment.organisation_id) == (
            "ConversationMessage", message.id, world["org"])
    assert len(outbox("email")) == 1


def test_answer_length_is_checked_and_text_kept(app, agent, world, outbox):
    cid = make_conversation(app, world["org"], world["jeanne"])
    soup = submit(agent, f"/agent/msa/conversations/{cid}/reponse", {"body": "Trop court"[:9]}, status=422)
    assert errors_of(soup) == ["La réponse doit faire au moins 10 caractères."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one("#body").get_text().lstrip("\r\n") == "Trop cour"  # what was typed is kept
    soup = submit(agent, f"/agent/msa/conversations/{cid}/reponse", {"body": "é" * 5001}, status=422)
    assert errors_of(soup)[0].startswith("La réponse doit faire 5000 caractères maximum")
    soup = submit(agent, f"/agent/msa/conversations/{cid}/reponse", {"body": "   "}, status=422)
    assert errors_of(soup) == ["Saisissez votre réponse."]
    assert conversation(app, cid)["messages"] == [(False, "Bonjour, je voudrais mon attestation.")]
    assert conversation(app, cid)["status"] == "nouveau"
    assert outbox() == []


# --- Close and refused actions ------------------------------------------------------------------

def test_close_then_answer_and_close_again_are_refused(app, agent, world, outbox):
    cid = make_conversation(app, world["org"], world["jeanne"])
    url = f"/agent/msa/conversations/{cid}"
    assert submit(agent, url + "/cloture", {}, status=303).headers["Location"].endswith(url)
    assert conversation(app, cid)["status"] == "cloture"
    soup = page(agent, url)
    assert soup.select_one("#msa-reponse") is None and soup.select_one("#msa-cloture") is None
    assert soup.select_one("#msa-close-notice")
    response = agent.post(url + "/reponse", data={"body": ANSWER})
    assert response.status_code == 409
    assert "clôturée" in response.get_data(as_text=True)
    part = fragment(agent, url + "/cloture", method="post", status=409)
    assert part.select_one("#msa-refus").get_text(strip=True) == \
        "Cette conversation est clôturée : rien n’a été modifié."
    after = conversation(app, cid)
    assert after["status"] == "cloture" and len(after["messages"]) == 1
    assert outbox() == []
    with app.app_context():
        assert AuditEvent.query.filter_by(action="msa_conversation_closed").count() == 1


def test_close_in_place_with_htmx(app, agent, world):
    cid = make_conversation(app, world["org"], world["jeanne"])
    part = fragment(agent, f"/agent/msa/conversations/{cid}/cloture", method="post")
    assert part.select_one("#msa-resume[hx-swap-oob] .status").get_text(strip=True) == "Clôturé"
    assert part.select_one("#msa-close-notice")


def test_another_organisations_conversation_is_404_and_unchanged(app, login, world, outbox):
    cid = make_conversation(app, world["org"], world["jeanne"])
    nord = client_of(app, login, "agent-nord@example.fr")
    url = f"/agent/msa/conversations/{cid}"
    assert nord.get(url).status_code == 404
    assert nord.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert nord.post(url + "/reponse", data={"body": ANSWER}).status_code == 404
    assert nord.post(url + "/reponse", data={"body": ANSWER}, headers={"HX-Request": "true"}).status_code == 404
    assert nord.post(url + "/cloture").status_code == 404
    assert conversation(app, cid) == {"status": "nouveau", "unread": False,
                                      "messages": [(False, "Bonjour, je voudrais mon attestation.")]}
    assert outbox() == []
    assert nord.get("/agent/msa/conversations/999999").status_code == 404
    assert cid not in conversation_ids(page(nord, INBOX + "?statut=tous"))


def test_another_organisations_agent_cannot_download_the_members_files(app, login, world, agent):
    cid = make_conversation(app, world["org"], world["jeanne"])
    data = {"body": ANSWER, "pieces_jointes": (io.BytesIO(pdf_bytes()), "courrier.pdf")}
    assert agent.post(f"/agent/msa/conversations/{cid}/reponse", data=data,
                      content_type="multipart/form-data").status_code == 303
    with app.app_context():
        attachment_id = Attachment.query.one().id
    nord = client_of(app, login, "agent-nord@example.fr")
    from flask import url_for
    with app.test_request_context():
        download = url_for("components.attachment_download", attachment_id=attachment_id)
    assert agent.get(download).status_code == 200
    assert nord.get(download).status_code == 404


# --- CSRF ---------------------------------------------------------------------------------------

def test_answer_and_close_require_the_csrf_token(csrf_app):
    from tests.factories import PASSWORD
    with csrf_app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        jeanne = factories.user(email="jeanne@example.fr")
        db.session.add(MsaMember(user=jeanne, nir="2850733063001", organisation=org))
        db.session.commit()
        org_id, jeanne_id = org.id, jeanne.id
    cid = make_conversation(csrf_app, org_id, jeanne_id)
    client = csrf_app.test_client()
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    assert client.post("/compte/connexion", data={"email": "agent@example.fr", "password": PASSWORD,
                                                  "csrf_token": token}).status_code == 302
    url = f"/agent/msa/conversations/{cid}"
    soup = page(client, url)
    token = soup.select_one("#msa-reponse input[name=csrf_token]")["value"]
    assert client.post(url + "/reponse", data={"body": ANSWER}).status_code in (400, 422)
    assert client.post(url + "/cloture").status_code == 400
    assert conversation(csrf_app, cid)["status"] == "nouveau"
    assert conversation(csrf_app, cid)["messages"] == [(False, "Bonjour, je voudrais mon attestation.")]
    assert client.post(url + "/reponse", data={"body": ANSWER, "csrf_token": token}).status_code == 303
    assert client.post(url + "/cloture", data={"csrf_token": token}).status_code == 303
    assert conversation(csrf_app, cid)["status"] == "cloture"
