"""The dated history of a case: its creation, each transition and what was appended to it, with
who did it. Written by core.workflow only, in the same transaction as the change it records."""
from extensions import db
from models.base import UTCDateTime, utcnow


class CaseEvent(db.Model):
    __tablename__ = "case_event"
    id = db.Column(db.Integer, primary_key=True)
    case_type = db.Column(db.String(40), nullable=False)   # the workflow's kind, e.g. "partner_request"
    case_id = db.Column(db.Integer, nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    kind = db.Column(db.String(20), nullable=False)         # created / transition / note / complement…
    transition = db.Column(db.String(40))
    from_state = db.Column(db.String(30))
    to_state = db.Column(db.String(30))
    text = db.Column(db.Text)
    # The one-time token of the form that appended the entry (core.submission): a « Compléter la
    # demande » posted twice appends once.
    submission_token = db.Column(db.String(32), unique=True)

    actor = db.relationship("User")

    __table_args__ = (db.Index("ix_case_event_case", "case_type", "case_id", "at"),)
