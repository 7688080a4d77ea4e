"""Agent queues (portal kit): what every agent side of a portal shares.

- `agent_organisation(portal)`: the organisation whose queue the current agent works (403 for
  anyone else, administrators included: they have no queue of their own).
- `CaseLoader(model, …)`: the one way an agent view loads a case, scoped to that organisation
  (anything else is a 404), optionally locked for an action; declared once per kind of case
  (`load_for_agent(...)` for a one-off).
- `Queue`: the filters of a list page, read from its GET form (unknown values are ignored, never
  an error), applied to a query, turned back into link arguments, and paginated with `paginate`.
- `fold_search(...)`: person-name search on a folded column, folding what was typed with the
  function that folded the stored key (core.formatting.fold_text), for technicians and agents.
- `prerendered(key, render)`: HTML that only code and static data decide (an unbound action
  form's fields with their choices), rendered once per app instead of at every page.
- `history_and_files(workflow, case, *subjects)`: what a case's page shows of its history and
  of its files, read as plain rows in one statement built once.
- `Unposted`: an action form not posted yet, whose fields the page shows prerendered.
- `DetailPage`: the answers to an action on a case: `done` (htmx: the block again with the
  confirmation; without JavaScript: flash, then 303 to the page) and `refused` (409, the block
  saying why).

templates/components/queue.html holds the matching macros (filter form, results, pagination)."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar

from flask import abort, current_app, flash, get_template_attribute, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, bindparam, literal_column, null, select, true, type_coerce, union_all
from sqlalchemy.orm import Query
from sqlalchemy.sql.elements import ColumnElement
from wtforms.fields.core import UnboundField

from core.database import begin_immediate, constant
from core.formatting import fold_text
from core.inputs import to_id
from core.replay import take as take_replay
from core.uploads import AttachmentSet
from core.templating import render, wants_fragment
from core.workflow import Actor, IllegalTransition, Workflow
from extensions import db
from sqlalchemy.exc import IntegrityError
from models import Attachment, Organisation, User
from models.attachment import AttachmentSubject
from models.case_event import CaseEvent

Case = TypeVar("Case")

# --- Organisation and loading -------------------------------------------------------------------


def agent_organisation(portal: str) -> Organisation:
    """The current agent's organisation when it runs `portal`; 403 for anyone else."""
    org = current_user.organisation if current_user.has_role("agent") else None
    if org is None or org.portal != portal:
        abort(403)
    return org


class CaseLoader:
    """How the agent views of one kind of case load it: the organisation's `model` row of an id,
    matching `extra_filters`; 404 otherwise. Declared once per kind (its statements are built
    once, not at every request) and called as `loader(object_id, org, for_update=False)`.

    `for_update` starts a writing transaction and locks the row (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: SELECT … FOR UPDATE), so that two agents acting at once cannot both move it.
    `options` (loader options, e.g. joinedload of what the page shows) apply to a read only: a
    locking read stays on the row alone (PostgreSQL refuses FOR UPDATE on an outer join's nullable side)."""

    def __init__(self, model: type[Case], extra_filters: Iterable[ColumnElement[bool]] = (),
                 options: Iterable[Any] = (), shown: Mapping[str, Any] | None = None,
                 joins: Iterable[tuple[Any, Any]] = (), shown_options: Iterable[Any] = ()) -> None:
        where = (model.id == bindparam("object_id"), model.organisation_id == bindparam("organisation_id"),
                 *extra_filters)
        self.read = select(model).where(*where).options(*options)
        self.locked = select(model).where(*where).with_for_update()
        # `shown`: name -> column of a related row that a page only shows (its table outer-joined
        # by `joins`, (target, on clause) pairs: None without such a row), read with the case by
        # `with_shown`: a plain value instead of a related object loaded (a joinedload costs ~100
        # Python calls per object), with `shown_options` (e.g. joinedload of a collection it shows).
        # Only for a read: a locking one stays on the row alone.
        self.read_shown = None
        if shown:
            statement = select(model, *(column.label(name) for name, column in shown.items()))
            for target, on in joins:
                statement = statement.outerjoin(target, on)
            self.read_shown = statement.where(*where).options(*shown_options)

    def __call__(self, object_id: int, org: Organisation, for_update: bool = False) -> Case:
        if for_update:
            begin_immediate()
        params = {"object_id": object_id, "organisation_id": org.id}
        case = db.session.scalars(self.locked if for_update else self.read, params).unique().one_or_none()
        if case is None:
            abort(404)
        return case

    def with_shown(self, object_id: int, org: Organisation) -> tuple[Case, Any]:
        """The case (a read, without `options`) and its `shown` values (a row, by name), in one
        statement; 404 otherwise."""
        params = {"object_id": object_id, "organisation_id": org.id}
        row = db.session.execute(self.read_shown, params).unique().one_or_none()
        if row is None:
            abort(404)
        return row[0], row


