"""Upload sets: the files added to one form in progress, and the form seen with their errors.

See the package's docstring for how a portal view uses them."""
import re
import secrets
from collections.abc import Iterator
from typing import Any

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func
from werkzeug.datastructures import FileStorage

from core.inputs import to_id
from core.uploads.errors import UploadRejected, quoted
from core.uploads.formats import MB, display_name
from core.uploads.links import resolve_subject
from core.uploads.policies import UploadPolicy, get_policy, is_registered
from core.uploads.storage import delete_file, delete_stored, remove_attachments, store_upload, stored_file_for
from extensions import db
from models.attachment import Attachment

DEFAULT_PENDING_QUOTA = 200 * MB  # files added to forms not sent yet, per user (disk abuse)
SIGNING_SALT = "guichet.upload-set"


def _serializer() -> URLSafeSerializer:
    """The upload sets' signer, built once per app and secret key (it only depends on them)."""
    cached = current_app.extensions.get("guichet_upload_serializer")
    if cached is None or cached[0] != current_app.secret_key:
        cached = current_app.extensions["guichet_upload_serializer"] = (
            current_app.secret_key, URLSafeSerializer(current_app.secret_key, salt=SIGNING_SALT))
    return cached[1]


class AttachmentSet:
    """The files added to one form in progress, identified by a random token the form carries.

    Rows are `Attachment`s with `upload_set` = token, owned by the user; only the owner's rows of
    that token and policy are ever loaded, so a token copied from someone else gives nothing.
    Form fields, for a set named `pieces_jointes`: `pieces_jointes` (the file input),
    `pieces_jointes-lot` (signed token), `pieces_jointes-ajouter` and `pieces_jointes-retirer`."""

    DEFAULT_NAME = "pieces_jointes"
    NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
    type = "AttachmentSet"  # lets the error summary macro treat the set like a form field

    def __init__(self, policy: str | UploadPolicy, owner: Any, *, name: str = DEFAULT_NAME, token: str | None = None,
                 max_count: int | None = None, required: bool = False) -> None:
        if not self.NAME.match(name):
            raise ValueError(f"bad attachment field name {name!r}")
        self.policy = get_policy(policy) if isinstance(policy, str) else policy
        self.owner = owner
        self.name = name
        fresh = not token
        self.token = token or secrets.token_hex(16)
        self.max_count = self.policy.max_count if max_count is None else min(max_count, self.policy.max_count)
        self.required = required
        self.items: list[Attachment] = []
        self.errors: list[str] = []
        self.messages: list[str] = []  # what the live region announces (additions, removals)
        self.is_update = False  # « Ajouter » or « Retirer » was pressed: redisplay, don't validate
        self.focus = False      # move focus back into the component after the update
        if not fresh:
            self._load()

    # -- building from a request

    @classmethod
    def from_request(cls, policy: str | UploadPolicy, owner: Any = None, *, name: str = DEFAULT_NAME,
                     max_count: int | None = None, required: bool = False,
                     token: str | None = None) -> "AttachmentSet":
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
    def from_component_request(cls, name: str, *, add: bool, remove: bool) -> "AttachmentSet | None":
        """For the component's own endpoints: the policy and count come from the signed token that
        the portal's page rendered, never from what the browser says. None when it is missing or forged."""
        data = cls._unsign(request.form.get(f"{name}-lot"))
        if not data or data["owner"] != current_user.id or not is_registered(data["policy"]):
            return None
        files = cls(data["policy"], current_user, name=name, token=data["token"], max_count=data["max"])
        files.apply_request(add=add, remove=remove)
        return files

    @classmethod
    def keep_posted(cls, owner: Any) -> str | None:
        """For a form posted on an expired session (core.replay): the token of the first set it
        carries, signed for `owner`, with the files posted along with it stored in the set (so
        that they are there after the login). None when the form carries no such set."""
        for key in request.form:
            name = key.removesuffix("-lot")
            data = cls._unsign(request.form.get(key)) if key != name and cls.NAME.match(name) else None
            if data and data["owner"] == owner.id and is_registered(data["policy"]):
                files = cls(data["policy"], owner, name=name, token=data["token"],
                            max_count=data["max"])
                files.apply_request(add=True, remove=True)
                return files.token
        return None

    @staticmethod
    def _unsign(value: str | None) -> dict | None:
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
    def signed_token(self) -> str:
        return _serializer().dumps([self.token, self.policy.name, self.max_count, self.owner.id])

    def _load(self) -> None:
        self.items = (Attachment.query
                      .filter_by(owner_id=self.owner.id, upload_set=self.token, policy=self.policy.name,
                                 subject_id=None)
                      .order_by(Attachment.id).all())

    def apply_request(self, *, add: bool = True, remove: bool = True) -> None:
        form = request.form
        added, removed, unused_files = [], [], []
        if remove:
            removed = self._remove(form.getlist(f"{self.name}-retirer"))
            unused_files = remove_attachments(removed)
        if add:
            uploads = [f for f in request.files.getlist(self.name) if f.filename]
            if not uploads and form.get(self.name):
                # The browser sent only file names: the enclosing <form> lacks enctype="multipart/form-data".
                current_app.logger.warning("Attachment field %s posted without multipart encoding", self.name)
                for filename in form.getlist(self.name):
                    self.errors.append(f"Le fichier {quoted(display_name(filename))} n’a pas été reçu : "
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
                delete_stored(added)  # only the new copies go: no row holds them any more
                raise
            delete_stored(unused_files)

    def _add(self, uploads: list[FileStorage]) -> list[str]:
        """Store `uploads` in the set; the storage names of their files (new, or already stored)."""
        added, stored_names = [], []
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
                received = store_upload(upload, self.policy)
            except UploadRejected as rejected:
                self.errors.append(rejected.message)
                continue
            try:
                stored = stored_file_for(received)
            except BaseException:
                delete_file(received.storage_name)  # a fresh name no row holds
                raise
            stored_names.append(stored.storage_name)
            attachment = Attachment(owner_id=self.owner.id, upload_set=self.token, policy=self.policy.name,
                                    original_name=received.name, stored_file=stored,
                                    content_type=received.content_type, size=received.size)
            db.session.add(attachment)
            self.items.append(attachment)
            added.append(attachment)
        if added:
            db.session.flush()
            self.messages.append(f"Le fichier {quoted(added[0].original_name)} a été ajouté." if len(added) == 1
                                 else f"{len(added)} fichiers ont été ajoutés.")
        return stored_names

    def _pending_bytes(self) -> int:
        return (db.session.query(func.coalesce(func.sum(Attachment.size), 0))
                .filter(Attachment.owner_id == self.owner.id, Attachment.subject_id.is_(None)).scalar())

    def _remove(self, raw_ids: list[str]) -> list[Attachment]:
        """Take the set's files of `raw_ids` out of the set; the caller deletes them."""
        wanted = {to_id(v) for v in raw_ids} - {None}
        removed = [a for a in self.items if a.id in wanted]
        for attachment in removed:
            self.items.remove(attachment)
            self.messages.append(f"Le fichier {quoted(attachment.original_name)} a été retiré.")
        return removed

    # -- state for views and templates

    @property
    def remaining(self) -> int:
        return max(self.max_count - len(self.items), 0)

    @property
    def full(self) -> bool:
        return self.remaining == 0

    @property
    def count_error(self) -> str:
        n = self.max_count
        return f"Vous ne pouvez pas ajouter plus de {n} fichier{'s' if n > 1 else ''}."

    @property
    def hint(self) -> str:
        return self.policy.hint(self.max_count)

    @property
    def remaining_text(self) -> str:
        if self.full:
            if not self.items:
                return "Vous ne pouvez plus ajouter de fichier."
            return ("Vous avez ajouté le nombre maximal de fichiers. Retirez-en un pour pouvoir en ajouter "
                    "un autre.")
        n = self.remaining
        return f"Vous pouvez encore ajouter {n} fichier{'s' if n > 1 else ''}."

    @property
    def id(self) -> str:
        """Where the error summary's link leads: the file input, or the list when no input is shown."""
        return f"{self.name}-liste-titre" if self.full else self.name

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def is_pristine(self) -> bool:
        """No file, no error, no message, no focus: the set as a page first shows it (the same HTML
        for everyone but its signed token, which the render-once devices of core.queue rely on)."""
        return not (self.items or self.errors or self.messages or self.focus)

    @property
    def is_complete(self) -> bool:
        """What it holds is enough to be sent (without the errors of the request): a required set
        has a file. core.uploads.named's sets ask for each required document's."""
        return not self.required or bool(self.items)

    def validate(self) -> bool:
        """Final checks when the whole form is submitted. True when the set may be sent."""
        if self.required and not self.items and not self.errors:
            self.errors.append("Sélectionnez au moins un fichier.")
        if len(self.items) > self.max_count and self.count_error not in self.errors:
            # Two uploads racing each other can both pass the check made when adding.
            self.errors.append(self.count_error)
        return not self.errors

    def attach_to(self, subject: Any = None, *, subject_type: str | None = None, subject_id: int | None = None,
                  organisation_id: int | None = None) -> list[Attachment]:
        """Link the set's files to what was submitted (in the caller's transaction: it commits).

        The files leave the set: they can no longer be removed from the form, and become readable
        by the agents of `organisation_id` (default: `subject.organisation_id`)."""
        subject_type, subject_id, organisation_id = resolve_subject(
            subject, subject_type=subject_type, subject_id=subject_id, organisation_id=organisation_id)
        for attachment in self.items:
            attachment.subject_type = subject_type
            attachment.subject_id = subject_id
            attachment.organisation_id = organisation_id
            attachment.upload_set = None
        return list(self.items)

    def summary(self, form: Any = None, *others: "AttachmentSet") -> "FormWithAttachments":
        """`form` seen with this set's errors (and those of `others`), for `error_summary(…)`."""
        return FormWithAttachments(form, (self, *others))

    def __repr__(self) -> str:
        return f"<AttachmentSet {self.name} {self.policy.name} {len(self.items)}/{self.max_count}>"


class FormWithAttachments:
    """A form whose errors include those of attachment sets, so that the usual error summary lists
    them too, each linking to its file input. Everything else is the form's."""

    def __init__(self, form: Any, sets: tuple[AttachmentSet, ...]) -> None:
        self._form = form
        self._sets = sets

    def __getattr__(self, name: str) -> Any:
        if self._form is None:
            if name == "form_errors":
                return []
            raise AttributeError(name)
        return getattr(self._form, name)

    def __iter__(self) -> Iterator[Any]:
        if self._form is not None:
            yield from self._form
        yield from self._sets

    def __bool__(self) -> bool:
        return True

    @property
    def errors(self) -> dict[str, list[str]]:
        errors = dict(self._form.errors) if self._form is not None else {}
        errors.update({s.name: s.errors for s in self._sets if s.errors})
        return errors
