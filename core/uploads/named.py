"""Files per named document: one upload set whose files each answer a document of a list
(« Avis d'imposition », « RIB »…), stored in `Attachment.document`.

For each document (code, label, required) the list shows « Ajouter »; once a file is given,
« Déposé » with its name, « Supprimer », and « Remplacer » (a new file for the same document
takes the old one's place). Required documents are marked *; the set is complete when each of
them has its file. Files the user already stored elsewhere (« Mon porte-documents »…) can be
offered per document: « Porte documents » links one to the document without a new upload (the
copy shares the stored bytes, as `link_copy` does). Only the owner's own attachments, among
those the portal offered, can be reused; anything else posted is refused.

    register_policy("armees_justificatifs", max_count=20, max_size=10 * MB, extensions=DOCUMENT_FORMATS)
    documents = [NamedDocument.from_spec(d) for d in benefit.documents]   # code, label, required
    files = NamedAttachmentSet.from_request("armees_justificatifs", documents=documents,
                                            reusable={"qualite-ressortissant": porte_documents_files})
    if files.is_update:           # « Ajouter », « Supprimer », « Porte documents » without JS: redisplay
        ...
    files.validate()              # on the final submit: each required document has its file
    files.attach_to(application)  # `document` is kept on every file

Its template, inside `<form method="post" enctype="multipart/form-data" novalidate>`:

    {% from "components/documents.html" import document_list %}
    {{ document_list(files) }}                     # legend « Vos justificatifs » by default

In a wizard (core.wizard), a step takes it with `Step(..., attachments=POLICY,
files_class=NamedAttachmentSet, files_options=lambda page: {"documents": …, "reusable": …})`:
the wizard builds the set with those options, keeps it in the draft's token, refuses « Suivant »
until it is complete, and redisplays the step for its buttons.

Without JavaScript each document has a file input and « Ajouter » (or « Remplacer »), which post
the whole form; files chosen for several documents are all taken by any button. With htmx,
choosing a file uploads it at once and every button acts in place (components.documents_update):
only the list is swapped, the live region announces what changed.

The posted names, for a set `justificatifs`: `justificatifs-lot` (the signed token, which also
carries the documents and the ids offered for reuse, for the htmx endpoint),
`justificatifs-fichier-<code>` (file inputs), `justificatifs-porte-<code>` (the file chosen for
reuse), and the buttons `justificatifs-ajouter`, `justificatifs-supprimer`, `justificatifs-reutiliser`
(value: the document's code). One policy for the whole list: its `max_count` must be at least the
number of documents."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from core.inputs import to_id
from core.uploads.errors import UploadRejected, quoted
from core.uploads.formats import size_label
from core.uploads.links import check_fits
from core.uploads.policies import UploadPolicy, get_policy, is_registered
from core.uploads.sets import AttachmentSet
from core.uploads.storage import delete_stored, remove_attachments
from extensions import db
from models.attachment import Attachment

# The formats of the seed's « Vos justificatifs »: pdf, doc, docx, png, jpg and jpeg.
DOCUMENT_FORMATS = ("pdf", "doc", "docx", "png", "jpg", "jpeg")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
SIGNING_SALT = "guichet.named-upload-set"


@dataclass(frozen=True)
class NamedDocument:
    """A document asked for by name: `code` (stored in Attachment.document), `label`, `required`."""
    code: str
    label: str
    required: bool = False

    def __post_init__(self) -> None:
        if not CODE.match(self.code):
            raise ValueError(f"bad document code {self.code!r}")

    @classmethod
    def from_spec(cls, spec: Any) -> NamedDocument:
        """From any object with `code`, `label` and `required` (the armees catalogue's DocumentSpec)."""
        return cls(spec.code, spec.label, bool(getattr(spec, "required", False)))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SIGNING_SALT)


