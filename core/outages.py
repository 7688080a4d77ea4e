"""Outages: while the database or Redis is unreachable, every page that needs them answers 503 with
a French page (and `Retry-After`) that needs neither — rendered from its template alone, without
context processors, the session's user or anything stored — instead of a bare 500. Nothing is
kept from the outage: the next request reconnects (pool pre-ping, Redis reconnects by itself),
so the site recovers on its own when the service returns.

Throttling (core.throttle) fails closed: when its store cannot be reached, the login, the codes and
the mails it guards are refused (ThrottleUnavailable) with a message saying why."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import exc as sa_exc

log = logging.getLogger("guichet.outages")

TITLE = "Service momentanément indisponible"
MESSAGE = ("Le service ne peut pas répondre pour le moment : une opération de maintenance ou un incident "
           "technique est en cours.")
THROTTLE_MESSAGE = ("Par sécurité, la connexion, l’envoi de codes et de courriels sont suspendus : le contrôle "
                    "des tentatives répétées ne répond pas pour le moment.")


class ThrottleUnavailable(Exception):
    """The throttle's store (Redis, or the database) did not answer: the try is refused."""


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


# Errors that mean « a service we depend on is unreachable », not a bug. SQLAlchemy wraps the
# driver's connection errors (refused, reset, timed out, server closed the connection) as
# OperationalError / InterfaceError; the pool raises TimeoutError when no connection comes.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError,
                                                    sa_exc.DisconnectionError, sa_exc.TimeoutError)


def unavailable_errors() -> tuple[type[BaseException], ...]:
    return DATABASE_ERRORS + _redis_errors() + (ThrottleUnavailable,)


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, unavailable_errors())


def unavailable_response(message: str = MESSAGE) -> Response:
    """The 503 page (or, for an htmx fragment request, its notice), with Retry-After."""
    from core.templating import SITE_NAME, wants_fragment
    fragment = wants_fragment()
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    context: dict[str, Any] = {"title": TITLE, "message": message, "fragment": fragment, "SITE_NAME": SITE_NAME}
    if fragment:
        html = "".join(template.blocks["content"](template.new_context(context)))
    else:
        html = template.render(context)
    response = Response(html, status=503, content_type="text/html; charset=utf-8")
    response.headers["Retry-After"] = str(int(current_app.config["UNAVAILABLE_RETRY_AFTER_SECONDS"]))
    response.headers["Cache-Control"] = "no-store"
    return response


def _forget_failed_transaction() -> None:
    from extensions import db
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the session is dropped at teardown anyway
        log.debug("rollback after an outage failed", exc_info=True)


def init_app(app: Flask) -> None:
    def service_unavailable(error: BaseException) -> Response:
        log.error("Service unavailable (%s) on %s %s: %s", type(error).__name__, request.method, request.path,
                  str(error).splitlines()[0] if str(error) else "")
        _forget_failed_transaction()
        if isinstance(error, ThrottleUnavailable):
            return unavailable_response(THROTTLE_MESSAGE)
        return unavailable_response()

    for error_class in unavailable_errors():
        app.register_error_handler(error_class, service_unavailable)