def load_for_agent(model: type[Case], object_id: int, org: Organisation, for_update: bool = False,
                   extra_filters: Iterable[ColumnElement[bool]] = (), options: Iterable[Any] = ()) -> Case:
    """A case loaded as a `CaseLoader(model, extra_filters, options)` would, for a view that loads
    that kind once in a while (its statement is built at the call)."""
    return CaseLoader(model, extra_filters, options)(object_id, org, for_update)


# --- Search -------------------------------------------------------------------------------------

_NAME_SEPARATORS = "-'’ "


def fold_search(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Every word of `text`, folded like the stored key (no case, no accent), anywhere in the
    folded `column` (« NOM Prénom »): « eloise » finds « Éloïse » and « ÉLOÏSE », in any order."""
    words = "".join(" " if ch in _NAME_SEPARATORS else ch for ch in fold_text(text)).split()
    if not words:
        return true()
    return and_(*(column.contains(word, autoescape=True) for word in words))


# --- Pagination ---------------------------------------------------------------------------------


class Page(NamedTuple):
    rows: list[Any]
    total: int
    pages: int
    page: int  # clamped to 1…pages: a page past the end shows the last one


def paginate(query: Query, page: int, per_page: int, order_by: Sequence[Any],
             options: Sequence[Any] = ()) -> Page:
    """One COUNT, then one page of rows in `order_by` (with loader `options`, kept out of the count)."""
    total = query.order_by(None).count()
    pages = max(math.ceil(total / per_page), 1)
    page = min(max(page, 1), pages)
    rows = (query.options(*options).order_by(*order_by)
            .offset((page - 1) * per_page).limit(per_page).all())
    return Page(rows, total, pages, page)


# --- Filters ------------------------------------------------------------------------------------

ALL_STATUSES = "Tous les statuts"


@dataclass(frozen=True)
class Choice:
    """A select filter: its value must be one of the choices given to `Queue.from_args`."""
    column: Any
    parse: Callable[[str | None], Any] = field(default=lambda raw: raw or None)


class Queue:
    """The filters of an agent list page, declared once per queue by a subclass:

    - `statuses`: status slug (query string) → stored value, None for « every status the queue
      shows » (`shown_statuses`, or no condition), in the order of the select; `workflow` gives
      the stored values' labels (without one, the stored value is the label);
    - `default_status`: the slug applied when none (or an unknown one) is asked for;
    - `choices`: query-string name → `Choice`, in the order of the form;
    - `page_sizes`: the first is the default (one size: no « par page » choice);
    - `search_max`: length kept of the `recherche` box (0: no search), matched by `search_filter`.

    Query-string names: `statut`, the choices', `recherche`, `par_page`, `page`."""
    statuses: ClassVar[Mapping[str, str | None]] = {}
    workflow: ClassVar[Workflow | None] = None
    default_status: ClassVar[str] = ""
    shown_statuses: ClassVar[Sequence[str]] = ()
    status_column: ClassVar[Any] = None
    choices: ClassVar[Mapping[str, Choice]] = {}
    page_sizes: ClassVar[Sequence[int]] = (10,)  # an htmx page stays within the 5 KB fragment budget
    search_max: ClassVar[int] = 0

    def __init__(self, status: str | None = None, chosen: Mapping[str, Any] | None = None, search: str = "",
                 page: int = 1, per_page: int | None = None) -> None:
        self.status = self.default_status if status is None else status
        self.chosen = {name: None for name in self.choices} | dict(chosen or {})
        self.search = search
        self.page = page
        self.per_page = per_page or self.page_sizes[0]
        self.pages = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], **allowed: Iterable[Any]) -> Queue:
        """The filters asked for in `args`, each choice among `allowed[name]`; anything unknown
        falls back to the default."""
        missing = set(cls.choices) - set(allowed)
        if missing:
            raise TypeError(f"{cls.__name__}.from_args needs the allowed values of {sorted(missing)}")
        status = args.get("statut", "")
        chosen = {}
        for name, choice in cls.choices.items():
            value = choice.parse(args.get(name))
            chosen[name] = value if value in allowed[name] else None
        per_page = to_id(args.get("par_page"))
        search = " ".join((args.get("recherche") or "").split())[:cls.search_max] if cls.search_max else ""
        return cls(status=status if status in cls.statuses else cls.default_status, chosen=chosen,
                   search=search, page=max(to_id(args.get("page")) or 1, 1),
                   per_page=per_page if per_page in cls.page_sizes else cls.page_sizes[0])

    def search_filter(self, text: str) -> ColumnElement[bool]:
        """The condition a search puts on the query (queues with a search box define it)."""
        raise NotImplementedError

    def apply(self, query: Query) -> Query:
        # Read on the class: a mapped column is a descriptor, which an instance would call.
        column = type(self).status_column
        stored = self.statuses.get(self.status)
        if stored is not None:
            query = query.filter(column == stored)
        elif self.shown_statuses:
            query = query.filter(column.in_(self.shown_statuses))
        for name, choice in self.choices.items():
            if self.chosen[name] is not None:
                query = query.filter(choice.column == self.chosen[name])
        if self.search:
            query = query.filter(self.search_filter(self.search))
        return query

    def paginate(self, query: Query, order_by: Sequence[Any], options: Sequence[Any] = ()) -> Page:
        """The filtered page of `query`; the filters keep the (clamped) page for the links."""
        result = paginate(self.apply(query), self.page, self.per_page, order_by, options)
        self.page, self.pages = result.page, result.pages
        return result

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link keeping these filters (defaults left out)."""
        values = {"statut": self.status if self.status != self.default_status else ""}
        values.update((name, "" if value is None else value) for name, value in self.chosen.items())
        values.update(recherche=self.search, par_page=self.per_page if self.per_page != self.page_sizes[0] else "",
                      page=self.page if self.page > 1 else "")
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        """Whether anything narrows the list beyond the default."""
        return (self.status != self.default_status or any(v is not None for v in self.chosen.values())
                or bool(self.search))

    @classmethod
    def label(cls, stored: str | None) -> str:
        """What the page shows for a stored status; « Tous les statuts » for None."""
        if stored is None:
            return ALL_STATUSES
        return cls.workflow.label(stored) if cls.workflow is not None else stored

    @property
    def status_label(self) -> str | None:
        """The label of the chosen status; None for every status."""
        stored = self.statuses.get(self.status)
        return None if stored is None else self.label(stored)

    def status_options(self) -> list[tuple[str, str]]:
        return [(slug, self.label(stored)) for slug, stored in self.statuses.items()]

    def page_size_options(self) -> list[tuple[int, int]]:
        return [(n, n) for n in self.page_sizes]


# --- What a case's page reads besides the case ----------------------------------------------------


class Entry(NamedTuple):
    """A line of a case's history as a page shows it (what `Workflow.timeline(case, events)` and
    components/case.html `complements` read of a CaseEvent)."""
    at: Any
    kind: str
    to_state: str | None
    text: str | None
    actor: Actor | None


class FileLink(NamedTuple):
    """An attachment as components/attachments.html `attachment_links` reads it."""
    id: int
    original_name: str
    size: int


def core_rows(statement: Any, params: Mapping[str, Any]) -> Any:
    """The rows of a Core `statement` (built once), on the session's connection: plain rows need
    none of the ORM's work on a result. What the session holds is flushed first, as its own
    `execute` would."""
    db.session.flush()
    return db.session.connection().execute(statement, params)


class FileRow(NamedTuple):
    """An attachment as a case's page lists it (what the templates read of an Attachment)."""
    id: int
    subject_type: str
    original_name: str
    size: int
    created_at: Any
    document: str | None


