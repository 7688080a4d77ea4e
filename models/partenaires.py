"""Espace Partenaires (seed 002): organisations' settings, conventions, requests (ODS) and their numbers.

A request moves Nouveau → Pris en charge → Résolu; while Nouveau its technician's structure may
complete or cancel it. The lifecycle is declared once (`REQUEST_WORKFLOW`, core.workflow); the
request's methods go through it, which refuses an illegal move and keeps the dated history."""
import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from core.catalogues import load as load_catalogue
from core.formatting import PARIS, fold_text, fr_date
from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.attachment import attachment_subject
from models.base import UTCDateTime, utcnow

ENDING_SOON_DAYS = 30
GRACE_DAYS = 30
RECEIVED_FILES_DAYS = 15


def catalogue():
    return load_catalogue("partenaires")


def ods_catalogue(code):
    return next((o for o in catalogue()["ods"] if o["code"] == int(code)), None)


def paris_today(now=None):
    return (now or utcnow()).astimezone(PARIS).date()


def person_sort_key(last_name, first_name):
    """Last name, then first name: the space sorts before any letter, hyphen or apostrophe."""
    if not last_name and not first_name:
        return ""
    return f"{fold_text(last_name)} {fold_text(first_name)}"


__all__ = ["IllegalTransition"]  # raised by the transitions below (core.workflow's, re-exported)


class Status(str, enum.Enum):
    """Stored slugs of a request's states; `label` is the seed's wording."""
    NEW = "nouveau"
    TAKEN = "pris-en-charge"
    RESOLVED = "resolu"
    CANCELLED = "annulee"  # never shown in the history

    @property
    def label(self):
        return REQUEST_WORKFLOW.label(self.value)


OPEN_STATUSES = (Status.NEW.value, Status.TAKEN.value)
VISIBLE_STATUSES = (Status.NEW.value, Status.TAKEN.value, Status.RESOLVED.value)


class PartnerSettings(db.Model):
    """What an organisation offers on Espace Partenaires."""
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    ods_offered = db.Column(db.JSON, nullable=False, default=list)        # [1, 2, …]
    motives = db.Column(db.JSON, nullable=False, default=dict)            # {"2": ["Situation d'urgence", …]}
    documents = db.Column(db.JSON, nullable=False, default=list)          # ODS 5 documents offered
    max_active_technicians = db.Column(db.Integer, nullable=False, default=10)

    organisation = db.relationship("Organisation", backref=db.backref("partner_settings", uselist=False))

    @classmethod
    def with_everything(cls, organisation, max_active_technicians=10):
        """Settings offering every ODS, motive and document of the catalogue."""
        cat = catalogue()
        return cls(organisation=organisation, ods_offered=[o["code"] for o in cat["ods"]],
                   motives={str(o["code"]): list(o["motives"]) for o in cat["ods"] if "motives" in o},
                   documents=list(ods_catalogue(5)["documents"]), max_active_technicians=max_active_technicians)

    def offers(self, ods):
        return int(ods) in (self.ods_offered or [])

    def offered_ods(self):
        """Catalogue entries of the ODS offered, in catalogue order."""
        return [o for o in catalogue()["ods"] if self.offers(o["code"])]

    def motives_for(self, ods):
        """Motives offered for this ODS, in the catalogue's order (never one outside the catalogue)."""
        entry = ods_catalogue(ods)
        chosen = set((self.motives or {}).get(str(ods), []))
        return [m for m in (entry or {}).get("motives", []) if m in chosen]

    def documents_offered(self):
        chosen = set(self.documents or [])
        return [d for d in ods_catalogue(5)["documents"] if d in chosen]


class Situation(enum.Enum):
    FUTURE = "future"              # starts later: only "Se déconnecter"
    RUNNING = "running"            # everything
    ENDING = "ending"              # ends within 30 days: warning + "Continuer", everything
    ENDED_OPEN = "ended_open"      # ended, requests still open: history only
    ENDED_GRACE = "ended_grace"    # ended, all resolved: history only, 30 days after the last resolution
    CLOSED = "closed"              # no longer offered


