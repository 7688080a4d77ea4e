from extensions import db
from models.base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Who did what, to what, when. Written in the same transaction as the change."""
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action = db.Column(db.String(60), nullable=False)
    object_type = db.Column(db.String(40))
    object_id = db.Column(db.String(40))
    detail = db.Column(db.JSON, nullable=False, default=dict)

    actor = db.relationship("User")

    __table_args__ = (db.Index("ix_audit_object", "object_type", "object_id"),)
