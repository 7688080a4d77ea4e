"""Outbox for email and SMS.

`queue_email` / `queue_sms` add a row to the current transaction: if the change is rolled back,
nothing is sent. Rows committed during a request (or CLI command) are delivered when its app
context ends; failures stay pending and `flask outbox deliver` retries them."""
from __future__ import annotations

import importlib
import logging
from collections.abc import Collection, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, has_request_context, request
from flask_mail import Message
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from core.throttle import request_was_throttled
from core.uploads.storage import read_stored
from extensions import db, mail
from models import Attachment, OutboxMessage
from models.base import utcnow

if TYPE_CHECKING:
    from models import User

log = logging.getLogger("guichet.outbox")
STATUS_SENDING = "sending"
STALE_SENDING = timedelta(minutes=10)


class UnthrottledMail(RuntimeError):
    """A request queued a mail without going through a throttle or a mail quota."""


def _check_throttled():
    """Every route that sends a mail must be throttled (core.throttle): a request that queues one
    without having taken a quota or a throttled attempt is a bug, fatal in tests, logged otherwise
    (the mail still goes: nothing is lost)."""
    if has_request_context() and request.endpoint and not request_was_throttled():
        if current_app.testing:
            raise UnthrottledMail(f"{request.endpoint} envoie un courriel sans limite de débit")
        log.error("unthrottled mail sent by %s", request.endpoint)


def queue_email(recipient: str, subject: str, body: str, user: User | None = None,
                html: str | None = None, attachments: Iterable[Attachment] = ()) -> OutboxMessage:
    """Use core.notify.notify, which renders the mail from its templates; this only queues it.
    `attachments` (flushed Attachment rows) are read from storage and attached when it is sent."""
    _check_throttled()
    ids = [a.id for a in attachments]
    if any(i is None for i in ids):
        raise ValueError("attachments must be flushed before they are queued")
    msg = OutboxMessage(channel="email", recipient=recipient, subject=subject, body=body, html=html,
                        user_id=getattr(user, "id", None), attachment_ids=ids or None)
    db.session.add(msg)
    return msg


def queue_sms(recipient: str, body: str, user: User | None = None) -> OutboxMessage:
    _check_throttled()
    msg = OutboxMessage(channel="sms", recipient=recipient, subject="", body=body,
                        user_id=getattr(user, "id", None))
    db.session.add(msg)
    return msg


class LogSmsSender:
    """Development SMS sender: the SMS is only logged (and readable in the dev mailbox)."""
    def send(self, recipient: str, body: str) -> None:
        log.info("SMS to %s: %s", recipient[:4] + "…", body)


def _sms_sender():
    module, _, name = current_app.config["SMS_SENDER"].partition(":")
    return getattr(importlib.import_module(module), name)()


def _send(message):
    if message.channel == "sms":
        _sms_sender().send(message.recipient, message.body)
        return
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("DEV_MAILBOX"):
            return  # development: the dev mailbox page is the mail client
        raise RuntimeError("MAIL_SERVER n’est pas configuré")
    email = Message(subject=message.subject, recipients=[message.recipient], body=message.body, html=message.html)
    for attachment_id in message.attachment_ids or ():
        attachment = (Session.object_session(message) or db.session).get(Attachment, attachment_id)
        if attachment is None:
            raise RuntimeError(f"attachment {attachment_id} of outbox message {message.id} is gone")
        email.attach(attachment.original_name, attachment.content_type,
                     read_stored(attachment.storage_name))
    mail.send(email)


def deliver(ids: Collection[int] | None = None) -> tuple[int, int]:
    """Deliver pending messages (all of them, or only `ids`). Returns (sent, failed)."""
    sent = failed = 0
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    with Session(db.engine) as s:
        query = s.query(OutboxMessage.id).filter(
            (OutboxMessage.status == OutboxMessage.STATUS_PENDING)
            | ((OutboxMessage.status == STATUS_SENDING) & (OutboxMessage.created_at < utcnow() - STALE_SENDING)))
        if ids is not None:
            query = query.filter(OutboxMessage.id.in_(ids))
        candidates = [row.id for row in query.order_by(OutboxMessage.id)]
        s.commit()
        for message_id in candidates:
            # Claim the row so that two workers never send the same message.
            claimed = s.execute(update(OutboxMessage)
                                .where(OutboxMessage.id == message_id,
                                       OutboxMessage.status.in_([OutboxMessage.STATUS_PENDING, STATUS_SENDING]))
                                .values(status=STATUS_SENDING)).rowcount
            s.commit()
            if not claimed:
                continue
            message = s.get(OutboxMessage, message_id)
            try:
                _send(message)
            except Exception as exc:  # any delivery failure is retried later
                log.warning("Delivery of outbox message %s failed: %s", message_id, exc)
                message.status = OutboxMessage.STATUS_PENDING
                message.mark_failed_attempt(exc, max_attempts)
                failed += 1
            else:
                message.mark_sent()
                sent += 1
            s.commit()
    return sent, failed


def init_app(app: Flask) -> None:
    @event.listens_for(db.session, "after_flush")
    def collect(session, flush_context):
        new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
        if new_ids:
            session.info.setdefault("outbox_flushed", []).extend(new_ids)

    @event.listens_for(db.session, "after_commit")
    def schedule(session):
        ids = session.info.pop("outbox_flushed", None)
        if ids:
            try:
                g.setdefault("outbox_committed", []).extend(ids)
            except RuntimeError:  # no app context: the CLI retry will send them
                pass

    @event.listens_for(db.session, "after_rollback")
    def forget(session):
        session.info.pop("outbox_flushed", None)

    @app.teardown_appcontext
    def deliver_committed(exc):
        ids = g.pop("outbox_committed", None)
        if ids:
            try:
                deliver(ids)
            except Exception:
                log.exception("Outbox delivery after commit failed; `flask outbox deliver` will retry")