@dataclass(frozen=True)
class ConventionState:
    situation: Situation
    message: str | None

    @property
    def offered(self):
        return self.situation is not Situation.CLOSED

    @property
    def flagged(self):
        """Marked with an asterisk in the organisation list (special situation)."""
        return self.situation not in (Situation.RUNNING, Situation.CLOSED)

    @property
    def can_enter(self):
        return self.situation not in (Situation.FUTURE, Situation.CLOSED)

    @property
    def can_create(self):
        return self.situation in (Situation.RUNNING, Situation.ENDING)

    @property
    def needs_confirmation(self):
        """Show the message with "Continuer" before going in."""
        return self.situation in (Situation.ENDING, Situation.ENDED_OPEN, Situation.ENDED_GRACE)


class Convention(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    structure_id = db.Column(db.Integer, db.ForeignKey("structure.id", ondelete="CASCADE"), nullable=False)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                                index=True)
    start_date = db.Column(db.Date, nullable=False)
    end_date = db.Column(db.Date)

    structure = db.relationship("Structure", backref="conventions")
    organisation = db.relationship("Organisation")

    __table_args__ = (db.UniqueConstraint("structure_id", "organisation_id", name="uq_convention_structure_org"),)

    def state(self, today=None):
        """The situation of the seed's section II for this structure and organisation."""
        return convention_state(self, today)


def convention_state(convention, today=None):
    """The situation of the seed's section II for this structure and organisation, for a
    Convention or a snapshot of one with the same attributes (blueprints.partenaires.context)."""
    today = today or paris_today()
    name = convention.organisation.name
    if convention.start_date > today:
        start = fr_date(convention.start_date)
        return ConventionState(Situation.FUTURE,
                               f"Le conventionnement avec l'organisme {name} débutera le {start}.")
    if convention.end_date is None or convention.end_date >= today:
        if convention.end_date is not None and (convention.end_date - today).days < ENDING_SOON_DAYS:
            return ConventionState(Situation.ENDING,
                                   f"Le conventionnement arrive à échéance le {fr_date(convention.end_date)} - "
                                   "Veuillez contacter l'organisme concerné.")
        return ConventionState(Situation.RUNNING, None)
    requests = PartnerRequest.query.filter_by(structure_id=convention.structure_id,
                                              organisation_id=convention.organisation_id)
    if requests.filter(PartnerRequest.status.in_(OPEN_STATUSES)).first() is not None:
        return ConventionState(Situation.ENDED_OPEN,
                               f"Le conventionnement s'est terminé le {fr_date(convention.end_date)} mais il reste "
                               "des demandes en cours de traitement.")
    last_resolved = requests.with_entities(func.max(PartnerRequest.resolved_at)).scalar()
    grace_from = paris_today(last_resolved) if last_resolved else convention.end_date
    if today <= grace_from + timedelta(days=GRACE_DAYS):
        return ConventionState(Situation.ENDED_GRACE,
                               f"Le conventionnement s'est terminé le {fr_date(convention.end_date)} . Vous disposez "
                               "d'un délai supplementaire pour consulter les réponses apportées à vos demandes.")
    return ConventionState(Situation.CLOSED, None)


class RequestSequence(db.Model):
    """Last number given per organisation and year (Europe/Paris)."""
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    year = db.Column(db.Integer, primary_key=True)
    last_value = db.Column(db.Integer, nullable=False)

    @classmethod
    def next_value(cls, organisation_id, year):
        """Atomic increment: one upsert statement, which locks the row on PostgreSQL; on SQLite the
        caller's transaction began IMMEDIATE (core.database.begin_immediate), so writers queue."""
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        stmt = upsert(cls).values(organisation_id=organisation_id, year=year, last_value=1)
        stmt = stmt.on_conflict_do_update(index_elements=["organisation_id", "year"],
                                          set_={"last_value": cls.last_value + 1}).returning(cls.last_value)
        return db.session.execute(stmt).scalar_one()