_HISTORY_AND_FILES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _history_and_files_statement(kind: str, names: tuple[str, ...]) -> Any:
    statement = _HISTORY_AND_FILES.get((kind, names))
    if statement is None:
        def nothing(column: Any) -> Any:  # NULL, typed like `column` for the rows of the other part
            return type_coerce(null(), column.type)
        entries = (
            select(literal_column("0", Integer).label("part"), CaseEvent.id, CaseEvent.at, CaseEvent.kind,
                   CaseEvent.to_state, CaseEvent.text, CaseEvent.actor_id, User.first_name, User.last_name,
                   nothing(Attachment.subject_type).label("subject_type"),
                   nothing(Attachment.original_name).label("original_name"),
                   nothing(Attachment.size).label("size"), nothing(Attachment.document).label("document"))
            .outerjoin(User, User.id == CaseEvent.actor_id)
            .where(CaseEvent.case_type == constant(kind), CaseEvent.case_id == bindparam("case_id")))
        files = (
            select(literal_column("1", Integer), Attachment.id, Attachment.created_at, null(), null(), null(),
                   null(), null(), null(), Attachment.subject_type, Attachment.original_name, Attachment.size,
                   Attachment.document)
            .where(Attachment.subject_type.in_([constant(name) for name in names]),
                   Attachment.subject_id == bindparam("case_id")))
        both = union_all(entries, files)
        columns = both.selected_columns
        statement = _HISTORY_AND_FILES[(kind, names)] = both.order_by(columns.part, columns.at, columns.id)
    return statement


