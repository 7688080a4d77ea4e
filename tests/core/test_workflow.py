"""The case lifecycle (core.workflow): every legal transition of the declared workflows, every
illegal one refused with IllegalTransition and nothing changed, and the dated history written.
It also expresses the workflows of the portals to come (Portail Des Aides, Apgis DIT)."""
from dataclasses import dataclass
from datetime import timedelta
from itertools import product

import pytest

from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models import AuditEvent, Role, User
from models.base import utcnow
from models.case_event import CaseEvent
from models.msa import CONVERSATION_WORKFLOW, Conversation
from models.partenaires import REQUEST_WORKFLOW, PartnerRequest, catalogue
from tests import factories


@pytest.fixture
def partner(app):
    """A CPAM, a structure with a technician, an agent of the CPAM, one of another organisation."""
    with app.app_context():
        org, structure = factories.partner_setup()
        other_org = factories.organisation(code="332", name="CPAM LANDES")
        tech = factories.technician(structure, email="tech@example.fr")
        colleague = factories.technician(structure, email="collegue@example.fr", first_name="Victor",
                                         last_name="CHAUSSON")
        agent = factories.user(email="agent@example.fr", role=Role.AGENT, organisation=org)
        stranger = factories.user(email="autre-agent@example.fr", role=Role.AGENT, organisation=other_org)
        db.session.commit()
        return {"org": org.id, "tech": tech.id, "colleague": colleague.id, "agent": agent.id,
                "stranger": stranger.id}


def _users(ids):
    return {name: db.session.get(User, uid) for name, uid in ids.items() if name != "org"}


def _new_request(ids, users, status="nouveau"):
    from models import Organisation
    req = factories.partner_request(db.session.get(Organisation, ids["org"]), users["tech"])
    req.status = status
    db.session.flush()
    return req


def _data(name):
    return {"cancel": {"motive": catalogue()["cancel_motives"][0]}, "resolve": {"answer": "Voici la réponse."},
            "take_in_charge": {}}[name]


# Who may make each move of a partner request, from which state.
LEGAL = {
    ("cancel", "nouveau"): {"tech", "colleague"},
    ("take_in_charge", "nouveau"): {"agent"},
    ("resolve", "pris-en-charge"): {"agent"},
}


@pytest.mark.parametrize("name,state", list(product(["cancel", "take_in_charge", "resolve"],
                                                    [s.slug for s in REQUEST_WORKFLOW.states])))
def test_every_partner_move_from_every_state_by_every_user(app, partner, name, state):
    with app.app_context():
        users = _users(partner)
        for who, user in users.items():
            req = _new_request(partner, users, status=state)
            before = CaseEvent.query.count()
            if who in LEGAL.get((name, state), set()):
                assert REQUEST_WORKFLOW.can(req, name, user)
                event = REQUEST_WORKFLOW.fire(req, name, user, **_data(name))
                target = REQUEST_WORKFLOW.by_name[name].target
                assert req.status == target and req.status_at == event.at
                assert (event.kind, event.transition, event.from_state, event.to_state, event.actor_id) == (
                    "transition", name, state, target, user.id)
                assert CaseEvent.query.count() == before + 1
            else:
                assert not REQUEST_WORKFLOW.can(req, name, user)
                with pytest.raises(IllegalTransition) as refused:
                    REQUEST_WORKFLOW.fire(req, name, user, **_data(name))
                assert refused.value.reason == ("state" if (name, state) not in LEGAL else "user")
                assert req.status == state and CaseEvent.query.count() == before
            db.session.rollback()


