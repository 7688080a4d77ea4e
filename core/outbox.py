"""Outbox for email and SMS.

`queue_email` / `queue_sms` add a row to the current transaction: if the change is rolled back,
nothing is sent. Once the transaction commits, the delivery of its rows is enqueued for the job
worker (core.jobs): never sent inside a web request. A failed delivery is retried with backoff
(OUTBOX_RETRY_SECONDS doubled at each attempt, at most OUTBOX_RETRY_MAX_SECONDS) until
OUTBOX_MAX_ATTEMPTS; the worker's periodic sweep delivers what no job took care of (the queue was
away, a worker died mid-send). SMTP and SMS calls have a timeout (MAIL_TIMEOUT, SMS_TIMEOUT).
Each email has a Message-ID generated when it is queued and stored on its row, so that a retry
after an ambiguous failure (a timeout after the data was sent) sends the same one.
`flask outbox deliver` sends everything pending at once."""
from __future__ import annotations

import importlib
import logging
import smtplib
from collections.abc import Collection, Iterable
from datetime import timedelta
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_mail import Connection, Message
from sqlalchemy import event, or_, update
from sqlalchemy.orm import Session

from core.throttle import request_was_throttled
from core.uploads.storage import read_stored
from extensions import db
from models import Attachment, OutboxMessage
from models.base import utcnow

if TYPE_CHECKING:
    from models import User

log = logging.getLogger("guichet.outbox")
STATUS_SENDING = "sending"


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
                        user_id=getattr(user, "id", None), attachment_ids=ids or None, message_id=new_message_id())
    db.session.add(msg)
    return msg


def new_message_id() -> str:
    """A Message-ID in the sender's domain (not the machine's name, which may be slow to find)."""
    domain = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1].rpartition("@")[2]
    return make_msgid(domain=domain or "guichet.invalid")


def queue_sms(recipient: str, body: str, user: User | None = None) -> OutboxMessage:
    _check_throttled()
    msg = OutboxMessage(channel="sms", recipient=recipient, subject="", body=body,
                        user_id=getattr(user, "id", None))
    db.session.add(msg)
    return msg


class LogSmsSender:
    """Development SMS sender: the SMS is only logged (and readable in the dev mailbox).

    An SMS sender is `module:Class` (SMS_SENDER) with a `send(recipient, body)` method; it is made
    for each message and given `timeout` (SMS_TIMEOUT seconds), which a sender calling a
    provider's API must pass to its HTTP calls."""
    timeout: float | None = None

    def send(self, recipient: str, body: str) -> None:
        log.info("SMS to %s: %s", recipient[:4] + "…", body)


def _sms_sender():
    module, _, name = current_app.config["SMS_SENDER"].partition(":")
    sender = getattr(importlib.import_module(module), name)()
    sender.timeout = float(current_app.config["SMS_TIMEOUT"])
    return sender


def _smtp_host(state) -> smtplib.SMTP:
    """Flask-Mail's connection, with a timeout on every socket operation (Flask-Mail has none:
    a server that accepts and never answers would hold the worker for ever)."""
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    if state.use_ssl:
        host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
    else:
        host = smtplib.SMTP(state.server, state.port, timeout=timeout)
    if state.use_tls:
        host.starttls()
    if state.username and state.password:
        host.login(state.username, state.password)
    return host


def _send_email(email: Message) -> None:
    state = current_app.extensions["mail"]
    connection = Connection(state)
    connection.host = None if state.suppress else _smtp_host(state)
    connection.send(email)
    if connection.host is not None:
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):  # the mail was accepted: a failed goodbye is no failure
            connection.host.close()


