"""Portail Des Aides, Igesa agents' side (spec armees.md « Agent side »): the queue of the
applications sent to the agent's organisation, an application with all its data, documents,
history, complement requests and payments and the actions its state allows (« Commencer
l’instruction », « Demander un complément », « Enregistrer un paiement », « Accorder » /
« Refuser » with the decision letter), and the benefits catalogue (publish, label, summary).

Applications are only ever loaded through a query scoped to the agent's organisation, never a
draft (« En cours de création »): anything else is a 404. Operations live in
blueprints/armees/service.py; each action answers as core.queue.DetailPage does (htmx: the
actions block in place; without JavaScript: 303 to the page with the confirmation)."""
from __future__ import annotations

from typing import NamedTuple

from flask import abort, flash, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import aliased, joinedload

from blueprints.agent import bp
from blueprints.armees import catalogue, recap, service
from core import audit
from core.queue import (CaseLoader, Choice, DetailPage, Queue, Unposted, agent_organisation, fold_search,
                        history_and_files, prerendered, unposted_once)
from core.submission import new_token
from core.templating import render, wants_fragment
from core.throttle import notifies
from core.uploads import send_attachment
from extensions import db
from forms.agent_armees import (BenefitEditForm, BenefitPublishForm, ComplementAskForm, DecisionGrantForm,
                                DecisionRefuseForm, InstructionStartForm, PaymentRecordForm)
from models import Attachment, User
from models.armees import (APPLICATION_FILES, APPLICATION_WORKFLOW, COMPLEMENT_REASONS, CREATING, DONE, GRANTED,
                           INSTRUCTING, PORTE_DOCUMENT_KINDS, RECEIVED_FILES, REFUSED, TAKEN, AidApplication,
                           AidPayment, BenefitSetting, ComplementRequest)
from models.base import utcnow

PORTAL = "armees"
TEMPLATE = "agent/armees/application.html"


def igesa():
    """The current agent's organisation when it runs the Portail Des Aides; 403 for anyone else."""
    return agent_organisation(PORTAL)


# --- Queue -------------------------------------------------------------------------------------

# In the order of the index (organisation, state, date of the state): a page of 10 out of
# thousands is read from the index, never sorted (bench/armees.py).
ORDER = (AidApplication.status, AidApplication.status_at, AidApplication.id)
SHOWN = (TAKEN, INSTRUCTING, DONE)


class ApplicationQueue(Queue):
    """Opens on what awaits an agent (« Prise en charge »), oldest first."""
    statuses = {TAKEN: TAKEN, INSTRUCTING: INSTRUCTING, DONE: DONE, "tous": None}
    default_status = TAKEN
    workflow = APPLICATION_WORKFLOW
    shown_statuses = SHOWN  # never a draft « En cours de création »
    status_column = AidApplication.status
    choices = {"prestation": Choice(AidApplication.benefit_code)}
    page_sizes = (10, 25, 50)
    search_max = 60

    def search_filter(self, text):
        """The reference (or part of it), the ressortissant's names, words of the benefit."""
        return fold_search(AidApplication.search_key, text)


@bp.route("/armees/demandes/")
def armees_queue():
    org = igesa()
    benefits = catalogue.all_benefits()
    filters = ApplicationQueue.from_args(request.args, prestation={b.code for b in benefits})
    page = filters.paginate(AidApplication.query.filter(AidApplication.organisation_id == org.id),
                            order_by=ORDER,
                            options=(joinedload(AidApplication.user),))
    return render("agent/armees/queue.html", block="results", organisation=org, filters=filters, page=page,
                  benefits=[(b.code, b.label) for b in benefits])


# --- One application ---------------------------------------------------------------------------

# The page's read of an application with what it shows, built once (see core.queue.CaseLoader).
# The page itself (`with_shown`) reads the ressortissant's and the instructing agent's names as
# plain values with the application; an action's read (after which the page is shown too) joins
# the ressortissant's object.
_OWNER, _AGENT = aliased(User), aliased(User)
_APPLICATION = CaseLoader(AidApplication, extra_filters=(AidApplication.status != CREATING,),
                          options=(joinedload(AidApplication.user), joinedload(AidApplication.complement_requests),
                                   joinedload(AidApplication.payments)),
                          shown={"owner_first_name": _OWNER.first_name, "owner_last_name": _OWNER.last_name,
                                 "owner_email": _OWNER.email, "agent_id": _AGENT.id,
                                 "agent_first_name": _AGENT.first_name, "agent_last_name": _AGENT.last_name},
                          joins=((_OWNER, _OWNER.id == AidApplication.user_id),
                                 (_AGENT, _AGENT.id == AidApplication.agent_id)),
                          shown_options=(joinedload(AidApplication.complement_requests),
                                         joinedload(AidApplication.payments)))


