"""One-time submission tokens: a final « Envoyer » / « Valider » posted twice (a double click, Back
then « Renvoyer le formulaire », a retry after a timeout) creates one thing, not two.

Each form that creates something carries a random token; what it created stores the token under
a unique constraint. A second post with the same token finds what the first one created (and the
view redirects to it); a token that already created something for another user is a replayed or
forged form, refused with SubmissionReplayed. Views catch it to show the form again with what was
typed; one that does not gets the 409 page of `init_app` (never a 500)."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy.exc import IntegrityError

from core.database import begin_immediate
from extensions import db

T = TypeVar("T")

_TOKEN = re.compile(r"[0-9a-f]{32}")


class SubmissionReplayed(Exception):
    """The form's submission token already created another user's object: nothing is created."""


def new_token() -> str:
    return secrets.token_hex(16)


def is_token(value: object) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def token_or_new(value: object) -> str:
    """The posted token when it has the right shape, else a fresh one (a form without a valid
    token is still accepted, once)."""
    return value if is_token(value) else new_token()  # type: ignore[return-value]


def create_once(token: str, model: Any, mine: Callable[[], Any], create: Callable[[], T],
                found: Callable[[Any], T]) -> T:
    """Create what a final submission creates, once per token, and commit.

    `mine()` finds what this user already created with the token (the second post of a double
    click: `found(it)` is returned, nothing is created); a token already stored on another
    user's `model` row raises SubmissionReplayed; else `create()` runs in a writing transaction
    (BEGIN IMMEDIATE on SQLite) and is committed. Two posts committing at once on PostgreSQL: the
    unique constraint stops the second, which then finds the first."""
    begin_immediate()
    existing = mine()
    if existing is not None:
        db.session.rollback()
        return found(existing)
    if db.session.query(model.id).filter_by(submission_token=token).first() is not None:
        db.session.rollback()
        raise SubmissionReplayed(token)
    result = create()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = mine()
        if existing is None:
            raise SubmissionReplayed(token) from None
        return found(existing)
    return result


def init_app(app: Flask) -> None:
    @app.errorhandler(SubmissionReplayed)
    def replayed(error: SubmissionReplayed):  # a safety net: views show their form again instead
        from core.templating import render_error
        db.session.rollback()
        return render_error(409)