def history_and_files(workflow: Workflow, case: Any,
                      *subjects: AttachmentSubject) -> tuple[list[Entry], list[FileRow]]:
    """The case's history (`workflow.history(case)`, oldest first, each line with its actor's
    names) and the files linked to the case's id under `subjects` (`models.attachment.files_of`,
    in the order they were added), as plain rows read in one statement, built once per kind of
    case and set of subjects: what a case's page shows, without ORM objects."""
    names = tuple(name for subject in subjects for name in subject.stored_names)
    entries: list[Entry] = []
    files: list[FileRow] = []
    for row in core_rows(_history_and_files_statement(workflow.kind, names), {"case_id": case.id}):
        if row[0] == 0:
            entries.append(Entry(row[2], row[3], row[4], row[5],
                                 Actor(row[7], row[8]) if row[6] is not None else None))
        else:
            files.append(FileRow(row[1], row[9], row[10], row[11], row[2], row[12]))
    return entries, files


class Unposted:
    """An action form not posted yet, where the page shows its fields prerendered (`prerendered`):
    what a template still reads of the form without building it (it is there, it has no errors,
    and `submission()`, its one-time token's hidden input, when it has one)."""
    errors: Mapping[str, Any] = {}

    def __init__(self, submission: Markup | None = None) -> None:
        self._submission = submission

    def submission(self) -> Markup | None:
        return self._submission

    def __contains__(self, name: str) -> bool:  # `"submission" in form`, as a form answers it
        return name == "submission" and self._submission is not None


def unposted_once(form_class: Callable[..., Any], **form_options: Any) -> Unposted:
    """`Unposted` for a form whose `submission` field is a one-time token (core.submission): its
    hidden input rendered once per app with a mark, the fresh token put in its place, as the
    field would render it."""
    from core.submission import new_token

    def render_input() -> str:
        form = form_class(formdata=None, **form_options)
        form.submission.data = VALUE_MARK
        return str(form.submission())

    html = prerendered(("unposted-submission", form_class.__module__, form_class.__qualname__,
                        tuple(sorted(form_options.items()))), render_input)
    if html.count(VALUE_MARK) != 1:  # never with a hidden field; the form itself otherwise
        return Unposted(form_class(formdata=None, **form_options).submission())
    return Unposted(_filled(html, str(escape(new_token()))))


# --- Pre-rendered parts of a case page ----------------------------------------------------------

PRERENDERED_MAX = 256


def prerendered(key: tuple[Any, ...], render: Callable[[], str]) -> Markup:
    """`render()`'s HTML, rendered once per app for `key`, which must name everything the HTML
    depends on (the form, the choices offered): only for HTML that no request, user or case
    changes, such as the fields of an action form not posted yet (its tokens rendered apart)."""
    store: dict[tuple[Any, ...], Markup] = current_app.extensions.setdefault("guichet_prerendered", {})
    html = store.get(key)
    if html is None:
        if len(store) >= PRERENDERED_MAX:
            store.clear()
        html = store[key] = Markup(render())
    return html


# A value's place in HTML rendered once: never typed (forms.base drops NUL from every text field).
VALUE_MARK = "\x00guichet-value\x00"


class MarkedSet:
    """An upload set as the attachment component reads it, with `mark` (VALUE_MARK unless given)
    for its signed token: for HTML rendered once, the token put in its place at each request."""

    def __init__(self, files: AttachmentSet, mark: str = VALUE_MARK) -> None:
        self._files = files
        self.signed_token = mark

    def __getattr__(self, name: str) -> Any:
        return getattr(self._files, name)