def test_effects_guards_and_audit_of_the_partner_moves(app, partner):
    with app.app_context():
        users = _users(partner)
        req = _new_request(partner, users)
        with pytest.raises(ValueError):
            req.cancel(users["tech"], "Un motif inventé")
        assert req.status == "nouveau" and req.cancel_motive is None
        req.take_in_charge(users["agent"], detail={"number": req.number})
        assert req.taken_by_id == users["agent"].id
        with pytest.raises(ValueError):
            req.resolve(users["agent"], "   ")
        assert req.status == "pris-en-charge" and req.answer is None
        later = utcnow() + timedelta(hours=2)
        req.resolve(users["agent"], "  Réponse.  ", now=later)
        assert (req.answer, req.resolved_by_id, req.resolved_at, req.status_at) == (
            "Réponse.", users["agent"].id, later, later)
        db.session.commit()
        actions = [(e.action, e.object_id, e.detail) for e in AuditEvent.query.order_by(AuditEvent.id)]
        assert actions == [("partenaires.request_submitted", str(req.id),
                            {"number": req.number, "ods": 4, "organisation_id": partner["org"], "attachments": 0}),
                           ("partner_request_taken", str(req.id), {"number": req.number}),
                           ("partner_request_resolved", str(req.id), {})]
        history = REQUEST_WORKFLOW.history(req)
        assert [(e.kind, e.to_state) for e in history] == [
            ("created", "nouveau"), ("transition", "pris-en-charge"), ("transition", "resolu")]
        assert history[-1].at == later


def test_the_timeline_names_every_actor_in_one_statement_whoever_is_loaded(app, partner):
    """Workflow.timeline reads the lines and their actors' names together: a fresh session (a new
    request, none of the actors loaded) runs one statement, and the lines say who did what."""
    from sqlalchemy import event
    with app.app_context():
        users = _users(partner)
        req = _new_request(partner, users)
        req.take_in_charge(users["agent"])
        req.resolve(users["agent"], "Réponse.")
        db.session.commit()
        request_id = req.id
        agent = (users["agent"].last_name, users["agent"].first_name)
        db.session.close()
        req = db.session.get(PartnerRequest, request_id)
        statements = []

        def count(*args):
            statements.append(args[2])
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            lines = REQUEST_WORKFLOW.timeline(req)
            names = [(what, (who.last_name, who.first_name) if who else None) for _, what, who in lines]
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) == 1
        technician = ("LAPIERRE", "Martine")
        assert names == [(REQUEST_WORKFLOW.created_label, technician),
                         (REQUEST_WORKFLOW.label("pris-en-charge"), agent), (REQUEST_WORKFLOW.label("resolu"), agent)]
        assert [at for at, _, _ in lines] == [e.at for e in REQUEST_WORKFLOW.history(req)]


def test_a_complement_is_a_dated_entry_with_its_author(app, partner):
    with app.app_context():
        users = _users(partner)
        req = _new_request(partner, users)
        req.complete(users["colleague"], "  Voici les factures.  ")
        assert req.complete(users["tech"], "   ") is None  # nothing typed: no entry
        db.session.commit()
        ((entry,),) = [req.complements()]
        assert (entry.text, entry.actor_id, entry.kind, entry.to_state) == (
            "Voici les factures.", users["colleague"].id, "complement", "nouveau")
        assert req.comments == "Demande de test."  # the comment of the filing is kept as written
        assert req.comment_room() == 5000 - len("Demande de test.") - 1 - len("Voici les factures.") - 1
        with pytest.raises(ValueError):
            req.complete(users["tech"], "x" * (req.comment_room() + 1))
        req.take_in_charge(users["agent"])
        with pytest.raises(IllegalTransition):
            req.complete(users["tech"], "Trop tard.")
        with pytest.raises(IllegalTransition):
            _new_request(partner, users).complete(users["agent"], "Pas mon rôle.")


# --- MSA conversations ------------------------------------------------------------------------

@pytest.fixture
def msa(app):
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        other = factories.organisation(portal="msa", code="MSA40", name="MSA Landes")
        member = factories.user(email="adherent@example.fr")
        intruder = factories.user(email="intrus@example.fr")
        agent = factories.user(email="agent-msa@example.fr", role=Role.AGENT, organisation=org)
        stranger = factories.user(email="agent-landes@example.fr", role=Role.AGENT, organisation=other)
        db.session.commit()
        return {"org": org.id, "member": member.id, "intruder": intruder.id, "agent": agent.id,
                "stranger": stranger.id}


