"""« Suivre mes demandes » (seed 000, part D; slice FOLLOW): the ressortissant's applications with
the actions their state allows, « Suivi de la demande d'aide » and its « Documents » tab, the
payments made, « Ajouter un document complémentaire », « Dupliquer », deleting a draft, and
answering a complement request.

Every object is loaded through a query scoped to the logged-in ressortissant (`_load`): anyone
else's application, complement request or file answers 404, for pages, fragments and downloads
alike. Each action checks the model's predicate again when posted (a forged or stale form in the
wrong state is refused, 409, nothing changed), then calls blueprints.armees.service. Without
JavaScript every action is a page and a 303; htmx opens « Supprimer » and « Répondre » in place and
switches the tabs without a page load."""
from __future__ import annotations

import hashlib

from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import case, func

from blueprints.armees import bp, catalogue, recap, service
from core.formatting import fr_datetime
from core.replay import keeps_input
from core.replay import take as take_replay
from core.submission import SubmissionReplayed
from core.templating import render, wants_fragment
from core.uploads import MB, AttachmentSet, delete_stored, register_policy, send_attachment
from extensions import db
from forms.armees_follow import (ApplicationDeleteForm, ApplicationDuplicateForm, ApplicationFilterForm,
                                 ComplementAnswerForm, DocumentAddForm)
from models import Attachment
from models.armees import (APPLICATION_FILES, APPLICATION_WORKFLOW, COMPLEMENT_REASONS, COMPLEMENT_WAITING,
                           PORTE_DOCUMENT_KINDS, RECEIVED_FILES, AidApplication, ComplementRequest,
                           IllegalTransition, ReceivedDocument)

# « Ajouter un document complémentaire » and the answers to complement requests (seed: pdf, doc,
# docx, png, jpg, jpeg).
UPLOAD_POLICY = register_policy("armees_suivi", max_count=5, max_size=5 * MB,
                                extensions=("pdf", "doc", "docx", "png", "jpg", "jpeg"))

DELETED_MESSAGE = "La demande « {label} » a été supprimée."
DOCUMENTS_ADDED_MESSAGE = "Votre document complémentaire a bien été transmis à Igesa."
ANSWERED_MESSAGE = "Votre réponse a bien été envoyée : la demande de complément est à l’état « Envoyé »."
DUPLICATED_MESSAGE = ("La demande a été dupliquée : une nouvelle demande « En cours de création » est "
                      "pré-remplie avec les informations de la demande {reference}. Vérifiez-les, complétez "
                      "vos justificatifs et transmettez-la.")
ALREADY_ANSWERED = "Cette demande de complément a déjà reçu une réponse le {date} : elle est à l’état « Envoyé »."
REFUSED = {
    "delete": "Cette demande ne peut plus être supprimée : elle est à l’état « {state} ».",
    "document": "Vous ne pouvez pas ajouter de document à cette demande : elle est à l’état « {state} ».",
    "duplicate": "Cette demande ne peut pas être dupliquée : elle est à l’état « {state} ».",
    "complement": "Vous ne pouvez plus répondre à cette demande de complément : la demande est à l’état "
                  "« {state} ».",
}
EXTRA_DOCUMENT_LABELS = {"rib": "RIB", "attestation-honneur": "Attestation sur l’honneur",
                         service.COMPLEMENTARY_DOCUMENT: "Document complémentaire", **PORTE_DOCUMENT_KINDS}
TABS = {"suivi": "Suivi de la demande", "documents": "Documents"}


# --- Loading -------------------------------------------------------------------------------------

def _load(application_id: int, lock: bool = False) -> AidApplication:
    """The logged-in ressortissant's application, or 404."""
    query = AidApplication.query.filter_by(id=application_id, user_id=current_user.id)
    if lock:
        query = query.with_for_update().populate_existing()
    application = query.first()
    if application is None:
        abort(404)
    return application


def _load_complement(application: AidApplication, complement_id: int) -> ComplementRequest:
    complement = ComplementRequest.query.filter_by(id=complement_id, application_id=application.id).first()
    if complement is None:
        abort(404)
    return complement


