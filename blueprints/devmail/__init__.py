"""Development-only mailbox: every email and SMS of the outbox, readable in the browser.

Registered only when DEV_MAILBOX is set (never in production)."""
from flask import Blueprint, abort

from core.access import public
from core.templating import render
from extensions import db
from models import OutboxMessage

bp = Blueprint("devmail", __name__)


@bp.route("/courriels")
@public
def mailbox():
    messages = OutboxMessage.query.order_by(OutboxMessage.id.desc()).limit(100).all()
    return render("dev/mailbox.html", messages=messages)


@bp.route("/courriels/<int:message_id>")
@public
def message(message_id):
    msg = db.session.get(OutboxMessage, message_id) or abort(404)
    return render("dev/message.html", message=msg)
