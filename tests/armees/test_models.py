"""The application lifecycle of the Portail Des Aides (seed 000, part D)."""
import pytest

from extensions import db
from models import AidApplication, ComplementRequest, User
from models.armees import APPLICATION_WORKFLOW, IllegalTransition


@pytest.mark.parametrize("state, actions", [
    ("en-creation", {"delete"}),
    ("prise-en-charge", {"documents"}),
    ("instruction", {"documents", "duplicate"}),
    ("terminee", {"duplicate", "payments"}),
])
def test_actions_offered_per_state(app, make_application, state, actions):
    application_id = make_application(state)
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        offered = {name for name, on in (("delete", a.can_be_deleted), ("documents", a.accepts_documents),
                                         ("duplicate", a.can_be_duplicated), ("payments", a.shows_payments)) if on}
        assert offered == actions


def test_only_the_organisations_agents_instruct_and_only_the_owner_transmits(app, armees, make_application):
    draft_id, taken_id = make_application(), make_application("prise-en-charge")
    with app.app_context():
        draft, taken = db.session.get(AidApplication, draft_id), db.session.get(AidApplication, taken_id)
        agent, other_agent, member2 = (db.session.get(User, armees[k]) for k in ("agent", "other_agent", "member2"))
        with pytest.raises(IllegalTransition):
            APPLICATION_WORKFLOW.fire(draft, "transmit", member2)
        with pytest.raises(IllegalTransition):
            APPLICATION_WORKFLOW.fire(taken, "start_instruction", other_agent)
        with pytest.raises(IllegalTransition):
            APPLICATION_WORKFLOW.fire(taken, "grant", agent)  # instruction not started
        APPLICATION_WORKFLOW.fire(taken, "start_instruction", agent)
        APPLICATION_WORKFLOW.fire(taken, "refuse", agent)
        assert (taken.status_label, taken.decision_label, taken.agent_id) == (
            "Instruction terminée", "Refusée", agent.id)


def test_references_are_gapless_per_year_and_only_drafts_are_deleted(app, make_application):
    first, second = make_application("prise-en-charge"), make_application("prise-en-charge")
    taken = make_application("instruction")
    with app.app_context():
        refs = [db.session.get(AidApplication, i).reference for i in (first, second, taken)]
        assert [int(r[-6:]) for r in refs] == [1, 2, 3] and all(r.startswith("PDA-") for r in refs)
        with pytest.raises(IllegalTransition):
            db.session.get(AidApplication, taken).delete_draft()


def test_the_envelope_counts_unanswered_complement_requests(app, make_application):
    application_id = make_application("instruction")
    with app.app_context():
        a = db.session.get(AidApplication, application_id)
        for subject in ("Avis d’imposition", "RIB"):
            db.session.add(ComplementRequest(application=a, subject=subject,
                                             documents=[{"label": subject, "reason": "manquant"}]))
        db.session.commit()
        assert a.unanswered_complements() == 2
        a.complement_requests[0].mark_sent()
        assert a.unanswered_complements() == 1 and a.complement_requests[0].state_label == "Envoyé"
        with pytest.raises(IllegalTransition):
            a.complement_requests[0].mark_sent()
