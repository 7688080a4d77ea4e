"""Save, resume and discard server-side drafts (models.draft.Draft), one per user and kind.

Every save commits at once: a draft is saved on every step change, and must survive whatever
happens next (an expired session, a closed tab). Drafts untouched for DRAFT_RETENTION_DAYS are
ignored, and removed by `flask drafts purge`."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from core.database import begin_immediate
from core.uploads import AttachmentSet
from extensions import db
from models.attachment import Attachment
from models.base import utcnow
from models.draft import Draft

if TYPE_CHECKING:
    from models import User

# Built once: a page that reads its draft pays for the query, not for assembling its statement.
_DRAFT = select(Draft).where(Draft.owner_id == bindparam("owner_id"), Draft.kind == bindparam("kind")).limit(1)
# The draft and the files of its upload set (what AttachmentSet(token=…) loads: the owner's rows
# of that token and policy not yet linked to a subject), one row per file, one row without any.
_DRAFT_WITH_FILES = (
    select(Draft, Attachment)
    .outerjoin(Attachment, and_(Attachment.owner_id == Draft.owner_id,
                                Attachment.upload_set == Draft.attachment_token,
                                Attachment.policy == bindparam("policy"),
                                Attachment.subject_id.is_(None)))
    .where(Draft.owner_id == bindparam("owner_id"), Draft.kind == bindparam("kind"))
    .order_by(Attachment.id))


def _retention_days() -> int:
    return int(current_app.config["DRAFT_RETENTION_DAYS"])


def load(user: User, kind: str) -> Draft | None:
    """The user's unexpired draft of this kind, or None."""
    draft = db.session.scalars(_DRAFT, {"owner_id": user.id, "kind": kind}).first()
    if draft is None or draft.is_expired(_retention_days()):
        return None
    return draft


def load_with_files(user: User, kind: str, policy: str) -> tuple[Draft | None, AttachmentSet | None]:
    """The user's unexpired draft of this kind and the upload set its `attachment_token` names,
    in one statement (what load() then AttachmentSet(policy, user, token=…) read in two).
    (None, None) without a draft; the set is None when the draft has no token."""
    rows = db.session.execute(_DRAFT_WITH_FILES, {"owner_id": user.id, "kind": kind, "policy": policy}).all()
    draft = rows[0][0] if rows else None
    if draft is None or draft.is_expired(_retention_days()):
        return None, None
    if not draft.attachment_token:
        return draft, None
    files = AttachmentSet(policy, user)  # a new set queries nothing: given the draft's token and rows
    files.token = draft.attachment_token
    files.items = [attachment for _, attachment in rows if attachment is not None]
    return draft, files


def data_of(user: User, kind: str) -> dict[str, Any]:
    draft = load(user, kind)
    return dict(draft.data) if draft is not None else {}


def save(user: User, kind: str, data: dict[str, Any], step: str | None = None,
         attachment_token: str | None = None) -> Draft:
    """Create or replace the user's draft of this kind, and commit."""
    for _ in range(2):
        # A writer from the start (SQLite): two saves at once (a double click) queue instead of
        # failing on the read-then-write lock upgrade.
        begin_immediate()
        draft = Draft.query.filter_by(owner_id=user.id, kind=kind).first()
        if draft is None:
            draft = Draft(owner_id=user.id, kind=kind)
            db.session.add(draft)
        draft.data = dict(data)
        draft.step = step
        draft.attachment_token = attachment_token
        draft.updated_at = utcnow()
        try:
            db.session.commit()
            return draft
        except IntegrityError:  # the same draft created at the same moment (double submit): update it
            db.session.rollback()
    raise RuntimeError("draft could not be saved")


def discard(user: User, kind: str) -> None:
    """Forget the draft (sent, or abandoned with « Annuler »). The caller commits."""
    Draft.query.filter_by(owner_id=user.id, kind=kind).delete(synchronize_session=False)


def purge_expired(now: datetime | None = None) -> int:
    """Delete drafts untouched for longer than the retention; returns how many."""
    limit = (now or utcnow()) - timedelta(days=_retention_days())
    count = Draft.query.filter(Draft.updated_at < limit).delete(synchronize_session=False)
    db.session.commit()
    return count
