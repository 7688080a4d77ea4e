"""« Nous envoyer un document » (MSA): the operations that change state, for members and agents.

Views load (through a query scoped to the user), check, call one of these, and render. `send`
creates the submission once per one-time token (core.submission), numbers it, links its files,
keeps its acknowledgement PDF as an attachment and mails it; `process` is the agent's « Marquer
comme traité » through the submission's workflow (models.msa_documents.DOCUMENT_WORKFLOW)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import audit, drafts
from core.formatting import fr_datetime
from core.notify import notify
from core.pdf import render_document
from core.submission import create_once
from core.uploads import attach_generated
from core.urls import public_url
from extensions import db
from models import Attachment, MsaMember, User
from models.msa_documents import (RECEIPT_DOCUMENT, SUBJECT_TYPE, MsaDocumentItem, MsaDocumentSubmission)

if TYPE_CHECKING:
    from core.uploads import AttachmentSet
    from models.case_event import CaseEvent

DRAFT_KIND = "msa.document"
ACK_SUBJECT = "MSA – Accusé de réception de vos documents"
MEDICAL_WARNING = ("Les documents contenant des informations médicales doivent être transmis par courrier postal "
                   "à l’adresse du service médical de votre MSA")


@dataclass(frozen=True)
class DocumentInput:
    """One document as the wizard validated it (step 3)."""
    nature: str
    nature_label: str
    person: str
    reason: str


def send(member: MsaMember, user: User, subject: dict, documents: list[DocumentInput], files: AttachmentSet,
         token: str) -> MsaDocumentSubmission:
    """The submission with its documents and files, numbered « DOC-<year>-… » and « Reçu »; its
    acknowledgement kept as a PDF attachment and mailed to the member; the draft forgotten;
    committed. The same form posted twice sends once (the second post finds the first's
    submission); a token that already sent someone else's: SubmissionReplayed."""
    organisation_id = member.organisation_id or _default_fund_id()

    def create() -> MsaDocumentSubmission:
        submission = MsaDocumentSubmission(member_id=user.id, organisation_id=organisation_id,
                                           subject=subject["code"], subject_label=subject["label"],
                                           submission_token=token)
        for position, document in enumerate(documents, start=1):
            submission.items.append(MsaDocumentItem(position=position, nature=document.nature,
                                                    nature_label=document.nature_label, person=document.person,
                                                    reason=document.reason))
        submission.receive(user)
        files.attach_to(submission, subject_type=SUBJECT_TYPE, organisation_id=organisation_id)
        receipt = attach_generated(receipt_pdf(submission), receipt_filename(submission), submission, owner=user,
                                   subject_type=SUBJECT_TYPE, organisation_id=organisation_id,
                                   document=RECEIPT_DOCUMENT)
        audit.record(user, "msa.documents.sent", submission, documents=len(documents))
        notify(user.email, "msa_document_ack", ACK_SUBJECT, user=user, reference=submission.reference,
               date=submission.submitted_at, link=public_url("msa.documents"), attachments=[receipt],
               submission=submission)
        drafts.discard(user, DRAFT_KIND)
        return submission

    return create_once(token, MsaDocumentSubmission, lambda: sent_with(token, user), create, lambda found: found)


def _default_fund_id() -> int | None:
    from blueprints.msa.service import default_fund
    fund = default_fund()
    return fund.id if fund is not None else None


def sent_with(token: str, user: User) -> MsaDocumentSubmission | None:
    """What this member already sent with this form, if anything."""
    return MsaDocumentSubmission.query.filter_by(submission_token=token, member_id=user.id).first()


def process(submission: MsaDocumentSubmission, agent: User) -> CaseEvent:
    """« Marquer comme traité » (IllegalTransition when already processed or not the fund's agent)."""
    return submission.process(agent)


# --- Files ------------------------------------------------------------------------------------------

def files_of(submission: MsaDocumentSubmission) -> list[Attachment]:
    """The submission's files (the acknowledgement included), oldest first."""
    return (Attachment.query.filter_by(subject_type=SUBJECT_TYPE, subject_id=submission.id)
            .order_by(Attachment.id).all())


def files_by_document(submission: MsaDocumentSubmission) -> dict[int, list[Attachment]]:
    """{document position: its files}, in the order they were given."""
    grouped: dict[int, list[Attachment]] = {}
    for attachment in files_of(submission):
        position = document_position(attachment.document)
        if position is not None:
            grouped.setdefault(position, []).append(attachment)
    for files in grouped.values():
        files.sort(key=lambda a: (a.document or "", a.id))
    return grouped


def document_position(code: str | None) -> int | None:
    """« document-2-fichier-1 » → 2; None for anything else (the acknowledgement)."""
    parts = (code or "").split("-")
    if len(parts) == 4 and parts[0] == "document" and parts[1].isdigit():
        return int(parts[1])
    return None


def receipts_of(submissions: list[MsaDocumentSubmission]) -> dict[int, Attachment]:
    """{submission id: its acknowledgement}, in one query for a list."""
    ids = [s.id for s in submissions]
    if not ids:
        return {}
    rows = Attachment.query.filter(Attachment.subject_type == SUBJECT_TYPE, Attachment.subject_id.in_(ids),
                                   Attachment.document == RECEIPT_DOCUMENT)
    return {a.subject_id: a for a in rows}


# --- Acknowledgement ----------------------------------------------------------------------------------

def receipt_filename(submission: MsaDocumentSubmission) -> str:
    return f"accuse-reception-{submission.reference}.pdf"


def receipt_pdf(submission: MsaDocumentSubmission) -> bytes:
    """« Accusé de réception »: the reference, the date sent (Paris time), the subject, the member,
    and for each document its nature, the person concerned, the reason and its files' names."""
    member = submission.member or db.session.get(User, submission.member_id)
    name = f"{member.first_name or ''} {(member.last_name or '').upper()}".strip()
    sent = fr_datetime(submission.submitted_at)
    organisation = submission.organisation.name if submission.organisation else "MSA"
    grouped = files_by_document(submission) if submission.id else {}
    sections: list = [
        (None, [f"Nous avons bien reçu les documents que vous nous avez envoyés depuis Mon espace privé le {sent}, "
                f"sous la référence {submission.reference}. Rappelez cette référence pour tout échange à leur sujet."]),
        ("Votre envoi", [("Référence", submission.reference), ("Date d’envoi", sent),
                         ("Objet de l’envoi", submission.subject_label), ("Adhérent", name),
                         ("Nombre de documents", str(len(submission.items)))]),
    ]
    for item in submission.items:
        names = ", ".join(a.original_name for a in grouped.get(item.position, [])) or None
        sections.append((f"Document {item.position}", [
            ("Nature du document", item.nature_label), ("Nom de la personne concernée", item.person),
            ("Motif de l’envoi", item.reason), ("Fichiers", names)]))
    sections.append((None, [MEDICAL_WARNING + "."]))
    return render_document(f"Accusé de réception de vos documents – {submission.reference}", sections,
                           organisation=organisation)
