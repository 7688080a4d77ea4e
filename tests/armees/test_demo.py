"""`flask demo` seeds the Portail Des Aides: the Igesa agent, a ressortissant with « Mes
informations », applications in every state through the workflow, a draft with its first steps,
an open complement request, a decision received with its PDF, a proof in the porte-documents."""
import io

from pypdf import PdfReader

from blueprints.armees import catalogue, recap
from core import drafts
from core.uploads import storage_path
from models import Attachment, OutboxMessage, User
from models.armees import (APPLICATION_WORKFLOW, PORTE_DOCUMENTS, AidApplication, ComplementRequest,
                           ReceivedDocument, RessortissantProfile, application_draft_kind)
from tests.helpers import page


def test_demo_seeds_the_portal_once(app, login):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"]).output
    assert "Compte créé : ressortissant@demo.guichet.fr" in first
    assert "Brouillon créé : Prêt social (En cours de création)" in first
    second = runner.invoke(args=["demo"]).output
    assert "créé" not in second.replace("Mot de passe", "")
    with app.app_context():
        member = User.query.filter_by(email="ressortissant@demo.guichet.fr").one()
        agent = User.query.filter_by(email="agent.igesa@demo.guichet.fr").one()
        assert agent.organisation.portal == "armees" and agent.organisation.code == "IGESA"
        assert member.role == "citizen" and member.check_password("Guichet-Demo-2026")
        profile = RessortissantProfile.query.filter_by(user_id=member.id).one()
        assert profile.editable and profile.city == "Brest" and profile.iban.startswith("FR76")
        applications = AidApplication.query.filter_by(user_id=member.id).order_by(AidApplication.id).all()
        assert [(a.status, a.decision) for a in applications] == [
            ("prise-en-charge", None), ("instruction", None), ("terminee", "accordee"), ("terminee", "refusee"),
            ("en-creation", None)]
        for a in applications[:-1]:
            # Through the workflow: the history ends in the current state; the data reads as sections.
            assert APPLICATION_WORKFLOW.history(a)[-1].to_state == a.status and a.reference.startswith("PDA-")
            sections = dict(recap.sections(catalogue.get(a.benefit_code, include_unpublished=True), a.data))
            assert dict(sections["Vos informations"])["Adresse"].endswith("29200 Brest")
            assert dict(sections["Vos informations"])["Autorité d’emploi"] == "Marine nationale"
        draft = drafts.load(member, application_draft_kind(applications[-1].id))
        assert draft.step == "informations" and draft.data["passed"] == ["preambule", "criteres"]
        assert ComplementRequest.query.one().application_id == applications[1].id
        assert applications[1].unanswered_complements() == 1
        received = ReceivedDocument.query.filter_by(user_id=member.id).order_by(ReceivedDocument.id).all()
        assert [r.title for r in received] == ["Décision d’accord – Aide à la garde des jeunes enfants",
                                               "Décision de refus – Aide au séjour vacances enfants"]
        letter = storage_path(received[0].attachment.storage_name).read_bytes()
        text = PdfReader(io.BytesIO(letter)).pages[0].extract_text().replace("\u00a0", " ")
        assert "Hélène KERGOAT" in text and "1 500,00 €" in text
        assert [p.amount_cents for p in applications[2].payments] == [75000]
        proof = Attachment.query.filter_by(subject_type=PORTE_DOCUMENTS.name, subject_id=member.id).one()
        assert proof.document == "qualite-ressortissant" and proof.owner_id == member.id
        assert OutboxMessage.query.filter(OutboxMessage.recipient == member.email).count() == 0
    # The demo agent finds the four transmitted applications in the queue.
    client = app.test_client()
    assert login(client, "agent.igesa@demo.guichet.fr", "Guichet-Demo-2026").status_code == 302
    soup = page(client, "/agent/armees/demandes/?statut=tous")
    assert len(soup.select("#armees-file tbody tr")) == 4
