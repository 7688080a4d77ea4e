from extensions import db
from models.base import UTCDateTime, utcnow


class ThrottleFailure(db.Model):
    """One failed login for a key ("account:<email>" or "ip:<address>"), when Redis is not configured."""
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(300), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_throttle_key_at", "key", "at"),)
