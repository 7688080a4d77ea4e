"""Operations of the Apgis Espace Assuré (slice DIT) that change state: each checks what the model
and the workflow refuse, writes, and leaves the commit to the view (or to core.submission's
create_once for what a form creates once). Mails go through core.notify from here.

- `create_request`: a DIT (a change of personal data, a card request, a document transmitted),
  with its supporting files, once per submission token; nothing of the insured's data changes.
- `validate_request` / `refuse_request`: the manager's « Valider » (the workflow applies the
  change) or « Refuser » (with its reason); both mail the insured.
- `ask_question` / `answer_question`: « Vous avez une question » and the manager's answer
  (mailed from the no-reply sender, shown in « Suivi »).
- `set_payment_alert`: the operation switched directly."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, literal_column, null, select, type_coerce, union_all
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.formatting import fold_text
from core.notify import notify
from core.queue import FileLink
from core.submission import create_once
from core.uploads import MB, register_policy
from core.urls import public_url
from extensions import db
from models.apgis import (KIND_CARD, KIND_DOCUMENT, KIND_EMAIL, NOTIFICATION_LABELS, PENDING, REQUEST_FILES,
                          REQUEST_KIND_LABELS, REQUEST_WORKFLOW, VALIDATED, ApgisBeneficiary, ApgisInsured,
                          ApgisQuestion, ApgisRequest, IllegalTransition, next_reference)
from models.attachment import Attachment
from models.base import utcnow

if TYPE_CHECKING:
    from core.uploads import AttachmentSet

# The supporting documents of a DIT: pdf, jpg, png, 5 Mo each, like the other portals.
POLICY = "apgis_dit"
register_policy(POLICY, max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))


# The user's own file, by the user's id, when the session's query has not brought it (see
# core.sessions: it comes with the user): built once, executed with the id bound.
INSURED = select(ApgisInsured).where(ApgisInsured.user_id == bindparam("user_id"))

_beneficiary, _request = ApgisBeneficiary.__table__.c, ApgisRequest.__table__.c


def _nothing(column):
    """NULL in the place of `column` in the other branch of FILE_ROWS, typed like it (the result's
    types are the first branch's: its dates, JSON and UTC times come back converted)."""
    return type_coerce(null(), column.type).label(column.name)


# What the pages that show the notifications or the beneficiaries read of the file besides, in one
# statement (Core rows, read only): its beneficiaries (school certificates, the children's names)
# by birth date (`tag` "b"), then its DITs awaiting a manager, newest first (`tag` "r"): the
# orders of ApgisInsured.beneficiaries and ApgisInsured.pending_requests. Built once, executed with
# the file's id bound. `rank` keeps beneficiaries born the same day in id order and DITs of the
# same time newest id first.
_DIT_COLUMNS = (_request.reference, _request.kind, _request.payload, _request.document_nature,
                _request.notification, _request.created_at)
_BENEFICIARY_COLUMNS = (_beneficiary.relation, _beneficiary.first_name, _beneficiary.last_name,
                        _beneficiary.birth_date, _beneficiary.school_certificate_until)
FILE_ROWS = union_all(
    select(literal_column("'b'").label("tag"), _beneficiary.id, _beneficiary.id.label("rank"), *_BENEFICIARY_COLUMNS,
           *map(_nothing, _DIT_COLUMNS))
    .where(_beneficiary.insured_id == bindparam("insured_id")),
    select(literal_column("'r'"), _request.id, -_request.id, *(null() for _ in _BENEFICIARY_COLUMNS), *_DIT_COLUMNS)
    .where(_request.insured_id == bindparam("insured_id"), _request.status == PENDING),
).order_by(literal_column("tag"), literal_column("birth_date"), literal_column("created_at").desc(),
           literal_column("rank"))


class InsuredFile(NamedTuple):
    """What file_rows reads: the beneficiaries and the pending DITs, read only (BeneficiaryRow and
    PendingRow, or Core rows of FILE_ROWS with the same names)."""
    beneficiaries: list[Any]
    pending: list[Any]


class BeneficiaryRow(NamedTuple):
    """A beneficiary as the pages show it (the order of models.apgis.BENEFICIARY_ROWS)."""
    id: int
    relation: str
    first_name: str
    last_name: str
    birth_date: date
    school_certificate_until: date | None


class PendingRow(NamedTuple):
    """A DIT awaiting a manager as the pages show it (the order of models.apgis.PENDING_ROWS)."""
    id: int
    reference: str
    kind: str
    payload: Any
    document_nature: str | None
    notification: str | None
    created_at: datetime


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _moment(value: str) -> datetime:
    """A time as JSON gives it: SQLite's stored UTC text, or PostgreSQL's with its offset."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _from_json(beneficiaries: list[list[Any]], pending: list[list[Any]]) -> InsuredFile:
    """The JSON rows of the session's query (in no given order) as FILE_ROWS gives them: typed,
    in the same orders."""
    people = sorted((BeneficiaryRow(i, relation, first, last, _day(born), _day(until))
                     for i, relation, first, last, born, until in beneficiaries),
                    key=lambda b: (b.birth_date, b.id))
    dits = sorted((PendingRow(i, reference, kind, json.loads(payload) if isinstance(payload, str) else payload,
                              nature, notification, _moment(created))
                   for i, reference, kind, payload, nature, notification, created in pending),
                  key=lambda d: (d.created_at, d.id), reverse=True)
    return InsuredFile(people, dits)


def file_rows(insured: ApgisInsured) -> InsuredFile:
    """The insured's beneficiaries and DITs awaiting a manager: from the session's query when it
    brought them (core.sessions.SESSION_READS, models.apgis.BENEFICIARY_ROWS and PENDING_ROWS:
    no statement), else in one statement (FILE_ROWS)."""
    loaded = insured.__dict__
    beneficiaries, pending = loaded.get("beneficiary_rows"), loaded.get("pending_rows")
    if beneficiaries is not None and pending is not None:
        return _from_json(beneficiaries, pending)
    people: list[Any] = []
    dits: list[Any] = []
    for row in db.session.execute(FILE_ROWS, {"insured_id": insured.id}):
        (people if row.tag == "b" else dits).append(row)
    return InsuredFile(people, dits)


def insured_of(user: Any) -> ApgisInsured | None:
    """The user's own Apgis file (None: a citizen without one): the one the session's query loaded,
    else queried."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    user = user._get_current_object() if hasattr(user, "_get_current_object") else user
    state = sa_inspect(user, raiseerr=False)
    if state is not None and "apgis_insured" in state.dict:  # loaded with the session's user
        return state.dict["apgis_insured"]
    insured = db.session.execute(INSURED, {"user_id": user.id}).scalar_one_or_none()
    if state is not None and state.session is not None:
        # The layout's menu asks `current_user.apgis_insured`: this row, not a second query.
        set_committed_value(user, "apgis_insured", insured)
    return insured


def pending_request(insured: ApgisInsured, kind: str, nature: str | None = None) -> ApgisRequest | None:
    """The insured's DIT of `kind` (and document nature) still awaiting a manager, if any."""
    query = ApgisRequest.query.filter_by(insured_id=insured.id, kind=kind, status=PENDING)
    if nature is not None:
        query = query.filter_by(document_nature=nature)
    return query.order_by(ApgisRequest.created_at.desc(), ApgisRequest.id.desc()).first()


def pending_by_kind(insured: ApgisInsured, kinds: tuple[str, ...],
                    pending: list[Any] | None = None) -> dict[str, Any]:
    """`pending_request(insured, kind)` for each of `kinds`, in one query: the newest pending DIT
    of each kind, or None. `pending`: the insured's pending DITs, newest first, when the page
    loaded them (file_rows): then no query."""
    found: dict[str, ApgisRequest | None] = dict.fromkeys(kinds)
    for dit in pending if pending is not None else pending_requests(insured):
        if dit.kind in found and found[dit.kind] is None:
            found[dit.kind] = dit
    return found


# The insured's DITs awaiting a manager, newest first (ORM objects).
PENDING_REQUESTS = (select(ApgisRequest)
                    .where(ApgisRequest.insured_id == bindparam("insured_id"), ApgisRequest.status == PENDING)
                    .order_by(ApgisRequest.created_at.desc(), ApgisRequest.id.desc()))


def pending_requests(insured: ApgisInsured) -> list[ApgisRequest]:
    """The insured's DITs awaiting a manager, newest first (the pages read file_rows instead)."""
    return db.session.execute(PENDING_REQUESTS, {"insured_id": insured.id}).scalars().all()


def mask_iban(iban: str | None) -> str:
    """« FR76 **** **** **** **** ***0 189 »: the country, the key and the last four characters."""
    if not iban:
        return "—"
    hidden = iban[:4] + "*" * (len(iban) - 8) + iban[-4:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))


