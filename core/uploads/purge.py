"""Purge: files added to forms never sent, and stored bytes nothing uses any more."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, or_, select

from core.uploads.backends import backend
from core.uploads.storage import delete_stored, delete_unused_files, remove_attachments
from extensions import db
from models.attachment import Attachment, StoredFile
from models.base import utcnow
from models.draft import Draft


def purge_abandoned(max_age: timedelta = timedelta(days=2)) -> int:
    """Delete, once older than `max_age`: files added to forms never sent (a file another
    attachment still uses stays, and so do the files of an unexpired draft), stored files no
    attachment uses (their owner's account was deleted), and stored files without a row (a crash
    between writing and committing).
    Returns the number of files deleted from storage."""
    cutoff = utcnow() - max_age
    # Files of a draft still kept (core.drafts) wait with it: a wizard resumed weeks later has them.
    kept_since = utcnow() - timedelta(days=int(current_app.config["DRAFT_RETENTION_DAYS"]))
    held = select(Draft.attachment_token).where(Draft.attachment_token.is_not(None), Draft.updated_at >= kept_since)
    old = Attachment.query.filter(Attachment.subject_id.is_(None), Attachment.created_at < cutoff,
                                  or_(Attachment.upload_set.is_(None), Attachment.upload_set.not_in(held))).all()
    names = remove_attachments(old)
    unused = db.session.scalars(select(StoredFile.id).where(
        StoredFile.created_at < cutoff, ~exists().where(Attachment.stored_file_id == StoredFile.id)))
    names += delete_unused_files(unused.all())
    db.session.commit()
    deleted = delete_stored(names)
    store = backend()
    candidates = [name for name, modified in store.listing() if modified < cutoff.timestamp()]
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        known = set(db.session.scalars(select(StoredFile.storage_name).where(StoredFile.storage_name.in_(batch))))
        for name in batch:
            if name not in known and store.delete(name):
                deleted += 1
    return deleted
