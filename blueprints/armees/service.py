"""Operations of the Portail Des Aides that change state: each loads nothing itself, checks what
the model and the workflow refuse, writes, and leaves the commit to the view. Notifications go
through core.notify from here (or from workflow hooks registered here)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import FileStorage

from core import audit, drafts
from core.formatting import fr_amount, fr_date
from core.notify import notify
from core.submission import create_once
from core.uploads import (MB, attach_generated, delete_file, get_policy, link_copy, read_stored, register_policy,
                          remove_attachments, store_upload, stored_file_for)
from core.urls import public_url
from extensions import db
from models import Draft, Organisation, User
from models.armees import (APPLICATION_FILES, APPLICATION_WORKFLOW, COMPLEMENT_REASONS, GRANTED, PORTAL,
                           PORTE_DOCUMENT_KINDS, PORTE_DOCUMENTS, RECEIVED_FILES, REFUSED, AidApplication, AidPayment,
                           ComplementRequest, IllegalTransition, ReceivedDocument, RessortissantProfile,
                           application_draft_kind)
from models.attachment import Attachment
from models.base import utcnow
from models.case_event import CaseEvent

if TYPE_CHECKING:
    from core.uploads import AttachmentSet

# The keys of AidApplication.data["informations"] (recap.py), columns of RessortissantProfile.
INFORMATION_KEYS = ("residence", "birth_name", "phone", "mobile", "fax", "address_abroad", "address_line1",
                    "address_line2", "address_line3", "postcode", "insee", "city", "country", "in_couple",
                    "family_situation", "category", "rank", "employer", "employer_organisation")


def operator() -> Organisation | None:
    """The organisation that instructs the applications (Igesa): the first one of the portal."""
    return (db.session.query(Organisation).filter_by(portal=PORTAL)
            .order_by(Organisation.id).first())


# --- Slice AGENT: what the Igesa agents do to an application ------------------------------------
# Each operation refuses with IllegalTransition what the state or the agent does not allow
# (nothing written); the view commits.

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
    keep_bank_details(application)
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


# --- Slice WIZARD: the application wizard (blueprints/armees/apply.py) --------------------------

def profile_locked(user) -> bool:
    """Whether « Vos informations » is prefilled and read-only: an application was transmitted."""
    profile = RessortissantProfile.query.filter_by(user_id=user.id).one_or_none()
    return profile is not None and profile.first_transmitted_at is not None


def stored_bank(user) -> dict | None:
    """The bank details of the user's last processed application (kept on the profile when it was
    decided), as BankDetailsForm.initial's arguments; None when there are none."""
    profile = RessortissantProfile.query.filter_by(user_id=user.id).one_or_none()
    if profile is None or not profile.iban:
        return None
    return {"abroad": bool(profile.bank_abroad), "holder": profile.account_holder, "iban": profile.iban,
            "bic": profile.bic}


def keep_bank_details(application) -> None:
    """An application processed (« Instruction terminée »): its bank details become the profile's
    (« Comptes du tiers »), prefilled read-only in the next applications' « Votre dossier »."""
    bank = (application.data or {}).get("bank") or {}
    if not bank.get("iban"):
        return
    profile = RessortissantProfile.of(application.user)
    profile.bank_abroad = bool(bank.get("abroad"))
    profile.account_holder = (bank.get("holder") or "")[:80] or None
    profile.iban = bank["iban"][:34]
    profile.bic = (bank.get("bic") or "")[:11] or None


def start_application(user, benefit, steps: dict, passed: list[str]):
    """The application « En cours de création », once the eligibility step is passed: created for
    the operator (Igesa), its draft prefilled with what was typed so far, the eligibility draft
    dropped. The caller commits."""
    from blueprints.armees.apply import eligibility_kind
    organisation = operator()
    if organisation is None:
        raise LookupError("no operator organisation for the armees portal")
    application = AidApplication(user_id=user.id, organisation_id=organisation.id, benefit_code=benefit.code,
                                 benefit_label=benefit.label, data={})
    APPLICATION_WORKFLOW.start(application, user)
    prefill_draft(application, steps, passed=passed)
    drafts.discard(user, eligibility_kind(benefit.code))
    return application