def format_number(year, organisation_code, sequence):
    """2233100011 = 11th request of 2022 to organisation 331."""
    return f"{year % 100:02d}{int(organisation_code):03d}{sequence:05d}"


class PartnerRequest(db.Model):
    """A request for an offer of service (ODS) filed by a technician for their structure."""
    __tablename__ = "partner_request"
    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(10), nullable=False, unique=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False)
    structure_id = db.Column(db.Integer, db.ForeignKey("structure.id"), nullable=False)
    requester_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, index=True)
    requester_name = db.Column(db.String(120), nullable=False)  # "NOM Prénom", kept for sorting
    # Folded copies of the names (see fold_text), kept up to date by _set_sort_keys: the history
    # sorts on them through an index instead of sorting every row on an expression.
    requester_sort_key = db.Column(db.String(120), nullable=False, default="", server_default="")
    person_sort_key = db.Column(db.String(52), nullable=False, default="", server_default="")
    ods = db.Column(db.Integer, nullable=False)
    motive = db.Column(db.String(120))
    rdv_modalities = db.Column(db.JSON, nullable=False, default=list)
    documents = db.Column(db.JSON, nullable=False, default=list)
    saisine = db.Column(db.JSON)  # extra blocks of "Saisine mission accompagnement santé"
    person_civility = db.Column(db.String(10))
    person_last_name = db.Column(db.String(30))
    person_first_name = db.Column(db.String(20))
    person_birth_date = db.Column(db.Date)
    person_birth_place = db.Column(db.String(30))
    person_phone = db.Column(db.String(14))
    comments = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default=Status.NEW.value)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    status_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    taken_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    resolved_at = db.Column(UTCDateTime)
    answer = db.Column(db.Text)
    cancel_motive = db.Column(db.String(120))
    # Random token of the form that filed it: a second "Valider" of the same form (double click,
    # reload of the POST) finds this request instead of filing another one.
    submission_token = db.Column(db.String(32), unique=True)

    organisation = db.relationship("Organisation")
    structure = db.relationship("Structure")
    requester = db.relationship("User", foreign_keys=[requester_id])

    __table_args__ = (
        # History: one structure's requests for one organisation, newest first (and by status).
        db.Index("ix_partner_request_history", "organisation_id", "structure_id", "created_at"),
        db.Index("ix_partner_request_history_status", "organisation_id", "structure_id", "status", "created_at"),
        db.Index("ix_partner_request_history_person", "organisation_id", "structure_id", "person_sort_key"),
        db.Index("ix_partner_request_history_requester", "organisation_id", "structure_id", "requester_sort_key"),
        # Agent queue: one organisation's requests by status, oldest first.
        db.Index("ix_partner_request_queue", "organisation_id", "status", "created_at"),
    )

    # --- Creation --------------------------------------------------------------------------

    @classmethod
    def submit(cls, organisation, requester, now=None, attachments=0, **fields):
        """Create the request with its number and first history entry, in the caller's
        transaction (which must have begun with core.database.begin_immediate on SQLite). The
        audit record names it (the row is flushed first)."""
        now = now or utcnow()
        year = now.astimezone(PARIS).year
        sequence = RequestSequence.next_value(organisation.id, year)
        request = cls(number=format_number(year, organisation.code, sequence), organisation=organisation,
                      structure_id=requester.structure_id, requester=requester,
                      requester_name=f"{requester.last_name.upper()} {requester.first_name}".strip(),
                      created_at=now, status_at=now, status=Status.NEW.value, **fields)
        REQUEST_WORKFLOW.start(request, requester, now, detail={
            "number": request.number, "ods": request.ods, "organisation_id": organisation.id,
            "attachments": attachments})
        return request

    # --- Who may do what ---------------------------------------------------------------------

    def is_visible_to_technician(self, user):
        return (user.is_authenticated and user.has_role("partner_technician", "partner_manager")
                and user.structure_id == self.structure_id and self.status != Status.CANCELLED.value)

    def can_complete(self, user):
        return self.status == Status.NEW.value and self.is_visible_to_technician(user)

    def can_cancel(self, user):
        return REQUEST_WORKFLOW.can(self, "cancel", user)

    def is_visible_to_agent(self, user):
        return (user.is_authenticated and user.has_role("agent") and user.organisation_id == self.organisation_id
                and self.status != Status.CANCELLED.value)

    def can_take_in_charge(self, user):
        return REQUEST_WORKFLOW.can(self, "take_in_charge", user)

    def can_resolve(self, user):
        return REQUEST_WORKFLOW.can(self, "resolve", user)

    # --- Transitions (through REQUEST_WORKFLOW) ------------------------------------------------

    def complete(self, user, comment, now=None, submission_token=None):
        """« Compléter la demande »: the comment becomes a dated entry of the request's history
        (the initial comment and the complements stay within the limit together)."""
        if not self.can_complete(user):
            raise IllegalTransition(REQUEST_WORKFLOW.kind, "complete", self.status, "user")
        comment = (comment or "").strip()
        if not comment:
            return None
        if len(comment) > self.comment_room():
            raise ValueError("comments too long")
        return REQUEST_WORKFLOW.append(self, user, comment, kind="complement", now=now,
                                       submission_token=submission_token)

    def files_added(self, user, now=None, submission_token=None):
        """« Compléter la demande » with files only: a dated entry without text (it holds the
        form's one-time token, and tells agents when the files came)."""
        if not self.can_complete(user):
            raise IllegalTransition(REQUEST_WORKFLOW.kind, "complete", self.status, "user")
        return REQUEST_WORKFLOW.append(self, user, None, kind="files", now=now, submission_token=submission_token)

    def complements(self):
        """The dated « Compléter la demande » entries, oldest first."""
        if self.id is None:
            return []
        return REQUEST_WORKFLOW.history(self, kinds=("complement",))

    def comment_room(self):
        """Characters a new complement may still have: the initial comment and the complements
        count together, each joined by a line break, as when they were one text."""
        used = len(self.comments or "") + sum(len(e.text or "") + 1 for e in self.complements())
        if not self.comments:
            used = max(used - 1, 0)
        return catalogue()["comments_max"] - used - (1 if used else 0)

    def cancel(self, user, motive, now=None, detail=None):
        return REQUEST_WORKFLOW.fire(self, "cancel", user, now=now, motive=motive, detail=detail)

    def take_in_charge(self, agent, now=None, detail=None):
        return REQUEST_WORKFLOW.fire(self, "take_in_charge", agent, now=now, detail=detail)

    def resolve(self, agent, answer, now=None, detail=None):
        return REQUEST_WORKFLOW.fire(self, "resolve", agent, now=now, answer=answer, detail=detail)

    @property
    def status_label(self):
        return REQUEST_WORKFLOW.label(self.status)

    def timeline(self):
        """(date, what, who) of the request's history, for agents."""
        return REQUEST_WORKFLOW.timeline(self) if self.id is not None else []

    # --- Display -------------------------------------------------------------------------------

    @property
    def ods_label(self):
        return ods_catalogue(self.ods)["label"]

    @property
    def person_display(self):
        if not self.person_last_name:
            return ""
        civility = {"Mme": "Madame", "M.": "Monsieur"}.get(self.person_civility, self.person_civility or "")
        return f"{civility} {self.person_last_name} {self.person_first_name}".strip()

    def received_files_expire_at(self):
        return self.resolved_at + timedelta(days=RECEIVED_FILES_DAYS) if self.resolved_at else None


