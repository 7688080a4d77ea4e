"""Operations of the member services of « Mon espace privé » (payments, attestations, contact
details, appointments) and of their agent side: views load, check, call these, render. The
conversations of « Ma messagerie » have their own module (blueprints/msa/service.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from core import audit, csv_import
from core.formatting import PARIS, fr_amount, fr_date, fr_datetime
from core.nir import normalize, problem
from core.notify import notify
from core.pdf import render_document
from core.urls import public_url
from extensions import db
from models.base import utcnow
from models.msa import MsaMember
from models.msa_services import (APPOINTMENT_WORKFLOW, BRANCHES, LABEL_MAX, MsaAppointment, MsaContactDetails,
                                 MsaPayment, parse_amount)

# --- Payments -----------------------------------------------------------------------------------


def record_payment(member: MsaMember, agent: Any, paid_on: date, branch: str, label: str,
                   amount_cents: int) -> MsaPayment:
    """An agent records one payment for a member of their fund (the caller commits)."""
    payment = MsaPayment(member=member, organisation_id=member.organisation_id, paid_on=paid_on, branch=branch,
                         label=label, amount_cents=amount_cents, recorded_by_id=getattr(agent, "id", None))
    db.session.add(payment)
    db.session.flush()
    audit.record(agent, "msa_payment_recorded", payment)
    return payment


def member_by_nir(nir: str, organisation_id: int | None = None) -> MsaMember | None:
    query = MsaMember.query.filter_by(nir=nir)
    if organisation_id is not None:
        query = query.filter_by(organisation_id=organisation_id)
    return query.one_or_none()


# --- Import of a CSV file of payments (flask msa import-payments) ---------------------------------

IMPORT_COLUMNS = ("nir", "date", "branche", "libelle", "montant")


@dataclass
class ImportReport(csv_import.ImportReport):
    imported: int = 0


def _branch_code(text: str) -> str | None:
    """The branch by its code (« sante ») or its label (« Santé »), case and accents as typed."""
    value = (text or "").strip()
    for code, label in BRANCHES.items():
        if value.lower() in (code, label.lower()):
            return code
    return None


def import_payments(data: bytes) -> ImportReport:
    """Check the whole file (UTF-8, ';'-separated, a header line `nir;date;branche;libelle;montant`,
    dates DD/MM/YYYY, amounts like 1234,56), then add every payment in the current transaction, or
    none when any line is wrong. The caller commits (or rolls back on errors)."""
    report = ImportReport()
    members: dict[str, MsaMember | None] = {}
    payments = []
    for number, line in csv_import.csv_lines(data, IMPORT_COLUMNS, report):
        raw_nir, raw_date, raw_branch, label, raw_amount = (line[column].strip() for column in IMPORT_COLUMNS)
        nir = normalize(raw_nir)
        if problem(nir):
            report.errors.append((number, f"invalid NIR: {problem(nir)}"))
            continue
        if nir not in members:
            members[nir] = MsaMember.query.filter_by(nir=nir).one_or_none()
        member = members[nir]
        if member is None:
            report.errors.append((number, "no MSA member with this NIR"))
            continue
        try:
            paid_on = datetime.strptime(raw_date, "%d/%m/%Y").date()
        except ValueError:
            report.errors.append((number, f"invalid date « {raw_date} » (expected DD/MM/YYYY)"))
            continue
        branch = _branch_code(raw_branch)
        if branch is None:
            report.errors.append((number, f"unknown branch « {raw_branch} » (one of {', '.join(BRANCHES)})"))
            continue
        if not label or len(label) > LABEL_MAX:
            report.errors.append((number, f"the label is required ({LABEL_MAX} characters at most)"))
            continue
        cents = parse_amount(raw_amount)
        if cents is None:
            report.errors.append((number, f"invalid amount « {raw_amount} » (a positive amount such as 1234,56)"))
            continue
        payments.append(MsaPayment(member=member, organisation_id=member.organisation_id, paid_on=paid_on,
                                   branch=branch, label=label, amount_cents=cents))
    if report.errors:
        return report
    db.session.add_all(payments)
    db.session.flush()
    report.imported = len(payments)
    return report


# --- Attestation de paiement ou de non paiement -------------------------------------------------

def attestation_pdf(member: MsaMember, start: date, end: date, today: date | None = None) -> tuple[bytes, bool]:
    """The PDF of the attestation for the period, and whether there were payments."""
    payments = MsaPayment.within(member, start, end)
    user = member.user
    person = " ".join(p for p in (user.civility, user.first_name, (user.last_name or "").upper()) if p)
    organisation = member.organisation.name if member.organisation else "MSA"
    period = f"du {fr_date(start)} au {fr_date(end)}"
    identity = [("Nom et prénom", person), ("Numéro de sécurité sociale", member.nir), ("Période", period)]
    issued = f"Fait le {fr_date(today or date.today())}, pour servir et valoir ce que de droit."
    if payments:
        title = "Attestation de paiement"
        total = sum(p.amount_cents for p in payments)
        text = (f"La {organisation} atteste avoir versé à {person} les paiements suivants {period}, "
                f"pour un total de {fr_amount(total, cents=True)}.")
        lines = [f"{fr_date(p.paid_on)} – {p.branch_label} – {p.label} : {fr_amount(p.amount_cents, cents=True)}"
                 for p in payments]
        sections = [(None, [text]), ("Bénéficiaire", identity), ("Paiements", lines),
                    (None, [f"Total : {fr_amount(total, cents=True)}", issued])]
    else:
        title = "Attestation de non paiement"
        text = f"La {organisation} atteste n’avoir effectué aucun paiement à {person} {period}."
        sections = [(None, [text]), ("Bénéficiaire", identity), (None, [issued])]
    return render_document(title, sections, organisation=organisation), bool(payments)


# --- Contact details ------------------------------------------------------------------------------

def update_contact_details(member: MsaMember, values: dict[str, Any], user: Any) -> MsaContactDetails:
    """Write the validated address and phones (forms.msa_services.ContactDetailsForm.values())."""
    details = MsaContactDetails.of(member)
    for name in ("address_abroad", "address_line1", "address_line2", "address_line3", "postcode", "insee", "city",
                 "country", "phone"):
        setattr(details, name, values.get(name))
    member.mobile = values.get("mobile")
    details.updated_at = utcnow()
    db.session.flush()
    audit.record(user, "msa_contact_details_changed", member)
    return details


# --- Appointments ---------------------------------------------------------------------------------

def request_appointment(member: MsaMember, user: Any, subject: str, modality: str, slots: list[str],
                        comment: str | None, token: str) -> MsaAppointment:
    appointment = MsaAppointment(member=member, organisation_id=member.organisation_id, subject=subject,
                                 modality=modality, slots=slots, comment=comment or None, submission_token=token)
    appointment.start(user)
    return appointment


def local_datetime(day: date, hour: time) -> datetime:
    """A date and time typed in Paris time, as the aware datetime to store."""
    return datetime.combine(day, hour, tzinfo=PARIS)


def decide_appointment(appointment: MsaAppointment, agent: Any, decision: str, at: datetime,
                       note: str | None) -> None:
    """« Confirmer ce rendez-vous » or « Proposer une autre date »: the member is mailed (hook)."""
    if decision == "confirm":
        appointment.confirm(agent, at, note)
    else:
        appointment.propose(agent, at, note)


def accept_appointment(appointment: MsaAppointment, user: Any) -> None:
    appointment.accept(user)


def cancel_appointment(appointment: MsaAppointment, user: Any) -> None:
    appointment.cancel(user)


def _mail_member(appointment: MsaAppointment, event: Any, data: dict[str, Any]) -> None:
    user = appointment.member.user
    confirmed = appointment.status == "confirme"
    subject = ("Votre rendez-vous est confirmé" if confirmed
               else "Une autre date vous est proposée pour votre rendez-vous")
    notify(user.email, "msa_appointment_decided", subject, user=user, reference=appointment.reference,
           date=appointment.status_at, link=public_url("msa.appointments"), appointment=appointment,
           confirmed=confirmed, when=fr_datetime(appointment.scheduled_at))


APPOINTMENT_WORKFLOW.on_enter("confirm", _mail_member)
APPOINTMENT_WORKFLOW.on_enter("propose", _mail_member)
