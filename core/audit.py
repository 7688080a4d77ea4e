"""Audit trail: who did what, to what, when."""
from __future__ import annotations

from typing import Any

from extensions import db
from models.audit import AuditEvent


def record(actor: Any, action: str, obj: Any = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True) else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None,
        detail=detail,
    )
    db.session.add(event)
    return event