class NamedAttachmentSet(AttachmentSet):
    """An upload set whose files answer named documents, one file per document. See the module's
    docstring."""

    DEFAULT_NAME = "justificatifs"

    def __init__(self, policy: str | UploadPolicy, owner: Any, *, documents: Sequence[NamedDocument] = (),
                 name: str = DEFAULT_NAME, token: str | None = None, max_count: int | None = None,
                 required: bool = False, reusable: dict[str, Iterable[Attachment | int]] | None = None) -> None:
        self.documents = tuple(documents)
        codes = [d.code for d in self.documents]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"a named set needs documents with distinct codes: {codes}")
        # What may be reused, per document: ids only (the attachments are loaded when used).
        self.reusable_ids: dict[str, list[int]] = {
            code: [a if isinstance(a, int) else a.id for a in attachments]
            for code, attachments in (reusable or {}).items() if code in codes}
        self._reusable_rows: dict[int, Attachment] = {
            a.id: a for attachments in (reusable or {}).values() for a in attachments if isinstance(a, Attachment)}
        self.document_errors: dict[str, str] = {}
        self.focus_code: str | None = None  # the document acted upon: its file input takes the focus
        super().__init__(policy, owner, name=name, token=token,
                         max_count=len(codes) if max_count is None else max_count, required=required)

    # -- building from a request

    @classmethod
    def from_request(cls, policy: str | UploadPolicy, owner: Any = None, *, name: str = DEFAULT_NAME,
                     max_count: int | None = None, required: bool = False, token: str | None = None,
                     documents: Sequence[NamedDocument] = (),
                     reusable: dict[str, Iterable[Attachment | int]] | None = None) -> NamedAttachmentSet:
        """The set of the form being posted (or a new one on GET), its buttons and new files applied
        (committed at once). The documents and what may be reused come from the portal, never
        from the post; `token` resumes a set whose token the view saved (a draft)."""
        owner = owner or current_user
        if not getattr(owner, "is_authenticated", False):
            raise RuntimeError("NamedAttachmentSet needs a logged-in owner")
        policy = get_policy(policy) if isinstance(policy, str) else policy
        if request.method == "POST":
            data = cls._unsign_named(request.form.get(f"{name}-lot"))
            if data and data["owner"] == owner.id and data["policy"] == policy.name:
                token = data["token"]
        files = cls(policy, owner, documents=documents, name=name, token=token, max_count=max_count,
                    required=required, reusable=reusable)
        if request.method == "POST":
            files.apply_request(add=True, remove=True)
        return files

    @classmethod
    def from_component_request(cls, name: str, *, add: bool = True, remove: bool = True) -> NamedAttachmentSet | None:
        """For the component's endpoint: everything (policy, documents, what may be reused) from the
        signed token the portal's page rendered. None when it is missing, forged or someone else's."""
        data = cls._unsign_named(request.form.get(f"{name}-lot"))
        if not data or data["owner"] != current_user.id or not is_registered(data["policy"]):
            return None
        files = cls(data["policy"], current_user, documents=data["documents"], name=name, token=data["token"],
                    max_count=data["max"], required=data["required"], reusable=data["reusable"])
        files.apply_request(add=add, remove=remove)
        return files

    @staticmethod
    def _unsign_named(value: str | None) -> dict | None:
        if not value:
            return None
        try:
            token, policy, max_count, owner_id, documents, reusable, required = _serializer().loads(value)
            documents = [NamedDocument(code, label, bool(req)) for code, label, req in documents]
            reusable = {str(code): [int(i) for i in ids] for code, ids in dict(reusable).items()}
        except (BadSignature, ValueError, TypeError):
            return None
        if not (isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}", token)):
            return None
        return {"token": token, "policy": policy, "max": max_count, "owner": owner_id, "documents": documents,
                "reusable": reusable, "required": bool(required)}

    @property
    def signed_token(self) -> str:
        return _serializer().dumps([self.token, self.policy.name, self.max_count, self.owner.id,
                                    [[d.code, d.label, d.required] for d in self.documents],
                                    self.reusable_ids, self.required])

    def _load(self) -> None:
        super()._load()
        codes = {d.code for d in self.documents}
        self.items = [a for a in self.items if a.document in codes]

    # -- applying the buttons and files of a post

    def apply_request(self, *, add: bool = True, remove: bool = True) -> None:
        form, n = request.form, self.name
        unused: list[str] = []
        added: list[str] = []
        changed = False
        if remove:
            for code in form.getlist(f"{n}-supprimer"):
                old = self.file_for(code)
                if old is not None:
                    self.focus_code = code
                    self.items.remove(old)
                    unused += remove_attachments([old])
                    self.messages.append(f"Le fichier {quoted(old.original_name)} a été supprimé "
                                         f"({self.document(code).label}).")
                    changed = True
        if add:
            for code in form.getlist(f"{n}-reutiliser"):
                if self.document(code) is not None:
                    self.focus_code = code
                    changed |= self._reuse(code, to_id(form.get(f"{n}-porte-{code}")), unused)
            uploaded = False
            for document in self.documents:
                upload = request.files.get(f"{n}-fichier-{document.code}")
                if upload is not None and upload.filename:
                    uploaded, self.focus_code = True, document.code
                    stored = self._replace(document, upload, unused)
                    added += stored
                    changed |= bool(stored)
            pressed = [d for d in map(self.document, form.getlist(f"{n}-ajouter")) if d is not None]
            if pressed and not uploaded:
                self.focus_code = pressed[0].code
                self._error(pressed[0].code, f"Sélectionnez le fichier à déposer pour « {pressed[0].label} ».")
        buttons = ("ajouter", "supprimer", "reutiliser")
        self.is_update = any(f"{n}-{b}" in form for b in buttons) or not (add and remove)
        self.focus = self.is_update and (not self.errors or bool(getattr(request, "htmx", False)))
        if changed:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                delete_stored(added)
                raise
            delete_stored(unused)

    def _replace(self, document: NamedDocument, upload: Any, unused: list[str]) -> list[str]:
        """Store `upload` for `document`, in place of its file if it had one (kept if refused)."""
        old = self.file_for(document.code)
        position = self.items.index(old) if old is not None else None
        if old is not None:
            self.items.remove(old)
        count, errors_before, messages_before = len(self.items), len(self.errors), len(self.messages)
        stored = self._add([upload])
        del self.messages[messages_before:]  # said below, with the document's name
        if len(self.items) == count:  # refused: the reason goes next to the document, its file stays
            reasons = self.errors[errors_before:]
            del self.errors[errors_before:]
            self._error(document.code, reasons[0] if reasons else "Le fichier n’a pas pu être déposé.")
            if old is not None and position is not None:
                self.items.insert(position, old)
            return []
        new = self.items[-1]
        new.document = document.code
        if old is not None:
            unused += remove_attachments([old])
            self.messages.append(f"Le fichier {quoted(new.original_name)} a remplacé {quoted(old.original_name)} "
                                 f"({document.label}).")
        else:
            self.messages.append(f"Le fichier {quoted(new.original_name)} a été déposé ({document.label}).")
        return stored

    def _reuse(self, code: str, attachment_id: int | None, unused: list[str]) -> bool:
        document = self.document(code)
        refused = f"Ce fichier ne peut pas être utilisé pour « {document.label} »."
        if attachment_id is None or attachment_id not in self.reusable_ids.get(code, ()):
            self._error(code, refused)
            return False
        source = self._reusable_rows.get(attachment_id) or db.session.get(Attachment, attachment_id)
        if source is None or source.owner_id != self.owner.id:
            self._error(code, refused)
            return False
        try:
            check_fits(source, self.policy.name)
        except UploadRejected as rejected:
            self._error(code, rejected.message)
            return False
        old = self.file_for(code)
        copy = Attachment(owner_id=self.owner.id, upload_set=self.token, policy=self.policy.name, document=code,
                          original_name=source.original_name, stored_file_id=source.stored_file_id,
                          content_type=source.content_type, size=source.size)
        db.session.add(copy)
        if old is not None:
            self.items.remove(old)
            unused += remove_attachments([old])
        db.session.flush()
        self.items.append(copy)
        self.messages.append(f"Le fichier {quoted(copy.original_name)} du porte-documents a été déposé "
                             f"({document.label}).")
        return True

    def _error(self, code: str, message: str) -> None:
        self.document_errors.setdefault(code, message)
        self.errors.append(message)

    # -- state for views and templates

    def document(self, code: str) -> NamedDocument | None:
        return next((d for d in self.documents if d.code == code), None)

    def file_for(self, code: str) -> Attachment | None:
        return next((a for a in self.items if a.document == code), None)

    def offered(self, code: str) -> list[Attachment]:
        """The files offered for reuse for `code` (the owner's only)."""
        rows = []
        for attachment_id in self.reusable_ids.get(code, ()):
            row = self._reusable_rows.get(attachment_id) or db.session.get(Attachment, attachment_id)
            if row is not None and row.owner_id == self.owner.id:
                rows.append(row)
        return rows

    @property
    def missing(self) -> list[NamedDocument]:
        return [d for d in self.documents if d.required and self.file_for(d.code) is None]

    @property
    def is_complete(self) -> bool:
        return not self.missing and (not self.required or bool(self.items))

    @property
    def hint(self) -> str:
        """The seed's words: « Les formats acceptés sont pdf, doc, docx, png, jpg et jpeg. »"""
        extensions = list(self.policy.extensions)
        formats = ", ".join(extensions[:-1]) + " et " + extensions[-1] if len(extensions) > 1 else extensions[0]
        return (f"Les pièces justificatives obligatoires sont marquées par *. Les formats acceptés sont {formats}, "
                f"{size_label(self.policy.max_size)} maximum par fichier.")

    @property
    def id(self) -> str:
        """Where the error summary's link leads: the first document in error."""
        code = next((d.code for d in self.documents if d.code in self.document_errors), self.documents[0].code)
        return f"{self.name}-fichier-{code}"

    def validate(self) -> bool:
        """Final checks: every required document has its file."""
        for document in self.missing:
            if document.code not in self.document_errors:
                self._error(document.code, f"Ajoutez le justificatif « {document.label} ».")
        if self.required and not self.items and not self.errors:
            self.errors.append("Ajoutez au moins un justificatif.")
        return not self.errors

    def __repr__(self) -> str:
        return f"<NamedAttachmentSet {self.name} {self.policy.name} {len(self.items)}/{len(self.documents)}>"