def search_key(reference: str, user: Any) -> str:
    return fold_text(f"{reference} {user.last_name or ''} {user.first_name or ''} {user.email}")


def create_request(insured: ApgisInsured, user: Any, kind: str, payload: dict[str, Any], token: str,
                   files: AttachmentSet | None = None, document_nature: str | None = None,
                   notification: str | None = None, now=None) -> ApgisRequest:
    """A new DIT « En attente de validation » with its files, committed once per `token` (a second
    post of the same form returns the first DIT; another user's token: SubmissionReplayed)."""
    if kind not in REQUEST_KIND_LABELS:
        raise ValueError(f"unknown DIT kind {kind!r}")
    if notification not in NOTIFICATION_LABELS:
        notification = None

    def create() -> ApgisRequest:
        moment = now or utcnow()
        reference = next_reference("DIT", moment)
        request = ApgisRequest(reference=reference, user_id=user.id, insured_id=insured.id,
                               organisation_id=insured.organisation_id, kind=kind, payload=payload,
                               document_nature=document_nature if kind == KIND_DOCUMENT else None,
                               notification=notification, created_at=moment, submission_token=token,
                               search_key=search_key(reference, user))
        REQUEST_WORKFLOW.start(request, user, now=moment)
        if files is not None:
            files.attach_to(request, subject_type=REQUEST_FILES.name, subject_id=request.id,
                            organisation_id=insured.organisation_id)
        return request

    return create_once(token, ApgisRequest,
                       lambda: ApgisRequest.query.filter_by(submission_token=token, user_id=user.id).first(),
                       create, lambda found: found)