class Person(NamedTuple):
    """What the page shows of the ressortissant or of the instructing agent."""
    first_name: str | None
    last_name: str | None
    email: str | None = None


def load_application(application_id, org, for_update=False):
    """The organisation's application, never a draft; 404 otherwise (see core.queue.CaseLoader)."""
    return _APPLICATION(application_id, org, for_update)


def _benefit(application):
    return catalogue.get(application.benefit_code, include_unpublished=True)


def document_label(benefit, code):
    spec = benefit.document(code) if benefit is not None and code else None
    if spec is not None:
        return spec.label
    return (service.AGENT_DOCUMENT_LABELS.get(code or "") or PORTE_DOCUMENT_KINDS.get(code or "")
            or ("Lettre de décision" if code == "decision" else "Document complémentaire"))


def _document_choices(benefit):
    choices = [(d.code, d.label) for d in benefit.documents] if benefit is not None else []
    return choices + [("rib", service.AGENT_DOCUMENT_LABELS["rib"]), ("autre", service.AGENT_DOCUMENT_LABELS["autre"])]


MACROS = "agent/armees/macros.html"


def _pristine(key, template, macro, form, *args, **kwargs):
    """The HTML of an action form's fields not posted yet: the same on every page (for `key`),
    rendered once (core.queue.prerendered) by `macro` of `template`, as the template would, with
    the form `form()` builds then (the form is not built at the other pages) and `args(form)`."""
    def render_fields():
        built = form()
        return get_template_attribute(template, macro)(*(arg(built) for arg in args), **kwargs)
    return prerendered(("armees", *key), render_fields)


def _people(application, shown):
    """(ressortissant, instructing agent or None) as the page shows them: read with the
    application on a GET (`shown`), its related rows otherwise."""
    if shown is not None:
        owner = Person(shown.owner_first_name, shown.owner_last_name, shown.owner_email)
        agent = Person(shown.agent_first_name, shown.agent_last_name) if shown.agent_id is not None else None
        return owner, agent
    return application.user, application.agent


def _context(application, start_form=None, complement_form=None, payment_form=None, grant_form=None,
             refuse_form=None, shown=None, **extra):
    benefit = _benefit(application)
    owner, agent = _people(application, shown)
    # The history and the files (the application's and the letters sent, RECEIVED_FILES), as
    # plain rows in one statement.
    events, both = history_and_files(APPLICATION_WORKFLOW, application, APPLICATION_FILES, RECEIVED_FILES)
    files = [f for f in both if f.subject_type in APPLICATION_FILES.stored_names]
    letters = [f for f in both if f.subject_type in RECEIVED_FILES.stored_names]
    documents = [(document_label(benefit, f.document), f) for f in files]
    # The files are listed apart, with their download links.
    sections = recap.sections(benefit, application.data or {}, full_iban=True) if benefit is not None else []
    user = current_user._get_current_object()
    context = {
        "application": application, "owner": owner, "agent": agent, "benefit": benefit, "sections": sections,
        "documents": documents,
        "letters": letters,
        "timeline": APPLICATION_WORKFLOW.timeline(application, events), "reasons": COMPLEMENT_REASONS,
        "start_form": None, "complement_form": None, "payment_form": None, "grant_form": None, "refuse_form": None,
    }
    # A form not posted is not built (core.queue.Unposted): its fields are prerendered, and the
    # template writes its CSRF token itself.
    if APPLICATION_WORKFLOW.can(application, "start_instruction", user):
        context["start_form"] = start_form or Unposted()
    if service.can_ask_complement(application, user):
        choices = _document_choices(benefit)
        if complement_form is None:  # not posted: the same fields for every application of the benefit
            context["complement_form"] = unposted_once(ComplementAskForm)

            def complement_form_of(choices=choices):
                form = ComplementAskForm(formdata=None)
                form.set_documents(choices)
                return form
            context["complement_fields_html"] = _pristine(("complement", tuple(choices)), MACROS, "complement_fields",
                                                          complement_form_of, lambda form: form)
        else:
            complement_form.set_documents(choices)
            context["complement_form"] = complement_form
    if service.can_record_payment(application, user):
        if payment_form is None:
            context["payment_form"] = unposted_once(PaymentRecordForm)
            context["payment_fields_html"] = _pristine(("payment",), MACROS, "payment_fields",
                                                       lambda: PaymentRecordForm(formdata=None), lambda form: form)
        else:
            context["payment_form"] = payment_form
    if APPLICATION_WORKFLOW.can(application, "grant", user):
        context["grant_form"] = grant_form or Unposted()
        if grant_form is None:
            context["grant_amount_html"] = _pristine(
                ("grant",), "components/forms.html", "field", lambda: DecisionGrantForm(formdata=None, prefix="accord"),
                lambda form: form.amount, inputmode="decimal", size="12")
        context["refuse_form"] = refuse_form or Unposted()
        if refuse_form is None:
            context["refuse_reason_html"] = _pristine(
                ("refuse",), "components/counter.html", "counted_textarea",
                lambda: DecisionRefuseForm(formdata=None, prefix="refus"), lambda form: form.reason, rows=4)
    context.update(extra)
    return context


