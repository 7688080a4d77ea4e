"""MSA « Mon espace privé » services (msa.md parts A and C): the payments a member sees and gets
attestations of, their contact details, and their appointment requests (« Demander un rendez-vous »)
with the agent side's answer (a confirmed date, or another date proposed)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.base import UTCDateTime, utcnow

# Branches of « Mes paiements et mes remboursements » (seed 004: « santé, famille, retraite, action
# sanitaire et sociale »): stored code -> label.
BRANCHES = {
    "sante": "Santé",
    "famille": "Famille",
    "retraite": "Retraite",
    "action-sociale": "Action sanitaire et sociale",
}

LABEL_MAX = 120


def parse_amount(text: str) -> int | None:
    """« 1 234,56 », « 1234.56 », « 12 » -> cents; None when it is not a positive amount."""
    cleaned = (text or "").replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    # Bounds first: quantizing « 1e309 » would raise.
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("10000000") \
            or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


class MsaPayment(db.Model):
    """One payment (or reimbursement) made to a member, recorded by an agent or imported."""
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("msa_member.id", ondelete="CASCADE"), nullable=False)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"))
    paid_on = db.Column(db.Date, nullable=False)
    branch = db.Column(db.String(20), nullable=False)
    label = db.Column(db.String(LABEL_MAX), nullable=False)
    amount_cents = db.Column(db.Integer, nullable=False)  # positive: paid to the member
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))  # None: imported
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    member = db.relationship("MsaMember")

    __table_args__ = (
        db.Index("ix_msa_payment_member_date", "member_id", "paid_on", "id"),
        db.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    @property
    def branch_label(self) -> str:
        return BRANCHES.get(self.branch, self.branch)

    @classmethod
    def of_member(cls, member: Any):
        """The only way the member side reads payments: scoped to the member."""
        return cls.query.filter(cls.member_id == member.id)

    @classmethod
    def within(cls, member: Any, start: date, end: date) -> list[MsaPayment]:
        """The member's payments from `start` to `end` (both included), oldest first."""
        return (cls.of_member(member).filter(cls.paid_on >= start, cls.paid_on <= end)
                .order_by(cls.paid_on, cls.id).all())


