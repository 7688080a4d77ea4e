"""MSA « Documents reçus », agent side (spec msa.md C, second bullet): what the members of the
agent's MSA fund sent through « Nous envoyer un document », oldest unprocessed first; one
submission with its documents and files; « Marquer comme traité ».

Submissions are only ever loaded through a query scoped to the agent's organisation (anything
else is a 404); their files are downloaded through the attachment component, which lets only the
member and the agents of their fund read them."""
from flask import abort, request
from sqlalchemy.orm import joinedload, selectinload

from blueprints.agent import bp
from blueprints.agent.msa import msa_organisation
from blueprints.msa import documents_service as service
from core.queue import CaseLoader, DetailPage, Queue
from core.templating import render
from flask_login import current_user
from forms.msa_documents import DocumentProcessForm
from models.msa_documents import DOCUMENT_WORKFLOW, PROCESSED, RECEIVED, MsaDocumentSubmission

TEMPLATE = "agent/msa/document.html"


class ReceivedDocuments(Queue):
    statuses = {"recu": RECEIVED, "traite": PROCESSED, "tous": None}
    workflow = DOCUMENT_WORKFLOW
    default_status = "recu"  # what is waiting to be processed
    status_column = MsaDocumentSubmission.status


@bp.route("/msa/documents/")
def msa_documents():
    org = msa_organisation()
    filters = ReceivedDocuments.from_args(request.args)
    page = filters.paginate(MsaDocumentSubmission.query.filter(MsaDocumentSubmission.organisation_id == org.id),
                            # The queue's order: first received, first processed.
                            order_by=(MsaDocumentSubmission.submitted_at, MsaDocumentSubmission.id),
                            options=(joinedload(MsaDocumentSubmission.member),
                                     selectinload(MsaDocumentSubmission.items)))
    return render("agent/msa/documents.html", block="results", organisation=org, filters=filters, page=page)


load_submission = CaseLoader(MsaDocumentSubmission)


def _context(submission, form=None, files=None, **extra):
    context = {"submission": submission, "files": service.files_by_document(submission),
               "receipt": service.receipts_of([submission]).get(submission.id),
               "process_form": DocumentProcessForm(formdata=None) if submission.can_process(current_user) else None}
    context.update(extra)
    return context


DETAIL = DetailPage(TEMPLATE, "processing", _context, "agent.msa_document", "submission_id",
                    refusal=lambda submission: "Ces documents sont déjà traités : rien n’a été modifié.")


@bp.route("/msa/documents/<int:submission_id>")
def msa_document(submission_id):
    return DETAIL.show(load_submission(submission_id, msa_organisation()))


@bp.route("/msa/documents/<int:submission_id>/traitement", methods=["POST"])
def msa_document_process(submission_id):
    org = msa_organisation()
    if not DocumentProcessForm().validate_on_submit():
        abort(400)
    return DETAIL.act(lambda: load_submission(submission_id, org, for_update=True),
                      lambda locked: service.process(locked, current_user),
                      lambda submission: f"Les documents {submission.reference} sont marqués comme traités.")
