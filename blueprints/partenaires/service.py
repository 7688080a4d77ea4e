"""Espace Partenaires: the operations that change state, for technicians and agents alike.

Views load (through a query scoped to the user), check, call one of these, and render. Each
operation works in the caller's transaction, which the view commits; the request's moves go
through its workflow (models.partenaires.REQUEST_WORKFLOW), which refuses an illegal one with
core.workflow.IllegalTransition, writes the dated history and the audit record. The emails to
the technician are hooks on entering « Pris en charge » and « Résolu »."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from core import audit
from core.database import begin_immediate
from core.notify import notify
from core.submission import SubmissionReplayed, create_once
from core.urls import public_url
from extensions import db
from models import AuthToken, Convention, Organisation, Role, Structure, TokenPurpose, User, UserSession
from models.base import utcnow
from models.case_event import CaseEvent
from models.partenaires import ANSWER_FILES, REQUEST_WORKFLOW, PartnerRequest, paris_today

if TYPE_CHECKING:
    from core.uploads import AttachmentSet
    from models import Attachment


# --- Technicians' side ----------------------------------------------------------------------------

def submit_request(organisation: Organisation, technician: User, token: str, fields: dict[str, Any],
                   files: AttachmentSet | None) -> str:
    """File the request with its number, its files, its first history entry and audit record, in
    one transaction; returns the number. A form posted twice (double click, reload) files one
    request: the second post finds it by the form's submission token."""
    def create() -> str:
        count = len(files.items) if files is not None else 0
        req = PartnerRequest.submit(organisation, technician, submission_token=token, attachments=count, **fields)
        if files is not None:
            files.attach_to(req, organisation_id=req.organisation_id)
        return req.number

    return create_once(token, PartnerRequest, lambda: filed_with(token, technician), create, lambda number: number)


def filed_with(token: str, technician: User) -> str | None:
    """Number of the request this technician already filed with this form, if any."""
    return (db.session.query(PartnerRequest.number)
            .filter_by(submission_token=token, requester_id=technician.id).scalar())


def complete_request(req: PartnerRequest, technician: User, comment: str | None,
                     files: AttachmentSet | None, token: str | None = None) -> list[Attachment]:
    """« Compléter la demande »: a dated complement and/or more files (the request locked). The
    entry stores the form's one-time token: the same form posted twice completes once (the view
    finds the first with `completed_with`); a token that already completed something else (another
    request, another technician): SubmissionReplayed, nothing changed."""
    if token is not None and db.session.query(CaseEvent.id).filter_by(submission_token=token).first() is not None:
        raise SubmissionReplayed(token)
    event = req.complete(technician, comment, submission_token=token)
    if event is None:  # files only
        req.files_added(technician, submission_token=token)
    attached = files.attach_to(req, organisation_id=req.organisation_id) if files is not None else []
    audit.record(technician, "partenaires.request_completed", req, number=req.number,
                 organisation_id=req.organisation_id, comment_chars=len((comment or "").strip()),
                 attachments=len(attached))
    return attached


def completed_with(token: str | None, req: PartnerRequest, technician: User) -> CaseEvent | None:
    """The entry this technician already added to this request with this « Compléter » form."""
    if not token:
        return None
    return CaseEvent.query.filter_by(submission_token=token, case_type=REQUEST_WORKFLOW.kind, case_id=req.id,
                                     actor_id=technician.id).first()


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


# --- Technicians of a structure (their partner manager) ------------------------------------------

ACTIVATION = TokenPurpose.ACCOUNT_ACTIVATION.value
TECHNICIAN = Role.PARTNER_TECHNICIAN.value


def _pending_activation() -> Any:
    """SQL condition: the account has an activation link not used yet (it counts as active)."""
    return (db.session.query(AuthToken.id)
            .filter(AuthToken.user_id == User.id, AuthToken.purpose == ACTIVATION, AuthToken.used_at.is_(None))
            .exists())


def unused_activation_tokens(user: User) -> list[AuthToken]:
    return AuthToken.query.filter_by(user_id=user.id, purpose=ACTIVATION, used_at=None).all()


@dataclass(frozen=True)
class TechnicianLimit:
    maximum: int
    organisation: Organisation


def technician_limit(structure_id: int, today: date | None = None) -> TechnicianLimit | None:
    """The smallest maximum of active technicians among the organisations the structure has a
    current convention with; None when there is no current convention."""
    today = today or paris_today()
    conventions = (Convention.query.join(Organisation, Organisation.id == Convention.organisation_id)
                   .filter(Convention.structure_id == structure_id, Convention.start_date <= today,
                           or_(Convention.end_date.is_(None), Convention.end_date >= today))
                   .order_by(Organisation.name).all())
    limits = [TechnicianLimit(c.organisation.partner_settings.max_active_technicians, c.organisation)
              for c in conventions if c.organisation.partner_settings is not None]
    return min(limits, key=lambda limit: limit.maximum) if limits else None


def occupied_places(structure_id: int) -> int:
    """Technicians active or awaiting activation."""
    return (User.query.filter(User.structure_id == structure_id, User.role == TECHNICIAN,
                              or_(User.active.is_(True), _pending_activation()))
            .count())


