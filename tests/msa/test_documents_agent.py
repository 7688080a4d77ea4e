"""« Documents reçus », agent side (msa.md part C), the authorisation matrix of the documents sent,
and the agents' digest mails (at most one an hour per agent)."""
from datetime import timedelta

import pytest

from blueprints.msa.digest import send_agent_digests
from core.demo_msa import DEMO_PASSWORD
from extensions import db
from models import Attachment, Conversation, ConversationMessage, MsaAgentDigest, MsaDocumentSubmission, OutboxMessage
from models.base import utcnow
from models.msa_documents import RECEIPT_DOCUMENT
from tests.helpers import fragment, page
from tests.msa.documents_fixtures import (BASE, agent, agent_nord, client_of, jeanne, make_world, paul,  # noqa: F401
                                          send_all, world)

QUEUE = "/agent/msa/documents/"


def sent(app, client, count=1, per_document=1):
    assert send_all(client, count=count, per_document=per_document).status_code == 303
    with app.app_context():
        submission = MsaDocumentSubmission.query.order_by(MsaDocumentSubmission.id.desc()).first()
        files = Attachment.query.filter_by(subject_type="msa_document_submission", subject_id=submission.id).all()
        return submission.id, submission.reference, [a.id for a in files]


def test_the_queue_lists_the_funds_documents_oldest_first_and_marks_them_processed(app, jeanne, paul, agent):
    first, first_ref, _ = sent(app, jeanne, count=2, per_document=2)
    second, second_ref, _ = sent(app, paul)
    with app.app_context():  # Paul's came first, in fact
        db.session.get(MsaDocumentSubmission, second).submitted_at = utcnow() - timedelta(days=1)
        db.session.commit()
    soup = page(agent, "/agent/")
    assert soup.find("a", string="Documents reçus")["href"] == QUEUE
    soup = page(agent, QUEUE)
    assert soup.h1.get_text(strip=True) == "Documents reçus"
    rows = soup.select("#msa-documents-liste tbody tr")
    assert [r.select_one("td").get_text(strip=True) for r in rows] == [second_ref, first_ref]
    assert rows[1].select("td")[1].get_text(" ", strip=True) == "Jeanne LACOSTE"
    assert rows[1].select("td")[4].get_text(strip=True) == "Reçu"

    soup = page(agent, f"/agent/msa/documents/{first}")
    assert soup.h1.get_text(strip=True) == f"Documents {first_ref}"
    sections = soup.select("section h2")
    assert [h.get_text(strip=True) for h in sections] == ["Document 1 : Avis d’imposition",
                                                         "Document 2 : Bulletin de salaire"]
    links = soup.select("section .attachment-list a")
    assert [a.get_text() for a in links] == ["doc1-page1.pdf", "doc1-page2.png", "doc2-page1.pdf", "doc2-page2.png"]
    download = agent.get(links[0]["href"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]

    form = soup.select_one("#msa-traiter")
    response = agent.post(form["action"], data={"csrf_token": ""})
    assert response.status_code == 303
    soup = page(agent, f"/agent/msa/documents/{first}")
    assert f"Les documents {first_ref} sont marqués comme traités." in soup.select_one("#messages").get_text()
    assert soup.select_one("#etat").get_text() == "Traité"
    assert soup.select_one("#msa-traiter") is None
    # Done twice (a second agent, an old page): refused, nothing changes.
    again = agent.post(form["action"], data={})
    assert again.status_code == 409
    # It leaves the default list; the member sees it processed.
    assert [r.select_one("td").get_text(strip=True) for r in page(agent, QUEUE).select("tbody tr")] == [second_ref]
    assert [r.select_one("td").get_text(strip=True) for r in page(agent, QUEUE + "?statut=traite").select("tbody tr")
            ] == [first_ref]
    row = page(jeanne, BASE).select_one(f"#envoi-{first}")
    assert row.select("td")[3].get_text(strip=True) == "Traité"
    with app.app_context():
        submission = db.session.get(MsaDocumentSubmission, first)
        assert submission.processed_by.email == "agent@example.fr" and submission.processed_at is not None


def test_marking_processed_with_htmx_swaps_the_block(app, jeanne, agent):
    submission_id, reference, _ = sent(app, jeanne)
    soup = fragment(agent, f"/agent/msa/documents/{submission_id}/traitement", method="post",
                    headers={"HX-Request": "true"})
    assert soup.select_one("#etat").get_text() == "Traité"
    assert f"Les documents {reference} sont marqués comme traités." in soup.select_one("#messages").get_text()


def test_authorisation_matrix(app, client, jeanne, paul, agent, agent_nord, login):
    submission_id, _, file_ids = sent(app, jeanne)
    with app.app_context():
        receipt = Attachment.query.filter_by(subject_id=submission_id, document=RECEIPT_DOCUMENT).one().id
    member_urls = [f"{BASE}/{submission_id}/confirmation", f"{BASE}/{submission_id}/accuse-de-reception.pdf"]
    agent_urls = [f"/agent/msa/documents/{submission_id}"]
    files = [f"/composants/pieces-jointes/{i}" for i in file_ids] + [f"/composants/pieces-jointes/{receipt}"]
    for url in member_urls + files:
        assert jeanne.get(url).status_code == 200, url
        assert paul.get(url).status_code == 404, url
    for url in agent_urls + files:
        assert agent.get(url).status_code == 200, url
        assert agent_nord.get(url).status_code == 404, url
    assert agent_nord.post(f"/agent/msa/documents/{submission_id}/traitement").status_code == 404
    # Members never reach the agents' screens; agents have no member's space.
    assert jeanne.get(QUEUE).status_code == 403
    assert jeanne.post(f"/agent/msa/documents/{submission_id}/traitement").status_code == 403
    assert agent.get(BASE).status_code == 403
    # Anonymous: to a login page, for every page and download.
    for url in member_urls:
        assert "/msa/connexion" in client.get(url).headers["Location"]
    for url in agent_urls + files + [QUEUE]:
        response = client.get(url)
        assert response.status_code == 302 and "connexion" in response.headers["Location"], url
    # The other fund's queue does not list it.
    assert page(agent_nord, QUEUE).select("tbody tr") == []
    with app.app_context():
        assert db.session.get(MsaDocumentSubmission, submission_id).status == "recu"


# --- Digest ---------------------------------------------------------------------------------------

def digests(app):
    with app.app_context():
        return [(m.recipient, m.body) for m in OutboxMessage.query.filter_by(
            channel="email", subject="MSA – Nouveaux éléments à traiter").order_by(OutboxMessage.id)]


def reply(app, world, conversation_id, minutes_after):
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        at = conversation.created_at + timedelta(minutes=minutes_after)
        db.session.add(ConversationMessage(conversation=conversation, author_id=world["paul"], body="Ma réponse.",
                                           created_at=at))
        db.session.commit()
        return at


@pytest.fixture
def conversation(app, world):
    with app.app_context():
        now = utcnow()
        c = Conversation(member_id=world["paul"], organisation_id=world["org"], theme="famille", subject="af",
                         reason="attestation", object_label="Famille, logement > Allocations > Attestation",
                         created_at=now, updated_at=now, assigned_agent_id=world["alice"], status="en-cours")
        db.session.add(c)
        db.session.add(ConversationMessage(conversation=c, author_id=world["paul"], body="Bonjour.", created_at=now))
        db.session.commit()
        return c.id


def test_two_events_within_the_hour_make_one_digest_and_a_later_one_a_second(app, world, jeanne, conversation):
    submission_id, reference, _ = sent(app, jeanne)
    replied = reply(app, world, conversation, minutes_after=5)
    with app.app_context():
        assert send_agent_digests(now=replied + timedelta(minutes=1)) == 2  # Alice and Bruno
        mails = digests(app)
        assert sorted(to for to, _ in mails) == ["agent2@example.fr", "agent@example.fr"]
        alice = next(body for to, body in mails if to == "agent@example.fr")
        bruno = next(body for to, body in mails if to == "agent2@example.fr")
        assert reference in alice and "Conversation n° " in alice
        # The reply is for the agent who answered the conversation, not for Bruno.
        assert reference in bruno and "Conversation n° " not in bruno
        # Nothing new, or something new but within the hour: no second mail.
        assert send_agent_digests(now=replied + timedelta(minutes=2)) == 0
    later = reply(app, world, conversation, minutes_after=20)
    with app.app_context():
        assert send_agent_digests(now=later + timedelta(minutes=1)) == 0
        assert len(digests(app)) == 2
        # An hour after the first digest, the reply that waited goes out, alone.
        assert send_agent_digests(now=replied + timedelta(minutes=62)) == 1
        mails = digests(app)
        assert len(mails) == 3 and mails[-1][0] == "agent@example.fr"
        assert "Conversation n° " in mails[-1][1] and reference not in mails[-1][1]
        assert MsaAgentDigest.query.count() == 3


def test_an_agent_of_another_fund_gets_nothing(app, world, jeanne, conversation):
    sent(app, jeanne)
    reply(app, world, conversation, minutes_after=5)
    with app.app_context():
        send_agent_digests(now=utcnow() + timedelta(hours=1))
    recipients = {to for to, _ in digests(app)}
    assert "agent-nord@example.fr" not in recipients and "agent@example.fr" in recipients


def test_the_cli_command_sends_the_digests(app, jeanne):
    sent(app, jeanne)
    result = app.test_cli_runner().invoke(args=["msa", "digest"])
    assert result.exit_code == 0 and "2 digest mail(s) queued." in result.output
    assert len(digests(app)) == 2


def test_the_demo_has_one_processed_and_one_waiting_submission(app, login):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # twice: nothing more
    with app.app_context():
        submissions = MsaDocumentSubmission.query.order_by(MsaDocumentSubmission.submitted_at).all()
        assert [s.status for s in submissions] == ["traite", "recu"]
        assert [len(s.items) for s in submissions] == [1, 2]
        assert submissions[0].processed_by.email == "agent.msa@demo.guichet.fr"
    agent = app.test_client()
    assert login(agent, "agent.msa@demo.guichet.fr", password=DEMO_PASSWORD).status_code == 302
    rows = page(agent, QUEUE).select("#msa-documents-liste tbody tr")
    assert len(rows) == 1 and "Élise FONTAINE" in rows[0].get_text()


def test_digests_on_each_database(any_db_app, login):
    app = any_db_app
    make_world(app)
    sent(app, client_of(app, login, "jeanne@example.fr"))
    with app.app_context():
        now = utcnow() + timedelta(minutes=1)
        assert send_agent_digests(now=now) == 2
        assert send_agent_digests(now=now + timedelta(minutes=59)) == 0
        assert MsaAgentDigest.query.count() == 2
    assert sorted(to for to, _ in digests(app)) == ["agent2@example.fr", "agent@example.fr"]


def test_the_queue_filter_answers_a_fragment_with_htmx(app, jeanne, agent):
    _, reference, _ = sent(app, jeanne)
    soup = fragment(agent, QUEUE + "?statut=tous")
    assert soup.select_one("#msa-documents-liste tbody tr td").get_text(strip=True) == reference
    assert "1 réception trouvée." in soup.select_one("#msa-documents-annonce").get_text()
    assert fragment(agent, QUEUE + "?statut=traite").select("tbody tr") == []


def test_only_an_agent_of_the_fund_processes_and_only_once(app, world, jeanne):
    from models import User
    from models.msa_documents import IllegalTransition
    submission_id, _, _ = sent(app, jeanne)
    with app.app_context():
        submission = db.session.get(MsaDocumentSubmission, submission_id)
        nadia, alice = db.session.get(User, world["nadia"]), db.session.get(User, world["alice"])
        member = db.session.get(User, world["jeanne"])
        for someone in (nadia, member):
            assert not submission.can_process(someone)
            with pytest.raises(IllegalTransition):
                submission.process(someone)
        assert submission.can_process(alice)
        submission.process(alice)
        assert submission.status == "traite" and submission.processed_by_id == alice.id
        with pytest.raises(IllegalTransition):
            submission.process(alice)
