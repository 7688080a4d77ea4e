"""Attachments: per-form upload policies, content checks, streamed storage, virus scan, upload sets.

A portal declares its limits once, at import time:

    register_policy("msa_message", max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))

and its view uses them in a few lines:

    form = MessageWriteForm()
    files = AttachmentSet.from_request("msa_message")        # token, new files, « Retirer » buttons
    if files.is_update:                                        # « Ajouter » / « Retirer » without JS:
        return render(TEMPLATE, form=form, files=files,        # redisplay, keep what was typed,
                      has_errors=files.has_errors)             # don't validate
    if request.method == "POST":
        files_ok = files.validate()                            # required, count
        if form.validate_on_submit() and files_ok:
            ...
            files.attach_to(message)                           # then the view commits
            ...
        return render(TEMPLATE, form=form, files=files, has_errors=True, status=422)
    return render(TEMPLATE, form=form, files=files)

Its template, inside `<form method="post" enctype="multipart/form-data" novalidate>`:

    {{ error_summary(files.summary(form)) }}
    {{ attachment_list(files, label="Pièces jointes") }}      (components/attachments.html)

Files are checked by extension *and* content, streamed to disk in chunks under random names in
UPLOAD_FOLDER (outside static/), scanned by clamd when CLAMD_SOCKET is set, and only ever read back
through `Attachment.can_download` (blueprints/components/attachments.py)."""
import codecs
import os
import re
import secrets
import socket
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from filetype.types import archive as ft_archive
from filetype.types import image as ft_image
from flask import abort, current_app, request, send_file
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func

from core.inputs import to_id
from extensions import db
from models import Attachment
from models.attachment import SUBJECTS
from models.base import utcnow

MB = 1024 * 1024
CHUNK_SIZE = 64 * 1024      # memory used per file while streaming, whatever its size
HEAD_SIZE = 8192            # bytes kept for magic-number detection (what filetype reads)
ZIP_MAX_ENTRIES = 1000      # a real .docx has a few dozen entries, a big .xlsx a few hundred
ZIP_MAX_CENTRAL_DIRECTORY = 256 * 1024  # bounds what zipfile loads in memory before we count entries
ZIP_MAX_UNCOMPRESSED = 100 * MB         # declared total once unzipped: refuses zip bombs
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_PENDING_QUOTA = 200 * MB  # files added to forms not sent yet, per user (disk abuse)
SIGNING_SALT = "guichet.upload-set"


# --- Errors --------------------------------------------------------------------------------

class UploadRejected(Exception):
    """A file refused; `message` is the French text shown next to the field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ScanUnavailable(Exception):
    """clamd is configured but could not give a verdict."""


class _ZipTooLarge(Exception):
    pass


# --- Formats: what each extension must contain --------------------------------------------

@dataclass(frozen=True)
class FileFormat:
    label: str          # shown to users: "PDF", "JPG"…
    content_type: str   # stored and served (never the one the browser sent)
    verify: Callable    # (path, head) -> content type to store, or None when the content does not match


def _magic(*matchers):
    def verify(path, head, content_type):
        return content_type if any(m.match(head) for m in matchers) else None
    return verify


def _ole(path, head, content_type):
    # Legacy Office (.doc, .xls, .ppt) are OLE2 compound files; their header says nothing more.
    return content_type if head.startswith(OLE_SIGNATURE) else None


def _open_zip(path):
    """ZipFile of `path`, after checking from the end-of-central-directory record that opening it
    cannot load an oversized directory, then that entries and declared sizes stay reasonable."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        tail_len = min(size, 22 + 65535)
        f.seek(size - tail_len)
        tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise zipfile.BadZipFile("no end of central directory")
    total_entries, cd_size = struct.unpack("<HI", tail[pos + 10:pos + 16])
    if total_entries > ZIP_MAX_ENTRIES or cd_size > ZIP_MAX_CENTRAL_DIRECTORY:
        raise _ZipTooLarge()
    zf = zipfile.ZipFile(path)
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_ENTRIES or sum(i.file_size for i in infos) > ZIP_MAX_UNCOMPRESSED:
        zf.close()
        raise _ZipTooLarge()
    return zf


