"""« Nous envoyer un document » (MSA, seed 004; spec msa.md part A): the member's service page
(the documents already sent, the draft in progress) and the wizard of the seed's steps:

    1. Objet de l'envoi  2. Nombre de documents (1 to 5)  3. Saisie des informations
    4. Ajout d'un fichier (the files of each document, « J'atteste la conformité… », « Envoyer »)
    5. Envoi et accusé de réception (the confirmation page, `documents_confirmation`)

The wizard (core.wizard) keeps everything typed and uploaded in a server-side draft, so that
« Précédent », « Enregistrer » and leaving half-way lose nothing. Step 4's files are a named
upload set (core.uploads.NamedAttachmentSet) with up to FILES_PER_DOCUMENT files per document,
the first of each required. « Envoyer » creates the submission once per one-time token."""
from __future__ import annotations

from flask import abort, current_app, get_template_attribute, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from blueprints.msa import bp
from blueprints.msa import documents_service as service
from blueprints.msa.context import member_required
from core import drafts
from core.formatting import fr_datetime
from core.queue import prerendered
from core.submission import SubmissionReplayed, is_token, new_token, token_or_new
from core.templating import render, render_block, wants_fragment
from core.throttle import mail_quota_wait, mail_wait_message
from core.uploads import MB, NamedAttachmentSet, NamedDocument, register_policy, send_attachment
from core.wizard import Step, Wizard, WizardPage
from extensions import db
from forms.msa_documents import (MAX_DOCUMENTS, DocumentCountForm, DocumentSendForm, DocumentSubjectForm,
                                 document_information_form, find_subject, nature_label)
from models.msa_documents import RECEIPT_DOCUMENT, SUBJECT_TYPE, MsaDocumentSubmission
from models import Attachment

TEMPLATE = "msa/documents/send.html"
POLICY = "msa_documents"
FILES_PER_DOCUMENT = 3
FORMATS = ("pdf", "jpg", "jpeg", "png")
DEFAULT_SUBJECT = "autres-documents"

register_policy(POLICY, max_count=MAX_DOCUMENTS * FILES_PER_DOCUMENT, max_size=5 * MB, extensions=FORMATS)


def chosen_subject(page: WizardPage) -> dict | None:
    return find_subject(page.data_of("objet").get("subject"))


def chosen_count(page: WizardPage) -> int:
    raw = page.data_of("nombre").get("count")
    return int(raw) if isinstance(raw, str) and raw.isdigit() and 1 <= int(raw) <= MAX_DOCUMENTS else 1


def _information_form(page: WizardPage):
    subject = chosen_subject(page)
    return document_information_form(subject["code"] if subject else DEFAULT_SUBJECT, chosen_count(page))


def document_titles(page: WizardPage) -> list[str]:
    """« Document 1 : Avis d’imposition », … as step 3 names them."""
    subject = chosen_subject(page)
    information = page.data_of("informations")
    titles = []
    for n in range(1, chosen_count(page) + 1):
        nature = nature_label(subject, information.get(f"nature_{n}"))
        titles.append(f"Document {n}" + (f" : {nature}" if nature else ""))
    return titles


def _named_files(page: WizardPage) -> dict:
    """Step 4's files: FILES_PER_DOCUMENT per document, the first one required."""
    documents = [NamedDocument(f"document-{n}-fichier-{f}", f"{title} – fichier {f}", required=f == 1)
                 for n, title in enumerate(document_titles(page), start=1)
                 for f in range(1, FILES_PER_DOCUMENT + 1)]
    return {"documents": documents}


WIZARD = Wizard(
    service.DRAFT_KIND, endpoint="msa.documents_send", title="Nous envoyer un document", finish_label="Envoyer",
    saved_endpoint="msa.documents", discarded_endpoint="msa.documents", outcome="Envoi et accusé de réception",
    steps=[
        Step("objet", "Objet de l’envoi", DocumentSubjectForm),
        Step("nombre", "Nombre de documents", DocumentCountForm),
        Step("informations", "Saisie des informations", form_factory=_information_form),
        Step("fichiers", "Ajout d’un fichier", DocumentSendForm, attachments=POLICY,
             files_class=NamedAttachmentSet, files_options=_named_files),
    ])


def own_submission(submission_id: int) -> MsaDocumentSubmission:
    """The member's own submission; anyone else's is 404."""
    submission = (db.session.query(MsaDocumentSubmission)
                  .filter_by(id=submission_id, member_id=current_user.id).one_or_none())
    if submission is None:
        abort(404)
    return submission


@bp.route("/documents")
@member_required
def documents(member):
    """The service's page: the medical warning, the draft to resume or discard, what was sent."""
    sent = (MsaDocumentSubmission.query.filter_by(member_id=current_user.id)
            .order_by(MsaDocumentSubmission.submitted_at.desc(), MsaDocumentSubmission.id.desc()).all())
    return render("msa/documents/index.html", submissions=sent, receipts=service.receipts_of(sent),
                  draft=drafts.load(current_user, service.DRAFT_KIND), wizard=WIZARD,
                  warning=service.MEDICAL_WARNING)


@bp.route("/documents/envoi/", methods=["GET", "POST"])
@bp.route("/documents/envoi/<step>", methods=["GET", "POST"])
@member_required
def documents_send(member, step=None):
    if request.method == "POST" and step is not None:
        # « Envoyer » posted again (a double click, Back then resend): what the first post sent.
        token = request.form.get("submission")
        already = service.sent_with(token, current_user) if is_token(token) else None
        if already is not None:
            return _leave(url_for("msa.documents_confirmation", submission_id=already.id))
    page = WIZARD.handle(current_user, step)
    if page.response is not None:
        return page.response
    if page.finished:
        return _send(page, member)
    return _render(page)


