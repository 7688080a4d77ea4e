"""Storage: checked uploads stored under random names, each content kept once.

Where the bytes live is a backend chosen by STORAGE_BACKEND: "local" (the default), files in
UPLOAD_FOLDER (outside static/), or "s3", objects in the S3-compatible bucket S3_BUCKET (MinIO,
Ceph, a cloud provider's: what several app servers share, see core/uploads/backends.py).
`store_upload` streams one file to disk (UPLOAD_FOLDER, or a temporary file that is then streamed
to the bucket), checks it and scans it, and knows nothing of the database. `stored_file_for`
then registers its bytes, or finds that the same bytes are already stored and drops the new copy.
Attachments share `StoredFile` rows; `remove_attachments` deletes the rows, and the stored files
only when no other attachment uses them, and `delete_stored` removes from storage, once
committed, only the files no row holds."""
import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from flask import Response, abort, current_app, send_file
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from core.uploads.backends import STORAGE_NAME, LocalBackend, backend  # noqa: F401  (STORAGE_NAME: re-exported)
from core.uploads.errors import UploadRejected, quoted
from core.uploads.formats import (CHUNK_SIZE, FORMATS, HEAD_SIZE, UNREADABLE, ZipTooLarge, display_name,
                                  extension_of, size_label)
from core.uploads.policies import UploadPolicy
from core.uploads.scan import scan_file
from extensions import db
from models.attachment import Attachment, StoredFile


class ReceivedUpload(NamedTuple):
    """A checked file written to disk, not yet registered in the database."""
    storage_name: str
    name: str           # display name, from the user's file name
    content_type: str
    size: int
    sha256: str


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def storage_path(storage_name: str) -> Path:
    """The file of `storage_name` in UPLOAD_FOLDER (the local backend's; tests and tools read it)."""
    return LocalBackend(upload_folder()).path(storage_name)


def read_stored(storage_name: str) -> bytes:
    """The whole content of a stored file (small ones: a PDF to attach to a mail, a recap).
    Raises FileNotFoundError when it is gone."""
    with backend().open(storage_name) as stream:
        return stream.read()


def stored_exists(storage_name: str) -> bool:
    return backend().exists(storage_name)


def delete_file(storage_name: str) -> None:
    """Delete one stored file whatever holds it (a fresh copy no row names yet)."""
    backend().delete(storage_name)