def _ooxml(part_prefix):
    def verify(path, head, content_type):
        if not head.startswith(b"PK\x03\x04"):
            return None
        with _open_zip(path) as zf:
            names = zf.namelist()
        # Macros make it a .docm/.xlsm in disguise, which Office itself refuses to open as .docx/.xlsx.
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return None
        if "[Content_Types].xml" in names and any(n.startswith(part_prefix) for n in names):
            return content_type
        return None
    return verify


def _odf(path, head, content_type):
    # ODF stores an uncompressed "mimetype" entry first, holding the document's type.
    if not head.startswith(b"PK\x03\x04"):
        return None
    with _open_zip(path) as zf:
        first = zf.infolist()[0] if zf.infolist() else None
        if first is None or first.filename != "mimetype" or first.file_size > 100:
            return None
        declared = zf.read(first)
    return content_type if declared == content_type.encode("ascii") else None


_FORBIDDEN_CONTROLS = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def _text(path, head, content_type):
    """Plain text in UTF-8 (BOM allowed) or, failing that, Windows-1252, without binary control bytes.
    Read back from disk in chunks: a 5 MB CSV is never held in memory."""
    for encoding, charset in (("utf-8-sig", "utf-8"), ("cp1252", "windows-1252")):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    if _FORBIDDEN_CONTROLS.search(chunk):
                        return None
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return f"{content_type}; charset={charset}"
    return None


_OOXML = "application/vnd.openxmlformats-officedocument."
FORMATS = {
    "pdf": FileFormat("PDF", "application/pdf", _magic(ft_archive.Pdf())),
    "jpg": FileFormat("JPG", "image/jpeg", _magic(ft_image.Jpeg())),
    "jpeg": FileFormat("JPG", "image/jpeg", _magic(ft_image.Jpeg())),
    "png": FileFormat("PNG", "image/png", _magic(ft_image.Png())),
    "gif": FileFormat("GIF", "image/gif", _magic(ft_image.Gif())),
    "tif": FileFormat("TIFF", "image/tiff", _magic(ft_image.Tiff())),
    "tiff": FileFormat("TIFF", "image/tiff", _magic(ft_image.Tiff())),
    "doc": FileFormat("DOC", "application/msword", _ole),
    "xls": FileFormat("XLS", "application/vnd.ms-excel", _ole),
    "ppt": FileFormat("PPT", "application/vnd.ms-powerpoint", _ole),
    "docx": FileFormat("DOCX", _OOXML + "wordprocessingml.document", _ooxml("word/")),
    "xlsx": FileFormat("XLSX", _OOXML + "spreadsheetml.sheet", _ooxml("xl/")),
    "pptx": FileFormat("PPTX", _OOXML + "presentationml.presentation", _ooxml("ppt/")),
    "odt": FileFormat("ODT", "application/vnd.oasis.opendocument.text", _odf),
    "ods": FileFormat("ODS", "application/vnd.oasis.opendocument.spreadsheet", _odf),
    "odp": FileFormat("ODP", "application/vnd.oasis.opendocument.presentation", _odf),
    "csv": FileFormat("CSV", "text/csv", _text),
    "txt": FileFormat("TXT", "text/plain", _text),
}


# --- Policies ------------------------------------------------------------------------------

def size_label(num):
    """'5 Mo' for whole megabytes, else the `filesize` notation ('1,5 Mo', '800 ko')."""
    if num >= MB and num % MB == 0:
        return f"{num // MB} Mo"
    from core.formatting import filesize
    return filesize(num)


@dataclass(frozen=True)
class UploadPolicy:
    name: str
    max_count: int
    max_size: int
    extensions: tuple

    @property
    def formats_label(self):
        labels = []
        for ext in self.extensions:
            if FORMATS[ext].label not in labels:
                labels.append(FORMATS[ext].label)
        return ", ".join(labels)

    @property
    def accept(self):
        return ",".join("." + ext for ext in self.extensions)

    def hint(self, max_count=None):
        n = self.max_count if max_count is None else max_count
        return (f"{n} fichier{'s' if n > 1 else ''} maximum, {size_label(self.max_size)} maximum par fichier. "
                f"Formats acceptés : {self.formats_label}.")


_policies = {}


