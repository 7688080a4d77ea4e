"""Every URL of a « Ma messagerie » conversation (agent side, and the member side's when it is
served), page and HTMX fragment, GET and POST: another member, or an agent of another MSA fund,
gets a 404 and changes nothing; someone of the wrong kind gets a 403 (or 404).

The URLs are read from the app's URL map when the test runs, so that routes added later are
walked too: any rule under /msa/ or /agent/msa/ with an integer argument naming a conversation."""
import io

import pytest
from flask import url_for

from extensions import db
from models import Attachment, Conversation, ConversationMessage, MsaMember, StoredFile
from tests import factories
from tests.components.test_attachments_content import pdf_bytes


@pytest.fixture
def world(app):
    """MSA Gironde: member A (Jeanne, owner of the conversation), member B (Paul), an agent;
    MSA Nord: an agent. Jeanne's conversation carries a file she sent."""
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        other = factories.organisation(portal="msa", code="MSA59", name="MSA Nord-Pas-de-Calais")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        factories.user(email="agent-nord@example.fr", role="agent", organisation=other)
        jeanne = factories.user(email="jeanne@example.fr", first_name="Jeanne", last_name="Lacoste")
        paul = factories.user(email="paul@example.fr", first_name="Paul", last_name="Roux")
        db.session.add(MsaMember(user=jeanne, nir="2850733063001", organisation=org))
        db.session.add(MsaMember(user=paul, nir="1850733063002", organisation=org))
        conversation = Conversation(member=jeanne, organisation=org, theme="sante", subject="remboursements",
                                    reason="delai", object_label="Santé > Remboursements de soins > Délai")
        message = ConversationMessage(conversation=conversation, author=jeanne, body="Ma question initiale.")
        db.session.add_all([conversation, message])
        db.session.flush()
        import os
        from core.uploads import storage_path
        os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
        storage_path("b" * 32).write_bytes(pdf_bytes())
        attachment = Attachment(owner_id=jeanne.id, organisation_id=org.id, policy="msa_message",
                                subject_type="ConversationMessage", subject_id=message.id,
                                original_name="ordonnance.pdf",
                                stored_file=StoredFile(storage_name="b" * 32, size=len(pdf_bytes())),
                                content_type="application/pdf", size=len(pdf_bytes()))
        db.session.add(attachment)
        db.session.commit()
        return {"conversation": conversation.id, "attachment": attachment.id}


def conversation_rules(app):
    """(rule, url, methods) of every conversation URL, filled with `conversation_id`."""
    rules = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/msa/") or rule.rule.startswith("/agent/msa/")):
            continue
        int_args = [a for a in rule.arguments if rule._converters[a].__class__.__name__ == "IntegerConverter"]
        about_messages = "conversation" in (int_args or [""])[0] or "messages" in rule.rule
        if len(rule.arguments) != 1 or not int_args or not about_messages:
            continue
        rules.append(rule)
    return rules


def url_of(app, rule, conversation_id):
    with app.test_request_context():
        return url_for(rule.endpoint, **{rule.arguments.copy().pop(): conversation_id})


def client_of(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def state(app, conversation_id):
    with app.app_context():
        c = db.session.get(Conversation, conversation_id)
        return (c.status, c.hidden, c.unread_by_member, [(m.from_agent, m.body) for m in c.messages])


def test_conversation_urls_are_404_to_other_members_and_other_funds(app, login, world):
    cid = world["conversation"]
    rules = conversation_rules(app)
    walked = {r.endpoint for r in rules}
    assert {"agent.msa_conversation", "agent.msa_answer", "agent.msa_close"} <= walked
    clients = {email: client_of(app, login, email) for email in
               ("jeanne@example.fr", "paul@example.fr", "agent@example.fr", "agent-nord@example.fr")}
    before = state(app, cid)
    for rule in rules:
        url = url_of(app, rule, cid)
        agent_side = rule.rule.startswith("/agent/")
        owner = clients["agent@example.fr"] if agent_side else clients["jeanne@example.fr"]
        same_kind = clients["agent-nord@example.fr"] if agent_side else clients["paul@example.fr"]
        other_kind = ([clients["jeanne@example.fr"], clients["paul@example.fr"]] if agent_side
                      else [clients["agent-nord@example.fr"]])
        for method in sorted(rule.methods & {"GET", "POST"}):
            for headers in ({}, {"HX-Request": "true"}):
                data = {"body": "Une réponse qui ne doit pas passer."} if method == "POST" else None
                call = getattr(same_kind, method.lower())
                response = call(url, data=data, headers=headers)
                assert response.status_code == 404, f"{method} {url} {headers}: {response.status_code}"
                for client in other_kind:
                    response = getattr(client, method.lower())(url, data=data, headers=headers)
                    assert response.status_code in (403, 404), f"{method} {url} {headers}: {response.status_code}"
        if "GET" in rule.methods:
            assert owner.get(url).status_code < 400, f"GET {url} refusé au propriétaire"
        # An unknown conversation is a 404 for the owner too.
        if "GET" in rule.methods:
            assert owner.get(url_of(app, rule, 999999)).status_code == 404
    assert state(app, cid) == before


def test_agent_inbox_is_403_to_members_and_lists_only_the_own_fund(app, login, world):
    for email in ("jeanne@example.fr", "paul@example.fr"):
        client = client_of(app, login, email)
        assert client.get("/agent/msa/").status_code == 403
        assert client.get("/agent/msa/", headers={"HX-Request": "true"}).status_code == 403
    nord = client_of(app, login, "agent-nord@example.fr")
    response = nord.get("/agent/msa/?statut=tous")
    assert response.status_code == 200
    assert f"/agent/msa/conversations/{world['conversation']}" not in response.get_data(as_text=True)


def test_files_of_a_conversation_are_404_to_other_members_and_other_funds(app, login, world):
    with app.test_request_context():
        download = url_for("components.attachment_download", attachment_id=world["attachment"])
    assert client_of(app, login, "jeanne@example.fr").get(download).status_code == 200
    assert client_of(app, login, "agent@example.fr").get(download).status_code == 200
    for email in ("paul@example.fr", "agent-nord@example.fr"):
        assert client_of(app, login, email).get(download).status_code == 404, email


def test_answer_files_are_readable_by_the_member_only(app, login, world):
    agent = client_of(app, login, "agent@example.fr")
    cid = world["conversation"]
    response = agent.post(f"/agent/msa/conversations/{cid}/reponse", content_type="multipart/form-data",
                          data={"body": "Voici le courrier demandé.",
                                "pieces_jointes": (io.BytesIO(pdf_bytes()), "courrier.pdf")})
    assert response.status_code == 303
    with app.app_context():
        sent = Attachment.query.filter_by(original_name="courrier.pdf").one().id
    with app.test_request_context():
        download = url_for("components.attachment_download", attachment_id=sent)
    assert agent.get(download).status_code == 200
    # The member of the conversation reads the answer's file; nobody else does.
    assert client_of(app, login, "jeanne@example.fr").get(download).status_code == 200
    for email in ("paul@example.fr", "agent-nord@example.fr"):
        assert client_of(app, login, email).get(download).status_code == 404, email