CONVERSATION_LEGAL = {
    ("reply", "nouveau"): {"member"}, ("reply", "en-cours"): {"member"},
    ("answer", "nouveau"): {"agent"}, ("answer", "en-cours"): {"agent"},
    ("close", "nouveau"): {"agent"}, ("close", "en-cours"): {"agent"},
}


def _conversation(ids, member, status):
    conversation = Conversation(member_id=member.id, organisation_id=ids["org"], theme="sante",
                                subject="remboursements", reason="suivi", object_label="Santé > Remboursements")
    conversation.start(member, "Ma question.")
    conversation.status = status
    db.session.flush()
    return conversation


@pytest.mark.parametrize("name,state", list(product(["reply", "answer", "close"],
                                                    [s.slug for s in CONVERSATION_WORKFLOW.states])))
def test_every_conversation_move(app, msa, name, state):
    with app.app_context():
        users = _users(msa)
        for who, user in users.items():
            conversation = _conversation(msa, users["member"], state)
            messages = len(conversation.messages)
            method = {"reply": lambda: conversation.add_member_message(user, "Et alors ?"),
                      "answer": lambda: conversation.answer(user, "Voici."),
                      "close": lambda: conversation.close(user)}[name]
            if who in CONVERSATION_LEGAL.get((name, state), set()):
                method()
                assert conversation.status == CONVERSATION_WORKFLOW.by_name[name].target
                assert len(conversation.messages) == messages + (name != "close")
                assert CONVERSATION_WORKFLOW.history(conversation)[-1].transition == name
            else:
                with pytest.raises(IllegalTransition):
                    method()
                assert conversation.status == state and len(conversation.messages) == messages
            db.session.rollback()


def test_an_answer_marks_the_conversation_unread_and_assigned(app, msa):
    with app.app_context():
        users = _users(msa)
        conversation = _conversation(msa, users["member"], "nouveau")
        conversation.answer(users["agent"], "Voici.")
        assert (conversation.unread_by_member, conversation.assigned_agent_id) == (True, users["agent"].id)
        assert [e.kind for e in CONVERSATION_WORKFLOW.history(conversation)] == ["created", "transition"]


# --- The declaration itself ---------------------------------------------------------------------

def test_a_workflow_refuses_a_wrong_declaration():
    with pytest.raises(ValueError):
        Workflow("x", states=[State("a", "A")], transitions=[Transition("go", ("a",), "b")], initial="a")
    with pytest.raises(ValueError):
        Workflow("x", states=[State("a", "A", final=True), State("b", "B")],
                 transitions=[Transition("go", ("a",), "b")], initial="a")
    with pytest.raises(ValueError):
        REQUEST_WORKFLOW.on_enter("fly", lambda *a: None)


@dataclass
class _Case:
    """A case of a portal to come, held in memory: the workflow only needs an id and a state."""
    id: int
    status: str = ""
    status_at: object = None
    reason: str = ""


def _is_agent(case, user):
    return user.has_role("agent")


def _is_owner(case, user):
    return not user.has_role("agent")


# Portail Des Aides (armees.md): En cours de création → Prise en charge → Instruction en cours →
# Instruction terminée, with complement requests while instructing.
AIDES = Workflow("armees_application", states=[
    State("en-creation", "En cours de création"), State("prise-en-charge", "Prise en charge"),
    State("instruction", "Instruction en cours"), State("complement", "Complément demandé"),
    State("terminee", "Instruction terminée", final=True)], transitions=[
    Transition("transmit", ("en-creation",), "prise-en-charge", allowed=_is_owner),
    Transition("instruct", ("prise-en-charge",), "instruction", allowed=_is_agent),
    Transition("ask_complement", ("instruction",), "complement", allowed=_is_agent),
    Transition("send_complement", ("complement",), "instruction", allowed=_is_owner),
    Transition("decide", ("instruction",), "terminee", allowed=_is_agent)], initial="en-creation")