def register_policy(name, *, max_count, max_size, extensions):
    """Declare the limits of one form's attachments, once, at import time of the portal.

    Registering the same name again with the same limits is harmless; with other limits it is a bug."""
    extensions = tuple(e.lower().lstrip(".") for e in extensions)
    unknown = [e for e in extensions if e not in FORMATS]
    if unknown:
        raise ValueError(f"unknown file formats {unknown}; known: {sorted(FORMATS)}")
    if len(name) > 40 or max_count < 1 or max_size < 1:
        raise ValueError("bad upload policy")
    policy = UploadPolicy(name, max_count, max_size, extensions)
    if _policies.get(name, policy) != policy:
        raise ValueError(f"upload policy {name!r} already registered with other limits")
    _policies[name] = policy
    return policy


def get_policy(name):
    return _policies[name]


# --- Names and storage ---------------------------------------------------------------------

def display_name(raw):
    """The name the user gave, fit for display and for Content-Disposition; never a path."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (category C*) include U+202E, which would let "gpj.exe"
    # display as "exe.jpg".
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).rstrip(". ")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:254 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or "fichier"


def extension_of(name):
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def upload_folder():
    return Path(current_app.config["UPLOAD_FOLDER"])


def storage_path(storage_name):
    if not STORAGE_NAME.match(storage_name or ""):
        raise ValueError("bad storage name")
    return upload_folder() / storage_name


def _quoted(name):
    return f"« {name} »"


def store_upload(upload, policy):
    """Check and store one werkzeug FileStorage under `policy`.

    Returns (storage_name, display name, content type, size); raises UploadRejected. Nothing stays
    on disk when the file is refused."""
    name = display_name(upload.filename)
    ext = extension_of(name)
    if ext not in policy.extensions:
        raise UploadRejected(f"Le fichier {_quoted(name)} n’est pas d’un format accepté "
                             f"(formats acceptés : {policy.formats_label}).")
    fmt = FORMATS[ext]
    storage_name = secrets.token_hex(16)
    path = storage_path(storage_name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    size = 0
    head = bytearray()
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > policy.max_size:
                    raise UploadRejected(f"Le fichier {_quoted(name)} dépasse la taille maximale de "
                                         f"{size_label(policy.max_size)}.")
                if len(head) < HEAD_SIZE:
                    head += chunk[:HEAD_SIZE - len(head)]
                out.write(chunk)
        if size == 0:
            raise UploadRejected(f"Le fichier {_quoted(name)} est vide.")
        try:
            content_type = fmt.verify(path, bytes(head), fmt.content_type)
        except _ZipTooLarge:
            raise UploadRejected(f"Le fichier {_quoted(name)} ne peut pas être accepté : une fois décompressé, "
                                 "son contenu est trop volumineux ou compte trop d’éléments.") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
                OSError, ValueError):
            content_type = None
        if content_type is None:
            raise UploadRejected(f"Le contenu du fichier {_quoted(name)} ne correspond pas à un fichier "
                                 f"{fmt.label}.")
        scan_file(path, name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return storage_name, name, content_type, size


def send_attachment(attachment):
    """The stored file as a download (404 if it went missing). The caller has checked access."""
    path = storage_path(attachment.storage_name)
    if not path.is_file():
        current_app.logger.error("Stored file missing for attachment %s", attachment.id)
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, max_age=0)
    # Should a browser ever render it anyway, it gets no script and no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response


def delete_stored(storage_names):
    for storage_name in storage_names:
        try:
            storage_path(storage_name).unlink(missing_ok=True)
        except (OSError, ValueError):
            current_app.logger.warning("Could not delete stored upload %s", storage_name)


# --- Virus scan (clamd INSTREAM) -----------------------------------------------------------

def clamd_scan(path, socket_path, timeout=30.0):
    """Send `path` to clamd over its Unix socket with INSTREAM.

    Returns None when clean, the signature name when infected; raises ScanUnavailable otherwise
    (unreachable, timeout, size limit, unexpected answer)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(b"zINSTREAM\0")
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK_SIZE):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < 4096:
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as error:  # includes timeouts and a connection closed by clamd mid-stream
        raise ScanUnavailable(str(error)) from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith(" OK") or answer == "OK":
        return None
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream:").removesuffix("FOUND").strip() or "inconnu"
    raise ScanUnavailable(answer or "empty answer")