def _leave(url: str):
    if wants_fragment():
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


CHOICE_STEPS = {"objet": ("subject", False), "nombre": ("count", True)}  # the radios of a step, inline


def _pristine_choices(page: WizardPage):
    """The radios of « Objet de l’envoi » / « Nombre de documents » without an error: HTML that only
    the catalogue and the checked choice decide, rendered once (core.queue.prerendered) by the
    `choices` macro the template calls otherwise. Returns (that HTML, its key), (None, None)."""
    name, inline = CHOICE_STEPS.get(page.step.slug, (None, False))
    field = page.form[name] if name and page.form is not None and name in page.form else None
    if field is None or field.errors:
        return None, None
    checked = next((c.value for c in field.choices if c.value == field.data), None)
    key = ("msa.documents.choices", name, field.id, inline, checked, tuple(sorted(vars(field.flags).items())))
    return prerendered(key, lambda: get_template_attribute("components/forms.html", "choices")(
        field, inline=inline)), key


# The request's values in the wizard's block rendered once: never typed, never in a catalogue.
CSRF_MARK, DRAFT_DATE_MARK = "\x00msa-documents-csrf\x00", "\x00msa-documents-draft\x00"


def _pristine_wizard(page: WizardPage, context: dict, choices_key):
    """The whole wizard block of a choice step (« Objet de l’envoi », « Nombre de documents »)
    without an error: HTML that only code, the catalogue, the checked choice and the draft's place
    in the wizard (its breadcrumb, whether there is a draft) decide, but for the CSRF token and
    the draft's date. Rendered once per app for that key (core.queue.prerendered) by the block
    itself, the two values marked, then put in their place. None otherwise (the template renders
    the block): an error, the discard confirmation, a message flashed (htmx shows it in the block)."""
    fragment = wants_fragment()
    if (choices_key is None or page.confirm_discard or page.has_errors or page.status != 200
            or (fragment and session.get("_flashes"))):
        return None
    token = generate_csrf()
    date = fr_datetime(page.draft.updated_at) if page.draft is not None else None

    def render_marked():
        html = str(render_block(TEMPLATE, "wizard", **context))
        if html.count(token) != 1 or (date is not None and html.count(date) != 1) or "\x00" in html:
            return ""  # a value not found once: never rendered this way
        html = html.replace(token, CSRF_MARK)
        return html.replace(date, DRAFT_DATE_MARK) if date is not None else html

    # The step's title, heading and URL are the step's (WIZARD's, constant).
    key = ("msa.documents.wizard", choices_key, page.step.slug, tuple(page.breadcrumb), page.draft is not None,
           fragment, request.script_root)
    html = str(prerendered(key, render_marked))
    if not html:
        return None
    html = html.replace(CSRF_MARK, token, 1)
    return Markup(html.replace(DRAFT_DATE_MARK, date, 1) if date is not None else html)


def _render(page: WizardPage):
    if page.form is not None and "submission" in page.form and not page.form.submission.data:
        page.form.submission.data = new_token()
    choices_html, choices_key = _pristine_choices(page)
    context = {"page": page, "warning": service.MEDICAL_WARNING, "choices_html": choices_html}
    context["wizard_html"] = _pristine_wizard(page, context, choices_key)
    if page.step.slug == "informations":
        context["titles"] = document_titles(page)
    if page.step.slug == "fichiers":
        context["titles"] = document_titles(page)
        context["per_document"] = FILES_PER_DOCUMENT
    return render(TEMPLATE, block="wizard", status=page.status, **context)


def _send(page: WizardPage, member):
    token = token_or_new(page.form.submission.data if page.form is not None else None)
    wait = mail_quota_wait()
    if wait:
        page.step_errors.append(mail_wait_message(wait))
        page.status = 200 if wants_fragment() else 429
        return _render(page)
    subject = chosen_subject(page)
    if subject is None:  # the catalogue changed under the draft: back to step 1
        return page.leave(WIZARD.url("objet"))
    information = page.data_of("informations")
    inputs = [service.DocumentInput(nature=information[f"nature_{n}"],
                                    nature_label=nature_label(subject, information[f"nature_{n}"]),
                                    person=information[f"personne_{n}"], reason=information[f"motif_{n}"])
              for n in range(1, chosen_count(page) + 1)]
    user = current_user._get_current_object()
    try:
        submission = service.send(member, user, subject, inputs, page.files_of("fichiers"), token)
    except SubmissionReplayed:
        abort(409)
    return page.leave(url_for("msa.documents_confirmation", submission_id=submission.id))


@bp.route("/documents/<int:submission_id>/confirmation")
@member_required
def documents_confirmation(member, submission_id):
    """5. « Envoi et accusé de réception »."""
    submission = own_submission(submission_id)
    receipt = service.receipts_of([submission]).get(submission.id)
    return render("msa/documents/confirmation.html", submission=submission, receipt=receipt,
                  steps=WIZARD.outcome_breadcrumb(), files=service.files_by_document(submission))


@bp.route("/documents/<int:submission_id>/accuse-de-reception.pdf")
@member_required
def documents_receipt(member, submission_id):
    """The acknowledgement as it was sent with the mail."""
    submission = own_submission(submission_id)
    receipt = (Attachment.query.filter_by(subject_type=SUBJECT_TYPE, subject_id=submission.id,
                                          document=RECEIPT_DOCUMENT).first())
    if receipt is None:
        abort(404)
    return send_attachment(receipt)
