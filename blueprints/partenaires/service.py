"""Espace Partenaires: the operations that change state, for technicians and agents alike.

Views load (through a query scoped to the user), check, call one of these, and render. Each
operation works in the caller's transaction, which the view commits; the request's moves go
through its workflow (models.partenaires.REQUEST_WORKFLOW), which refuses an illegal one with
core.workflow.IllegalTransition, writes the dated history and the audit record. The emails to
the technician are hooks on entering « Pris en charge » and « Résolu »."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from core import audit
from core.database import begin_immediate
from core.notify import notify
from core.urls import public_url
from extensions import db
from models.partenaires import ANSWER_FILES, REQUEST_WORKFLOW, PartnerRequest

if TYPE_CHECKING:
    from core.uploads import AttachmentSet
    from models import Attachment, Organisation, User
    from models.case_event import CaseEvent


# --- Technicians' side ----------------------------------------------------------------------------

def submit_request(organisation: Organisation, technician: User, token: str, fields: dict[str, Any],
                   files: AttachmentSet | None) -> str:
    """File the request with its number, its files, its first history entry and audit record, in
    one transaction; returns the number. A form posted twice (double click, reload) files one
    request: the second post finds it by the form's submission token."""
    begin_immediate()
    existing = filed_with(token, technician)
    if existing is not None:
        db.session.rollback()
        return existing
    count = len(files.items) if files is not None else 0
    req = PartnerRequest.submit(organisation, technician, submission_token=token, attachments=count, **fields)
    if files is not None:
        files.attach_to(req, organisation_id=req.organisation_id)
    number = req.number
    try:
        db.session.commit()
    except IntegrityError:
        # PostgreSQL: the same form committed a moment ago by a concurrent post.
        db.session.rollback()
        existing = filed_with(token, technician)
        if existing is None:
            raise
        return existing
    return number


def filed_with(token: str, technician: User) -> str | None:
    """Number of the request this technician already filed with this form, if any."""
    return (db.session.query(PartnerRequest.number)
            .filter_by(submission_token=token, requester_id=technician.id).scalar())


def complete_request(req: PartnerRequest, technician: User, comment: str | None,
                     files: AttachmentSet | None) -> list[Attachment]:
    """« Compléter la demande »: a dated complement and/or more files (the request locked)."""
    req.complete(technician, comment)
    attached = files.attach_to(req, organisation_id=req.organisation_id) if files is not None else []
    audit.record(technician, "partenaires.request_completed", req, number=req.number,
                 organisation_id=req.organisation_id, comment_chars=len((comment or "").strip()),
                 attachments=len(attached))
    return attached


def cancel_request(req: PartnerRequest, technician: User, motive: str) -> CaseEvent:
    return req.cancel(technician, motive, detail={"number": req.number, "organisation_id": req.organisation_id,
                                                  "motive": motive})


# --- Agents' side ---------------------------------------------------------------------------------

def take_in_charge(req: PartnerRequest, agent: User) -> CaseEvent:
    """« Prendre en charge »: the technician is told by email."""
    return req.take_in_charge(agent, detail={"number": req.number})


def resolve_request(req: PartnerRequest, agent: User, answer: str, files: AttachmentSet) -> CaseEvent:
    """« Résoudre »: the answer and its files; the technician is invited by email to read it."""
    count = len(files.items)
    event = req.resolve(agent, answer, detail={"number": req.number, "files": count})
    files.attach_to(subject_type=ANSWER_FILES.name, subject_id=req.id, organisation_id=req.organisation_id)
    return event


# --- Notifications (hooks of the workflow) --------------------------------------------------------

def history_link() -> str | None:
    """Where the technician reads the answer (None when Espace Partenaires is not served here)."""
    for endpoint in ("partenaires.history", "partenaires.index"):
        if endpoint in current_app.view_functions:
            return public_url(endpoint)
    return None


def _email_requester(req: PartnerRequest, template: str, subject: str, **context: Any) -> None:
    requester = req.requester
    notify(requester.email, template, subject, user=requester, reference=f"demande N°{req.number}",
           date=req.created_at, link=history_link(), demande=req, requester=requester, **context)


def _taken(req: PartnerRequest, event: CaseEvent, data: dict[str, Any]) -> None:
    _email_requester(req, "partenaires_prise_en_charge",
                     f"Espace Partenaires : votre demande N°{req.number} a été prise en charge")


def _resolved(req: PartnerRequest, event: CaseEvent, data: dict[str, Any]) -> None:
    _email_requester(req, "partenaires_resolution",
                     f"Espace Partenaires : une réponse a été apportée à votre demande N°{req.number}",
                     organisation=req.organisation)


REQUEST_WORKFLOW.on_enter("take_in_charge", _taken)
REQUEST_WORKFLOW.on_enter("resolve", _resolved)