def scan_file(path, name):
    """Scan when CLAMD_SOCKET is set; refuse (fail closed) when the scanner cannot answer."""
    socket_path = current_app.config.get("CLAMD_SOCKET")
    if not socket_path:
        return
    try:
        signature = clamd_scan(path, socket_path, current_app.config.get("CLAMD_TIMEOUT", 30.0))
    except ScanUnavailable as error:
        current_app.logger.error("Antivirus unavailable, upload refused: %s", error)
        raise UploadRejected("L’analyse antivirus est momentanément indisponible. Réessayez plus tard.") from None
    if signature:
        current_app.logger.warning("Infected upload refused (%s) from user %s", signature,
                                   getattr(current_user, "id", None))
        raise UploadRejected(f"Le fichier {_quoted(name)} a été refusé : l’analyse antivirus y a détecté "
                             "un contenu malveillant.")


# --- Upload sets ---------------------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SIGNING_SALT)


class AttachmentSet:
    """The files added to one form in progress, identified by a random token the form carries.

    Rows are `Attachment`s with `upload_set` = token, owned by the user; only the owner's rows of
    that token and policy are ever loaded, so a token copied from someone else gives nothing.
    Form fields, for a set named `pieces_jointes`: `pieces_jointes` (the file input),
    `pieces_jointes-lot` (signed token), `pieces_jointes-ajouter` and `pieces_jointes-retirer`."""

    DEFAULT_NAME = "pieces_jointes"
    NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
    type = "AttachmentSet"  # lets the error summary macro treat the set like a form field

    def __init__(self, policy, owner, *, name=DEFAULT_NAME, token=None, max_count=None, required=False):
        if not self.NAME.match(name):
            raise ValueError(f"bad attachment field name {name!r}")
        self.policy = get_policy(policy) if isinstance(policy, str) else policy
        self.owner = owner
        self.name = name
        fresh = not token
        self.token = token or secrets.token_hex(16)
        self.max_count = self.policy.max_count if max_count is None else min(max_count, self.policy.max_count)
        self.required = required
        self.items = []
        self.errors = []
        self.messages = []      # what the live region announces (additions, removals)
        self.is_update = False  # « Ajouter » or « Retirer » was pressed: redisplay, don't validate
        self.focus = False      # move focus back into the component after the update
        if not fresh:
            self._load()

    # -- building from a request

    @classmethod
    def from_request(cls, policy, owner=None, *, name=DEFAULT_NAME, max_count=None, required=False, token=None):
        """The set of the form being posted (or a new one on GET), after applying its « Retirer »
        buttons and storing its new files. Commits the additions and removals at once, so files
        already added survive an error elsewhere in the form.

        `max_count` lowers the policy's count (e.g. 8 minus the files already sent); `token` resumes
        a set whose token the view saved (a draft), when the request carries none."""
        owner = owner or current_user
        if not getattr(owner, "is_authenticated", False):
            raise RuntimeError("AttachmentSet needs a logged-in owner")
        policy = get_policy(policy) if isinstance(policy, str) else policy
        if request.method == "POST":
            data = cls._unsign(request.form.get(f"{name}-lot"))
            if data and data["owner"] == owner.id and data["policy"] == policy.name:
                token = data["token"]
        files = cls(policy, owner, name=name, token=token, max_count=max_count, required=required)
        if request.method == "POST":
            files.apply_request(add=True, remove=True)
        return files

    @classmethod
    def from_component_request(cls, name, *, add, remove):
        """For the component's own endpoints: the policy and count come from the signed token that
        the portal's page rendered, never from what the browser says. None when it is missing or forged."""
        data = cls._unsign(request.form.get(f"{name}-lot"))
        if not data or data["owner"] != current_user.id or data["policy"] not in _policies:
            return None
        files = cls(data["policy"], current_user, name=name, token=data["token"], max_count=data["max"])
        files.apply_request(add=add, remove=remove)
        return files

    @staticmethod
    def _unsign(value):
        if not value:
            return None
        try:
            token, policy, max_count, owner_id = _serializer().loads(value)
        except (BadSignature, ValueError, TypeError):
            return None
        if not (isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}", token)):
            return None
        return {"token": token, "policy": policy, "max": max_count, "owner": owner_id}

    @property
    def signed_token(self):
        return _serializer().dumps([self.token, self.policy.name, self.max_count, self.owner.id])

    def _load(self):
        self.items = (Attachment.query
                      .filter_by(owner_id=self.owner.id, upload_set=self.token, policy=self.policy.name,
                                 subject_id=None)
                      .order_by(Attachment.id).all())

    def apply_request(self, *, add=True, remove=True):
        form = request.form
        added, removed = [], []
        if remove:
            removed = self._remove(form.getlist(f"{self.name}-retirer"))
        if add:
            uploads = [f for f in request.files.getlist(self.name) if f.filename]
            if not uploads and form.get(self.name):
                # The browser sent only file names: the enclosing <form> lacks enctype="multipart/form-data".
                current_app.logger.warning("Attachment field %s posted without multipart encoding", self.name)
                for filename in form.getlist(self.name):
                    self.errors.append(f"Le fichier {_quoted(display_name(filename))} n’a pas été reçu : "
                                       "ajoutez-le à nouveau avec le bouton « Ajouter ».")
            elif not uploads and f"{self.name}-ajouter" in form:
                self.errors.append("Sélectionnez au moins un fichier à ajouter.")
            added = self._add(uploads)
        self.is_update = f"{self.name}-ajouter" in form or f"{self.name}-retirer" in form or not (add and remove)
        # Back in the component after « Ajouter »/« Retirer »; but a full page with errors starts at
        # the error summary instead.
        self.focus = self.is_update and (not self.errors or bool(getattr(request, "htmx", False)))
        if added or removed:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                delete_stored(a.storage_name for a in added)
                raise
            delete_stored(removed)

    def _add(self, uploads):
        added = []
        quota = current_app.config.get("UPLOAD_PENDING_QUOTA", DEFAULT_PENDING_QUOTA)
        for upload in uploads:
            if len(self.items) >= self.max_count:
                self.errors.append(self.count_error)
                break
            if self._pending_bytes() >= quota:
                self.errors.append("Vous avez trop de fichiers en attente d’envoi. Envoyez ou abandonnez vos "
                                   "formulaires en cours, puis réessayez.")
                break
            try:
                storage_name, name, content_type, size = store_upload(upload, self.policy)
            except UploadRejected as rejected:
                self.errors.append(rejected.message)
                continue
            attachment = Attachment(owner_id=self.owner.id, upload_set=self.token, policy=self.policy.name,
                                    original_name=name, storage_name=storage_name,
                                    content_type=content_type, size=size)
            db.session.add(attachment)
            self.items.append(attachment)
            added.append(attachment)
        if added:
            db.session.flush()
            self.messages.append(f"Le fichier {_quoted(added[0].original_name)} a été ajouté." if len(added) == 1
                                 else f"{len(added)} fichiers ont été ajoutés.")
        return added

    def _pending_bytes(self):
        return (db.session.query(func.coalesce(func.sum(Attachment.size), 0))
                .filter(Attachment.owner_id == self.owner.id, Attachment.subject_id.is_(None)).scalar())

    def _remove(self, raw_ids):
        wanted = {to_id(v) for v in raw_ids} - {None}
        removed = []
        for attachment in [a for a in self.items if a.id in wanted]:
            self.items.remove(attachment)
            db.session.delete(attachment)
            removed.append(attachment.storage_name)
            self.messages.append(f"Le fichier {_quoted(attachment.original_name)} a été retiré.")
        return removed

    # -- state for views and templates

    @property
    def remaining(self):
        return max(self.max_count - len(self.items), 0)

    @property
    def full(self):
        return self.remaining == 0

    @property
    def count_error(self):
        n = self.max_count
        return f"Vous ne pouvez pas ajouter plus de {n} fichier{'s' if n > 1 else ''}."

    @property
    def hint(self):
        return self.policy.hint(self.max_count)

    @property
    def remaining_text(self):
        if self.full:
            if not self.items:
                return "Vous ne pouvez plus ajouter de fichier."
            return ("Vous avez ajouté le nombre maximal de fichiers. Retirez-en un pour pouvoir en ajouter "
                    "un autre.")
        n = self.remaining
        return f"Vous pouvez encore ajouter {n} fichier{'s' if n > 1 else ''}."

    @property
    def id(self):
        """Where the error summary's link leads: the file input, or the list when no input is shown."""
        return f"{self.name}-liste-titre" if self.full else self.name

    @property
    def valid(self):
        return not self.errors

    @property
    def has_errors(self):
        return bool(self.errors)

    def validate(self):
        """Final checks when the whole form is submitted. True when the set may be sent."""
        if self.required and not self.items and not self.errors:
            self.errors.append("Sélectionnez au moins un fichier.")
        if len(self.items) > self.max_count and self.count_error not in self.errors:
            # Two uploads racing each other can both pass the check made when adding.
            self.errors.append(self.count_error)
        return not self.errors

    def attach_to(self, subject=None, *, subject_type=None, subject_id=None, organisation_id=None):
        """Link the set's files to what was submitted (in the caller's transaction: it commits).

        The files leave the set: they can no longer be removed from the form, and become readable
        by the agents of `organisation_id` (default: `subject.organisation_id`)."""
        if subject is not None:
            db.session.flush()
            subject_type = subject_type or type(subject).__name__
            subject_id = subject.id if subject_id is None else subject_id
            if organisation_id is None:
                organisation_id = getattr(subject, "organisation_id", None)
        if not subject_type or subject_id is None:
            raise ValueError("attach_to needs a subject (or subject_type and subject_id)")
        if subject_type not in SUBJECTS:
            raise ValueError(f"{subject_type!r} is not declared with models.attachment.attachment_subject")
        for attachment in self.items:
            attachment.subject_type = subject_type
            attachment.subject_id = subject_id
            attachment.organisation_id = organisation_id
            attachment.upload_set = None
        return list(self.items)

    def summary(self, form=None, *others):
        """`form` seen with this set's errors (and those of `others`), for `error_summary(…)`."""
        return FormWithAttachments(form, (self, *others))

    def __repr__(self):
        return f"<AttachmentSet {self.name} {self.policy.name} {len(self.items)}/{self.max_count}>"