def limit_problem(structure_id: int) -> str | None:
    """Why one more active technician is refused, or None when there is room. Call it inside the
    transaction that adds the technician (after `lock_structure`)."""
    limit = technician_limit(structure_id)
    if limit is None:
        return ("Votre structure n’a aucune convention en cours avec un organisme d’Assurance Maladie : "
                "vous ne pouvez pas avoir de technicien actif.")
    occupied = occupied_places(structure_id)
    if occupied >= limit.maximum:
        return (f"Le nombre maximum de techniciens actifs de votre structure est atteint : {limit.maximum} "
                f"technicien{'s' if limit.maximum > 1 else ''} au plus, fixé par {limit.organisation.name} "
                f"(votre structure en compte {occupied}, actifs ou en attente d’activation). "
                "Désactivez un technicien avant d’en ajouter un autre.")
    return None


def lock_structure(structure_id: int) -> None:
    """Serialise the count-then-add of technicians of one structure: SQLite takes the write lock
    at BEGIN, PostgreSQL locks the structure's row."""
    begin_immediate()
    Structure.query.filter_by(id=structure_id).with_for_update().one()


def technician_state(user: User, now: datetime | None = None) -> tuple[str, str]:
    """(code, French label) of a technician's account."""
    if user.active:
        return "actif", "Actif"
    tokens = unused_activation_tokens(user)
    if tokens:
        now = now or utcnow()
        if all(t.expires_at <= now for t in tokens):
            return "expire", "En attente d’activation (lien expiré)"
        return "attente", "En attente d’activation"
    return "inactif", "Désactivé"


def send_activation(manager: User, user: User) -> None:
    """A new activation link by email; only the newest link works."""
    hours = current_app.config["TOKEN_VALIDITY_HOURS"]
    for old in unused_activation_tokens(user):
        old.used_at = utcnow()  # only the newest link works
    _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, hours)
    notify(user.email, "partenaires_technicien_activation",
           "Espace Partenaires : activez votre compte de Technicien Partenaire", user=user, manager=manager,
           structure=manager.structure, hours=hours, link=public_url("auth.activate_link", token=raw))


class TechnicianRefused(Exception):
    """Why a technician operation was refused (French, for the page); nothing was changed."""

    def __init__(self, message: str, field: str | None = None, status: int = 409) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte : saisissez-en une autre."


def add_technician(manager: User, email: str, civility: str, last_name: str, first_name: str) -> User:
    """A new technician of the manager's structure, inactive until they follow the activation link
    sent by email. Refused (TechnicianRefused, the transaction rolled back) when the structure has
    no room left or the address is taken. The caller commits."""
    structure_id = manager.structure_id
    lock_structure(structure_id)
    problem = limit_problem(structure_id)
    if problem is not None:
        db.session.rollback()  # ends the locking transaction
        raise TechnicianRefused(problem)
    if User.query.filter_by(email=email).first() is not None:
        db.session.rollback()
        raise TechnicianRefused(EMAIL_TAKEN, field="email", status=422)
    user = User(email=email, role=TECHNICIAN, active=False, structure_id=structure_id, civility=civility,
                last_name=last_name, first_name=first_name)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same address added at the same moment
        db.session.rollback()
        raise TechnicianRefused(EMAIL_TAKEN, field="email", status=422) from None
    send_activation(manager, user)
    audit.record(manager, "partner_technician_created", user, structure_id=structure_id)
    return user


def deactivate_technician(manager: User, user: User) -> None:
    """The account can no longer log in: its sessions end, its activation links stop working."""
    if technician_state(user)[0] == "inactif":
        raise TechnicianRefused(f"Le compte de {user.first_name} {user.last_name} est déjà désactivé : "
                                "rien n’a été modifié.")
    user.active = False
    for token in unused_activation_tokens(user):
        token.used_at = utcnow()  # the activation link no longer reactivates the account
    UserSession.query.filter_by(user_id=user.id).delete()
    audit.record(manager, "partner_technician_deactivated", user)


def reactivate_technician(manager: User, user: User) -> str:
    """Active again (or a new activation link when it never was active); returns the confirmation."""
    if technician_state(user)[0] != "inactif":
        raise TechnicianRefused(f"Le compte de {user.first_name} {user.last_name} n’est pas désactivé : "
                                "rien n’a été modifié.")
    lock_structure(user.structure_id)
    problem = limit_problem(user.structure_id)
    if problem:
        db.session.rollback()
        raise TechnicianRefused(problem)
    if user.password_hash:
        user.active = True
        message = f"Le compte de {user.first_name} {user.last_name} est réactivé : il peut de nouveau se connecter."
    else:
        # Deactivated before being activated: a new link lets them choose their password.
        send_activation(manager, user)
        message = (f"Un nouveau lien d’activation a été envoyé à {user.first_name} {user.last_name} "
                   f"({user.email}).")
    audit.record(manager, "partner_technician_reactivated", user)
    return message


def resend_activation(manager: User, user: User) -> None:
    if technician_state(user)[0] not in ("attente", "expire"):
        raise TechnicianRefused(f"Le compte de {user.first_name} {user.last_name} n’est pas en attente "
                                "d’activation : aucun lien n’a été envoyé.")
    send_activation(manager, user)
    audit.record(manager, "partner_technician_link_sent", user)


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