def _envelopes(applications: list[AidApplication]) -> dict[int, tuple[int, int, int]]:
    """Per application with complement requests: (requests, unanswered, the one to open: the first
    unanswered, else the last). The envelope opens that request when it is the only one (or the
    only one unanswered), else the list of the application's requests."""
    ids = [a.id for a in applications]
    if not ids:
        return {}
    rows = (db.session.query(ComplementRequest.application_id, func.count(ComplementRequest.id),
                             func.sum(case((ComplementRequest.state == COMPLEMENT_WAITING, 1), else_=0)),
                             func.min(case((ComplementRequest.state == COMPLEMENT_WAITING, ComplementRequest.id))),
                             func.max(ComplementRequest.id))
            .filter(ComplementRequest.application_id.in_(ids))
            .group_by(ComplementRequest.application_id).all())
    return {app_id: (total, int(waiting or 0), first_waiting or last) for app_id, total, waiting, first_waiting, last
            in rows}


def document_label(application: AidApplication, code: str | None,
                   complements: dict[int, ComplementRequest]) -> str:
    """What a file of the application answers, in the seed's words."""
    code = code or ""
    if code.startswith("complement-") and code[11:].isdigit():
        complement = complements.get(int(code[11:]))
        return "Réponse à la demande de complément" + (f" « {complement.subject} »" if complement else "")
    benefit = catalogue.get(application.benefit_code, include_unpublished=True)
    spec = benefit.document(code) if benefit is not None else None
    return spec.label if spec is not None else EXTRA_DOCUMENT_LABELS.get(code, "Document")


def _application_files(application: AidApplication) -> list[Attachment]:
    return (Attachment.query.filter(Attachment.subject_type.in_(APPLICATION_FILES.stored_names),
                                    Attachment.subject_id == application.id)
            .order_by(Attachment.created_at, Attachment.id).all())


def _documents(application: AidApplication) -> list[dict]:
    """« Documents »: every file of the application, oldest first, then the documents received."""
    complements = {c.id: c for c in application.complement_requests}
    rows = [{"label": document_label(application, a.document, complements), "attachment": a, "at": a.created_at,
             "origin": "Envoyé par vous"} for a in _application_files(application)]
    received = (ReceivedDocument.query.filter_by(application_id=application.id, user_id=current_user.id)
                .order_by(ReceivedDocument.created_at, ReceivedDocument.id).all())
    rows += [{"label": r.title, "attachment": r.attachment, "at": r.created_at, "origin": "Reçu d’Igesa"}
             for r in received]
    return rows


# --- « Suivre mes demandes » -----------------------------------------------------------------------

def _list_context(notice: str | None = None, error_notice: str | None = None) -> dict:
    filters = ApplicationFilterForm(request.args)
    query = AidApplication.query.filter_by(user_id=current_user.id)
    if filters.etat.data:
        query = query.filter_by(status=filters.etat.data)
    applications = query.order_by(AidApplication.created_at.desc(), AidApplication.id.desc()).all()
    return {"applications": applications, "envelopes": _envelopes(applications), "filters": filters,
            "duplicate_form": ApplicationDuplicateForm(formdata=None), "notice": notice,
            "error_notice": error_notice, "title": "Suivre mes demandes de prestation"}


@bp.route("/demandes/")
def applications():
    return render("armees/applications.html", block="list", **_list_context())


def _refused(application: AidApplication, action: str):
    """A post the application's state does not allow (a forged or stale form): nothing changes."""
    db.session.rollback()
    message = REFUSED[action].format(state=application.status_label)
    if wants_fragment():
        response = make_response(render("armees/applications.html", block="list",
                                        **_list_context(error_notice=message)))
        response.status_code = 200  # htmx swaps 2xx only where the answer is meant to go
        response.headers["HX-Retarget"] = "#demandes"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render("armees/applications.html", status=409, **_list_context(error_notice=message))


# --- Supprimer (En cours de création only) ----------------------------------------------------------