class FormWithAttachments:
    """A form whose errors include those of attachment sets, so that the usual error summary lists
    them too, each linking to its file input. Everything else is the form's."""

    def __init__(self, form, sets):
        self._form = form
        self._sets = sets

    def __getattr__(self, name):
        if self._form is None:
            if name == "form_errors":
                return []
            raise AttributeError(name)
        return getattr(self._form, name)

    def __iter__(self):
        if self._form is not None:
            yield from self._form
        yield from self._sets

    def __bool__(self):
        return True

    @property
    def errors(self):
        errors = dict(self._form.errors) if self._form is not None else {}
        errors.update({s.name: s.errors for s in self._sets if s.errors})
        return errors


# --- Reading back --------------------------------------------------------------------------

def attachments_of(subject=None, *, subject_type=None, subject_id=None):
    """Files linked to a submitted object, oldest first."""
    subject_type = subject_type or type(subject).__name__
    subject_id = subject.id if subject_id is None else subject_id
    return (Attachment.query.filter_by(subject_type=subject_type, subject_id=subject_id)
            .order_by(Attachment.id).all())


def purge_abandoned(max_age=timedelta(days=2)):
    """Delete files added to forms never sent, and stored files without a row (a crash between
    writing and committing). Returns the number of files deleted."""
    cutoff = utcnow() - max_age
    old = Attachment.query.filter(Attachment.subject_id.is_(None), Attachment.created_at < cutoff).all()
    names = [a.storage_name for a in old]
    for attachment in old:
        db.session.delete(attachment)
    db.session.commit()
    delete_stored(names)
    deleted = len(names)
    candidates = [p for p in upload_folder().iterdir()
                  if STORAGE_NAME.match(p.name) and p.stat().st_mtime < cutoff.timestamp()]
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        known = {n for (n,) in db.session.query(Attachment.storage_name)
                 .filter(Attachment.storage_name.in_([p.name for p in batch]))}
        for path in batch:
            if path.name not in known:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
