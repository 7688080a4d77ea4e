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


# --- Slice FOLLOW: « Suivre mes demandes » (seed 000, part D) -------------------------------------
# Each operation below checks the model's predicate (the state allows it) and works in the caller's
# transaction, except those given a one-time submission token (core.submission.create_once), which
# commit: a form posted twice (double click, Back + resend) adds its files or creates its copy once.

from typing import TYPE_CHECKING, Any  # noqa: E402

from core import audit, drafts  # noqa: E402
from core.submission import create_once  # noqa: E402
from core.uploads import remove_attachments  # noqa: E402
from models import Attachment, Draft  # noqa: E402
from models.armees import (APPLICATION_FILES, APPLICATION_WORKFLOW, AidApplication,  # noqa: E402
                           ComplementRequest, IllegalTransition, application_draft_kind)
from models.case_event import CaseEvent  # noqa: E402

if TYPE_CHECKING:
    from core.uploads import AttachmentSet
    from models import User

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
