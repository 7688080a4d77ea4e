"""Endpoint of the named documents list (templates/components/documents.html): a file chosen for a
document is uploaded at once, « Supprimer » and « Porte documents » act in place (htmx).

Without JavaScript the same buttons post the portal's own form, whose view calls
`NamedAttachmentSet.from_request`; this endpoint only removes page loads. Everything it needs
(policy, documents, the files offered for reuse) comes from the signed token the page rendered."""
from flask import abort

from blueprints.components import bp
from blueprints.components.attachments import _field_name
from core.access import login_required
from core.templating import render
from core.uploads import NamedAttachmentSet

TEMPLATE = "components/documents.html"


@bp.route("/justificatifs", methods=["POST"])
@login_required
def documents_update():
    """Apply the button pressed or the file chosen, answer the list of documents."""
    files = NamedAttachmentSet.from_component_request(_field_name())
    if files is None:  # token missing, forged, or another user's
        abort(400)
    # 200 even when a file was refused: the refusal is part of the answer (htmx logs any 4xx).
    return render(TEMPLATE, block="fragment", files=files)