def prefill_draft(application, steps: dict, passed=None, step: str = "informations"):
    """Store raw step values (`{step slug: {field: [values]}}`, as `AidApplication.data["steps"]`
    keeps them) as the wizard's draft of `application` (its owner's), resumed at `step`. Used when
    the eligibility step creates the application and by the duplication of an application
    (FOLLOW: `prefill_draft(new, old.data.get("steps") or {})`): the « Préambule » and « Critères
    d'éligibilité » steps count as passed (the application exists), the others are to be checked
    again with « Suivant »; the « Récapitulatif » (sworn statement, submission token) is never
    copied, nor are files (they belong to the application they were sent with). No commit."""
    from blueprints.armees import catalogue
    from blueprints.armees.apply import PRE_STEPS, application_wizard
    benefit = catalogue.get(application.benefit_code, include_unpublished=True)
    db.session.flush()
    wizard = application_wizard(application, benefit)
    kept = {slug: raw for slug, raw in (steps or {}).items() if slug != "recapitulatif"}
    return wizard.prefill(application.user, kept, passed=list(PRE_STEPS if passed is None else passed), step=step)


def load_draft(user, application):
    return drafts.load(user, application_draft_kind(application.id))


def drop_draft(user, application_id: int) -> None:
    drafts.discard(user, application_draft_kind(application_id))


def informations_of(page) -> dict:
    """« Vos informations » as AidApplication.data["informations"] keeps them (recap.py): the
    profile's once it is fixed, else what the step holds (forms/armees_informations.py values())."""
    if profile_locked(page.user):
        return profile_informations(RessortissantProfile.query.filter_by(user_id=page.user.id).one())
    form = page.form_of("informations")
    if form is None or not hasattr(form, "values"):
        return {}
    try:
        return form.values()
    except (AttributeError, KeyError, TypeError, ValueError):  # a draft that does not validate yet
        return {}


def collect(page, benefit) -> dict:
    """What the wizard holds, in the shape of AidApplication.data (blueprints/armees/recap.py)."""
    from forms.armees_apply import FIELD_PREFIX, raw_value
    answers = page.data_of("criteres")
    form = page.form_of("dossier")
    dossier, tables = {}, {}
    for spec in benefit.fields:
        field = form[FIELD_PREFIX + spec.name] if form is not None and FIELD_PREFIX + spec.name in form else None
        if field is None:
            continue
        if spec.type == "table":
            tables[spec.name] = list(field.data or [])
        elif not field.errors:
            dossier[spec.name] = raw_value(spec, field)
        elif spec.type in ("text", "textarea", "select"):
            dossier[spec.name] = field.data  # the draft's recap: what was typed
    return {"steps": {k: v for k, v in page.stored.items()},
            "eligibility": {q.name: answers.get(q.name) for q in benefit.eligibility},
            "informations": informations_of(page),
            "dossier": dossier,
            "tables": tables,
            "bank": form.bank_data() if form is not None and hasattr(form, "bank_data") else {},
            "sworn": bool(page.data_of("recapitulatif").get("sworn"))}


def draft_files(page, benefit) -> list:
    """(Attachment, document code) of every file of the draft."""
    result = []
    documents = page.files_of("dossier")
    if documents is not None:
        result += [(a, a.document) for a in documents.items]
    sworn = page.files_of("recapitulatif")
    if benefit.is_loan and sworn is not None:
        result += [(a, "attestation-honneur") for a in sworn.items]
    return result


def draft_documents(page, benefit) -> list[tuple[str, str]]:
    return [(_document_label(benefit, code), a.original_name) for a, code in draft_files(page, benefit)]


def _document_label(benefit, code: str | None) -> str:
    if code == "attestation-honneur":
        return "Attestation sur l’honneur"
    if code == "rib":
        return "Relevé d’identité bancaire (RIB)"
    spec = benefit.document(code or "")
    return spec.label if spec else (code or "Document")