def _filled(html: str, value: str) -> Markup:
    before, _mark, after = str(html).partition(VALUE_MARK)  # plain str: Markup + str would escape again
    return Markup(before + value + after)


def pristine_text_and_files(form: Any, text: Any, files: AttachmentSet, files_label: str,
                            **textarea_options: Any) -> tuple[Markup | None, Markup | None]:
    """A counted text area (`text`, a field of `form`) and an empty attachment list, without an
    error: HTML that only code decides but for the text typed and the set's signed token. Each is
    rendered once per app (`prerendered`) by the macros a template calls otherwise
    (components/counter.html `counted_textarea(text, **textarea_options)`, components/attachments.html
    `attachment_list(files, label=files_label)`), and the two values are put in their place,
    escaped as the textarea widget and Jinja escape them. (None, None) when there are files,
    errors or messages: the template calls the macros then."""
    if text.errors or not files.is_pristine:
        return None, None

    def render_text() -> str:
        kept, text.data = text.data, VALUE_MARK
        try:
            return get_template_attribute("components/counter.html", "counted_textarea")(text, **textarea_options)
        finally:
            text.data = kept

    text_key = (type(form).__module__, type(form).__name__, text.id, text.name,
                tuple(sorted(vars(text.flags).items())), tuple(sorted(textarea_options.items())))
    text_html = prerendered(("pristine-text", *text_key), render_text)
    files_html = _pristine_files(files, files_label)
    if text_html.count(VALUE_MARK) != 1 or files_html.count(VALUE_MARK) != 1:
        return None, None
    return _filled(text_html, str(escape(text._value()))), _filled(files_html, str(escape(files.signed_token)))


def _pristine_files(files: AttachmentSet, files_label: str) -> Markup:
    """An empty attachment list as components/attachments.html `attachment_list` renders it, with
    VALUE_MARK for the set's signed token, rendered once per app."""
    return prerendered(
        ("pristine-files", files.name, files.policy.name, files.max_count, files.required, files_label,
         request.script_root),
        lambda: get_template_attribute("components/attachments.html", "attachment_list")(
            MarkedSet(files), label=files_label))


ANSWER_FILES_LABEL = "Pièces jointes de la réponse"  # as components/queue.html answer_with_files shows it


def pristine_answer(form: Any, text: Any, files: AttachmentSet) -> tuple[Markup | None, Markup | None]:
    """`pristine_text_and_files` for a case page's written answer (components/queue.html
    answer_with_files, its `pristine`)."""
    return pristine_text_and_files(form, text, files, ANSWER_FILES_LABEL, rows=8)


def unposted_answer(form_class: Callable[..., Any], field_name: str, files: AttachmentSet,
                    posted: Any = None) -> tuple[Any, tuple[Markup | None, Markup | None]]:
    """A case page's written answer not posted yet (`pristine_answer` of a fresh `form_class`),
    without building the form: (the form's stand-in, an `Unposted` with its one-time token's
    hidden input when it has a `submission` field, and the HTML of its text area, the same on
    every page, and of the empty attachment list, each rendered once per app). The form itself,
    and `pristine_answer`'s answer, when `files` is not an empty set; the `posted` form (shown
    again with what was typed) and its `pristine_answer`, when there is one."""
    if posted is not None or not files.is_pristine:
        form = posted if posted is not None else form_class(formdata=None)
        return form, pristine_answer(form, form[field_name], files)

    def render_text() -> str:
        form = form_class(formdata=None)
        return get_template_attribute("components/counter.html", "counted_textarea")(form[field_name], rows=8)

    text_html = prerendered(("unposted-text", form_class.__module__, form_class.__qualname__, field_name,
                             request.script_root), render_text)
    files_html = _pristine_files(files, ANSWER_FILES_LABEL)
    if files_html.count(VALUE_MARK) != 1:
        form = form_class(formdata=None)
        return form, pristine_answer(form, form[field_name], files)
    stand_in = unposted_once(form_class) if isinstance(getattr(form_class, "submission", None), UnboundField) \
        else Unposted()
    return stand_in, (text_html, _filled(files_html, str(escape(files.signed_token))))