@bp.route("/demandes/<int:application_id>/supprimer", methods=["GET", "POST"])
def delete(application_id):
    application = _load(application_id)
    if not application.can_be_deleted:
        return _refused(application, "delete")
    form = ApplicationDeleteForm()
    if request.method == "GET" or not form.validate_on_submit():  # the page, or its expired form again
        status = 422 if request.method == "POST" and not wants_fragment() else 200
        return render("armees/delete.html", block="confirm", status=status, application=application, form=form,
                      title="Supprimer la demande")
    application = _load(application_id, lock=True)
    if not application.can_be_deleted:
        return _refused(application, "delete")
    label = application.benefit_label
    names = service.delete_application(application, current_user)
    db.session.commit()
    delete_stored(names)
    message = DELETED_MESSAGE.format(label=label)
    if wants_fragment():
        response = make_response(render("armees/applications.html", block="list",
                                        **_list_context(notice=message)))
        response.headers["HX-Retarget"] = "#demandes"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    flash(message, "success")
    return redirect(url_for("armees.applications"), 303)


# --- Dupliquer (Instruction en cours or terminée) ---------------------------------------------------

@bp.route("/demandes/<int:application_id>/dupliquer", methods=["POST"])
def duplicate(application_id):
    application = _load(application_id)
    form = ApplicationDuplicateForm()
    if not application.can_be_duplicated:
        return _refused(application, "duplicate")
    if not form.validate_on_submit():  # the CSRF token expired: the list again, with the reason
        return _refused_form()
    try:
        copy = service.duplicate(application, current_user, row_token(form.submission.data, application.id))
    except IllegalTransition:
        return _refused(_load(application_id), "duplicate")
    except SubmissionReplayed:
        abort(400)
    if copy is None:  # the copy made by this form was deleted since
        return redirect(url_for("armees.applications"), 303)
    flash(DUPLICATED_MESSAGE.format(reference=application.reference or ""), "success")
    return redirect(url_for("armees.apply", application_id=copy.id), 303)


def row_token(token: str, application_id: int) -> str:
    """The one-time token of one row's « Dupliquer »: every row posts the same form (one token per
    page), but each application is duplicated once per page, not once for all of them."""
    return hashlib.sha256(f"{token}:{application_id}".encode()).hexdigest()[:32]


def _refused_form():
    flash("Le formulaire a expiré. Réessayez.", "error")
    return redirect(url_for("armees.applications"), 303)


# --- Ajouter un document complémentaire (Prise en charge, Instruction en cours) ---------------------

@bp.route("/demandes/<int:application_id>/document-complementaire", methods=["GET", "POST"])
@keeps_input
def add_document(application_id):
    application = _load(application_id)
    if not application.accepts_documents:
        return _refused(application, "document")
    # Posted on an expired session: the files added come back after the login.
    replay = take_replay(current_user) if request.method == "GET" else None
    form = DocumentAddForm(formdata=replay.form) if replay else DocumentAddForm()
    files = AttachmentSet.from_request(UPLOAD_POLICY, required=True,
                                       token=replay.attachment_token if replay else None)
    context = {"application": application, "form": form, "files": files,
               "title": "Ajouter un document complémentaire"}
    if request.method == "GET":
        return render("armees/add_document.html", **context)
    if files.is_update:  # « Ajouter » / « Retirer » without JavaScript
        return render("armees/add_document.html", has_errors=files.has_errors, **context)
    token = form.submission.data
    done = APPLICATION_WORKFLOW.appended_with(token, current_user, "document")
    if done is not None and done.case_id == application.id:  # the same form posted again
        return redirect(url_for("armees.application", application_id=application.id, onglet="documents"), 303)
    files_ok = files.validate()
    if not (form.validate_on_submit() and files_ok):
        return render("armees/add_document.html", status=422, has_errors=True, **context)
    try:
        service.add_documents(application, current_user, files, token)
    except IllegalTransition:
        return _refused(_load(application_id), "document")
    except SubmissionReplayed:
        abort(400)
    flash(DOCUMENTS_ADDED_MESSAGE, "success")
    return redirect(url_for("armees.application", application_id=application.id, onglet="documents"), 303)


# --- Suivi de la demande d'aide, Documents, Paiements ------------------------------------------------