def identity_rows(user) -> list[tuple[str, str]]:
    civility = {"Mme": "Madame", "M.": "Monsieur"}.get(user.civility or "", user.civility or "—")
    return [("Civilité", civility), ("Nom", user.last_name), ("Prénom", user.first_name), ("Courriel", user.email)]


def recap_sections(benefit, data: dict, documents: list[tuple[str, str]], user=None) -> list:
    from blueprints.armees import recap
    sections = recap.sections(benefit, data, documents=documents)
    if user is not None:
        sections.insert(1, ("Votre identité", identity_rows(user)))
    return sections


def recap_pdf(application, benefit, data: dict, documents: list[tuple[str, str]], user) -> bytes:
    """The recap of an application as a PDF (core.pdf): the draft's (step 5) or the final one."""
    from core.formatting import fr_datetime
    from core.pdf import render_document
    if application.reference:
        intro = (f"Demande n° {application.reference} transmise le {fr_datetime(application.transmitted_at)}. "
                 f"État : {application.status_label}.")
    else:
        intro = "Récapitulatif provisoire : cette demande n’a pas encore été transmise."
    sections = [(None, [intro]), *recap_sections(benefit, data, documents, user=user)]
    if data.get("sworn"):
        sections.append(("Attestation sur l’honneur",
                         ["Je certifie sur l’honneur l’exactitude des renseignements fournis."]))
    organisation = application.organisation.name if application.organisation else None
    return render_document(f"Récapitulatif de la demande – {benefit.label}", sections, organisation=organisation)


RECAP_DOCUMENT = "recapitulatif"


def final_recap_pdf(application, benefit) -> bytes:
    """The final recap kept when the application was transmitted (regenerated if it is gone)."""
    kept = (Attachment.query.filter_by(subject_type=APPLICATION_FILES.name, subject_id=application.id,
                                       document=RECAP_DOCUMENT).order_by(Attachment.id.desc()).first())
    if kept is not None:
        try:
            return read_stored(kept.storage_name)
        except FileNotFoundError:
            pass
    return recap_pdf(application, benefit, application.data or {}, _transmitted_documents(application, benefit),
                     application.user)


def _transmitted_documents(application, benefit) -> list[tuple[str, str]]:
    files = (Attachment.query.filter_by(subject_type=APPLICATION_FILES.name, subject_id=application.id)
             .filter(Attachment.document != RECAP_DOCUMENT).order_by(Attachment.id).all())
    return [(_document_label(benefit, a.document), a.original_name) for a in files]


def sworn_statement_pdf(application, benefit, user) -> bytes:
    """« Attestation sur l'honneur » of a loan, to print, sign and send back (step 5, « ici »)."""
    from core.pdf import GuichetPDF
    pdf = GuichetPDF("Attestation sur l’honneur", application.organisation.name if application.organisation else None)
    pdf.paragraph(f"Prêt demandé : {benefit.label}")
    pdf.paragraph(f"Je soussigné(e) {user.first_name} {user.last_name}, emprunteur, et le co-emprunteur éventuel "
                  "désigné ci-dessous, certifions sur l’honneur l’exactitude des renseignements fournis à l’appui de "
                  "la présente demande de prêt et nous engageons à rembourser le prêt selon l’échéancier qui nous "
                  "sera notifié.")
    for role in ("L’emprunteur", "Le co-emprunteur (le cas échéant)"):
        pdf.heading(role)
        pdf.paragraph("Nom et prénom :")
        pdf.paragraph("Fait à :                                   le :")
        pdf.paragraph("Signature :")
        pdf.rect(pdf.get_x(), pdf.get_y(), 80, 25)
        pdf.ln(30)
    return pdf.to_bytes()