# --- Answers to an action -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An answer typed with files on a case's page (« Résoudre », « Répondre »): its form, the
    upload policy of its files, who may give it, the service call that makes it
    (`make(case, user, text, files)`), the form field holding the text, and the confirmation."""
    form: Callable[[], Any]
    policy: str
    allowed: Callable[[Any, Any], bool]
    make: Callable[..., Any]
    field: str
    message: Callable[[Any], str]
    # The answer posted twice (a double click, a reload) is given once: `already(case, user, token)`
    # finds the one this form's one-time token (its `submission` field) gave; `make` then gets `token=`.
    already: Callable[[Any, Any, str], Any] | None = None
    # The endpoint of the answer's POST view, when it is `@keeps_input(shown_at=<the page>)`: an
    # answer posted on an expired session comes back on the page after the login (core.replay).
    endpoint: str | None = None


@dataclass(frozen=True)
class DetailPage:
    """A case's agent page: `template`, whose `block` an action swaps in place with htmx,
    `context(case)` its template context, and the page at `endpoint` with the case's id as `id_arg`."""
    template: str
    block: str
    context: Callable[[Any], dict[str, Any]]
    endpoint: str
    id_arg: str
    refusal: Callable[[Any], str] = lambda case: "Rien n’a été modifié."  # why an action was refused
    answer: Answer | None = None

    def show(self, case: Any, **extra: Any) -> ResponseReturnValue:
        """The whole page (a GET); with the answer posted on an expired session, if any. `extra`
        goes to `context` (e.g. what `CaseLoader.with_shown` read with the case)."""
        spec = self.answer
        if spec is not None and spec.endpoint and spec.allowed(case, current_user._get_current_object()):
            replay = take_replay(current_user, spec.endpoint)
            if replay is not None:
                form = spec.form(formdata=replay.form)
                files = AttachmentSet.from_request(spec.policy, token=replay.attachment_token)
                return render(self.template, **self.context(case, form, files, **extra))
        return render(self.template, **self.context(case, **extra))

    def done(self, case: Any, message: str) -> ResponseReturnValue:
        """After a successful action: the block in place with `message` (htmx), or the page again
        with `message` flashed (Post/Redirect/Get)."""
        if wants_fragment():
            return render(self.template, block=self.block, confirmation=message, **self.context(case))
        flash(message, "success")
        return redirect(url_for(self.endpoint, **{self.id_arg: case.id}), code=303)

    def refused(self, case: Any, message: str) -> ResponseReturnValue:
        """A forged or repeated action: nothing changed, and the block says why (409)."""
        return render(self.template, block=self.block, status=409, refusal=message, **self.context(case))

    def redisplay(self, case: Any, form: Any, files: Any, status: int = 200, **extra: Any) -> ResponseReturnValue:
        """The block again with what was typed and the files added (« Ajouter » / « Retirer »
        without JavaScript, or errors)."""
        return render(self.template, block=self.block, status=status, **extra, **self.context(case, form, files))

    def act(self, load_locked: Callable[[], Any], action: Callable[[Any], Any],
            message: Callable[[Any], str]) -> ResponseReturnValue:
        """A move of the case: loaded again locked, made (through its service), committed, then
        `done`; when the workflow refuses it (another agent was quicker), nothing changed: 409."""
        case = load_locked()
        try:
            action(case)
        except IllegalTransition:
            db.session.rollback()
            return self.refused(case, self.refusal(case))
        try:
            db.session.commit()
        except IntegrityError:
            # A one-time token stored a moment ago by the same form's twin: what it asked is done.
            db.session.rollback()
            case = load_locked()
            db.session.rollback()
        return self.done(case, message(case))

    def answer_with_files(self, load: Callable[[bool], Any]) -> ResponseReturnValue:
        """The page's `answer`, for the case `load(for_update)` gives. Refused before the files
        are touched (a refused action stores nothing); « Ajouter » / « Retirer » without
        JavaScript redisplay; errors answer 422 with everything kept; else `act`."""
        spec, case = self.answer, load(False)
        form = spec.form()
        token = form["submission"].data if spec.already is not None and "submission" in form else None
        if token and spec.already(case, current_user, token) is not None:
            return self.done(case, spec.message(case))
        if not spec.allowed(case, current_user):
            return self.refused(case, self.refusal(case))
        files = AttachmentSet.from_request(spec.policy)
        if files.is_update:
            return self.redisplay(case, form, files, has_errors=files.has_errors)
        files_ok = files.validate()
        if form.validate_on_submit() and files_ok:
            text = form[spec.field].data
            extra = {"token": token} if token else {}
            return self.act(lambda: load(True), lambda locked: spec.make(locked, current_user, text, files, **extra),
                            spec.message)
        return self.redisplay(case, form, files, status=422, has_errors=True)
