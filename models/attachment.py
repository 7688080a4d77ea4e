"""Attachments, and the registry of what they can belong to.

Each kind of subject (a partner request, the answer to it, an MSA message…) is declared once, by
the model it belongs to, with `attachment_subject(name, *older_names, readers=…)`: the name stored
in `Attachment.subject_type`, the names older rows may still carry, and who may read its files
besides their owner and the agents of their organisation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Select, bindparam, select

from extensions import db
from models.base import UTCDateTime, utcnow


@dataclass(frozen=True)
class AttachmentSubject:
    name: str
    older_names: tuple[str, ...] = ()
    readers: Callable[[int, object], bool] | None = None  # (subject id, user) -> may read

    @property
    def stored_names(self) -> tuple[str, ...]:
        return (self.name, *self.older_names)


SUBJECTS: dict[str, AttachmentSubject] = {}


def attachment_subject(name: str, *older_names: str,
                       readers: Callable[[int, object], bool] | None = None) -> AttachmentSubject:
    subject = AttachmentSubject(name, older_names, readers)
    for stored in subject.stored_names:
        SUBJECTS[stored] = subject
    return subject


class StoredFile(db.Model):
    """The bytes of one or more attachments, kept once on disk under a random name outside static/.

    Uploading a file whose bytes are already stored (same SHA-256) reuses its row, and a proof
    kept in a document folder can be linked to another case without a second copy
    (`core.uploads.link_copy`). The file is deleted with the last attachment using it.
    `sha256` is NULL for files stored before this table existed: they are never shared."""
    id = db.Column(db.Integer, primary_key=True)
    sha256 = db.Column(db.String(64), unique=True, index=True)
    storage_name = db.Column(db.String(64), nullable=False, unique=True)
    size = db.Column(db.Integer, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class Attachment(db.Model):
    """A file a user added to a form: a name, a checked content type, and its stored bytes
    (`stored_file`, possibly shared with other attachments).

    While the form is being filled, the file belongs to an upload set (`upload_set`, a random
    token carried by the form); the portal then links it to what was submitted
    (`subject_type`/`subject_id`)."""
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), index=True)
    upload_set = db.Column(db.String(64), index=True)
    policy = db.Column(db.String(40), nullable=False)
    subject_type = db.Column(db.String(40))
    subject_id = db.Column(db.Integer)
    original_name = db.Column(db.String(255), nullable=False)
    stored_file_id = db.Column(db.Integer, db.ForeignKey("stored_file.id"), nullable=False, index=True)
    # The type checked from the bytes *and* the name's extension (the same bytes are text/csv as
    # "liste.csv" and text/plain as "liste.txt"), hence per attachment rather than per stored file.
    content_type = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Which named document of the form the file answers, where a form asks for several by name
    # (« Avis d'imposition », « RIB »…): a code of the portal's catalogue; None elsewhere.
    document = db.Column(db.String(60))

    stored_file = db.relationship(StoredFile)

    __table_args__ = (db.Index("ix_attachment_subject", "subject_type", "subject_id"),)

    @property
    def storage_name(self) -> str:
        """The random name of the file on disk (under UPLOAD_FOLDER)."""
        return self.stored_file.storage_name

    def can_download(self, user) -> bool:
        if not user.is_authenticated:
            return False
        if user.id == self.owner_id:
            return True
        if (user.role == "agent" and self.organisation_id is not None
                and user.organisation_id == self.organisation_id):
            return True
        subject = SUBJECTS.get(self.subject_type or "")
        return bool(subject and subject.readers and self.subject_id is not None
                    and subject.readers(self.subject_id, user))


_FILES_OF: dict[tuple[str, ...], Select] = {}


def files_of(subject_id: int, *subjects: AttachmentSubject) -> list[Attachment]:
    """The files linked to `subject_id` under any of `subjects` (with their older names), in the
    order they were added. The statement is built once per set of subjects: a case's page reads
    its files at every request."""
    names = tuple(name for subject in subjects for name in subject.stored_names)
    statement = _FILES_OF.get(names)
    if statement is None:
        statement = _FILES_OF[names] = (
            select(Attachment)
            .where(Attachment.subject_type.in_(names), Attachment.subject_id == bindparam("subject_id"))
            .order_by(Attachment.created_at, Attachment.id))
    return list(db.session.scalars(statement, {"subject_id": subject_id}))