def children_of(request: ApgisRequest, insured: ApgisInsured | None = None) -> dict[int, Any]:
    """The beneficiaries by id that the DIT's payload may name (`payload_rows` shows the child of a
    school certificate): read only for a document naming one (`insured`: the file, when the page
    has it; else the DIT's), else none (a page of any other DIT reads no beneficiary)."""
    if request.kind != KIND_DOCUMENT or not (request.payload or {}).get("beneficiary_id"):
        return {}
    return {b.id: b for b in (insured if insured is not None else request.insured).beneficiaries}


# A DIT's supporting documents as its pages list them (components/attachments.html
# attachment_links: id, name, size), in the order they were added: Core rows, the statement of
# models.attachment.files_of for these columns only, built once.
_attachment = Attachment.__table__.c
REQUEST_FILE_ROWS = (select(_attachment.id, _attachment.original_name, _attachment.size)
                     .where(_attachment.subject_type.in_(REQUEST_FILES.stored_names),
                            _attachment.subject_id == bindparam("subject_id"))
                     .order_by(_attachment.created_at, _attachment.id))


def request_files(request: ApgisRequest) -> list[Any]:
    """The DIT's supporting documents (id, original_name, size), in the order they were added: from
    the query that loaded the DIT when it brought them (ApgisRequest.with_files: no statement), else
    REQUEST_FILE_ROWS."""
    rows = request.__dict__.get("attachment_rows")
    if rows is not None:
        return [FileLink(i, name, size) for i, name, size, _added in
                sorted(rows, key=lambda row: (_moment(row[3]), row[0]))]
    return db.session.execute(REQUEST_FILE_ROWS, {"subject_id": request.id}).all()


