"""Endpoints of the attachment list: add and remove files in place (htmx), download them.

Without JavaScript the « Ajouter » and « Retirer » buttons post the portal's own form, whose view
calls `AttachmentSet.from_request`; these endpoints only remove page loads."""
from datetime import timedelta

import click
from flask import abort, current_app, request
from flask_login import current_user
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.components import FIELD_NAME, bp
from core.access import login_required
from core.templating import render, render_error
from core.uploads import AttachmentSet, purge_abandoned, send_attachment, size_label
from extensions import db
from models import Attachment

UPDATE_ENDPOINTS = ("components.attachments_add", "components.attachments_remove")


def _field_name():
    name = request.args.get("champ", "")
    if not FIELD_NAME.match(name):
        abort(400)
    return name


def _update(add, remove):
    files = AttachmentSet.from_component_request(_field_name(), add=add, remove=remove)
    if files is None:  # token missing, forged, or another user's
        abort(400)
    # 200 even when a file was refused: the refusal is part of the component's answer, and htmx
    # would log any 4xx as a failure in the console.
    return render("components/attachments.html", block="fragment", files=files)


@bp.route("/pieces-jointes/ajouter", methods=["POST"])
@login_required
def attachments_add():
    """Store the files chosen or dropped, answer the component with its list."""
    return _update(add=True, remove=False)


@bp.route("/pieces-jointes/retirer", methods=["POST"])
@login_required
def attachments_remove():
    """Remove the file whose « Retirer » was pressed, answer the component with its list."""
    return _update(add=False, remove=True)


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error):
    # Raised while parsing the body (by the CSRF check, before the view), so the set is unknown:
    # keep the component as it is and only say why nothing was added.
    name = request.args.get("champ", "")
    if request.endpoint not in UPDATE_ENDPOINTS or not request.htmx or not FIELD_NAME.match(name):
        return render_error(413)
    limit = size_label(current_app.config["MAX_CONTENT_LENGTH"])
    html = render_block("components/attachments.html", "too_large", name=name, limit=limit)
    return html, 413, {"HX-Reswap": "none"}


@bp.route("/pieces-jointes/<int:attachment_id>")
@login_required
def attachment_download(attachment_id):
    """The file, to its owner and to the agents of its organisation; 404 to anyone else."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not attachment.can_download(current_user):
        abort(404)
    return send_attachment(attachment)


@bp.cli.command("purge-uploads")
@click.option("--days", "--jours", "days", default=2, show_default=True,
              help="Minimum age, in days, of the abandoned files to delete.")
def purge_uploads_command(days):
    """Delete files added to forms that were never sent (run daily)."""
    count = purge_abandoned(timedelta(days=days))
    click.echo(f"{count} file(s) deleted.")
