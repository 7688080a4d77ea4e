"""What attachments belong to: reading a subject's files, and linking a stored file to another
subject without uploading it again (the armed forces' « porte-documents » reuses a proof)."""
from typing import Any

from core.uploads.errors import UploadRejected, quoted
from core.uploads.formats import MB, extension_of, size_label
from core.uploads.policies import get_policy, register_policy
from extensions import db
from models.attachment import SUBJECTS, Attachment


def resolve_subject(subject: Any = None, *, subject_type: str | None = None, subject_id: int | None = None,
                    organisation_id: int | None = None) -> tuple[str, int, int | None]:
    """(subject_type, subject_id, organisation_id) of what files are linked to: a model instance
    (flushed to get its id; its class name and `organisation_id` by default) or a type and an id.
    The type must be declared with `models.attachment.attachment_subject`."""
    if subject is not None:
        db.session.flush()
        subject_type = subject_type or type(subject).__name__
        subject_id = subject.id if subject_id is None else subject_id
        if organisation_id is None:
            organisation_id = getattr(subject, "organisation_id", None)
    if not subject_type or subject_id is None:
        raise ValueError("attachments need a subject (or subject_type and subject_id)")
    if subject_type not in SUBJECTS:
        raise ValueError(f"{subject_type!r} is not declared with models.attachment.attachment_subject")
    return subject_type, subject_id, organisation_id


def attachments_of(subject: Any = None, *, subject_type: str | None = None,
                   subject_id: int | None = None) -> list[Attachment]:
    """Files linked to a submitted object, oldest first."""
    subject_type = subject_type or type(subject).__name__
    subject_id = subject.id if subject_id is None else subject_id
    return (Attachment.query.filter_by(subject_type=subject_type, subject_id=subject_id)
            .order_by(Attachment.id).all())


def check_fits(attachment: Attachment, policy: str) -> None:
    """UploadRejected (French message) unless `attachment` is of a format and size `policy` accepts:
    a stored file offered again (« Porte documents ») meets the limits of the form it joins."""
    limits = get_policy(policy)
    if extension_of(attachment.original_name) not in limits.extensions:
        raise UploadRejected(f"Le fichier {quoted(attachment.original_name)} n’est pas d’un format accepté "
                             f"(formats acceptés : {limits.formats_label}).")
    if attachment.size > limits.max_size:
        raise UploadRejected(f"Le fichier {quoted(attachment.original_name)} dépasse la taille maximale de "
                             f"{size_label(limits.max_size)}.")


def link_copy(attachment: Attachment, subject: Any = None, *, owner: Any, subject_type: str | None = None,
              subject_id: int | None = None, organisation_id: int | None = None,
              policy: str | None = None, document: str | None = None) -> Attachment:
    """A new attachment of `subject` sharing `attachment`'s stored file: no second upload, no
    second copy on disk. Added to the caller's transaction (it commits).

    `owner` must be able to read `attachment` (PermissionError otherwise): a copy makes the file
    readable by the new subject's readers. With `policy`, the file must fit it (format and size),
    else UploadRejected; without, the copy keeps the original's policy. `document` names the
    document the copy answers (Attachment.document; by default the original's)."""
    if not attachment.can_download(owner):
        raise PermissionError(f"user {getattr(owner, 'id', None)} may not read attachment {attachment.id}")
    subject_type, subject_id, organisation_id = resolve_subject(
        subject, subject_type=subject_type, subject_id=subject_id, organisation_id=organisation_id)
    if policy is not None:
        check_fits(attachment, policy)
    copy = Attachment(owner_id=owner.id, organisation_id=organisation_id, policy=policy or attachment.policy,
                      subject_type=subject_type, subject_id=subject_id, original_name=attachment.original_name,
                      stored_file_id=attachment.stored_file_id, content_type=attachment.content_type,
                      size=attachment.size, document=document or attachment.document)
    db.session.add(copy)
    return copy


GENERATED_POLICY = "document_genere"
register_policy(GENERATED_POLICY, max_count=1, max_size=20 * MB, extensions=("pdf",))


def attach_generated(content: bytes, name: str, subject: Any = None, *, owner: Any, subject_type: str | None = None,
                     subject_id: int | None = None, organisation_id: int | None = None,
                     document: str | None = None, content_type: str = "application/pdf") -> Attachment:
    """Keep a document the application generated (a recap, a decision letter: PDF bytes) as an
    attachment of `subject`, owned by `owner` (who may then download it), in the caller's
    transaction. Stored once like any upload (`StoredFile` by SHA-256)."""
    from core.uploads.storage import store_bytes, stored_file_for
    subject_type, subject_id, organisation_id = resolve_subject(
        subject, subject_type=subject_type, subject_id=subject_id, organisation_id=organisation_id)
    received = store_bytes(content, name, content_type)
    stored = stored_file_for(received)
    attachment = Attachment(owner_id=owner.id, organisation_id=organisation_id, policy=GENERATED_POLICY,
                            subject_type=subject_type, subject_id=subject_id, original_name=received.name,
                            stored_file=stored, content_type=content_type, size=received.size, document=document)
    db.session.add(attachment)
    db.session.flush()
    return attachment
