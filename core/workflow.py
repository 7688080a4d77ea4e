"""Case lifecycle, declared once per kind of case.

A `Workflow` lists the states of a kind of case (the slug stored in the case's state column and
the seed's label shown to users) and its transitions: from which states, to which state, who may
make it, a guard on the data given, what it writes on the case, the audit action it records, and
hooks run on entering (the portal's service module registers its notifications there). Every
move goes through `Workflow.fire`, which refuses an illegal one with `IllegalTransition` and
writes a dated `CaseEvent`; what is appended to a case without changing its state (a partner's
« Compléter la demande ») is a dated entry too (`Workflow.append`).

    REQUEST = Workflow("partner_request", states=[State("nouveau", "Nouveau"), …],
                       transitions=[Transition("take_in_charge", ("nouveau",), "pris-en-charge",
                                               allowed=lambda case, user: …, audit="partner_request_taken")])
    REQUEST.fire(request, "take_in_charge", agent)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select

from core import audit
from core.database import constant
from extensions import db
from models.base import utcnow
from models.case_event import CaseEvent
from models.user import User

Allowed = Callable[[Any, Any], bool]                       # (case, user) -> may they
Guard = Callable[[Any, dict[str, Any]], None]               # raises ValueError on bad data
Effect = Callable[[Any, Any, datetime, dict[str, Any]], None]  # (case, user, now, data) -> writes the case
Hook = Callable[[Any, CaseEvent, dict[str, Any]], None]      # (case, event, data) -> e.g. a notification


class IllegalTransition(Exception):
    """A move the case's state or the user's rights do not allow; nothing was changed."""

    def __init__(self, workflow: str, transition: str, state: str | None, reason: str = "state") -> None:
        super().__init__(f"{workflow}: {transition} refused from {state!r} ({reason})")
        self.workflow = workflow
        self.transition = transition
        self.state = state
        self.reason = reason  # "state": not from this state; "user": not by this user; "unknown"


@dataclass(frozen=True)
class State:
    slug: str               # stored in the case's state column
    label: str              # the seed's wording, shown to users
    listed: bool = True     # shown in lists and histories (a cancelled partner request is not)
    final: bool = False     # no transition leaves it


def anyone(case: Any, user: Any) -> bool:
    return True


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    allowed: Allowed = anyone
    guard: Guard | None = None
    effect: Effect | None = None
    audit: str | None = None   # audit action recorded with the move (None: none)
    label: str = ""            # the seed's wording of the action (a button)


class Actor(NamedTuple):
    """Who made an entry of a timeline: what a history shows of them."""
    first_name: str | None
    last_name: str | None


@dataclass
class Workflow:
    kind: str                                  # CaseEvent.case_type
    states: list[State]
    transitions: list[Transition]
    initial: str
    state_attr: str = "status"
    changed_attr: str | None = "status_at"     # the case's « Date statut », when it has one
    created_audit: str | None = None           # audit action of `start`
    created_label: str = "Création"            # the first line of `timeline`
    entry_labels: dict[str, str] = field(default_factory=dict)  # kind of appended entry -> label
    _hooks: dict[str, list[Hook]] = field(default_factory=dict, repr=False)
    _statements: dict[bool | str, Select] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_slug = {s.slug: s for s in self.states}
        self.by_name = {t.name: t for t in self.transitions}
        if self.initial not in self.by_slug:
            raise ValueError(f"{self.kind}: unknown initial state {self.initial!r}")
        for t in self.transitions:
            unknown = [s for s in (*t.sources, t.target) if s not in self.by_slug]
            if unknown:
                raise ValueError(f"{self.kind}.{t.name}: unknown states {unknown}")
            if any(self.by_slug[s].final for s in t.sources):
                raise ValueError(f"{self.kind}.{t.name}: leaves a final state")

    # --- States ----------------------------------------------------------------------------------

    def label(self, slug: str | None) -> str:
        state = self.by_slug.get(slug or "")
        return state.label if state is not None else ""

    def state_of(self, case: Any) -> State:
        return self.by_slug[getattr(case, self.state_attr)]

    def listed_slugs(self) -> tuple[str, ...]:
        return tuple(s.slug for s in self.states if s.listed)

    # --- Transitions -----------------------------------------------------------------------------

    def on_enter(self, transition: str, hook: Hook) -> Hook:
        """Run `hook(case, event, data)` after `transition` is made (in the same transaction)."""
        if transition not in self.by_name:
            raise ValueError(f"{self.kind}: unknown transition {transition!r}")
        self._hooks.setdefault(transition, []).append(hook)
        return hook

    def can(self, case: Any, transition: str, user: Any) -> bool:
        t = self.by_name.get(transition)
        return (t is not None and getattr(case, self.state_attr) in t.sources
                and bool(user is not None and t.allowed(case, user)))

    def available(self, case: Any, user: Any) -> list[Transition]:
        return [t for t in self.transitions if self.can(case, t.name, user)]

    def start(self, case: Any, user: Any, now: datetime | None = None,
              detail: dict[str, Any] | None = None) -> CaseEvent:
        """Put a new case in its initial state and write its first history entry (the case is
        flushed for its id, so the entry and the audit record name it)."""
        now = now or utcnow()
        setattr(case, self.state_attr, self.initial)
        if self.changed_attr:
            setattr(case, self.changed_attr, now)
        if case.id is None:
            db.session.add(case)
            db.session.flush()
        event = self._event(case, user, now, kind="created", to_state=self.initial)
        if self.created_audit:
            audit.record(user, self.created_audit, case, **(detail or {}))
        return event

    def fire(self, case: Any, transition: str, user: Any, now: datetime | None = None,
             text: str | None = None, detail: dict[str, Any] | None = None, hooks: bool = True,
             **data: Any) -> CaseEvent:
        """Make the move or raise IllegalTransition (or ValueError from a guard) with nothing changed.
        `data` goes to the guard, the effect and the hooks; `detail` to the audit record; `text`
        to the history entry. `hooks=False` (seeding demo data) sends no notification."""
        t = self.by_name.get(transition)
        current = getattr(case, self.state_attr)
        if t is None:
            raise IllegalTransition(self.kind, transition, current, "unknown")
        if current not in t.sources:
            raise IllegalTransition(self.kind, transition, current, "state")
        if user is None or not t.allowed(case, user):
            raise IllegalTransition(self.kind, transition, current, "user")
        if t.guard is not None:
            t.guard(case, data)
        now = now or utcnow()
        if t.effect is not None:
            t.effect(case, user, now, data)
        setattr(case, self.state_attr, t.target)
        if self.changed_attr:
            setattr(case, self.changed_attr, now)
        event = self._event(case, user, now, kind="transition", transition=t.name, from_state=current,
                            to_state=t.target, text=text)
        if t.audit:
            audit.record(user, t.audit, case, **(detail or {}))
        for hook in self._hooks.get(t.name, ()) if hooks else ():
            hook(case, event, data)
        return event

    def append(self, case: Any, user: Any, text: str | None, kind: str = "note", now: datetime | None = None,
               submission_token: str | None = None) -> CaseEvent:
        """A dated entry added to the case without changing its state (a comment, a complement).
        `submission_token`: the one-time token of the form that added it (core.submission)."""
        return self._event(case, user, now or utcnow(), kind=kind, text=text,
                           to_state=getattr(case, self.state_attr), submission_token=submission_token)

    def appended_with(self, token: str, user: Any, kind: str | None = None) -> CaseEvent | None:
        """The entry of this kind of case that `user` appended with the form of `token`, if any:
        the `mine` of core.submission.create_once (with `CaseEvent` as its model), so that the same
        form posted again finds its entry instead of adding another."""
        query = CaseEvent.query.filter_by(case_type=self.kind, submission_token=token,
                                          actor_id=getattr(user, "id", None))
        if kind is not None:
            query = query.filter_by(kind=kind)
        return query.first()

    # --- History ---------------------------------------------------------------------------------

    def history(self, case: Any, kinds: Iterable[str] | None = None) -> list[CaseEvent]:
        """The case's entries, oldest first (of these `kinds` only, if given)."""
        params: dict[str, Any] = {"case_id": case.id}
        if kinds is not None:
            params["kinds"] = tuple(kinds)
        return list(db.session.scalars(self._history_statement(kinds is not None), params))

    def _history_statement(self, of_kinds: bool) -> Select:
        """The history's read, built once per workflow (it runs on every page of a case)."""
        statement = self._statements.get(of_kinds)
        if statement is None:
            statement = (select(CaseEvent)
                         .where(CaseEvent.case_type == constant(self.kind), CaseEvent.case_id == bindparam("case_id"))
                         .order_by(CaseEvent.at, CaseEvent.id))
            if of_kinds:
                statement = statement.where(CaseEvent.kind.in_(bindparam("kinds", expanding=True)))
            self._statements[of_kinds] = statement
        return statement

    def timeline(self, case: Any, events: list[CaseEvent] | None = None) -> list[tuple[datetime, str, Any]]:
        """(date, what, who) of every entry, oldest first, for a history shown to agents: the
        creation, each state entered (its label) and each appended entry (`entry_labels`); `who`
        (None when nobody) has the actor's `first_name` and `last_name`.
        `events`: the case's `history(case)` when the page already read it for something else;
        otherwise the lines and their actors' names are read in one statement built once."""
        if events is None:
            rows = db.session.execute(self._timeline_statement(), {"case_id": case.id})
            entries = [(row.at, row.kind, row.to_state,
                        Actor(row.first_name, row.last_name) if row.actor_id is not None else None) for row in rows]
        else:
            entries = [(event.at, event.kind, event.to_state, event.actor) for event in events]
        lines = []
        for at, kind, to_state, who in entries:
            if kind == "created":
                what = self.created_label
            elif kind == "transition":
                what = self.label(to_state)
            else:
                what = self.entry_labels.get(kind, kind)
            lines.append((at, what, who))
        return lines

    def _timeline_statement(self) -> Select:
        statement = self._statements.get("timeline")
        if statement is None:
            statement = self._statements["timeline"] = (
                select(CaseEvent.at, CaseEvent.kind, CaseEvent.to_state, CaseEvent.actor_id, User.first_name,
                       User.last_name)
                .outerjoin(User, User.id == CaseEvent.actor_id)
                .where(CaseEvent.case_type == constant(self.kind), CaseEvent.case_id == bindparam("case_id"))
                .order_by(CaseEvent.at, CaseEvent.id))
        return statement

    def _event(self, case: Any, user: Any, now: datetime, **values: Any) -> CaseEvent:
        if case.id is None:  # a new case added to the session: its id names the entry
            db.session.flush()
        actor_id = getattr(user, "id", None) if getattr(user, "is_authenticated", True) else None
        event = CaseEvent(case_type=self.kind, case_id=case.id, at=now, actor_id=actor_id, **values)
        db.session.add(event)
        return event

