"""Demo of a « Votre dossier » step (/composants/dossier): the kit pieces a file step plugs into a
wizard (core.wizard), to try them with JavaScript on and off — a table of rows (core/rows.py,
components/rows.html), bank details with the BIC derived from the IBAN (forms/bank.py,
components/bank.html) and files per named document with « Porte documents »
(core/uploads/named.py, components/documents.html). Validating the last step sends nothing.

The documents are plugged into the step in two lines: the set's class and, per page, its
documents and the files offered for reuse (here the user's files already sent elsewhere)."""
from flask import url_for
from flask_login import current_user

from blueprints.components import bp
from core.access import login_required
from core.rows import table_answer
from core.templating import render
from core.uploads import DOCUMENT_FORMATS, MB, NamedAttachmentSet, NamedDocument, register_policy
from core.wizard import Step, Wizard, WizardPage
from extensions import db
from forms.components import DossierDemoConfirmForm, DossierDemoForm
from models import Attachment

TEMPLATE = "components/dossier.html"
POLICY = "composants_justificatifs"
DOCUMENTS = (NamedDocument("rib", "RIB", required=True),
             NamedDocument("livret-famille", "Livret de famille", required=True),
             NamedDocument("avis-imposition", "Avis d’imposition"))

register_policy(POLICY, max_count=len(DOCUMENTS), max_size=5 * MB, extensions=DOCUMENT_FORMATS)


def documents_of(page: WizardPage) -> dict:
    """The set's documents, and what may be reused: the user's own files already sent elsewhere."""
    sent = (Attachment.query.filter(Attachment.owner_id == page.user.id, Attachment.subject_id.isnot(None))
            .order_by(Attachment.id.desc()).limit(5).all())
    return {"documents": DOCUMENTS, "reusable": {"livret-famille": sent}}


DOSSIER = Wizard("composants.dossier", endpoint="components.dossier", title="Dossier de démonstration",
                 steps=[
                     Step("dossier", "Votre dossier", DossierDemoForm, attachments=POLICY,
                          files_class=NamedAttachmentSet, files_options=documents_of),
                     Step("recapitulatif", "Récapitulatif", DossierDemoConfirmForm),
                 ])


@bp.route("/dossier/")
@bp.route("/dossier/<step>", methods=["GET", "POST"])
@login_required
def dossier(step: str | None = None):
    page = DOSSIER.handle(current_user, step)
    if page.response is not None:
        return page.response
    if page.finished:
        page.finish()
        db.session.commit()
        return page.leave(url_for(".dossier_done"))
    table = table_answer(page.form, page.url) if page.action is None else None
    if table is not None:  # with htmx, a table's own button: that table alone
        return table
    return render(TEMPLATE, block="wizard", page=page, status=page.status)


@bp.route("/dossier/termine")
@login_required
def dossier_done():
    return render(TEMPLATE, done=True)