def _mail_outcome(request: ApgisRequest, now) -> None:
    member = request.user
    subject = "Votre demande a été validée" if request.status == VALIDATED else "Votre demande a été refusée"
    notify(member.email, "apgis_dit_outcome", f"Apgis – {subject}", user=member, reference=request.reference,
           date=now, link=public_url("apgis.request_detail", request_id=request.id), request=request)


def validate_request(request: ApgisRequest, manager: Any, now=None) -> None:
    """« Valider »: the change is applied (ApgisRequest.apply through the workflow); mailed. A new
    email taken by another account since the request cannot be applied: IllegalTransition."""
    now = now or utcnow()
    if request.kind == KIND_EMAIL and email_taken(request):
        raise IllegalTransition(REQUEST_WORKFLOW.kind, "validate", request.status, "email")
    REQUEST_WORKFLOW.fire(request, "validate", manager, now=now)
    request.refusal_reason = None
    _mail_outcome(request, now)


def refuse_request(request: ApgisRequest, manager: Any, reason: str, now=None) -> None:
    """« Refuser » with its reason (required): nothing of the insured's data changes; mailed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a refusal has a reason")
    now = now or utcnow()
    REQUEST_WORKFLOW.fire(request, "refuse", manager, now=now, text=reason, reason=reason)
    _mail_outcome(request, now)


def email_taken(request: ApgisRequest) -> bool:
    """Whether the new email a DIT asks for is already another account's."""
    from models import User
    email = (request.payload or {}).get("email")
    return User.query.filter(User.email == email, User.id != request.user_id).first() is not None


def card_request_allowed(insured: ApgisInsured) -> bool:
    """One card request pending at a time."""
    return pending_request(insured, KIND_CARD) is None


def ask_question(insured: ApgisInsured, user: Any, theme: str, text: str, token: str, now=None) -> ApgisQuestion:
    def create() -> ApgisQuestion:
        moment = now or utcnow()
        reference = next_reference("QST", moment)
        question = ApgisQuestion(reference=reference, user_id=user.id, organisation_id=insured.organisation_id,
                                 theme=theme, text=text, created_at=moment, submission_token=token,
                                 search_key=search_key(reference, user))
        db.session.add(question)
        db.session.flush()
        audit.record(user, "apgis_question_asked", question)
        return question

    return create_once(token, ApgisQuestion,
                       lambda: ApgisQuestion.query.filter_by(submission_token=token, user_id=user.id).first(),
                       create, lambda found: found)


def answer_question(question: ApgisQuestion, manager: Any, text: str, now=None) -> None:
    """The manager's answer, mailed to the insured from the no-reply sender (MAIL_DEFAULT_SENDER)."""
    text = (text or "").strip()
    if not text:
        raise ValueError("an answer has a text")
    now = now or utcnow()
    question.answer_with(text, manager, now)
    audit.record(manager, "apgis_question_answered", question)
    member = question.user
    notify(member.email, "apgis_question_answer", "Apgis – Réponse à votre question", user=member,
           reference=question.reference, date=now, link=public_url("apgis.question_detail", question_id=question.id),
           question=question)


def set_payment_alert(insured: ApgisInsured, user: Any, on: bool) -> None:
    insured.payment_alert = on
    insured.updated_at = utcnow()
    audit.record(user, "apgis_payment_alert_on" if on else "apgis_payment_alert_off", insured)


__all__ = ["IllegalTransition"]