@bp.route("/demandes/<int:application_id>")
def application(application_id):
    application = _load(application_id)
    tab = request.args.get("onglet")
    tab = tab if tab in TABS else "suivi"
    benefit = catalogue.get(application.benefit_code, include_unpublished=True)
    documents = _documents(application)
    context = {"application": application, "tab": tab, "tabs": TABS, "documents": documents,
               "title": "Suivi de la demande d’aide", "envelope": application.unanswered_complements()}
    if tab == "suivi":
        justificatifs = [(row["label"], row["attachment"].original_name) for row in documents
                         if row["origin"] == "Envoyé par vous"]
        context["sections"] = (recap.sections(benefit, application.data or {}, documents=justificatifs)
                               if benefit is not None and application.data else [])
        # What happened, dated; the agents' names are theirs, not shown to the ressortissant.
        context["timeline"] = [(at, what, None) for at, what, _ in APPLICATION_WORKFLOW.timeline(application)]
    return render("armees/application.html", block="tab", **context)


@bp.route("/demandes/<int:application_id>/documents/<int:attachment_id>")
def application_file(application_id, attachment_id):
    """A file of the application (sent, or received from Igesa) to its owner; 404 to anyone else."""
    application = _load(application_id)
    attachment = (Attachment.query.filter(Attachment.id == attachment_id, Attachment.subject_id == application.id,
                                          Attachment.subject_type.in_(APPLICATION_FILES.stored_names
                                                                      + RECEIVED_FILES.stored_names))
                  .first())
    if attachment is None:
        abort(404)
    # A GET changes nothing: a decision is marked read by « Mes documents reçus » (a POST there).
    return send_attachment(attachment)


@bp.route("/demandes/<int:application_id>/paiements")
def payments(application_id):
    application = _load(application_id)
    if not application.shows_payments:
        abort(404)
    total = sum(p.amount_cents for p in application.payments)
    return render("armees/payments.html", application=application, payments=application.payments, total=total,
                  title="Paiements effectués")


# --- Demandes de compléments de pièces ----------------------------------------------------------------

def _complement_context(application, complement, **extra):
    return {"application": application, "complement": complement, "reasons": COMPLEMENT_REASONS,
            "title": "Demande de complément de pièces", **extra}


@bp.route("/demandes/<int:application_id>/complements/<int:complement_id>", methods=["GET", "POST"])
@keeps_input
def complement(application_id, complement_id):
    application = _load(application_id)
    complement = _load_complement(application, complement_id)
    # An answer posted on an expired session comes back, open, after the login.
    replay = take_replay(current_user) if request.method == "GET" else None
    if request.method == "GET" and request.args.get("repondre") is None and replay is None:
        return render("armees/complement.html", **_complement_context(application, complement))
    form = ComplementAnswerForm(formdata=replay.form) if replay else ComplementAnswerForm()
    token = form.submission.data
    if request.method == "POST":
        done = APPLICATION_WORKFLOW.appended_with(token, current_user, "complement_answer")
        if done is not None and done.case_id == application.id:  # the same « Valider » posted again
            return redirect(url_for("armees.complement", application_id=application.id,
                                    complement_id=complement.id), 303)
    if not complement.is_open:
        message = ALREADY_ANSWERED.format(date=fr_datetime(complement.answered_at))
        return render("armees/complement.html", status=409 if request.method == "POST" else 200,
                      **_complement_context(application, complement, error_notice=message))
    files = AttachmentSet.from_request(UPLOAD_POLICY, required=True,
                                       token=replay.attachment_token if replay else None)
    context = _complement_context(application, complement, form=form, files=files, answering=True)
    if request.method == "GET":
        return render("armees/complement.html", block=None if replay else "answer", **context)
    if files.is_update:
        return render("armees/complement.html", has_errors=files.has_errors, **context)
    files_ok = files.validate()
    if not (form.validate_on_submit() and files_ok):
        return render("armees/complement.html", status=422, has_errors=True, **context)
    try:
        service.answer_complement(complement, current_user, files, token)
    except IllegalTransition:
        db.session.rollback()
        complement = _load_complement(_load(application_id), complement_id)
        message = ALREADY_ANSWERED.format(date=fr_datetime(complement.answered_at))
        return render("armees/complement.html", status=409,
                      **_complement_context(application, complement, error_notice=message))
    except SubmissionReplayed:
        abort(400)
    flash(ANSWERED_MESSAGE, "success")
    return redirect(url_for("armees.complement", application_id=application.id, complement_id=complement.id), 303)