def _send(message):
    if message.channel == "sms":
        _sms_sender().send(message.recipient, message.body)
        return
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("DEV_MAILBOX"):
            return  # development: the dev mailbox page is the mail client
        raise RuntimeError("MAIL_SERVER n’est pas configuré")
    email = Message(subject=message.subject, recipients=[message.recipient], body=message.body, html=message.html)
    email.msgId = message.message_id or email.msgId
    for attachment_id in message.attachment_ids or ():
        attachment = (Session.object_session(message) or db.session).get(Attachment, attachment_id)
        if attachment is None:
            raise RuntimeError(f"attachment {attachment_id} of outbox message {message.id} is gone")
        email.attach(attachment.original_name, attachment.content_type,
                     read_stored(attachment.storage_name))
    _send_email(email)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of a message that failed `attempts` times."""
    config = current_app.config
    base, cap = float(config["OUTBOX_RETRY_SECONDS"]), float(config["OUTBOX_RETRY_MAX_SECONDS"])
    return min(cap, base * 2 ** max(0, attempts - 1))


def _lease() -> timedelta:
    """How long a claimed message stays « sending » before another worker may take it (the one
    that claimed it is presumed dead): well beyond the longest possible send."""
    config = current_app.config
    return timedelta(seconds=max(60.0, 6 * float(max(config["MAIL_TIMEOUT"], config["SMS_TIMEOUT"]))))


def _deliver(ids: Collection[int] | None, due_only: bool) -> tuple[int, int, list[tuple[int, float]]]:
    """Claim and send pending messages (all, only `ids`, or only those due). Returns the number
    sent, the number failed and, for each failure still to be retried, (id, seconds before it)."""
    sent, failed, retries = 0, 0, []
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    lease = _lease()
    with Session(db.engine) as s:
        now = utcnow()
        pending = OutboxMessage.status == OutboxMessage.STATUS_PENDING
        if due_only:
            pending &= or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
        stale = (OutboxMessage.status == STATUS_SENDING) & or_(OutboxMessage.next_attempt_at.is_(None),
                                                                OutboxMessage.next_attempt_at < now)
        query = s.query(OutboxMessage.id).filter(pending | stale)
        if ids is not None:
            query = query.filter(OutboxMessage.id.in_(list(ids)))
        candidates = [row.id for row in query.order_by(OutboxMessage.id)]
        s.commit()
        for message_id in candidates:
            # Claim the row (under a lease) so that two workers never send the same message.
            now = utcnow()
            claimed = s.execute(update(OutboxMessage)
                                .where(OutboxMessage.id == message_id,
                                       (OutboxMessage.status == OutboxMessage.STATUS_PENDING)
                                       | ((OutboxMessage.status == STATUS_SENDING)
                                          & or_(OutboxMessage.next_attempt_at.is_(None),
                                                OutboxMessage.next_attempt_at < now)))
                                .values(status=STATUS_SENDING, next_attempt_at=now + lease)).rowcount
            s.commit()
            if not claimed:
                continue
            message = s.get(OutboxMessage, message_id)
            if message.channel == "email" and not message.message_id:
                message.message_id = new_message_id()  # a row queued before Message-IDs were stored
                s.commit()
            try:
                _send(message)
            except Exception as exc:  # any delivery failure is retried later
                log.warning("Delivery of outbox message %s failed: %s", message_id, exc)
                message.status = OutboxMessage.STATUS_PENDING
                message.mark_failed_attempt(exc, max_attempts)
                failed += 1
                if message.status == OutboxMessage.STATUS_PENDING:
                    delay = retry_delay(message.attempts)
                    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
                    retries.append((message_id, delay))
                else:
                    message.next_attempt_at = None
            else:
                message.mark_sent()
                message.next_attempt_at = None
                sent += 1
            s.commit()
    return sent, failed, retries


def deliver(ids: Collection[int] | None = None) -> tuple[int, int]:
    """Deliver pending messages now (all of them, or only `ids`), whatever their backoff; used by
    `flask outbox deliver` (failures are left to the worker's sweep). Returns (sent, failed)."""
    sent, failed, _ = _deliver(ids, due_only=False)
    return sent, failed


def deliver_and_schedule_retries(ids: Collection[int]) -> tuple[int, int]:
    """The worker's delivery job: send `ids`, and schedule a job for each failure at its backoff."""
    sent, failed, retries = _deliver(ids, due_only=False)
    _schedule_retries(retries)
    return sent, failed


def sweep() -> tuple[int, int]:
    """Periodic job: deliver every message that is due and that no job took care of."""
    sent, failed, retries = _deliver(None, due_only=True)
    _schedule_retries(retries)
    return sent, failed


def _schedule_retries(retries: list[tuple[int, float]]) -> None:
    from core.jobs import enqueue_delivery
    for message_id, delay in retries:
        try:
            enqueue_delivery([message_id], delay=delay)
        except Exception:  # the sweep retries it when it is due
            log.exception("Could not schedule the retry of outbox message %s", message_id)


_listening = False


def init_app(app: Flask) -> None:
    # The listeners are on the session class shared by every app of the process: added once.
    global _listening
    if _listening:
        return
    _listening = True

    @event.listens_for(db.session, "after_flush")
    def collect(session, flush_context):
        new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
        if new_ids:
            session.info.setdefault("outbox_flushed", set()).update(new_ids)

    @event.listens_for(db.session, "after_commit")
    def enqueue_committed(session):
        ids = session.info.pop("outbox_flushed", None)
        if not ids or not has_app_context():
            return  # no app: the worker's sweep delivers them
        from core.jobs import enqueue_delivery
        try:
            enqueue_delivery(ids)
        except Exception:
            # The queue is away (Redis down): the messages are safely stored; the sweep sends them.
            log.exception("Could not enqueue the delivery of outbox messages %s; the sweep will", sorted(ids))

    @event.listens_for(db.session, "after_rollback")
    def forget(session):
        session.info.pop("outbox_flushed", None)
