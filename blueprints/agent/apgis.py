"""Apgis managers (« gestionnaires », slice DIT): the queue of the DITs sent to the manager's
institution (changes of personal data, card requests, documents transmitted), one DIT with what it
asks (old → new values) and its supporting documents, « Valider » (the workflow applies the
change) or « Refuser » with a required reason, both mailing the insured; the insured's questions
and their answers (mailed from the no-reply sender, shown in the insured's « Suivi »).

DITs and questions are only ever loaded through queries scoped to the manager's organisation
(core.queue.CaseLoader): anything else is a 404."""
from __future__ import annotations

from flask import flash, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from blueprints.agent import bp
from blueprints.apgis import service
from core.queue import CaseLoader, Choice, DetailPage, Queue, agent_organisation, prerendered
from core.formatting import fold_text
from core.templating import render, wants_fragment
from core.throttle import notifies
from core.workflow import IllegalTransition
from extensions import db
from forms.apgis_exchanges import QuestionAnswerForm, RequestRefuseForm, RequestValidateForm
from models.apgis import (CONTRIBUTION_METHODS, NOTIFICATION_LABELS, PENDING, PORTAL, QUESTION_ANSWERED,
                          QUESTION_SENT, REFUSED, REQUEST_KIND_LABELS, REQUEST_WORKFLOW, VALIDATED, ApgisQuestion,
                          ApgisRequest)

TEMPLATE = "agent/apgis/request.html"


def apgis():
    """The current manager's organisation when it runs the Apgis portal; 403 for anyone else."""
    return agent_organisation(PORTAL)


def _search(column, text):
    from sqlalchemy import and_, true
    words = fold_text(text).replace("-", " ").split()
    return and_(*(column.contains(w, autoescape=True) for w in words)) if words else true()


# --- DIT queue -------------------------------------------------------------------------------------

class RequestQueue(Queue):
    """Opens on what awaits a manager (« En attente de validation »), oldest first."""
    statuses = {PENDING: PENDING, VALIDATED: VALIDATED, REFUSED: REFUSED, "tous": None}
    default_status = PENDING
    workflow = REQUEST_WORKFLOW
    status_column = ApgisRequest.status
    choices = {"type": Choice(ApgisRequest.kind)}
    page_sizes = (10, 25, 50)
    search_max = 60

    def search_filter(self, text):
        """The reference (or part of it), the insured's names or email."""
        return _search(ApgisRequest.search_key, text)


@bp.route("/apgis/demandes")
def apgis_queue():
    org = apgis()
    filters = RequestQueue.from_args(request.args, type=set(REQUEST_KIND_LABELS))
    page = filters.paginate(ApgisRequest.query.filter(ApgisRequest.organisation_id == org.id),
                            order_by=(ApgisRequest.status_at, ApgisRequest.id),
                            options=(joinedload(ApgisRequest.user),))
    return render("agent/apgis/queue.html", block="results", organisation=org, filters=filters, page=page,
                  kinds=list(REQUEST_KIND_LABELS.items()))


# The page's read of a DIT with what it shows, built once (see core.queue.CaseLoader): its
# insured's user and file (many-to-one joins, one row) and its supporting documents (a JSON column,
# ApgisRequest.with_files, read by service.request_files). The beneficiaries are not joined: only a
# school certificate's DIT names one (service.children_of).
_REQUEST = CaseLoader(ApgisRequest, options=(joinedload(ApgisRequest.user), joinedload(ApgisRequest.insured),
                                             *ApgisRequest.with_files))


def load_request(request_id, org, for_update=False):
    return _REQUEST(request_id, org, for_update)


def _refuse_reason_html() -> Markup:
    """The « Refuser » text area not posted yet: the same on every DIT, rendered once
    (core.queue.prerendered) by the macro the template calls otherwise."""
    return prerendered(("apgis", "refuse-reason"), lambda: get_template_attribute(
        "components/counter.html", "counted_textarea")(RequestRefuseForm(formdata=None, prefix="refus").reason, rows=4))


def _context(dit, validate_form=None, refuse_form=None, **extra):
    """`validate_form`, `refuse_form`: the form posted, when it is shown again (its errors); a form
    not posted is not built: `can_decide` shows both, the reason's text area rendered once."""
    # (No timeline: the page does not show the DIT's history.)
    context = {"dit": dit, "files": service.request_files(dit), "notification_labels": NOTIFICATION_LABELS,
               "methods": CONTRIBUTION_METHODS, "children": service.children_of(dit), "mask_iban": service.mask_iban,
               "can_decide": False, "validate_form": None, "refuse_form": None, "refuse_reason_html": None}
    if REQUEST_WORKFLOW.can(dit, "validate", current_user):
        context.update(can_decide=True, validate_form=validate_form, refuse_form=refuse_form)
        if refuse_form is None:
            context["refuse_reason_html"] = _refuse_reason_html()
    context.update(extra)
    return context


