"""Transaction helpers."""
from extensions import db


def begin_immediate() -> None:
    """Start the session's next transaction as a writer.

    On SQLite the transaction takes the write lock at BEGIN (BEGIN IMMEDIATE), so that a
    read-then-write sequence such as allocating a request number never fails on a lock upgrade;
    on PostgreSQL this is a plain BEGIN (row locks do the job). Ends the current transaction."""
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})
