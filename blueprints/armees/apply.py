"""« Déposer une demande »: the six-step application wizard of the Portail Des Aides (slice WIZARD;
seed 000 part B, spec armees.md « Applying »).

One wizard (`APPLICATION`, core.wizard) serves every application of every benefit:

- before the application exists, « Préambule » and « Critères d'éligibilité » are served by
  `armees.start` (/armees/prestations/<code>/demande/<step>) in a draft of kind
  `eligibility_kind(code)`; passing the eligibility step creates the application « En cours de
  création » (service.start_application) and moves what was typed into its own draft;
- then `armees.apply` (/armees/demandes/<id>/saisie/<step>) serves all the steps in the draft of
  kind `models.armees.application_draft_kind(id)`; « Transmettre » (the last step) calls
  service.transmit once per submission token, and the confirmation is a page of its own
  (`armees.confirmation`, post/redirect/get).

Step forms depend on the benefit (forms/armees_apply.py): the wizard's `context` is the benefit."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from blueprints.armees import bp, catalogue, recap, service
from blueprints.armees.catalogue import Benefit
from core.receipts import receipt_response
from core.rows import table_answer
from core.submission import SubmissionReplayed, create_once, new_token, token_or_new
from core.templating import render, wants_fragment
from core.throttle import mail_quota_wait, mail_wait_message
from core.uploads import DOCUMENT_FORMATS, MB, NamedAttachmentSet, NamedDocument, register_policy
from core.wizard import Step, Wizard, WizardPage
from extensions import db
from forms import armees_apply as forms
from models.armees import CREATING, AidApplication, RessortissantProfile, application_draft_kind

TEMPLATE = "armees/apply.html"
PRE_STEPS = ("preambule", "criteres")      # served before the application exists
SWORN_POLICY = "armees_attestation"       # the signed sworn statement of a loan (step 5)
DOCUMENTS_POLICY = "armees_justificatifs"  # « Vos justificatifs » and the RIB (step 4)
RIB = NamedDocument("rib", "Relevé d’identité bancaire (RIB) scanné", required=True)
# The bank details of an earlier processed application used as they are: « Votre RIB est déjà enregistré ».
RIB_KEPT = NamedDocument("rib", "Relevé d’identité bancaire (RIB) scanné", required=False)
# The template of each block an htmx refresh of a step answers with (else TEMPLATE's own block).
BLOCK_TEMPLATES = {"domiciliation": "armees/_apply_bank.html"}
MAX_DOCUMENTS = 12
SWORN_DOCUMENT = "attestation-honneur"
INELIGIBLE = "Vous n’êtes pas éligible à cette prestation"
SWORN_MISSING = "Ajoutez l’attestation sur l’honneur complétée et signée."
HELP_GUIDE_URL = "https://www.e-social.defense.gouv.fr/"
RESSORTISSANTS_URL = "https://www.e-social.defense.gouv.fr/"  # « la liste des ressortissants de l'action sociale »

register_policy(SWORN_POLICY, max_count=2, max_size=10 * MB, extensions=DOCUMENT_FORMATS)
register_policy(DOCUMENTS_POLICY, max_count=MAX_DOCUMENTS, max_size=10 * MB, extensions=DOCUMENT_FORMATS)


def documents_of(page: WizardPage) -> dict:
    """Step 4's files: the benefit's documents and the RIB; the proof of ressortissant status may
    be taken from « Mon porte-documents » (the user's own stored proofs)."""
    benefit = page.context
    stored = service.porte_documents(page.user)
    rib = RIB if not _uses_stored_bank(page) else RIB_KEPT
    return {"documents": [NamedDocument.from_spec(d) for d in benefit.documents] + [rib],
            "reusable": {d.code: stored for d in benefit.documents if d.porte_documents}}


def _uses_stored_bank(page: WizardPage) -> bool:
    """« Votre dossier » uses the profile's bank details (no « Utiliser une nouvelle domiciliation
    bancaire »): the step's form of this request, else the draft's."""
    form = page.form if page.step.slug == "dossier" and page.form is not None else page.form_of("dossier")
    return bool(getattr(form, "uses_stored_bank", False))


def _dossier_form(page: WizardPage):
    return forms.dossier_form_for(page.context, service.stored_bank(page.user))


def _eligible(page: WizardPage) -> bool:
    return not page.context.excluded_by(page.data_of("criteres"))


def _sworn_statement_given(page: WizardPage) -> bool:
    if not page.context.is_loan:
        return True
    files = page.files_of("recapitulatif")
    return files is not None and bool(files.items)


def _informations_form(page: WizardPage):
    return forms.informations_form(locked=service.profile_locked(page.user))


APPLICATION = Wizard(
    "armees.demande", endpoint="armees.apply", title="Demande de prestation", finish_label="Transmettre",
    saved_endpoint="armees.space", outcome="Confirmation",
    steps=[
        Step("preambule", "Préambule"),
        Step("criteres", "Critères d’éligibilité", form_factory=lambda page: forms.eligibility_form(page.context),
             is_complete=_eligible, incomplete_message=INELIGIBLE),
        Step("informations", "Vos informations", form_factory=_informations_form),
        Step("dossier", "Votre dossier", form_factory=_dossier_form,
             attachments=DOCUMENTS_POLICY, files_class=NamedAttachmentSet, files_options=documents_of),
        Step("recapitulatif", "Récapitulatif", form_factory=lambda page: forms.SwornStatementForm,
             attachments=SWORN_POLICY, is_complete=_sworn_statement_given, incomplete_message=SWORN_MISSING),
    ])


def eligibility_kind(code: str) -> str:
    """The draft kind of « Préambule » and « Critères d'éligibilité » before the application exists."""
    return f"armees.eligibilite.{code}"


def eligibility_wizard(benefit: Benefit) -> Wizard:
    return APPLICATION.for_case(eligibility_kind(benefit.code), endpoint="armees.start", title=benefit.label,
                                context=benefit, code=benefit.code)


def application_wizard(application: AidApplication, benefit: Benefit) -> Wizard:
    return APPLICATION.for_case(application_draft_kind(application.id), title=benefit.label, context=benefit,
                                application_id=application.id)


def _own_application(application_id: int) -> AidApplication:
    """The current user's application, 404 for anyone else's."""
    application = (db.session.query(AidApplication)
                   .filter_by(id=application_id, user_id=current_user.id).one_or_none())
    if application is None:
        abort(404)
    return application


def _benefit_of(application: AidApplication) -> Benefit:
    benefit = catalogue.get(application.benefit_code, include_unpublished=True)
    if benefit is None:
        abort(404)
    return benefit


def _render(page: WizardPage, benefit: Benefit, application: AidApplication | None):
    table = table_answer(page.form, page.url) if page.action is None else None
    if table is not None:  # with htmx, a table's « Ajouter », « Modifier »…: that table alone
        return table
    if page.form is not None and "submission" in page.form and not page.form.submission.data:
        page.form.submission.data = new_token()
    postcode = (request.args.get("cp") or "").strip()[:5]
    offices = catalogue.offices_for(postcode) if postcode else []
    context = dict(page=page, benefit=benefit, application=application, postcode=postcode, offices=offices,
                   profile=RessortissantProfile.query.filter_by(user_id=current_user.id).one_or_none(),
                   help_url=HELP_GUIDE_URL, ressortissants_url=RESSORTISSANTS_URL,
                   ineligible=_shows_ineligible(page))
    if page.step.slug == "informations":
        locked = service.profile_locked(current_user)
        context.update(identity=service.identity_rows(current_user), locked=locked,
                       profile_rows=recap.information_rows(service.informations_of(page)) if locked else [])
    if page.step.slug == "preambule" and "cp" in request.args and wants_fragment():
        return render(TEMPLATE, block="offices", **context)
    refresh = getattr(page.form, "refresh_block", None)
    if request.method == "POST" and page.action is None and refresh is not None and page.form.is_refresh():
        # « Rechercher » a commune, « Actualiser » the address or the cascade: with htmx only
        # that part of the step; without, the whole step (the wizard kept what was typed).
        block = refresh()
        if block and wants_fragment():
            return render(BLOCK_TEMPLATES.get(block, TEMPLATE), block=block, refreshed=True, **context)
    if page.step.slug == "recapitulatif" and application is not None:
        context["sections"] = service.recap_sections(benefit, service.collect(page, benefit),
                                                     service.draft_documents(page, benefit), user=current_user)
    return render(TEMPLATE, block="wizard", status=page.status, **context)


def _shows_ineligible(page: WizardPage) -> bool:
    return page.step.slug == "criteres" and INELIGIBLE in page.step_errors


@bp.route("/prestations/<code>/demande", methods=["GET", "POST"])
@bp.route("/prestations/<code>/demande/<step>", methods=["GET", "POST"])
def start(code: str, step: str | None = None):
    """« Déposer une demande » of a benefit: its « Préambule » and « Critères d'éligibilité »; the
    application is created once the eligibility step is passed."""
    benefit = catalogue.get(code)
    if benefit is None or (step is not None and step not in PRE_STEPS):
        abort(404)
    page = eligibility_wizard(benefit).handle(current_user, step)
    if page.target is not None and page.target.slug not in PRE_STEPS and page.is_complete("criteres"):
        application = service.start_application(current_user, benefit, page.stored, page.passed)
        db.session.commit()
        return redirect(url_for("armees.apply", application_id=application.id, step="informations"), 303)
    if page.response is not None:
        return page.response
    return _render(page, benefit, None)


@bp.route("/demandes/<int:application_id>/saisie/")
@bp.route("/demandes/<int:application_id>/saisie/<step>", methods=["GET", "POST"])
def apply(application_id: int, step: str | None = None):
    application = _own_application(application_id)
    if not application.is_draft:
        # « Transmettre » posted again (double click, Back then resend): the confirmation once more.
        if request.method == "POST" and application.submission_token and \
                request.form.get("submission") == application.submission_token:
            return redirect(url_for("armees.confirmation", application_id=application.id), 303)
        return redirect(url_for("armees.application", application_id=application.id), 303)
    benefit = _benefit_of(application)
    page = application_wizard(application, benefit).handle(current_user, step)
    if page.response is not None:
        return page.response
    if page.finished:
        return _transmit(page, application, benefit)
    return _render(page, benefit, application)


def _transmit(page: WizardPage, application: AidApplication, benefit: Benefit):
    """« Transmettre », once per submission token: a second post finds what the first did."""
    token = token_or_new(page.form.submission.data if page.form is not None else None)
    wait = mail_quota_wait()
    if wait:
        page.step_errors.append(mail_wait_message(wait))
        page.status = 200 if wants_fragment() else 429
        return _render(page, benefit, application)
    user = current_user._get_current_object()
    application_id = application.id

    def mine() -> AidApplication | None:
        return (db.session.query(AidApplication)
                .filter_by(id=application_id, user_id=user.id, submission_token=token).one_or_none())

    def create() -> AidApplication:
        current = db.session.get(AidApplication, application_id, populate_existing=True)
        if current is None or current.status != CREATING:
            raise SubmissionReplayed(token)
        service.transmit(current, user, benefit, page, token)
        return current

    try:
        transmitted = create_once(token, AidApplication, mine, create, found=lambda found: found)
    except SubmissionReplayed:
        abort(409)
    # A second post racing the first may have saved the draft again: it is of no use any more.
    service.drop_draft(user, application_id)
    db.session.commit()
    return page.leave(url_for("armees.confirmation", application_id=transmitted.id))


@bp.route("/demandes/<int:application_id>/confirmation")
def confirmation(application_id: int):
    application = _own_application(application_id)
    if application.is_draft:
        return redirect(url_for("armees.apply", application_id=application.id), 303)
    benefit = _benefit_of(application)
    wizard = application_wizard(application, benefit)
    return render("armees/confirmation.html", application=application, benefit=benefit,
                  steps=wizard.outcome_breadcrumb())


@bp.route("/demandes/<int:application_id>/recapitulatif.pdf")
def recap_pdf(application_id: int):
    """The recap as a PDF: of the draft as it stands (step 5), or the final one once transmitted."""
    application = _own_application(application_id)
    benefit = _benefit_of(application)
    if application.is_draft:
        page = WizardPage(application_wizard(application, benefit), current_user,
                          service.load_draft(current_user, application))
        pdf = service.recap_pdf(application, benefit, service.collect(page, benefit),
                                service.draft_documents(page, benefit), current_user)
    else:
        pdf = service.final_recap_pdf(application, benefit)
    return receipt_response(pdf, f"recapitulatif-{application.reference or application.id}.pdf")


@bp.route("/demandes/<int:application_id>/attestation-sur-l-honneur.pdf")
def sworn_template(application_id: int):
    """The sworn statement of a loan to print, sign (borrower and co-borrower) and send back."""
    application = _own_application(application_id)
    benefit = _benefit_of(application)
    if not benefit.is_loan:
        abort(404)
    return receipt_response(service.sworn_statement_pdf(application, benefit, current_user),
                            "attestation-sur-l-honneur.pdf")