def _with_reason(case, data):
    if not (data.get("reason") or "").strip():
        raise ValueError("a refusal needs its reason")


# Apgis DIT (apgis.md): en attente → validée / refusée with a reason.
DIT = Workflow("apgis_dit", states=[
    State("en-attente", "En attente"), State("validee", "Validée", final=True),
    State("refusee", "Refusée", final=True)], transitions=[
    Transition("validate", ("en-attente",), "validee", allowed=_is_agent),
    Transition("refuse", ("en-attente",), "refusee", allowed=_is_agent, guard=_with_reason,
               effect=lambda case, user, now, data: setattr(case, "reason", data["reason"]))],
    initial="en-attente")


def test_the_workflows_of_the_portals_to_come(app, msa):
    with app.app_context():
        users = _users(msa)
        application = _Case(id=1)
        AIDES.start(application, users["member"])
        with pytest.raises(IllegalTransition):
            AIDES.fire(application, "instruct", users["agent"])  # not transmitted yet
        for name, who in (("transmit", "member"), ("instruct", "agent"), ("ask_complement", "agent"),
                          ("send_complement", "member"), ("decide", "agent")):
            AIDES.fire(application, name, users[who])
        assert AIDES.label(application.status) == "Instruction terminée"
        assert len(AIDES.history(application)) == 6
        with pytest.raises(IllegalTransition):
            AIDES.fire(application, "ask_complement", users["agent"])  # final

        dit = _Case(id=1)
        DIT.start(dit, users["member"])
        with pytest.raises(ValueError):
            DIT.fire(dit, "refuse", users["agent"], reason=" ")
        assert dit.status == "en-attente"
        DIT.fire(dit, "refuse", users["agent"], reason="Justificatif illisible", text="Justificatif illisible")
        assert (dit.status, dit.reason, DIT.history(dit)[-1].text) == (
            "refusee", "Justificatif illisible", "Justificatif illisible")
        # Each kind keeps its own history, even for the same id.
        assert {e.case_type for e in CaseEvent.query.filter_by(case_id=1)} >= {"armees_application", "apgis_dit"}


def test_hooks_run_on_entering(app, partner):
    seen = []
    hook = REQUEST_WORKFLOW.on_enter("take_in_charge", lambda case, event, data: seen.append((case.id, event.kind)))
    try:
        with app.app_context():
            users = _users(partner)
            req = _new_request(partner, users)
            req.take_in_charge(users["agent"])
            assert seen == [(req.id, "transition")]
    finally:
        REQUEST_WORKFLOW._hooks["take_in_charge"].remove(hook)


def test_labels_come_from_the_seed():
    assert [s.label for s in REQUEST_WORKFLOW.states] == ["Nouveau", "Pris en charge", "Résolu", "Annulée"]
    assert [s.label for s in CONVERSATION_WORKFLOW.states] == ["Nouveau", "En cours", "Clôturé"]
    assert REQUEST_WORKFLOW.listed_slugs() == ("nouveau", "pris-en-charge", "resolu")
    assert PartnerRequest(status="pris-en-charge").status_label == "Pris en charge"


def test_each_workflow_reads_its_own_kind_in_its_own_statement():
    """The kind is written in the history's and the timeline's SQL (core.database.constant): two
    workflows never share a compiled statement whose results must be adapted at every page."""
    from models.msa import CONVERSATION_WORKFLOW
    from models.partenaires import REQUEST_WORKFLOW
    for workflow in (REQUEST_WORKFLOW, CONVERSATION_WORKFLOW):
        for statement in (workflow._timeline_statement(), workflow._history_statement(False)):
            sql = str(statement)
            assert f"'{workflow.kind}'" in sql and sql.count(":case_id") == 1
