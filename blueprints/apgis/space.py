"""The Apgis home and the insured's space (slice DIT): the home (login, or the insured's space),
« Mes données personnelles » and the DITs each change creates (the data is changed only when a
manager validates), the operation switched directly (payment alert), « L'Apgis et moi » (card
request, « Nous transmettre », « Vous avez une question »), the notifications and « Suivi ».

Every view loads the current user's own Apgis file (`_insured`): a citizen without one gets a clear
page saying so; DITs and questions are loaded through queries scoped to the user (404 otherwise)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from blueprints.apgis import bp, service
from blueprints.apgis.notifications import notifications_for
from core.access import public
from core.replay import keeps_input, take
from core.submission import SubmissionReplayed
from core.templating import render
from core.uploads import AttachmentSet
from extensions import db
from forms.apgis_exchanges import CardRequestForm, QuestionForm, TransmitForm
from forms.apgis_personal import (AddressChangeForm, ContributionMethodForm, EmailChangeForm, HealthBankChangeForm,
                                  PaymentAlertForm)
from forms.auth import LoginForm
from models import User
from models.apgis import (CONTRACT_LABELS, CONTRIBUTION_METHODS, DOCUMENT_NATURES, KIND_ADDRESS, KIND_CARD,
                          KIND_CONTRIBUTION_METHOD, KIND_DOCUMENT, KIND_EMAIL, KIND_HEALTH_BANK,
                          NATURE_SCHOOL_CERTIFICATE, NOTIFICATION_LABELS, REQUEST_KIND_LABELS, ApgisQuestion,
                          ApgisRequest)
from models.base import utcnow

REPLAYED = "Ce formulaire a déjà servi à envoyer une autre demande : rien n’a été envoyé. Envoyez-le de nouveau."


def today() -> date:
    return utcnow().date()


def insured_required(view: Callable[..., Any]) -> Any:
    """Gives the view the user's own Apgis file; without one, a page that says so (404)."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        insured = service.insured_of(current_user)
        if insured is None:
            return render("apgis/no_file.html", status=404)
        return view(insured, *args, **kwargs)
    return wrapped


def current_notifications(insured) -> list:
    """The notifications of today: the file's beneficiaries and pending DITs read in one statement."""
    beneficiaries, pending = service.file_rows(insured)
    return notifications_for(insured, today(), pending, beneficiaries)


# --- Home ----------------------------------------------------------------------------------------

@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return render("apgis/index.html", login_form=LoginForm(formdata=None))
    # The notifications read the beneficiaries (school certificates) and the pending DITs.
    insured = service.insured_of(current_user)
    if insured is None:
        return render("apgis/no_file.html")
    return render("apgis/index.html", insured=insured, notifications=current_notifications(insured))


@bp.route("/l-apgis-et-moi")
@insured_required
def apgis_et_moi(insured):
    return render("apgis/apgis_et_moi.html", insured=insured,
                  card_pending=service.pending_request(insured, KIND_CARD))


# --- Mes données personnelles --------------------------------------------------------------------

@bp.route("/mes-donnees")
@insured_required
def personal_data(insured):
    beneficiaries, pending = service.file_rows(insured)
    pending = service.pending_by_kind(insured, (KIND_ADDRESS, KIND_EMAIL, KIND_HEALTH_BANK, KIND_CONTRIBUTION_METHOD),
                                      pending)
    return render("apgis/personal_data.html", insured=insured, beneficiaries=beneficiaries, pending=pending,
                  contract_labels=CONTRACT_LABELS, methods=CONTRIBUTION_METHODS, mask_iban=service.mask_iban)


CHANGES = {
    KIND_ADDRESS: ("Modifier mon adresse postale", AddressChangeForm),
    KIND_EMAIL: ("Modifier mon adresse mail", EmailChangeForm),
    KIND_HEALTH_BANK: ("Modifier mes coordonnées bancaires pour mes remboursements de prestations santé",
                       HealthBankChangeForm),
    KIND_CONTRIBUTION_METHOD: ("Modifier le mode de règlement de mes cotisations", ContributionMethodForm),
}


def _redisplay(form) -> bool:
    """A button that only redisplays the form without JavaScript (« Rechercher », « Vérifier l’IBAN »)."""
    return "rechercher" in request.form or getattr(form, "CHECK_BUTTON", "-") in request.form


