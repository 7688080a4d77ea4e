"""Transaction and statement helpers."""
import re
from typing import Any

from sqlalchemy import String, literal_column

from extensions import db


def begin_immediate() -> None:
    """Start the session's next transaction as a writer.

    On SQLite the transaction takes the write lock at BEGIN (BEGIN IMMEDIATE), so that a
    read-then-write sequence such as allocating a request number never fails on a lock upgrade;
    on PostgreSQL this is a plain BEGIN (row locks do the job). Ends the current transaction."""
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def constant(value: str) -> Any:
    """A name from the code (a workflow's kind, an attachment subject) written in the statement
    itself rather than bound: SQLAlchemy's compiled cache then tells apart the statements of two
    kinds of case (otherwise the same SQL), and the result of each needs no adapting to the other's
    columns at every execution."""
    if not _NAME.fullmatch(value):
        raise ValueError(f"not a plain name: {value!r}")
    return literal_column(f"'{value}'", String)