def transmit(application, user, benefit, page, token: str) -> None:
    """« Transmettre » (in the caller's transaction, which commits): the data copied into the
    application (recap.py contract), the draft's files linked to it with their document code, the
    reference given, « transmit » fired, the proof of ressortissant status copied into the
    porte-documents, the personal data written to the profile, the draft dropped, and one mail
    with the recap PDF attached."""
    now = utcnow()
    data = collect(page, benefit)
    data["sworn"] = True
    files = draft_files(page, benefit)
    application.data = data
    application.submission_token = token
    for attachment, code in files:
        attachment.subject_type = APPLICATION_FILES.name
        attachment.subject_id = application.id
        attachment.organisation_id = application.organisation_id
        attachment.upload_set = None
        attachment.document = code
    application.give_reference(now)
    APPLICATION_WORKFLOW.fire(application, "transmit", user, now=now)
    # The proof of ressortissant status, kept in « Mon porte-documents » (once: SPACE's helper).
    for attachment, code in files:
        spec = benefit.document(code)
        if spec is not None and spec.porte_documents:
            keep_in_porte_documents(user, attachment, code)
    # « Mes informations »: the personal data given, fixed from now on.
    profile = RessortissantProfile.of(user)
    if profile.first_transmitted_at is None:
        for key, value in (data.get("informations") or {}).items():
            if hasattr(RessortissantProfile, key) and value is not None:
                setattr(profile, key, value)
        profile.first_transmitted_at = now
        profile.updated_at = now
    page.finish()
    documents = [(_document_label(benefit, code), a.original_name) for a, code in files]
    pdf = recap_pdf(application, benefit, data, documents, user)
    recap_file = attach_generated(pdf, f"recapitulatif-{application.reference}.pdf",
                                  subject_type=APPLICATION_FILES.name, subject_id=application.id,
                                  organisation_id=application.organisation_id, owner=user, document=RECAP_DOCUMENT)
    notify(user.email, "armees_demande_transmise", f"Votre demande {application.reference} a bien été transmise",
           user=user, reference=application.reference, date=now,
           link=public_url("armees.application", application_id=application.id),
           attachments=[recap_file], benefit=benefit)


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
        delete_file(received.storage_name)
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


# --- Slice FOLLOW: « Suivre mes demandes » (seed 000, part D) -------------------------------------
# Each operation below checks the model's predicate (the state allows it) and works in the caller's
# transaction, except those given a one-time submission token (core.submission.create_once), which
# commit: a form posted twice (double click, Back + resend) adds its files or creates its copy once.

COMPLEMENTARY_DOCUMENT = "complementaire"          # Attachment.document of « Ajouter un document complémentaire »
RECAP_STEP = "recapitulatif"                        # the wizard's last step (attestation): never duplicated


def complement_document(complement: ComplementRequest) -> str:
    """Attachment.document of the files answering a complement request."""
    return f"complement-{complement.id}"


def delete_application(application: AidApplication, user: User) -> list[str]:
    """Delete a draft (« En cours de création » only), its wizard draft, its files and its history.
    Returns the storage names to give core.uploads.delete_stored once committed."""
    if not application.can_be_deleted:
        raise IllegalTransition(APPLICATION_WORKFLOW.kind, "delete", application.status)
    kind = application_draft_kind(application.id)
    draft = Draft.query.filter_by(owner_id=user.id, kind=kind).first()
    files = Attachment.query.filter(Attachment.subject_type.in_(APPLICATION_FILES.stored_names),
                                    Attachment.subject_id == application.id).all()
    if draft is not None and draft.attachment_token:
        files += Attachment.query.filter_by(owner_id=user.id, upload_set=draft.attachment_token,
                                            subject_id=None).all()
    drafts.discard(user, kind)
    # Its ids may be given again (SQLite): nothing of it may show on a later application.
    CaseEvent.query.filter_by(case_type=APPLICATION_WORKFLOW.kind, case_id=application.id).delete(
        synchronize_session=False)
    audit.record(user, "armees_application_deleted", application, benefit=application.benefit_code)
    names = remove_attachments(files)
    application.delete_draft()
    return names


def _file_names(files: AttachmentSet) -> str:
    return ", ".join(a.original_name for a in files.items)


