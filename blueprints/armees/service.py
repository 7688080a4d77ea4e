"""Operations of the Portail Des Aides that change state: each loads nothing itself, checks what
the model and the workflow refuse, writes, and leaves the commit to the view. Notifications go
through core.notify from here (or from workflow hooks registered here)."""
from __future__ import annotations

from extensions import db
from models import Organisation
from models.armees import PORTAL


def operator() -> Organisation | None:
    """The organisation that instructs the applications (Igesa): the first one of the portal."""
    return (db.session.query(Organisation).filter_by(portal=PORTAL)
            .order_by(Organisation.id).first())


# --- Slice AGENT: what the Igesa agents do to an application ------------------------------------
# Each operation refuses with IllegalTransition what the state or the agent does not allow
# (nothing written); the view commits.

from core import audit  # noqa: E402
from core.formatting import fr_amount, fr_date  # noqa: E402
from core.notify import notify  # noqa: E402
from core.uploads import attach_generated  # noqa: E402
from core.urls import public_url  # noqa: E402
from models.armees import (APPLICATION_WORKFLOW, COMPLEMENT_REASONS, GRANTED, RECEIVED_FILES,  # noqa: E402
                           REFUSED, AidPayment, ComplementRequest, IllegalTransition, ReceivedDocument)
from models.base import utcnow  # noqa: E402

AGENT_DOCUMENT_LABELS = {"rib": "Relevé d’identité bancaire (RIB)", "attestation-honneur": "Attestation sur l’honneur",
                         "autre": "Autre document"}


def _agent_of(application, agent) -> bool:
    return (agent is not None and agent.role == "agent" and agent.organisation_id is not None
            and agent.organisation_id == application.organisation_id)


def can_ask_complement(application, agent) -> bool:
    """While the application can still receive documents (Prise en charge, Instruction en cours)."""
    return application.accepts_documents and _agent_of(application, agent)


def can_record_payment(application, agent) -> bool:
    """Payments are made for granted applications only."""
    return application.shows_payments and _agent_of(application, agent)


def start_instruction(application, agent, now=None):
    """« Commencer l’instruction »."""
    return APPLICATION_WORKFLOW.fire(application, "start_instruction", agent, now=now)


def ask_complement(application, agent, subject, documents, message=None, token=None, now=None):
    """« Demander un complément »: `documents` is [{"code", "label", "reason"}] (reason: a key of
    COMPLEMENT_REASONS). The ressortissant is mailed a « Demande de complément » link."""
    if not can_ask_complement(application, agent):
        raise IllegalTransition(APPLICATION_WORKFLOW.kind, "ask_complement", application.status)
    if not documents or any(d.get("reason") not in COMPLEMENT_REASONS for d in documents):
        raise ValueError("a complement request asks for documents, each with a known reason")
    now = now or utcnow()
    complement = ComplementRequest(application=application, agent_id=agent.id, subject=subject,
                                   documents=list(documents), message=message or None, created_at=now,
                                   submission_token=token)
    db.session.add(complement)
    db.session.flush()
    asked = " ; ".join(f"{d['label']} ({COMPLEMENT_REASONS[d['reason']]})" for d in documents)
    APPLICATION_WORKFLOW.append(application, agent, f"{subject} : {asked}", kind="complement", now=now)
    audit.record(agent, "armees_complement_requested", application, complement=complement.id,
                 documents=[d.get("code") for d in documents])
    member = application.user
    notify(member.email, "armees_complement", "Demande de complément", user=member,
           reference=application.reference, date=now,
           link=public_url("armees.complement", application_id=application.id, complement_id=complement.id),
           application=application, complement=complement, reasons=COMPLEMENT_REASONS)
    return complement


def record_payment(application, agent, paid_on, amount_cents, label, token=None, now=None):
    """« Enregistrer un paiement » on a granted application."""
    if not can_record_payment(application, agent):
        raise IllegalTransition(APPLICATION_WORKFLOW.kind, "record_payment", application.status)
    if amount_cents is None or amount_cents <= 0:
        raise ValueError("a payment has a positive amount")
    now = now or utcnow()
    payment = AidPayment(application=application, paid_on=paid_on, amount_cents=amount_cents, label=label or "",
                         recorded_by_id=agent.id, created_at=now, submission_token=token)
    db.session.add(payment)
    db.session.flush()
    APPLICATION_WORKFLOW.append(application, agent, f"{fr_amount(amount_cents, cents=True)} le {fr_date(paid_on)}"
                                f"{' – ' + label if label else ''}", kind="payment", now=now)
    audit.record(agent, "armees_payment_recorded", application, payment=payment.id, amount_cents=amount_cents)
    return payment


def decide(application, agent, decision, amount_cents=None, reason=None, now=None, hooks=True):
    """« Accorder » (with the amount granted) or « Refuser » (with the reason): the decision
    letter is made (PDF), kept for the ressortissant (« Mes documents reçus », the application's
    documents) and mailed to them attached. `hooks=False` (demo data): no mail."""
    from blueprints.armees.decision_letter import decision_letter, letter_filename, letter_title
    if decision not in (GRANTED, REFUSED):
        raise ValueError(f"unknown decision {decision!r}")
    if decision == GRANTED and (amount_cents is None or amount_cents <= 0):
        raise ValueError("a grant has a positive amount")
    if decision == REFUSED and not (reason or "").strip():
        raise ValueError("a refusal has a reason")
    now = now or utcnow()
    APPLICATION_WORKFLOW.fire(application, "grant" if decision == GRANTED else "refuse", agent, now=now,
                              text=reason if decision == REFUSED else fr_amount(amount_cents, cents=True),
                              hooks=hooks)
    application.granted_cents = amount_cents if decision == GRANTED else None
    application.decision_reason = (reason or "").strip() or None
    member = application.user
    pdf = decision_letter(application, agent, now)
    letter = attach_generated(pdf, letter_filename(application), owner=member, subject_type=RECEIVED_FILES.name,
                              subject_id=application.id, organisation_id=application.organisation_id,
                              document="decision")
    received = ReceivedDocument(user_id=member.id, application=application, attachment_id=letter.id,
                                title=f"{letter_title(application)} – {application.benefit_label}", created_at=now)
    db.session.add(received)
    if hooks:
        notify(member.email, "armees_decision", f"{letter_title(application)} – {application.benefit_label}",
               user=member, reference=application.reference, date=now, link=public_url("armees.received"),
               application=application, attachments=[letter])
    return received