def store_upload(upload: FileStorage, policy: UploadPolicy) -> ReceivedUpload:
    """Check and store one werkzeug FileStorage under `policy`, hashing it while it streams.

    Raises UploadRejected. Nothing stays on disk when the file is refused."""
    name = display_name(upload.filename)
    ext = extension_of(name)
    if ext not in policy.extensions:
        raise UploadRejected(f"Le fichier {quoted(name)} n’est pas d’un format accepté "
                             f"(formats acceptés : {policy.formats_label}).")
    fmt = FORMATS[ext]
    storage_name = secrets.token_hex(16)
    store = backend()
    path = store.staging_path(storage_name)  # the final file (local), or a temporary one (s3)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    size = 0
    head = bytearray()
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > policy.max_size:
                    raise UploadRejected(f"Le fichier {quoted(name)} dépasse la taille maximale de "
                                         f"{size_label(policy.max_size)}.")
                if len(head) < HEAD_SIZE:
                    head += chunk[:HEAD_SIZE - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected(f"Le fichier {quoted(name)} est vide.")
        try:
            content_type = fmt.verify(path, bytes(head), fmt.content_type)
        except ZipTooLarge:
            raise UploadRejected(f"Le fichier {quoted(name)} ne peut pas être accepté : une fois décompressé, "
                                 "son contenu est trop volumineux ou compte trop d’éléments.") from None
        except UNREADABLE:
            content_type = None
        if content_type is None:
            raise UploadRejected(f"Le contenu du fichier {quoted(name)} ne correspond pas à un fichier "
                                 f"{fmt.label}.")
        scan_file(path, name)
        store.commit_staged(storage_name, path)  # s3: streamed to the bucket, then removed from disk
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ReceivedUpload(storage_name, name, content_type, size, digest.hexdigest())


def store_bytes(content: bytes, name: str, content_type: str) -> ReceivedUpload:
    """Write bytes the application made itself (a generated PDF) to disk as `store_upload` writes
    an upload: under a random name, hashed, not checked (they were never a user's)."""
    if not content:
        raise ValueError("nothing to store")
    storage_name = secrets.token_hex(16)
    backend().put_bytes(storage_name, content)
    return ReceivedUpload(storage_name, display_name(name), content_type, len(content),
                          hashlib.sha256(content).hexdigest())


def _stored_with_hash(sha256: str) -> StoredFile | None:
    # FOR KEY SHARE on PostgreSQL, against `delete_unused_files` (FOR UPDATE): when the last other
    # attachment using the file is being removed, either the removal waits for our commit and then
    # sees our attachment, or it commits first and we find no row (and store the file anew).
    return db.session.scalars(select(StoredFile).where(StoredFile.sha256 == sha256)
                              .with_for_update(read=True, key_share=True)).first()


def stored_file_for(received: ReceivedUpload) -> StoredFile:
    """The stored file holding `received`'s bytes, in the caller's transaction: the one that
    already holds the same bytes (the new copy is then deleted from disk), or a new one."""
    existing = _stored_with_hash(received.sha256)
    if existing is None:
        stored = StoredFile(sha256=received.sha256, storage_name=received.storage_name, size=received.size)
        try:
            with db.session.begin_nested():
                db.session.add(stored)
        except IntegrityError:
            # Another request stored the same bytes meanwhile and committed first: share its copy.
            existing = _stored_with_hash(received.sha256)
            if existing is None:
                raise
        else:
            return stored
    store = backend()
    if store.exists(existing.storage_name):
        store.delete(received.storage_name)
    else:
        current_app.logger.error("Stored file %s was missing, restored from a new upload", existing.id)
        store.rename(received.storage_name, existing.storage_name)
    return existing


def send_attachment(attachment: Attachment) -> Response:
    """The stored file as a download, streamed (404 if it went missing). The caller has checked access."""
    store = backend()
    if isinstance(store, LocalBackend):
        path = store.path(attachment.storage_name)
        if not path.is_file():
            current_app.logger.error("Stored file missing for attachment %s", attachment.id)
            abort(404)
        response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                             download_name=attachment.original_name, max_age=0)
    else:
        try:
            stream, size = store.open_sized(attachment.storage_name)
        except FileNotFoundError:
            current_app.logger.error("Stored file missing for attachment %s", attachment.id)
            abort(404)
        response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                             download_name=attachment.original_name, max_age=0, etag=False, conditional=False)
        response.content_length = size
    # Should a browser ever render it anyway, it gets no script and no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


def _unused(ids: Iterable[int]):
    return StoredFile.id.in_(list(ids)) & ~exists().where(Attachment.stored_file_id == StoredFile.id)


def remove_attachments(attachments: Iterable[Attachment]) -> list[str]:
    """Delete `attachments`, and the stored files that no other attachment uses, in the caller's
    transaction. Returns the storage names to give `delete_stored` once committed."""
    stored_ids = set()
    for attachment in attachments:
        stored_ids.add(attachment.stored_file_id)
        db.session.delete(attachment)
    return delete_unused_files(stored_ids)


def delete_unused_files(stored_ids: Iterable[int]) -> list[str]:
    """Delete those of the stored files `stored_ids` that no attachment uses (caller's
    transaction). Returns their storage names, for `delete_stored` once committed."""
    stored_ids = set(stored_ids) - {None}
    if not stored_ids:
        return []
    db.session.flush()
    # Lock first, then look for users: a statement started after the lock sees the attachments
    # of uploads that were sharing these files meanwhile (PostgreSQL; SQLite has one writer).
    db.session.execute(select(StoredFile.id).where(StoredFile.id.in_(stored_ids)).order_by(StoredFile.id)
                       .with_for_update())
    names = list(db.session.scalars(select(StoredFile.storage_name).where(_unused(stored_ids))))
    if names:
        db.session.execute(delete(StoredFile).where(_unused(stored_ids)), execution_options={
            "synchronize_session": "fetch"})
    return names


def delete_stored(storage_names: Iterable[str]) -> int:
    """Delete from storage the files of `storage_names` that no stored file row holds any more (call
    it after committing). Returns how many were deleted."""
    names = list(storage_names)
    held = set()
    for start in range(0, len(names), 500):
        batch = names[start:start + 500]
        held.update(db.session.scalars(select(StoredFile.storage_name).where(StoredFile.storage_name.in_(batch))))
    deleted = 0
    store = backend()
    for storage_name in names:
        if storage_name in held:
            continue
        try:
            if store.delete(storage_name):
                deleted += 1
        except (OSError, ValueError):
            current_app.logger.warning("Could not delete stored upload %s", storage_name)
    return deleted
