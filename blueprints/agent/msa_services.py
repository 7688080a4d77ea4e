"""MSA agent side of the member services (msa.md part C): the appointment requests of the agent's
MSA fund (a queue, oldest first; « Confirmer ce rendez-vous » or « Proposer une autre date », which
mails the member) and « Enregistrer un paiement » for a member of the fund, found by NIR.

Everything is loaded through a query scoped to the agent's organisation (404 otherwise); only
agents of an MSA fund reach these screens (403 for anyone else)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from blueprints.agent import bp
from blueprints.msa import member_service
from core.formatting import fr_amount
from core.queue import CaseLoader, DetailPage, Queue, agent_organisation
from core.replay import keeps_input, take
from core.templating import render
from core.throttle import notifies
from extensions import db
from forms.msa_services import AppointmentDecisionForm, PaymentRecordForm
from models.msa import MsaMember
from models.msa_services import APPOINTMENT_WORKFLOW, AppointmentStatus, MsaAppointment, MsaPayment

PORTAL = "msa"
APPOINTMENT_TEMPLATE = "agent/msa/appointment.html"


def msa_organisation():
    return agent_organisation(PORTAL)


# --- Appointment requests --------------------------------------------------------------------------

class AppointmentQueue(Queue):
    statuses = {"en-attente": AppointmentStatus.PENDING.value, "autre-date": AppointmentStatus.PROPOSED.value,
                "confirme": AppointmentStatus.CONFIRMED.value, "annule": AppointmentStatus.CANCELLED.value,
                "tous": None}
    workflow = APPOINTMENT_WORKFLOW
    default_status = "en-attente"
    status_column = MsaAppointment.status


@bp.route("/msa/rendez-vous/")
def msa_appointments():
    org = msa_organisation()
    filters = AppointmentQueue.from_args(request.args)
    page = filters.paginate(MsaAppointment.query.filter(MsaAppointment.organisation_id == org.id),
                            order_by=(MsaAppointment.created_at, MsaAppointment.id),
                            options=(joinedload(MsaAppointment.member).joinedload(MsaMember.user),))
    return render("agent/msa/appointments.html", block="results", organisation=org, filters=filters, page=page)


load_appointment = CaseLoader(MsaAppointment)


def _context(appointment, form=None, **extra):
    open_ = appointment.can("confirm", current_user)
    context = {"appointment": appointment, "history": APPOINTMENT_WORKFLOW.timeline(appointment),
               "form": (form or AppointmentDecisionForm(formdata=None)) if open_ else None}
    context.update(extra)
    return context


DETAIL = DetailPage(APPOINTMENT_TEMPLATE, "decision", _context, "agent.msa_appointment", "appointment_id",
                    refusal=lambda a: f"Cette demande est à l’état « {a.status_label} » : rien n’a été modifié.")


@bp.route("/msa/rendez-vous/<int:appointment_id>")
def msa_appointment(appointment_id):
    appointment = load_appointment(appointment_id, msa_organisation())
    replay = take(current_user, "agent.msa_appointment_decide") if appointment.can("confirm", current_user) else None
    if replay is not None:
        return render(APPOINTMENT_TEMPLATE, **_context(appointment, AppointmentDecisionForm(formdata=replay.form)))
    return DETAIL.show(appointment)


@bp.route("/msa/rendez-vous/<int:appointment_id>/decision", methods=["POST"])
@keeps_input(shown_at="agent.msa_appointment")
@notifies
def msa_appointment_decide(appointment_id):
    org = msa_organisation()
    appointment = load_appointment(appointment_id, org)
    if not appointment.can("confirm", current_user):
        return DETAIL.refused(appointment, DETAIL.refusal(appointment))
    form = AppointmentDecisionForm()
    if not form.validate_on_submit():
        return render(APPOINTMENT_TEMPLATE, block="decision", status=422, has_errors=True,
                      **_context(appointment, form))
    at = member_service.local_datetime(form.day.data, form.at_time)
    decision, note = form.decision.data, (form.note.data or "").strip()
    messages = {"confirm": "Le rendez-vous est confirmé. L’adhérent en a été informé par courriel.",
                "propose": "La nouvelle date est proposée. L’adhérent en a été informé par courriel."}
    return DETAIL.act(lambda: load_appointment(appointment_id, org, for_update=True),
                      lambda locked: member_service.decide_appointment(locked, current_user, decision, at, note),
                      lambda _: messages[decision])


# --- Payments ------------------------------------------------------------------------------------------

@bp.route("/msa/paiements/nouveau", methods=["GET", "POST"])
@keeps_input
def msa_payment_new():
    org = msa_organisation()
    if request.method == "GET":
        replay = take(current_user)
        form = PaymentRecordForm(formdata=replay.form if replay else None)
        return render("agent/msa/payment_new.html", form=form, organisation=org, recent=_recent(org))
    form = PaymentRecordForm()
    if form.validate_on_submit():
        member = member_service.member_by_nir(form.nir.data, org.id)
        if member is None:
            form.nir.errors.append("Aucun adhérent de votre MSA n’a ce numéro de sécurité sociale.")
        else:
            payment = member_service.record_payment(member, current_user, form.paid_on.data, form.branch.data,
                                                    form.label.data.strip(), form.amount.cents)
            db.session.commit()
            flash(f"Le paiement de {fr_amount(payment.amount_cents, cents=True)} a été enregistré pour "
                  f"{member.user.first_name} {member.user.last_name.upper()}.", "success")
            return redirect(url_for("agent.msa_payment_new"), 303)
    return render("agent/msa/payment_new.html", form=form, organisation=org, recent=_recent(org), status=422)


def _recent(org):
    """The last payments the fund's agents recorded (a check that the one just typed is there)."""
    return (MsaPayment.query.filter(MsaPayment.organisation_id == org.id, MsaPayment.recorded_by_id.isnot(None))
            .options(joinedload(MsaPayment.member).joinedload(MsaMember.user))
            .order_by(MsaPayment.created_at.desc(), MsaPayment.id.desc()).limit(5).all())