def _known_motive(request, data):
    if data.get("motive") not in catalogue()["cancel_motives"]:
        raise ValueError("unknown cancellation motive")


def _set_motive(request, user, now, data):
    request.cancel_motive = data["motive"]


def _taken(request, agent, now, data):
    request.taken_by_id = agent.id


def _has_answer(request, data):
    if not (data.get("answer") or "").strip():
        raise ValueError("an answer is required")


def _resolved(request, agent, now, data):
    request.answer = data["answer"].strip()
    request.resolved_by_id = agent.id
    request.resolved_at = now


def _technician(request, user):
    return request.is_visible_to_technician(user)


def _agent(request, user):
    return request.is_visible_to_agent(user)


REQUEST_WORKFLOW = Workflow(
    "partner_request",
    states=[State(Status.NEW.value, "Nouveau"), State(Status.TAKEN.value, "Pris en charge"),
            State(Status.RESOLVED.value, "Résolu", final=True),
            State(Status.CANCELLED.value, "Annulée", listed=False, final=True)],
    transitions=[
        Transition("cancel", (Status.NEW.value,), Status.CANCELLED.value, allowed=_technician, guard=_known_motive,
                   effect=_set_motive, audit="partenaires.request_cancelled", label="Annuler la demande"),
        Transition("take_in_charge", (Status.NEW.value,), Status.TAKEN.value, allowed=_agent, effect=_taken,
                   audit="partner_request_taken", label="Prendre en charge"),
        Transition("resolve", (Status.TAKEN.value,), Status.RESOLVED.value, allowed=_agent, guard=_has_answer,
                   effect=_resolved, audit="partner_request_resolved", label="Résoudre"),
    ],
    initial=Status.NEW.value, created_audit="partenaires.request_submitted", created_label="Dépôt de la demande",
    entry_labels={"complement": "Demande complétée", "files": "Pièces jointes ajoutées"})


