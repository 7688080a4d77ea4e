"""Operations of the Portail Des Aides that change state: each loads nothing itself, checks what
the model and the workflow refuse, writes, and leaves the commit to the view. Notifications go
through core.notify from here (or from workflow hooks registered here)."""
from __future__ import annotations

from typing import Any

from werkzeug.datastructures import FileStorage

from core import audit
from core.uploads import MB, get_policy, link_copy, register_policy, remove_attachments, storage_path, store_upload, \
    stored_file_for
from extensions import db
from models import Organisation, User
from models.armees import PORTAL, PORTE_DOCUMENT_KINDS, PORTE_DOCUMENTS, ReceivedDocument, RessortissantProfile
from models.attachment import Attachment
from models.base import utcnow

# The keys of AidApplication.data["informations"] (recap.py), columns of RessortissantProfile.
INFORMATION_KEYS = ("residence", "birth_name", "phone", "mobile", "fax", "address_abroad", "address_line1",
                    "address_line2", "address_line3", "postcode", "insee", "city", "country", "in_couple",
                    "family_situation", "category", "rank", "employer", "employer_organisation")


def operator() -> Organisation | None:
    """The organisation that instructs the applications (Igesa): the first one of the portal."""
    return (db.session.query(Organisation).filter_by(portal=PORTAL)
            .order_by(Organisation.id).first())


# --- slice SPACE: « Mes informations », « Mon porte-documents », « Mes documents reçus » ----------

PORTE_DOCUMENTS_POLICY = "armees_porte_documents"
register_policy(PORTE_DOCUMENTS_POLICY, max_count=1, max_size=5 * MB,
                extensions=("pdf", "doc", "docx", "png", "jpg", "jpeg"))


def profile_informations(profile: RessortissantProfile) -> dict[str, Any]:
    """The profile's personal data keyed like `AidApplication.data["informations"]` (recap.py)."""
    return {name: getattr(profile, name) for name in INFORMATION_KEYS}


def update_informations(profile: RessortissantProfile, form: Any, user: User) -> None:
    """« Mes informations » › « Enregistrer »: only once a first application was transmitted."""
    if not profile.editable:
        raise PermissionError("« Mes informations » can be edited once a first application was transmitted")
    form.apply_to(profile)
    profile.updated_at = utcnow()
    audit.record(user, "armees_informations_updated", profile)


def porte_documents(user: Any) -> list[Attachment]:
    """The proofs stored in the user's « porte-documents », newest first (the wizard offers them
    under « Porte documents »; `Attachment.document` is their kind, see PORTE_DOCUMENT_KINDS or a
    catalogue document code such as « qualite-ressortissant »)."""
    return (Attachment.query.filter_by(subject_type=PORTE_DOCUMENTS.name, subject_id=user.id, owner_id=user.id)
            .order_by(Attachment.created_at.desc(), Attachment.id.desc()).all())


def porte_document(user: Any, attachment_id: int) -> Attachment | None:
    """One file of the user's porte-documents (None for anyone else's)."""
    return Attachment.query.filter_by(id=attachment_id, subject_type=PORTE_DOCUMENTS.name, subject_id=user.id,
                                      owner_id=user.id).one_or_none()


def add_porte_document(user: Any, upload: FileStorage, kind: str) -> Attachment:
    """Store one checked file in the user's porte-documents (raises UploadRejected)."""
    if kind not in PORTE_DOCUMENT_KINDS:
        raise ValueError(f"unknown porte-documents kind {kind!r}")
    received = store_upload(upload, get_policy(PORTE_DOCUMENTS_POLICY))
    try:
        stored = stored_file_for(received)
    except BaseException:
        storage_path(received.storage_name).unlink(missing_ok=True)
        raise
    attachment = Attachment(owner_id=user.id, policy=PORTE_DOCUMENTS_POLICY, subject_type=PORTE_DOCUMENTS.name,
                            subject_id=user.id, original_name=received.name, stored_file=stored,
                            content_type=received.content_type, size=received.size, document=kind)
    db.session.add(attachment)
    audit.record(user, "armees_porte_document_added", attachment)
    return attachment


def delete_porte_document(user: Any, attachment: Attachment) -> list[str]:
    """Remove a file of the porte-documents; the storage names to give `delete_stored` once
    committed (a copy linked to an application keeps its bytes)."""
    audit.record(user, "armees_porte_document_deleted", attachment)
    return remove_attachments([attachment])


def received_documents(user: Any) -> list[ReceivedDocument]:
    """« Mes documents reçus », newest first."""
    return (ReceivedDocument.query.filter_by(user_id=user.id)
            .order_by(ReceivedDocument.created_at.desc(), ReceivedDocument.id.desc()).all())


def received_document(user: Any, document_id: int) -> ReceivedDocument | None:
    return ReceivedDocument.query.filter_by(id=document_id, user_id=user.id).one_or_none()


def mark_read(document: ReceivedDocument) -> None:
    if document.read_at is None:
        document.read_at = utcnow()


def keep_in_porte_documents(user: Any, attachment: Attachment, document: str = "qualite-ressortissant") -> Attachment:
    """The proof of ressortissant status given with an application, kept in the user's
    porte-documents to be reused without scanning it again (the wizard calls it on « Transmettre »).
    The stored bytes are shared (no second copy); a file with the same bytes already kept there is
    returned instead of a duplicate. The caller commits."""
    existing = Attachment.query.filter_by(subject_type=PORTE_DOCUMENTS.name, subject_id=user.id, owner_id=user.id,
                                          stored_file_id=attachment.stored_file_id).first()
    if existing is not None:
        return existing
    copy = link_copy(attachment, owner=user, subject_type=PORTE_DOCUMENTS.name, subject_id=user.id)
    copy.document = document
    return copy
