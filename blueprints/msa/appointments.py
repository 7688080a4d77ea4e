"""« Demander un rendez-vous » (msa.md parts A and C), member side: the request (subject, modality,
preferred half-days, comment) and the member's requests with their state; a date the agent
proposed can be accepted, a request cancelled. The agents' side is blueprints/agent/msa_services.py."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from blueprints.msa import bp, member_service
from blueprints.msa.context import member_required
from core.replay import keeps_input, take
from core.submission import SubmissionReplayed, create_once, new_token
from core.templating import render
from core.workflow import IllegalTransition
from extensions import db
from forms.msa_services import AppointmentActionForm, AppointmentRequestForm
from models.msa_services import MsaAppointment

TEMPLATE = "msa/appointments.html"
SENT = ("Votre demande de rendez-vous a été envoyée à votre MSA. Vous recevrez un courriel dès qu’un conseiller "
        "aura fixé la date.")


def own_appointments(member):
    return (MsaAppointment.query.filter_by(member_id=member.id)
            .order_by(MsaAppointment.created_at.desc(), MsaAppointment.id.desc()).all())


def own_appointment(member, appointment_id):
    """The member's own request; anyone else's is 404."""
    return MsaAppointment.query.filter_by(id=appointment_id, member_id=member.id).first_or_404()


def _page(member, form, status=200):
    return render(TEMPLATE, form=form, appointments=own_appointments(member), action_form=AppointmentActionForm(),
                  status=status)


@bp.route("/rendez-vous", methods=["GET", "POST"])
@keeps_input
@member_required
def appointments(member):
    if request.method == "GET":
        replay = take(current_user)
        return _page(member, AppointmentRequestForm(formdata=replay.form if replay else None))
    form = AppointmentRequestForm()
    if not form.validate_on_submit():
        return _page(member, form, status=422)
    token = form.submission.data
    try:
        create_once(token, MsaAppointment,
                    mine=lambda: MsaAppointment.query.filter_by(submission_token=token, member_id=member.id).first(),
                    create=lambda: member_service.request_appointment(
                        member, current_user, form.subject.data, form.modality.data, form.slot_codes(),
                        (form.comment.data or "").strip(), token),
                    found=lambda existing: existing)
    except SubmissionReplayed:
        form.form_errors.append("Ce formulaire a déjà servi à une autre demande : rien n’a été envoyé. "
                                "Vérifiez votre demande puis envoyez-la de nouveau.")
        form.submission.data = new_token()
        return _page(member, form, status=409)
    flash(SENT, "success")
    return redirect(url_for("msa.appointments") + "#mes-rendez-vous", 303)


ACTIONS = {
    "accepter": (member_service.accept_appointment, "La date proposée est acceptée : votre rendez-vous est confirmé."),
    "annuler": (member_service.cancel_appointment, "Votre demande de rendez-vous est annulée."),
}


@bp.route("/rendez-vous/<int:appointment_id>/<any(accepter, annuler):action>", methods=["POST"])
@member_required
def appointment_action(member, appointment_id, action):
    """« Accepter cette date » / « Annuler ma demande »."""
    appointment = own_appointment(member, appointment_id)
    form = AppointmentActionForm()
    make, message = ACTIONS[action]
    if form.validate_on_submit():
        try:
            make(appointment, current_user)
        except IllegalTransition:
            db.session.rollback()
            flash("Cette demande de rendez-vous a changé entre-temps : rien n’a été modifié.", "error")
        else:
            db.session.commit()
            flash(message, "success")
    else:
        flash("Le formulaire a expiré. Réessayez.", "error")
    return redirect(url_for("msa.appointments") + f"#rendez-vous-{appointment.id}", 303)
