"""One-time submission tokens: a final « Envoyer » / « Valider » posted twice (a double click, Back
then « Renvoyer le formulaire », a retry after a timeout) creates one thing, not two.

Each form that creates something carries a random token; what it created stores the token under
a unique constraint. A second post with the same token finds what the first one created (and the
view redirects to it); a token that already created something for another user is a replayed or
forged form, refused with SubmissionReplayed."""
from __future__ import annotations

import re
import secrets

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
