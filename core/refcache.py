"""Reference data kept in memory between requests: organisations, structures, conventions and
partner settings, which every page of a portal shows and which change a few times a year.

Freshness has two bounds:
- **at once** after a change made through the app: the transaction that changes one of the
  watched tables also bumps the `reference` counter (models.DataVersion), and every logged-in
  request reads that counter in its session query (core.sessions), on whichever server it runs;
  an entry cached under another version is reloaded;
- **at most MAX_AGE** otherwise (a change made outside the ORM, by hand in SQL): an entry is
  reloaded when older than that, whatever the counter says.

Entries are immutable snapshots (never ORM objects): they can't be attached to a session, expired
or lazily loaded by a later request. One store per app (tests create many apps in one process)."""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Integer, String, column, event, table
from sqlalchemy.orm import Session

REFERENCE = "reference"
MAX_AGE = 60.0  # seconds
MAX_ENTRIES = 4096

T = TypeVar("T")

_version_table = table("data_version", column("name", String), column("version", Integer))
_watched: tuple[type, ...] = ()


def init_app(app: Flask) -> None:
    app.extensions["guichet_refcache"] = {}
    from models import Convention, Organisation, PartnerSettings, Structure
    watch(Organisation, Structure, Convention, PartnerSettings)


def watch(*models: type) -> None:
    """Changes to these models (insert, update, delete through the ORM) bump the reference version."""
    global _watched
    _watched = tuple(dict.fromkeys((*_watched, *models)))


def reference_version() -> int:
    """The counter read with the login session in this request (read now when it wasn't)."""
    version = g.get("reference_version")
    if version is None:
        from extensions import db
        version = db.session.execute(
            _version_table.select().with_only_columns(_version_table.c.version)
            .where(_version_table.c.name == REFERENCE)).scalar() or 0
        g.reference_version = version
    return version


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s value for `key`, from memory when it was loaded under the current reference
    version less than MAX_AGE ago."""
    store: dict[Hashable, tuple[int, float, Any]] = current_app.extensions["guichet_refcache"]
    version = reference_version()
    now = time.monotonic()
    entry = store.get(key)
    if entry is not None and entry[0] == version and entry[1] > now:
        return entry[2]
    value = load()
    if len(store) >= MAX_ENTRIES:
        store.clear()
    store[key] = (version, now + MAX_AGE, value)
    return value


def _bump_statement(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(_version_table).values(name=REFERENCE, version=1)
    return stmt.on_conflict_do_update(index_elements=["name"],
                                      set_={"version": _version_table.c.version + 1})


@event.listens_for(Session, "after_flush")
def _bump_on_change(session: Session, flush_context: Any) -> None:
    if not _watched:
        return
    changed = any(isinstance(obj, _watched) for obj in session.new) or any(
        isinstance(obj, _watched) for obj in session.deleted) or any(
        isinstance(obj, _watched) and session.is_modified(obj, include_collections=False)
        for obj in session.dirty)
    if changed:
        connection = session.connection()
        connection.execute(_bump_statement(connection.dialect.name))
        g_bump()


def g_bump() -> None:
    """This request's own later reads see its change (a page rendered after the commit)."""
    from flask import has_app_context
    if has_app_context():
        g.pop("reference_version", None)
