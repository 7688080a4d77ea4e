"""Nothing typed is lost when a session expires.

A form posted on an expired session (the cookie still names the expired row, so the server knows
whose it was: core.sessions.expired_session) is answered by the portal's login page, with a notice
and `next` = the page of the form. For a view marked `@keeps_input`, the posted fields (not the
CSRF token, within limits) and its upload set's token are first kept as a server-side draft of
kind "replay:<endpoint>" for that user (core.drafts, never the cookie). After the login, the same
URL by GET calls `take()`, which gives the fields back once, to pre-fill the form:

    replay = take(current_user)
    form = RequestCompleteForm(formdata=replay.form if replay else None)
    files = AttachmentSet.from_request(POLICY, token=replay.attachment_token if replay else None)

Only the user who posted can get them back (the draft is theirs), only on the page they were
posted to, and only once.

Which replays wait for the user is read once, at login (`note_pending`, kept in the session):
`take()` costs no query on the pages of a user who has none."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from core import drafts
from core.sessions import expired_session
from core.urls import safe_next
from extensions import db
from models import User

View = TypeVar("View", bound=Callable[..., Any])

KIND_PREFIX = "replay:"
PENDING = "replays"  # session key: the replay kinds waiting for the user when they logged in
MAX_FIELDS = 100
MAX_CHARS = 100_000  # of all the values kept together: more than any of our forms accepts
NOT_KEPT = frozenset({"csrf_token"})

EXPIRED = {"idle": "Votre session a expiré après {minutes} minutes sans activité.",
           "absolute": "Votre session a expiré : elle dure au plus {hours} heures."}
KEPT_NOTICE = "Reconnectez-vous : ce que vous aviez saisi a été conservé."
BACK_NOTICE = "Reconnectez-vous pour revenir à la page où vous étiez."
RESTORED_NOTICE = "Votre saisie a été conservée : vérifiez-la puis validez."


@dataclass
class Replay:
    """What a form posted on an expired session held."""
    form: MultiDict
    attachment_token: str | None


def keeps_input(view: View | None = None, *, shown_at: str | None = None) -> Any:
    """Mark a view whose form, posted on an expired session, is kept for `take()` at its GET.
    Put it right under the route decorator. A POST-only view whose form is shown on another page
    (an agent's answer on the case's page) names that page's endpoint, `@keeps_input(shown_at=…)`,
    which takes the same URL arguments: the user comes back there, and that page calls
    `take(user, endpoint=<this view's endpoint>)`."""
    def mark(function: View) -> View:
        function.keeps_input = True
        function.keeps_input_page = shown_at
        return function
    return mark(view) if view is not None else mark


def kind_for(endpoint: str) -> str:
    return (KIND_PREFIX + endpoint)[:60]


def _same_site_path(url: str | None) -> str | None:
    """The path and query of a URL of this site (a Referer, HX-Current-URL), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + ("?" + parts.query if parts.query else ""))


def _form_fields() -> list[list[str]] | None:
    """The posted fields as [name, value] pairs, or None when there are too many or too much."""
    pairs = [[name, value] for name, value in request.form.items(multi=True) if name not in NOT_KEPT]
    if len(pairs) > MAX_FIELDS or sum(len(n) + len(v) for n, v in pairs) > MAX_CHARS:
        return None
    return pairs


def _keep_post(user_id: int) -> bool:
    """Keep the request's form for its owner; True when kept."""
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "keeps_input", False):
        return False
    user = db.session.get(User, user_id)
    fields = _form_fields()
    if user is None or not user.active or fields is None:
        return False
    from core.uploads import AttachmentSet  # imported late: core.uploads imports the models' world
    drafts.save(user, kind_for(request.endpoint), {"path": _form_page(view, with_query=False), "fields": fields},
                attachment_token=AttachmentSet.keep_posted(user))
    return True


def _form_page(view: Any, with_query: bool = True) -> str:
    """The URL of the page that shows the form of `view`: its own, or the page it names."""
    page = getattr(view, "keeps_input_page", None)
    if page:
        return url_for(page, **(request.view_args or {}))
    return request.full_path.rstrip("?") if with_query else request.path


def _page_url(kept: bool) -> str | None:
    """Where to come back after the login: a kept form's own URL (its GET gives the input back),
    else the page the user was on."""
    if kept:
        return safe_next(_form_page(current_app.view_functions.get(request.endpoint)))
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        return safe_next(request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        return _same_site_path(request.headers.get("HX-Current-URL"))
    return _same_site_path(request.referrer)


def login_redirect(login_endpoint: str = "auth.login") -> Response:
    """The answer to an anonymous request for a page that needs a login: the portal's login page,
    back to this page afterwards. After an expiry, with a notice, the form's input kept."""
    expired = expired_session()
    if expired is None:
        next_url = request.full_path if request.method == "GET" else None
    else:
        kept = request.method == "POST" and _keep_post(expired.user_id)
        next_url = _page_url(kept)
        config = current_app.config
        notice = EXPIRED[expired.reason].format(minutes=config["SESSION_IDLE_MINUTES"],
                                                hours=config["SESSION_ABSOLUTE_HOURS"])
        flash(f"{notice} {KEPT_NOTICE if kept else BACK_NOTICE}", "info")
    login_url = url_for(login_endpoint, next=next_url)
    if request.headers.get("HX-Request") == "true":
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def note_pending(user: User) -> None:
    """At login (core.sessions.start_session, in a fresh session): the kinds of the replay drafts
    waiting for this user, so that `take()` looks for a draft only where one may be."""
    from models import Draft
    kinds = sorted(kind for (kind,) in db.session.query(Draft.kind).filter(
        Draft.owner_id == user.id, Draft.kind.startswith(KIND_PREFIX, autoescape=True)))
    if kinds:
        session[PENDING] = kinds


def _done(kind: str) -> None:
    left = [k for k in session.get(PENDING, ()) if k != kind]
    if left:
        session[PENDING] = left
    else:
        session.pop(PENDING, None)


def take(user: User, endpoint: str | None = None) -> Replay | None:
    """The form the user posted to this page on an expired session, once (the draft is discarded
    and a notice flashed), or None."""
    kind = kind_for(endpoint or request.endpoint)
    if kind not in session.get(PENDING, ()):
        return None
    draft = drafts.load(user, kind)
    if draft is None:  # purged meanwhile, or taken in another session
        _done(kind)
        return None
    data = draft.data if isinstance(draft.data, dict) else {}
    if data.get("path") != request.path:
        return None
    replay = Replay(MultiDict([tuple(pair) for pair in data.get("fields") or () if len(pair) == 2]),
                    draft.attachment_token)
    drafts.discard(user, kind)
    db.session.commit()
    _done(kind)
    flash(RESTORED_NOTICE, "info")
    return replay