def _refusal(application):
    decision = f" ({application.decision_label.lower()})" if application.decision else ""
    return (f"Cette action n’est pas possible pour une demande à l’état « {application.status_label} »{decision} : "
            "rien n’a été modifié.")


DETAIL = DetailPage(TEMPLATE, "actions", _context, "agent.armees_application", "application_id", refusal=_refusal)


def _token(model, token, application):
    """The form's one-time token (core.submission), or None when it already made a `model` row of
    this application (a double post); a token that made another application's row (a replayed
    form) is replaced by a fresh one, so that the action is made, once."""
    used = db.session.query(model.application_id).filter_by(submission_token=token).first()
    if used is None:
        return token
    return None if used.application_id == application.id else new_token()


def _invalid(application, **forms):
    """The page again with the errors next to the fields (422); with htmx, the actions block in 200
    (htmx logs every 4xx as an error in the console, and the answer is an expected one)."""
    return render(TEMPLATE, block="actions", status=200 if wants_fragment() else 422, has_errors=True,
                  **_context(application, **forms))


@bp.route("/armees/demandes/<int:application_id>")
def armees_application(application_id):
    application, shown = _APPLICATION.with_shown(application_id, igesa())
    return DETAIL.show(application, shown=shown)


@bp.route("/armees/demandes/<int:application_id>/documents/<int:attachment_id>")
def armees_document(application_id, attachment_id):
    """A file of the application (its documents, the decision letters), to the organisation's agents."""
    application = load_application(application_id, igesa())
    attachment = Attachment.query.filter(
        Attachment.id == attachment_id, Attachment.subject_id == application.id,
        Attachment.subject_type.in_((*APPLICATION_FILES.stored_names, *RECEIVED_FILES.stored_names))).first_or_404()
    return send_attachment(attachment)


@bp.route("/armees/demandes/<int:application_id>/instruction", methods=["POST"])
def armees_start(application_id):
    org = igesa()
    if not InstructionStartForm().validate_on_submit():
        abort(400)
    return DETAIL.act(lambda: load_application(application_id, org, for_update=True),
                      lambda locked: service.start_instruction(locked, current_user),
                      lambda a: f"L’instruction de la demande {a.reference} est commencée.")


@bp.route("/armees/demandes/<int:application_id>/complements", methods=["POST"])
@notifies
def armees_complement_ask(application_id):
    org = igesa()
    application = load_application(application_id, org)
    form = ComplementAskForm()
    form.set_documents(_document_choices(_benefit(application)))
    token = _token(ComplementRequest, form.submission.data, application)
    if token is None:  # the same form posted twice: asked once
        return DETAIL.done(application, _complement_message(application))
    if not service.can_ask_complement(application, current_user):
        return DETAIL.refused(application, _refusal(application))
    if not form.validate_on_submit():
        return _invalid(application, complement_form=form)
    labels = dict(_document_choices(_benefit(application)))
    return DETAIL.act(lambda: load_application(application_id, org, for_update=True),
                      lambda locked: service.ask_complement(locked, current_user, form.subject.data.strip(),
                                                            form.documents(labels), form.message.data, token=token),
                      _complement_message)


def _complement_message(application):
    return (f"La demande de complément est envoyée : {application.user.first_name} {application.user.last_name} "
            "en est informé(e) par courriel.")