def _change(insured, kind):
    title, form_class = CHANGES[kind]
    pending = service.pending_request(insured, kind)
    if pending is not None:
        # One pending DIT per item: the page says so instead of a second form.
        return render("apgis/change.html", title=title, kind=kind, pending=pending, insured=insured)
    replay = take(current_user) if request.method == "GET" else None  # posted on an expired session
    if replay is not None:
        form = form_class(formdata=replay.form)
    elif request.method == "GET":
        form = form_class(formdata=None, notification=request.args.get("notification", ""))
        if kind == KIND_CONTRIBUTION_METHOD and insured.contribution_method:
            form.method.data = insured.contribution_method
    else:
        form = form_class()
    files = AttachmentSet.from_request(service.POLICY, required=True,
                                       token=replay.attachment_token if replay else None)
    status = 200
    if request.method == "POST":
        if files.is_update or _redisplay(form):
            return render("apgis/change.html", title=title, kind=kind, form=form, files=files, insured=insured)
        valid = form.validate_on_submit()
        valid = files.validate() and valid
        if valid and kind == KIND_EMAIL:
            email = form.payload()["email"]
            if email == current_user.email:
                form.email.errors.append("Saisissez une adresse mail différente de l’adresse actuelle.")
                valid = False
            elif User.query.filter(User.email == email, User.id != current_user.id).first() is not None:
                form.email.errors.append("Cette adresse mail ne peut pas être utilisée : saisissez-en une autre.")
                valid = False
        if valid:
            try:
                dit = service.create_request(insured, current_user, kind, form.payload(), form.submission.data,
                                             files=files, notification=form.notification.data or None)
            except SubmissionReplayed:
                form.submission.data = None
                return render("apgis/change.html", title=title, kind=kind, form=form_class(), files=files,
                              insured=insured, replayed=REPLAYED, has_errors=True, status=409)
            flash(f"Votre demande {dit.reference} est enregistrée. Elle est en attente de validation par votre "
                  "gestionnaire : vos données seront modifiées une fois la demande validée.", "success")
            return redirect(url_for(".personal_data"), 303)
        status = 422
    return render("apgis/change.html", title=title, kind=kind, form=form, files=files, insured=insured,
                  has_errors=status == 422, status=status)


@bp.route("/mes-donnees/adresse-postale", methods=["GET", "POST"])
@keeps_input
@insured_required
def change_address(insured):
    return _change(insured, KIND_ADDRESS)


@bp.route("/mes-donnees/adresse-mail", methods=["GET", "POST"])
@keeps_input
@insured_required
def change_email(insured):
    return _change(insured, KIND_EMAIL)


@bp.route("/mes-donnees/coordonnees-bancaires", methods=["GET", "POST"])
@keeps_input
@insured_required
def change_bank(insured):
    return _change(insured, KIND_HEALTH_BANK)


@bp.route("/mes-donnees/mode-de-reglement-des-cotisations", methods=["GET", "POST"])
@keeps_input
@insured_required
def change_contribution(insured):
    if not insured.individual:
        abort(404)  # contributions are paid by the employer under a collective contract
    return _change(insured, KIND_CONTRIBUTION_METHOD)


@bp.route("/mes-donnees/alerte-reglement", methods=["GET", "POST"])
@insured_required
def payment_alert(insured):
    """« Alerte par mail lors du règlement d’une prestation »: switched directly, confirmed."""
    form = PaymentAlertForm()
    if request.method == "GET":
        form = PaymentAlertForm(formdata=None, alert="non" if insured.payment_alert else "oui")
        return render("apgis/payment_alert.html", form=form, insured=insured)
    if form.validate_on_submit():
        on = form.alert.data == "oui"
        service.set_payment_alert(insured, current_user, on)
        db.session.commit()
        flash("L’alerte par mail lors du règlement d’une prestation est activée." if on else
              "L’alerte par mail lors du règlement d’une prestation est désactivée.", "success")
        return redirect(url_for(".personal_data", _anchor="operations"), 303)
    return render("apgis/payment_alert.html", form=form, insured=insured, status=422)


# --- L'Apgis et moi ------------------------------------------------------------------------------

@bp.route("/nous-demander/carte-de-tiers-payant/demande", methods=["GET", "POST"])
@insured_required
def request_card(insured):
    pending = service.pending_request(insured, KIND_CARD)
    form = CardRequestForm()
    if request.method == "POST" and pending is None and form.validate_on_submit():
        try:
            dit = service.create_request(insured, current_user, KIND_CARD, {}, form.submission.data)
        except SubmissionReplayed:
            return render("apgis/request_card.html", form=CardRequestForm(formdata=None), insured=insured,
                          replayed=REPLAYED, status=409)
        flash(f"Votre demande de carte de tiers payant {dit.reference} est envoyée à votre gestionnaire.", "success")
        return redirect(url_for(".suivi"), 303)
    status = 409 if request.method == "POST" and pending is not None else (422 if form.errors else 200)
    return render("apgis/request_card.html", form=form, pending=pending, insured=insured, status=status)