class MsaContactDetails(db.Model):
    """« Modifier vos coordonnées »: the member's postal address (in France: a commune of the
    reference list; abroad: the town typed in full and the country) and landline phone. The mobile
    stays on MsaMember (SMS confirmations), the email on the user (login, mails)."""
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("msa_member.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    address_abroad = db.Column(db.Boolean, nullable=False, default=False)
    address_line1 = db.Column(db.String(38))
    address_line2 = db.Column(db.String(38))
    address_line3 = db.Column(db.String(38))
    postcode = db.Column(db.String(5))
    insee = db.Column(db.String(5))
    city = db.Column(db.String(120))
    country = db.Column(db.String(2))
    phone = db.Column(db.String(20))
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    member = db.relationship("MsaMember", backref=db.backref("contact_details", uselist=False))

    @classmethod
    def of(cls, member: Any) -> MsaContactDetails:
        """The member's details, created empty (not flushed) on first use."""
        details = cls.query.filter_by(member_id=member.id).one_or_none()
        if details is None:
            details = cls(member=member)
            db.session.add(details)
        return details

    @property
    def has_address(self) -> bool:
        return bool(self.address_line1 and self.city)


# --- Appointments ------------------------------------------------------------------------------

# « Objet du rendez-vous »: stored code -> label.
APPOINTMENT_SUBJECTS = {
    "sante": "Santé, invalidité",
    "famille-logement": "Famille, logement",
    "retraite": "Retraite",
    "rsa-prime": "RSA, Prime d’activité",
    "exploitants": "Exploitants, cotisations",
    "autre": "Autre sujet",
}
MODALITIES = {"agence": "En agence", "telephone": "Par téléphone"}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
HALF_DAYS = {"matin": "matin", "apres-midi": "après-midi"}
# Preferred slots: half-days of the working week, « lundi-matin » -> « Lundi matin ».
SLOTS = {f"{day}-{half}": f"{day.capitalize()} {label}" for day in WEEKDAYS for half, label in HALF_DAYS.items()}
COMMENT_MAX = 500


class AppointmentStatus(str, enum.Enum):
    PENDING = "en-attente"       # « En attente »: waiting for the agents
    CONFIRMED = "confirme"       # « Confirmé »: a date and time fixed by an agent (or accepted)
    PROPOSED = "autre-date"      # « Autre date proposée »: the agent offers another date
    CANCELLED = "annule"         # « Annulé »: by the member


def _member(appointment: MsaAppointment, user: Any) -> bool:
    member = getattr(user, "msa_member", None) if getattr(user, "is_authenticated", False) else None
    return member is not None and member.id == appointment.member_id


def _agent(appointment: MsaAppointment, user: Any) -> bool:
    return (getattr(user, "is_authenticated", False) and user.has_role("agent")
            and user.organisation_id == appointment.organisation_id)


def _needs_date(appointment: MsaAppointment, data: dict[str, Any]) -> None:
    if not isinstance(data.get("at"), datetime):
        raise ValueError("a date and time are needed")


def _schedule(appointment: MsaAppointment, agent: Any, now: datetime, data: dict[str, Any]) -> None:
    appointment.scheduled_at = data["at"]
    appointment.agent_note = data.get("note") or None
    appointment.agent_id = agent.id


def _accept(appointment: MsaAppointment, member: Any, now: datetime, data: dict[str, Any]) -> None:
    """The member takes the date the agent offered: it becomes the confirmed one."""


_OPEN = (AppointmentStatus.PENDING.value, AppointmentStatus.PROPOSED.value)

APPOINTMENT_WORKFLOW = Workflow(
    "msa_appointment",
    states=[State(AppointmentStatus.PENDING.value, "En attente"),
            State(AppointmentStatus.CONFIRMED.value, "Confirmé"),
            State(AppointmentStatus.PROPOSED.value, "Autre date proposée"),
            State(AppointmentStatus.CANCELLED.value, "Annulé", final=True)],
    transitions=[
        Transition("confirm", _OPEN, AppointmentStatus.CONFIRMED.value, allowed=_agent, guard=_needs_date,
                   effect=_schedule, audit="msa_appointment_confirmed", label="Confirmer ce rendez-vous"),
        Transition("propose", _OPEN, AppointmentStatus.PROPOSED.value, allowed=_agent, guard=_needs_date,
                   effect=_schedule, audit="msa_appointment_proposed", label="Proposer une autre date"),
        Transition("accept", (AppointmentStatus.PROPOSED.value,), AppointmentStatus.CONFIRMED.value,
                   allowed=_member, effect=_accept, label="Accepter cette date"),
        Transition("cancel", (*_OPEN, AppointmentStatus.CONFIRMED.value), AppointmentStatus.CANCELLED.value,
                   allowed=_member, label="Annuler ma demande"),
    ],
    initial=AppointmentStatus.PENDING.value, changed_attr="status_at")


class MsaAppointment(db.Model):
    """« Demander un rendez-vous »: what the member asks, and the date the agents fix."""
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("msa_member.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False)
    subject = db.Column(db.String(30), nullable=False)
    modality = db.Column(db.String(20), nullable=False)
    slots = db.Column(db.JSON, nullable=False, default=list)  # SLOTS codes, in the week's order
    comment = db.Column(db.Text)
    status = db.Column(db.String(20), nullable=False, default=AppointmentStatus.PENDING.value)
    status_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    scheduled_at = db.Column(UTCDateTime)   # confirmed, or proposed by the agent
    agent_note = db.Column(db.String(300))  # e.g. where to come, who calls
    agent_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    submission_token = db.Column(db.String(32), unique=True)  # the form that created it (core.submission)

    member = db.relationship("MsaMember")
    organisation = db.relationship("Organisation")

    __table_args__ = (
        db.Index("ix_msa_appointment_queue", "organisation_id", "status", "created_at"),
    )

    @property
    def status_label(self) -> str:
        return APPOINTMENT_WORKFLOW.label(self.status)

    @property
    def subject_label(self) -> str:
        return APPOINTMENT_SUBJECTS.get(self.subject, self.subject)

    @property
    def modality_label(self) -> str:
        return MODALITIES.get(self.modality, self.modality)

    @property
    def slot_labels(self) -> list[str]:
        return [SLOTS[s] for s in self.slots or () if s in SLOTS]

    @property
    def reference(self) -> str:
        return f"Rendez-vous n° {self.id}"

    def can(self, transition: str, user: Any) -> bool:
        return APPOINTMENT_WORKFLOW.can(self, transition, user)

    def start(self, user: Any, now: datetime | None = None) -> None:
        APPOINTMENT_WORKFLOW.start(self, user, now)

    def confirm(self, agent: Any, at: datetime, note: str | None = None, now: datetime | None = None):
        return APPOINTMENT_WORKFLOW.fire(self, "confirm", agent, now=now, at=at, note=note)

    def propose(self, agent: Any, at: datetime, note: str | None = None, now: datetime | None = None):
        return APPOINTMENT_WORKFLOW.fire(self, "propose", agent, now=now, at=at, note=note)

    def accept(self, user: Any, now: datetime | None = None):
        return APPOINTMENT_WORKFLOW.fire(self, "accept", user, now=now)

    def cancel(self, user: Any, now: datetime | None = None):
        return APPOINTMENT_WORKFLOW.fire(self, "cancel", user, now=now)


__all__ = ["BRANCHES", "IllegalTransition", "MsaAppointment", "MsaContactDetails", "MsaPayment"]
