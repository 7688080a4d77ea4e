"""Server-side drafts: what a user is writing and has not sent yet (a message, a wizard's steps),
kept in the database, never in the session cookie. A draft outlives the login session, so that a
user whose session expired finds it again after logging back in."""
from datetime import timedelta

from extensions import db
from models.base import UTCDateTime, utcnow


class Draft(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(60), nullable=False)  # what is being written, e.g. "msa.message"
    step = db.Column(db.String(60))  # the wizard step the user was on
    data = db.Column(db.JSON, nullable=False, default=dict)
    attachment_token = db.Column(db.String(64))  # the draft's attachment set (core.uploads.AttachmentSet)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("owner_id", "kind", name="uq_draft_owner_kind"),)

    def is_expired(self, days, now=None):
        return (now or utcnow()) - self.updated_at > timedelta(days=days)
