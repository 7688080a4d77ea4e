"""Who may reach which route. Every route is either explicitly public or requires login (and roles).

`tests/test_routes_meta.py` walks the URL map and fails on any route that is neither."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from core.replay import login_redirect

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Mark a view as reachable without login."""
    view.is_public = True
    return view


def check_access(roles: tuple[str, ...], refusal: int = 403) -> Response | None:
    """None if the current user may go on, else the response to return: the login page for a
    visitor, `refusal` (403, or 404 where even the existence of a page is nobody else's business)
    for a user without one of `roles`."""
    if not current_user.is_authenticated:
        return login_redirect()
    if roles and not current_user.has_role(*roles):
        abort(refusal)
    return None


def roles_required(*roles: str) -> Callable[[View], View]:
    """Decorator: login required, and one of `roles` when given."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            denied = check_access(roles)
            return denied if denied is not None else view(*args, **kwargs)
        wrapped.required_roles = roles or ("*",)
        return wrapped
    return decorator


login_required = roles_required()


def protect_blueprint(bp: Blueprint, *roles: str, refusal: int = 403) -> None:
    """Every view of `bp` requires login (and one of `roles`, else `refusal`), except those marked
    @public."""
    bp.required_roles = roles or ("*",)

    @bp.before_request
    def _check():
        view = current_app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "is_public", False):
            return None
        return check_access(roles, refusal)