@db.event.listens_for(PartnerRequest, "before_insert")
@db.event.listens_for(PartnerRequest, "before_update")
def _set_sort_keys(mapper, connection, target):
    target.requester_sort_key = fold_text(target.requester_name)
    target.person_sort_key = person_sort_key(target.person_last_name, target.person_first_name)


# --- Counts kept for the history ---------------------------------------------------------------

class PartnerRequestCount(db.Model):
    """How many requests one structure has filed to one organisation, per status and ODS: the
    history's total (« N demandes ») adds up a few of these rows instead of counting the requests.

    Kept exact by `_keep_counts` below: every flush that inserts, deletes or changes the status (or
    organisation, structure, ODS) of a PartnerRequest applies its changes in the same transaction,
    one atomic upsert per key, so concurrent transitions never lose an increment. Rows written
    without the ORM (the benchmark's bulk data) need `flask partenaires recount`."""
    __tablename__ = "partner_request_count"
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True,
                                autoincrement=False)
    structure_id = db.Column(db.Integer, db.ForeignKey("structure.id", ondelete="CASCADE"), primary_key=True,
                             autoincrement=False)
    status = db.Column(db.String(20), primary_key=True)
    ods = db.Column(db.Integer, primary_key=True, autoincrement=False)
    n = db.Column(db.Integer, nullable=False, default=0)

    KEY = ("organisation_id", "structure_id", "status", "ods")

    @classmethod
    def history_total(cls, organisation_id, structure_id, status=None, ods=None):
        """Requests the structure's history shows for the organisation (every status but
        cancelled), optionally of one status and of one ODS: what COUNT(*) of
        blueprints.partenaires.history.structure_requests with these filters would answer."""
        query = select(func.coalesce(func.sum(cls.n), 0)).where(
            cls.organisation_id == organisation_id, cls.structure_id == structure_id,
            cls.status != Status.CANCELLED.value)
        if status:
            query = query.where(cls.status == status)
        if ods:
            query = query.where(cls.ods == int(ods))
        return int(db.session.execute(query).scalar_one())

    @classmethod
    def recount(cls):
        """Rebuild every count from the requests (one GROUP BY), in the caller's transaction, which
        it ends with a commit. Writers of requests wait meanwhile (SHARE lock on PostgreSQL, the
        write lock on SQLite). Returns (number of requests, number of keys)."""
        from core.database import begin_immediate
        begin_immediate()
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("LOCK TABLE partner_request IN SHARE MODE"))
        table, requests = cls.__table__, PartnerRequest.__table__
        keys = [requests.c[name] for name in cls.KEY]
        db.session.execute(delete(table))
        db.session.execute(insert(table).from_select([*cls.KEY, "n"],
                                                     select(*keys, func.count()).group_by(*keys)))
        counted = db.session.execute(select(func.coalesce(func.sum(table.c.n), 0), func.count())).one()
        db.session.commit()
        return int(counted[0]), int(counted[1])