def _refusal(dit):
    if dit.status == PENDING and service.email_taken(dit):
        return ("La nouvelle adresse mail demandée est déjà celle d’un autre compte : la demande ne peut pas être "
                "validée. Refusez-la en indiquant ce motif.")
    return f"Cette demande est à l’état « {dit.status_label} » : rien n’a été modifié."


DETAIL = DetailPage(TEMPLATE, "actions", _context, "agent.apgis_request", "request_id", refusal=_refusal)


@bp.route("/apgis/demandes/<int:request_id>")
def apgis_request(request_id):
    org = apgis()
    return DETAIL.show(load_request(request_id, org))


@bp.route("/apgis/demandes/<int:request_id>/<any(valider, refuser):choice>", methods=["POST"])
@notifies
def apgis_request_decide(request_id, choice):
    org = apgis()
    dit = load_request(request_id, org)
    if not REQUEST_WORKFLOW.can(dit, "validate", current_user):
        return DETAIL.refused(dit, _refusal(dit))
    if choice == "valider":
        form = RequestValidateForm(prefix="valider")
        if not form.validate_on_submit():
            return _invalid(dit, validate_form=form)
        return DETAIL.act(lambda: load_request(request_id, org, for_update=True),
                          lambda locked: service.validate_request(locked, current_user),
                          lambda d: f"La demande {d.reference} est validée : la modification est appliquée et "
                                    "l’assuré en est informé par courriel.")
    form = RequestRefuseForm(prefix="refus")
    if not form.validate_on_submit():
        return _invalid(dit, refuse_form=form)
    reason = form.reason.data.strip()
    return DETAIL.act(lambda: load_request(request_id, org, for_update=True),
                      lambda locked: service.refuse_request(locked, current_user, reason),
                      lambda d: f"La demande {d.reference} est refusée : l’assuré en est informé par courriel.")


def _invalid(dit, **forms):
    return render(TEMPLATE, block="actions", status=200 if wants_fragment() else 422, has_errors=True,
                  **_context(dit, **forms))


# --- Questions -------------------------------------------------------------------------------------

class QuestionQueue(Queue):
    statuses = {QUESTION_SENT: QUESTION_SENT, QUESTION_ANSWERED: QUESTION_ANSWERED, "tous": None}
    default_status = QUESTION_SENT
    status_column = ApgisQuestion.status
    page_sizes = (10, 25, 50)
    search_max = 60

    @classmethod
    def label(cls, stored):
        from models.apgis import QUESTION_STATE_LABELS
        return QUESTION_STATE_LABELS[stored] if stored is not None else "Tous les statuts"

    def search_filter(self, text):
        return _search(ApgisQuestion.search_key, text)


@bp.route("/apgis/questions")
def apgis_questions():
    org = apgis()
    filters = QuestionQueue.from_args(request.args)
    page = filters.paginate(ApgisQuestion.query.filter(ApgisQuestion.organisation_id == org.id),
                            order_by=(ApgisQuestion.created_at, ApgisQuestion.id),
                            options=(joinedload(ApgisQuestion.user),))
    return render("agent/apgis/questions.html", block="results", organisation=org, filters=filters, page=page)


_QUESTION = CaseLoader(ApgisQuestion)


@bp.route("/apgis/questions/<int:question_id>", methods=["GET", "POST"])
@notifies
def apgis_question(question_id):
    org = apgis()
    question = _QUESTION(question_id, org)
    form = QuestionAnswerForm() if question.status == QUESTION_SENT else None
    status = 200
    if request.method == "POST":
        if form is None:
            return render("agent/apgis/question.html", question=question, form=None, status=409,
                          refusal="Cette question a déjà reçu une réponse : rien n’a été modifié.")
        if form.validate_on_submit():
            locked = _QUESTION(question_id, org, for_update=True)
            try:
                service.answer_question(locked, current_user, form.answer.data)
            except IllegalTransition:
                db.session.rollback()
                return render("agent/apgis/question.html", question=locked, form=None, status=409,
                              refusal="Cette question a déjà reçu une réponse : rien n’a été modifié.")
            db.session.commit()
            flash(f"Votre réponse à la question {locked.reference} est envoyée à l’assuré par courriel.", "success")
            return redirect(url_for(".apgis_question", question_id=question_id), 303)
        status = 422
    return render("agent/apgis/question.html", question=question, form=form, status=status)