@bp.route("/nous-transmettre", methods=["GET", "POST"])
@keeps_input
@insured_required
def transmit(insured):
    children = [b for b in insured.beneficiaries if b.relation == "enfant"]
    replay = take(current_user) if request.method == "GET" else None  # posted on an expired session
    if replay is not None:
        form = TransmitForm(formdata=replay.form)
    elif request.method == "GET":
        nature = request.args.get("nature", "")
        form = TransmitForm(formdata=None, nature=nature, notification=request.args.get("notification", ""),
                            beneficiary=request.args.get("enfant", ""))
    else:
        form = TransmitForm()
    form.set_children(children)
    files = AttachmentSet.from_request(service.POLICY, required=True,
                                       token=replay.attachment_token if replay else None)
    status = 200
    if request.method == "POST":
        if files.is_update:
            return render("apgis/transmit.html", form=form, files=files, natures=DOCUMENT_NATURES, insured=insured)
        valid = form.validate_on_submit()
        valid = files.validate() and valid
        if valid:
            payload: dict[str, Any] = {"comment": form.comment.data or ""}
            if form.nature.data == NATURE_SCHOOL_CERTIFICATE:
                payload["beneficiary_id"] = int(form.beneficiary.data)
            try:
                dit = service.create_request(insured, current_user, KIND_DOCUMENT, payload, form.submission.data,
                                             files=files, document_nature=form.nature.data,
                                             notification=form.notification.data or None)
            except SubmissionReplayed:
                return render("apgis/transmit.html", form=form, files=files, natures=DOCUMENT_NATURES,
                              insured=insured, replayed=REPLAYED, has_errors=True, status=409)
            flash(f"Votre document « {dit.document_nature} » est transmis (demande {dit.reference}). Il sera "
                  "examiné par votre gestionnaire.", "success")
            return redirect(url_for(".suivi"), 303)
        status = 422
    return render("apgis/transmit.html", form=form, files=files, natures=DOCUMENT_NATURES, insured=insured,
                  has_errors=status == 422, status=status)


@bp.route("/vous-avez-une-question", methods=["GET", "POST"])
@keeps_input
@insured_required
def question_new(insured):
    replay = take(current_user) if request.method == "GET" else None  # posted on an expired session
    form = QuestionForm(formdata=replay.form) if replay is not None else QuestionForm()
    if form.validate_on_submit():
        try:
            question = service.ask_question(insured, current_user, form.theme.data, form.text.data,
                                            form.submission.data)
        except SubmissionReplayed:
            return render("apgis/question_new.html", form=form, replayed=REPLAYED, has_errors=True, status=409)
        flash(f"Votre question {question.reference} est envoyée. La réponse vous parviendra par courriel et dans "
              "« Suivi ».", "success")
        return redirect(url_for(".suivi"), 303)
    return render("apgis/question_new.html", form=form, status=422 if form.errors else 200)


# --- Notifications and Suivi ---------------------------------------------------------------------

@bp.route("/notifications")
@insured_required
def notifications(insured):
    return render("apgis/notifications.html", insured=insured, notifications=current_notifications(insured))


@bp.route("/suivi")
@insured_required
def suivi(insured):
    """Every DIT and question, newest first (the DITs made from a notification say which)."""
    requests = ApgisRequest.query.filter_by(user_id=current_user.id).all()
    questions = ApgisQuestion.query.filter_by(user_id=current_user.id).all()
    items = [("dit", r.created_at, r) for r in requests] + [("question", q.created_at, q) for q in questions]
    items.sort(key=lambda item: (item[1], item[2].id), reverse=True)
    return render("apgis/suivi.html", items=items, notification_labels=NOTIFICATION_LABELS,
                  open_notifications=current_notifications(insured))


@bp.route("/suivi/demandes/<int:request_id>")
@insured_required
def request_detail(insured, request_id):
    # With its supporting documents (a JSON column, read by service.request_files).
    dit = (ApgisRequest.query.filter_by(id=request_id, user_id=current_user.id)
           .options(*ApgisRequest.with_files).first_or_404())
    return render("apgis/request_detail.html", dit=dit, files=service.request_files(dit),
                  notification_labels=NOTIFICATION_LABELS, kind_labels=REQUEST_KIND_LABELS,
                  children=service.children_of(dit, insured), methods=CONTRIBUTION_METHODS,
                  mask_iban=service.mask_iban)


@bp.route("/suivi/questions/<int:question_id>")
@insured_required
def question_detail(insured, question_id):
    question = ApgisQuestion.query.filter_by(id=question_id, user_id=current_user.id).first_or_404()
    return render("apgis/question_detail.html", question=question)