@bp.route("/armees/demandes/<int:application_id>/paiements", methods=["POST"])
def armees_payment(application_id):
    org = igesa()
    application = load_application(application_id, org)
    form = PaymentRecordForm()
    token = _token(AidPayment, form.submission.data, application)
    if token is None:  # the same form posted twice: recorded once
        return DETAIL.done(application, "Le paiement est enregistré.")
    if not service.can_record_payment(application, current_user):
        return DETAIL.refused(application, _refusal(application))
    if not form.validate_on_submit():
        return _invalid(application, payment_form=form)
    return DETAIL.act(lambda: load_application(application_id, org, for_update=True),
                      lambda locked: service.record_payment(locked, current_user, form.paid_on.data, form.amount.data,
                                                            form.label.data.strip(), token=token),
                      lambda a: "Le paiement est enregistré.")


@bp.route("/armees/demandes/<int:application_id>/decision/<any(accord, refus):choice>", methods=["POST"])
@notifies
def armees_decide(application_id, choice):
    org = igesa()
    application = load_application(application_id, org)
    if not APPLICATION_WORKFLOW.can(application, "grant", current_user):
        return DETAIL.refused(application, _refusal(application))
    if choice == "accord":
        form = DecisionGrantForm(prefix="accord")
        if not form.validate_on_submit():
            return _invalid(application, grant_form=form)
        decision, amount, reason = GRANTED, form.amount.data, None
    else:
        form = DecisionRefuseForm(prefix="refus")
        if not form.validate_on_submit():
            return _invalid(application, refuse_form=form)
        decision, amount, reason = REFUSED, None, form.reason.data.strip()
    return DETAIL.act(lambda: load_application(application_id, org, for_update=True),
                      lambda locked: service.decide(locked, current_user, decision, amount, reason),
                      lambda a: f"La demande {a.reference} est {a.decision_label.lower()}. La lettre de décision est "
                                "envoyée au ressortissant par courriel et dans « Mes documents reçus ».")


# --- The benefits catalogue --------------------------------------------------------------------

@bp.route("/armees/catalogue", methods=["GET"])
def armees_catalogue():
    igesa()
    return render("agent/armees/catalogue.html", benefits=catalogue.all_benefits())


def _file_benefit(code):
    benefit = next((b for b in catalogue.all_benefits() if b.code == code), None)
    if benefit is None:
        abort(404)
    return benefit


def _setting(code):
    setting = db.session.get(BenefitSetting, code)
    if setting is None:
        setting = BenefitSetting(code=code, published=True)
        db.session.add(setting)
    return setting


@bp.route("/armees/catalogue/<benefit_code>/publication", methods=["POST"])
def armees_benefit_publish(benefit_code):
    igesa()
    benefit = _file_benefit(benefit_code)
    if not BenefitPublishForm().validate_on_submit():
        abort(400)
    publish = request.form.get("publier") == "1"
    setting = _setting(benefit.code)
    setting.published = publish
    setting.updated_at = utcnow()
    audit.record(current_user, "armees_benefit_published" if publish else "armees_benefit_unpublished", setting,
                 code=benefit.code)
    db.session.commit()
    message = (f"La prestation « {benefit.label} » est publiée : les ressortissants peuvent la demander."
               if publish else f"La prestation « {benefit.label} » n’est plus proposée aux ressortissants.")
    if wants_fragment():
        return render("agent/armees/catalogue.html", block="catalogue", benefits=catalogue.all_benefits(),
                      confirmation=message)
    flash(message, "success")
    return redirect(url_for(".armees_catalogue", _anchor=f"prestation-{benefit.code}"), code=303)


@bp.route("/armees/catalogue/<benefit_code>", methods=["GET", "POST"])
def armees_benefit_edit(benefit_code):
    igesa()
    benefit = _file_benefit(benefit_code)
    form = BenefitEditForm()
    if request.method == "GET":
        form.published.data = benefit.published
        form.label.data = benefit.label
        form.summary.data = benefit.summary
    elif form.validate_on_submit():
        setting = _setting(benefit.code)
        setting.published = bool(form.published.data)
        setting.label = form.label.data.strip()
        setting.summary = (form.summary.data or "").strip()
        setting.updated_at = utcnow()
        audit.record(current_user, "armees_benefit_updated", setting, code=benefit.code, label=setting.label,
                     published=setting.published)
        db.session.commit()
        flash(f"La prestation « {setting.label} » est enregistrée.", "success")
        return redirect(url_for(".armees_catalogue", _anchor=f"prestation-{benefit.code}"), code=303)
    return render("agent/armees/benefit.html", benefit=benefit, form=form, status=422 if form.errors else 200)

