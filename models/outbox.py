from extensions import db
from models.base import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An email or SMS, written in the same transaction as the change that causes it, delivered by
    the job worker (core.jobs) after commit, retried with backoff (core.outbox)."""
    STATUS_PENDING = "pending"
    STATUS_SENT = "sent"
    STATUS_FAILED = "failed"  # gave up after OUTBOX_MAX_ATTEMPTS

    id = db.Column(db.Integer, primary_key=True)
    channel = db.Column(db.String(5), nullable=False)  # "email" | "sms"
    recipient = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(200), nullable=False, default="")
    body = db.Column(db.Text, nullable=False)
    html = db.Column(db.Text)  # the HTML part of an email (core.notify), when it has one
    attachment_ids = db.Column(db.JSON)  # files sent with an email: ids of Attachment rows (a PDF recap…)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    status = db.Column(db.String(10), nullable=False, default=STATUS_PENDING, index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.String(500))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Message-ID header, generated once when the mail is queued: a retry after an ambiguous failure
    # (a timeout after DATA) sends the same one, so that the receiving side can recognise it.
    message_id = db.Column(db.String(250))
    # Pending: not retried before (backoff). Sending: the claim's lease; once past, the worker that
    # claimed it is presumed dead and the message may be claimed again.
    next_attempt_at = db.Column(UTCDateTime)
    sent_at = db.Column(UTCDateTime)

    def mark_sent(self):
        self.status = self.STATUS_SENT
        self.sent_at = utcnow()
        self.last_error = None

    def mark_failed_attempt(self, error, max_attempts):
        self.attempts += 1
        self.last_error = str(error)[:500]
        if self.attempts >= max_attempts:
            self.status = self.STATUS_FAILED