def _upsert_count(connection, key, delta):
    """n += delta for the key, creating its row if needed: one statement, which locks the row on
    PostgreSQL until the transaction ends (a concurrent one waits, then adds to the new value)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = PartnerRequestCount.__table__
    stmt = upsert(table).values(**dict(zip(PartnerRequestCount.KEY, key)), n=delta)
    stmt = stmt.on_conflict_do_update(index_elements=list(PartnerRequestCount.KEY),
                                      set_={"n": table.c.n + stmt.excluded.n})
    connection.execute(stmt)


def _key(request, before=False):
    """The request's count key: its values now, or (before=True) as the database has them."""
    if not before:
        return tuple(getattr(request, name) for name in PartnerRequestCount.KEY)
    state = inspect(request)
    values = []
    for name in PartnerRequestCount.KEY:
        history = state.attrs[name].history
        values.append((history.deleted or history.unchanged or history.added)[0])
    return tuple(values)


def _key_changed(request):
    state = inspect(request)
    return any(state.attrs[name].history.has_changes() for name in PartnerRequestCount.KEY)


# Setting one of the key's attributes loads the value it replaces (if it was not loaded), so that
# the attribute's history always tells the key the database had.
for _name in PartnerRequestCount.KEY:
    event.listen(getattr(PartnerRequest, _name), "set", lambda target, value, old, initiator: None,
                 active_history=True)


@event.listens_for(Session, "before_flush")
def _load_deleted_keys(session, flush_context, instances):
    """A request about to be deleted: its key is loaded now, while its row still exists."""
    for obj in session.deleted:
        if isinstance(obj, PartnerRequest):
            _key(obj)


@event.listens_for(Session, "after_flush")
def _keep_counts(session, flush_context):
    """Apply the flush's changes of requests to partner_request_count, in the flush's transaction:
    the net change of each key, keys in a fixed order (two transactions never wait on each other
    in a cycle), one upsert each. Any session (Flask-SQLAlchemy's or a plain one) goes through it."""
    deltas = {}

    def add(key, n):
        deltas[key] = deltas.get(key, 0) + n

    for obj in session.new:
        if isinstance(obj, PartnerRequest):
            add(_key(obj), 1)
    for obj in session.deleted:
        if isinstance(obj, PartnerRequest):
            add(_key(obj, before=True), -1)
    for obj in session.dirty:
        if isinstance(obj, PartnerRequest) and obj not in session.deleted and _key_changed(obj):
            add(_key(obj, before=True), -1)
            add(_key(obj), 1)
    changes = [(key, n) for key, n in deltas.items() if n]
    if changes:
        connection = session.connection()
        for key, n in sorted(changes):
            _upsert_count(connection, key, n)


# Files a technician sends with a request (attach_to(request) names them after the model; the
# portal's first notes named them "partner_request"), and the files of the organisation's answer.
REQUEST_FILES = attachment_subject("PartnerRequest", "partner_request")
ANSWER_FILES = attachment_subject("partner_request_answer")
