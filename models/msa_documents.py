"""MSA « Nous envoyer un document » (seed 004, spec msa.md parts A and C): what a member sent
(one submission of 1 to 5 documents, each with its nature, the person concerned and the reason,
and the files that make it up), its acknowledgement, and the agents' « Documents reçus ».

A submission is « Reçu » once sent and « Traité » once an agent of the member's MSA fund marked
it so (DOCUMENT_WORKFLOW). Its files are attachments of subject `msa_document_submission`
(`Attachment.document` names the document and the file: « document-2-fichier-1 »); the
acknowledgement PDF is one of them, with `document` = RECEIPT_DOCUMENT.

`MsaAgentDigest` records the digest mails sent to agents (blueprints/msa/digest.py): at most
one an hour per agent, listing what arrived since the previous one."""
from __future__ import annotations

from typing import Any

from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.attachment import attachment_subject
from models.base import UTCDateTime, utcnow

__all__ = ["IllegalTransition"]

RECEIVED, PROCESSED = "recu", "traite"
RECEIPT_DOCUMENT = "accuse-reception"
SUBJECT_TYPE = "msa_document_submission"
MAX_DOCUMENTS = 5


def _is_fund_agent(case: MsaDocumentSubmission, user: Any) -> bool:
    """An agent of the member's MSA fund (the organisation the documents were sent to)."""
    return (user is not None and getattr(user, "is_authenticated", False) and user.role == "agent"
            and user.organisation_id is not None and user.organisation_id == case.organisation_id)


def _processed(case: MsaDocumentSubmission, user: Any, now, data: dict[str, Any]) -> None:
    case.processed_at = now
    case.processed_by_id = user.id


DOCUMENT_WORKFLOW = Workflow(
    "msa_document",
    states=[State(RECEIVED, "Reçu"), State(PROCESSED, "Traité", final=True)],
    transitions=[
        Transition("process", (RECEIVED,), PROCESSED, allowed=_is_fund_agent, effect=_processed,
                   audit="msa_document_processed", label="Marquer comme traité"),
    ],
    initial=RECEIVED,
    created_audit="msa_document_received",
    created_label="Réception des documents",
)


class MsaDocumentSequence(db.Model):
    """The last submission number given per year (references « DOC-2026-000123 »)."""
    __tablename__ = "msa_document_sequence"
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


class MsaDocumentSubmission(db.Model):
    """One « Nous envoyer un document »: the subject chosen and its documents."""
    __tablename__ = "msa_document_submission"
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False)
    reference = db.Column(db.String(20), nullable=False, unique=True)
    subject = db.Column(db.String(40), nullable=False)          # data/catalogues/msa-documents.json
    subject_label = db.Column(db.String(160), nullable=False)   # the label when it was sent
    status = db.Column(db.String(20), nullable=False, default=RECEIVED)
    status_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    submitted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    processed_at = db.Column(UTCDateTime)
    processed_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    # core.submission: « Envoyer » posted twice sends once.
    submission_token = db.Column(db.String(32), unique=True)

    member = db.relationship("User", foreign_keys=[member_id])
    processed_by = db.relationship("User", foreign_keys=[processed_by_id])
    organisation = db.relationship("Organisation")
    items = db.relationship("MsaDocumentItem", back_populates="submission", order_by="MsaDocumentItem.position",
                            cascade="all, delete-orphan")

    __table_args__ = (
        db.Index("ix_msa_document_queue", "organisation_id", "status", "submitted_at"),
    )

    @property
    def status_label(self) -> str:
        return DOCUMENT_WORKFLOW.label(self.status)

    @property
    def is_processed(self) -> bool:
        return self.status == PROCESSED

    def can_process(self, user: Any) -> bool:
        return DOCUMENT_WORKFLOW.can(self, "process", user)

    def give_reference(self, now=None) -> str:
        """« DOC-<year>-<6 digits> », gapless per year (the year's row locked until the commit)."""
        if self.reference:
            return self.reference
        year = (now or utcnow()).year
        seq = db.session.get(MsaDocumentSequence, year, with_for_update=True)
        if seq is None:
            seq = MsaDocumentSequence(year=year, last=0)
            db.session.add(seq)
        seq.last += 1
        self.reference = f"DOC-{year}-{seq.last:06d}"
        return self.reference

    def receive(self, user: Any, now=None) -> None:
        """The member's « Envoyer »: numbered, dated, « Reçu » (with its history entry)."""
        now = now or utcnow()
        self.give_reference(now)
        self.submitted_at = now
        DOCUMENT_WORKFLOW.start(self, user, now)

    def process(self, agent: Any, now=None):
        """« Marquer comme traité »: only by an agent of the fund, only once."""
        return DOCUMENT_WORKFLOW.fire(self, "process", agent, now=now)


class MsaDocumentItem(db.Model):
    """One document of a submission: its nature, the person it concerns, why it is sent."""
    __tablename__ = "msa_document_item"
    id = db.Column(db.Integer, primary_key=True)
    submission_id = db.Column(db.Integer, db.ForeignKey("msa_document_submission.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False)            # 1 to 5
    nature = db.Column(db.String(40), nullable=False)
    nature_label = db.Column(db.String(160), nullable=False)
    person = db.Column(db.String(120), nullable=False)          # « nom de la personne concernée »
    reason = db.Column(db.String(300), nullable=False)          # « motif de l'envoi »

    submission = db.relationship("MsaDocumentSubmission", back_populates="items")

    @property
    def code(self) -> str:
        """The prefix of its files' `Attachment.document` codes."""
        return f"document-{self.position}"


class MsaAgentDigest(db.Model):
    """A digest mail sent to an agent: what arrived up to `covered_until` was listed."""
    __tablename__ = "msa_agent_digest"
    id = db.Column(db.Integer, primary_key=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    sent_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    covered_until = db.Column(UTCDateTime, nullable=False)
    documents = db.Column(db.Integer, nullable=False, default=0)
    replies = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (db.Index("ix_msa_agent_digest_agent", "agent_id", "sent_at"),)


def _member_of_submission(submission_id: int, user: Any) -> bool:
    submission = db.session.get(MsaDocumentSubmission, submission_id)
    return submission is not None and submission.member_id == user.id


# The files sent and the acknowledgement: readable by the member who sent them and by the agents
# of their fund (Attachment.organisation_id), by no one else.
DOCUMENT_FILES = attachment_subject(SUBJECT_TYPE, readers=_member_of_submission)
