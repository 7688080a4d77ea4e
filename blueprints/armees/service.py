"""Operations of the Portail Des Aides that change state: each loads nothing itself, checks what
the model and the workflow refuse, writes, and leaves the commit to the view. Notifications go
through core.notify from here (or from workflow hooks registered here)."""
from __future__ import annotations

from extensions import db
from models import Organisation
from models.armees import PORTAL


def operator() -> Organisation | None:
    """The organisation that instructs the applications (Igesa): the first one of the portal."""
    return (db.session.query(Organisation).filter_by(portal=PORTAL)
            .order_by(Organisation.id).first())


# --- Slice AGENT: what the Igesa agents do to an application ------------------------------------
# Each operation refuses with IllegalTransition what the state or the agent does not allow
# (nothing written); the view commits.

from core import audit  # noqa: E402
from core.formatting import fr_amount, fr_date  # noqa: E402
from core.notify import notify  # noqa: E402
from core.uploads import attach_generated  # noqa: E402
from core.urls import public_url  # noqa: E402
from models.armees import (APPLICATION_WORKFLOW, COMPLEMENT_REASONS, GRANTED, RECEIVED_FILES,  # noqa: E402
                           REFUSED, AidPayment, ComplementRequest, IllegalTransition, ReceivedDocument)
from models.base import utcnow  # noqa: E402

AGENT_DOCUMENT_LABELS = {"rib": "Relevé d’identité bancaire (RIB)", "attestation-honneur": "Attestation sur l’honneur",
                         "autre": "Autre document"}


def _agent_of(application, agent) -> bool:
    return (agent is not None and agent.role == "agent" and agent.organisation_id is not None
            and agent.organisation_id == application.organisation_id)


def can_ask_complement(application, agent) -> bool:
    """While the application can still receive documents (Prise en charge, Instruction en cours)."""
    return application.accepts_documents and _agent_of(application, agent)


def can_record_payment(application, agent) -> bool:
    """Payments are made for granted applications only."""
    return application.shows_payments and _agent_of(application, agent)


def start_instruction(application, agent, now=None):
    """« Commencer l’instruction »."""
    return APPLICATION_WORKFLOW.fire(application, "start_instruction", agent, now=now)


def ask_complement(application, agent, subject, documents, message=None, token=None, now=None):
    """« Demander un complément »: `documents` is [{"code", "label", "reason"}] (reason: a key of
    COMPLEMENT_REASONS). The ressortissant is mailed a « Demande de complément » link."""
    if not can_ask_complement(application, agent):
        raise IllegalTransition(APPLICATION_WORKFLOW.kind, "ask_complement", application.status)
    if not documents or any(d.get("reason") not in COMPLEMENT_REASONS for d in documents):
        raise ValueError("a complement request asks for documents, each with a known reason")
    now = now or utcnow()
    complement = ComplementRequest(application=application, agent_id=agent.id, subject=subject,
                                   documents=list(documents), message=message or None, created_at=now,
                                   submission_token=token)
    db.session.add(complement)
    db.session.flush()
    asked = " ; ".join(f"{d['label']} ({COMPLEMENT_REASONS[d['reason']]})" for d in documents)
    APPLICATION_WORKFLOW.append(application, agent, f"{subject} : {asked}", kind="complement", now=now)
    audit.record(agent, "armees_complement_requested", application, complement=complement.id,
                 documents=[d.get("code") for d in documents])
    member = application.user
    notify(member.email, "armees_complement", "Demande de complément", user=member,
           reference=application.reference, date=now,
           link=public_url("armees.complement", application_id=application.id, complement_id=complement.id),
           application=application, complement=complement, reasons=COMPLEMENT_REASONS)
    return complement


def record_payment(application, agent, paid_on, amount_cents, label, token=None, now=None):
    """« Enregistrer un paiement » on a granted application."""
    if not can_record_payment(application, agent):
        raise IllegalTransition(APPLICATION_WORKFLOW.kind, "record_payment", application.status)
    if amount_cents is None or amount_cents <= 0:
        raise ValueError("a payment has a positive amount")
    now = now or utcnow()
    payment = AidPayment(application=application, paid_on=paid_on, amount_cents=amount_cents, label=label or "",
                         recorded_by_id=agent.id, created_at=now, submission_token=token)
    db.session.add(payment)
    db.session.flush()
    APPLICATION_WORKFLOW.append(application, agent, f"{fr_amount(amount_cents, cents=True)} le {fr_date(paid_on)}"
                                f"{' – ' + label if label else ''}", kind="payment", now=now)
    audit.record(agent, "armees_payment_recorded", application, payment=payment.id, amount_cents=amount_cents)
    return payment


def decide(application, agent, decision, amount_cents=None, reason=None, now=None, hooks=True):
    """« Accorder » (with the amount granted) or « Refuser » (with the reason): the decision
    letter is made (PDF), kept for the ressortissant (« Mes documents reçus », the application's
    documents) and mailed to them attached. `hooks=False` (demo data): no mail."""
    from blueprints.armees.decision_letter import decision_letter, letter_filename, letter_title
    if decision not in (GRANTED, REFUSED):
        raise ValueError(f"unknown decision {decision!r}")
    if decision == GRANTED and (amount_cents is None or amount_cents <= 0):
        raise ValueError("a grant has a positive amount")
    if decision == REFUSED and not (reason or "").strip():
        raise ValueError("a refusal has a reason")
    now = now or utcnow()
    APPLICATION_WORKFLOW.fire(application, "grant" if decision == GRANTED else "refuse", agent, now=now,
                              text=reason if decision == REFUSED else fr_amount(amount_cents, cents=True),
                              hooks=hooks)
    application.granted_cents = amount_cents if decision == GRANTED else None
    application.decision_reason = (reason or "").strip() or None
    member = application.user
    pdf = decision_letter(application, agent, now)
    letter = attach_generated(pdf, letter_filename(application), owner=member, subject_type=RECEIVED_FILES.name,
                              subject_id=application.id, organisation_id=application.organisation_id,
                              document="decision")
    received = ReceivedDocument(user_id=member.id, application=application, attachment_id=letter.id,
                                title=f"{letter_title(application)} – {application.benefit_label}", created_at=now)
    db.session.add(received)
    if hooks:
        notify(member.email, "armees_decision", f"{letter_title(application)} – {application.benefit_label}",
               user=member, reference=application.reference, date=now, link=public_url("armees.received"),
               application=application, attachments=[letter])
    return received


# --- slice SPACE: « Mes informations », « Mon porte-documents », « Mes documents reçus » ----------

from typing import Any  # noqa: E402

from werkzeug.datastructures import FileStorage  # noqa: E402

from core.uploads import (MB, get_policy, link_copy, register_policy, remove_attachments,  # noqa: E402
                          storage_path, store_upload, stored_file_for)
from models import User  # noqa: E402
from models.armees import PORTE_DOCUMENT_KINDS, PORTE_DOCUMENTS, RessortissantProfile  # noqa: E402
from models.attachment import Attachment  # noqa: E402

# The keys of AidApplication.data["informations"] (recap.py), columns of RessortissantProfile.
INFORMATION_KEYS = ("residence", "birth_name", "phone", "mobile", "fax", "address_abroad", "address_line1",
                    "address_line2", "address_line3", "postcode", "insee", "city", "country", "in_couple",
                    "family_situation", "category", "rank", "employer", "employer_organisation")

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