def add_documents(application: AidApplication, user: User, files: AttachmentSet, token: str) -> CaseEvent:
    """« Ajouter un document complémentaire » (Prise en charge, Instruction en cours): the files
    join the application's, with a dated entry in its history. Commits; once per token."""
    def create() -> CaseEvent:
        if not application.accepts_documents:
            raise IllegalTransition(APPLICATION_WORKFLOW.kind, "add_document", application.status)
        for attachment in files.attach_to(subject_type=APPLICATION_FILES.name, subject_id=application.id,
                                          organisation_id=application.organisation_id):
            attachment.document = COMPLEMENTARY_DOCUMENT
        audit.record(user, "armees_documents_added", application, files=len(files.items))
        return APPLICATION_WORKFLOW.append(application, user, _file_names(files), kind="document",
                                          submission_token=token)

    return create_once(token, CaseEvent, lambda: APPLICATION_WORKFLOW.appended_with(token, user, "document"),
                       create, lambda found: found)


def answer_complement(complement: ComplementRequest, user: User, files: AttachmentSet, token: str) -> CaseEvent:
    """« Répondre » → « Valider »: the request becomes « Envoyé » (dated), the files join the
    application's, a dated entry is added to its history. Commits; once per token. A request
    already answered (by another form) raises IllegalTransition."""
    application = complement.application

    def create() -> CaseEvent:
        db.session.refresh(complement, with_for_update=True)
        complement.mark_sent()
        for attachment in files.attach_to(subject_type=APPLICATION_FILES.name, subject_id=application.id,
                                          organisation_id=application.organisation_id):
            attachment.document = complement_document(complement)
        audit.record(user, "armees_complement_answered", application, complement=complement.id,
                     files=len(files.items))
        return APPLICATION_WORKFLOW.append(application, user, f"{complement.subject} : {_file_names(files)}",
                                          kind="complement_answer", now=complement.answered_at,
                                          submission_token=token)

    return create_once(token, CaseEvent,
                       lambda: APPLICATION_WORKFLOW.appended_with(token, user, "complement_answer"),
                       create, lambda found: found)


# Steps passed before the application exists: a duplicate resumes at « Vos informations », where
# every copied step is checked again with « Suivant » (as the WIZARD slice's prefill_draft does).
DUPLICATE_PASSED = ("preambule", "criteres")
DUPLICATE_RESUMES_AT = "informations"


def duplicate_steps(data: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """What a duplicate's wizard draft starts with: the first application's raw step values
    (`{slug: {field: [values]}}`), minus the recap and its sworn statement (to be given again);
    files are not copied (they belong to the application they were sent with)."""
    steps = data.get("steps") if isinstance(data.get("steps"), dict) else {}
    return {slug: {name: [v for v in values if isinstance(v, str)]
                   for name, values in raw.items() if isinstance(name, str) and isinstance(values, list)}
            for slug, raw in steps.items() if slug != RECAP_STEP and isinstance(raw, dict)}


def duplicate(application: AidApplication, user: User, token: str) -> AidApplication | None:
    """« Dupliquer » (Instruction en cours or terminée): a new application « En cours de création »
    of the same benefit, its wizard draft prefilled with the first one's data. Commits; once per
    token (the token is kept on the new application's first history entry)."""
    def create() -> AidApplication:
        if not application.can_be_duplicated:
            raise IllegalTransition(APPLICATION_WORKFLOW.kind, "duplicate", application.status)
        copy = AidApplication(user_id=user.id, organisation_id=application.organisation_id,
                              benefit_code=application.benefit_code, benefit_label=application.benefit_label,
                              duplicated_from_id=application.id, data={})
        event = APPLICATION_WORKFLOW.start(copy, user, detail={"duplicated_from": application.id})
        event.submission_token = token
        return copy

    def found(event: CaseEvent) -> AidApplication:
        return db.session.get(AidApplication, event.case_id)

    copy = create_once(token, CaseEvent, lambda: APPLICATION_WORKFLOW.appended_with(token, user, "created"),
                       create, found)
    if copy is None:  # the copy this form made was deleted since
        return None
    kind = application_draft_kind(copy.id)
    if drafts.load(user, kind) is None:
        drafts.save(user, kind, {"steps": duplicate_steps(application.data or {}), "passed": list(DUPLICATE_PASSED)},
                    step=DUPLICATE_RESUMES_AT)
    return copy
