"""Login sessions backed by a server-side row (see models.user.UserSession).

The cookie holds a random session token; the row holds its hash. Logging out deletes the row,
changing the password deletes every row of the user: a copied cookie stops working at once."""
from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import secrets

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import Form

from extensions import db, login_manager
from models import ApgisInsured, DataVersion, MsaMember, Organisation, Structure, User, UserSession
from models.base import utcnow
from models.token import hash_token
from core.refcache import REFERENCE
from core.throttle import account_key, get_throttle, ip_key, wait_message

SESSION_KEY = "sid"
# Don't write last_seen_at on every request.
TOUCH_EVERY = timedelta(seconds=60)


class ExpiredSession(NamedTuple):
    """The login the request's cookie named, found expired during this request."""
    user_id: int
    reason: str  # "idle" or "absolute"


def expired_session() -> ExpiredSession | None:
    """Set when this request's cookie named a session that has just been found expired."""
    return g.get("expired_session")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per app instead of
    at every request (it only depends on the secret key)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = ("guichet_session_serializer", app.secret_key)
        cached = app.extensions.get("guichet_session_serializer")
        if cached is None or cached[0] != key:
            cached = (key, super().get_signing_serializer(app))
            app.extensions["guichet_session_serializer"] = cached
        return cached[1]


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our own server-side sessions do the job


# The user's relations a page may read, each loaded with the session's row when its portal's pages
# read it: relation -> (model, join condition).
_RELATIONS = {
    "structure": (Structure, Structure.id == User.structure_id),
    "organisation": (Organisation, Organisation.id == User.organisation_id),
    "msa_member": (MsaMember, MsaMember.user_id == User.id),
    "apgis_insured": (ApgisInsured, ApgisInsured.user_id == User.id),
}
# What every page of a blueprint reads of its user (partners: their structure and the
# organisation; agents: their organisation; MSA members and Apgis insured: their file). A page of
# another blueprint gets structure, organisation and MSA file, as before. A relation left out is
# loaded by SQLAlchemy if ever read (one more query, never a wrong value): each relation joined
# costs its object built at every request, so a blueprint joins only what its pages read.
DEFAULT_RELATIONS = ("structure", "organisation", "msa_member")
BLUEPRINT_RELATIONS = {
    "partenaires": ("structure", "organisation"),
    "agent": ("organisation",),
    "msa": ("msa_member",),
    "apgis": ("apgis_insured",),
}
# Loader options of a blueprint's session read. Apgis: the insured's file with its beneficiaries
# and pending DITs (JSON columns, models.apgis BENEFICIARY_ROWS and PENDING_ROWS, read by
# blueprints.apgis.service.file_rows): no other query for them.
BLUEPRINT_OPTIONS = {"apgis": ApgisInsured.with_file_rows}


def _session_statement(relations: tuple[str, ...], options: tuple = ()) -> Select:
    """Session row, its user, the user's `relations` (see BLUEPRINT_RELATIONS) and the reference
    data version in one query (it runs on every logged-in request): built once, executed with the
    token hash bound."""
    version = (select(DataVersion.version).where(DataVersion.name == REFERENCE)
               .scalar_subquery().label("reference_version"))
    models = [_RELATIONS[name][0] for name in relations]
    statement = (select(UserSession.id, UserSession.user_id, UserSession.created_at, UserSession.last_seen_at,
                        User, *models, version)
                 .join(User, User.id == UserSession.user_id))
    for name in relations:
        statement = statement.outerjoin(*_RELATIONS[name])
    return statement.where(UserSession.token_hash == bindparam("token_hash")).options(*options)


class SessionRead(NamedTuple):
    statement: Select
    relations: tuple[tuple[str, str], ...]  # (User attribute, the row's entity name)


def _session_read(relations: tuple[str, ...], options: tuple = ()) -> SessionRead:
    return SessionRead(_session_statement(relations, options),
                       tuple((name, _RELATIONS[name][0].__name__) for name in relations))


SESSION_READ = _session_read(DEFAULT_RELATIONS)
SESSION_READS = {blueprint: _session_read(relations, tuple(BLUEPRINT_OPTIONS.get(blueprint, ())))
                 for blueprint, relations in BLUEPRINT_RELATIONS.items()}
_session_table = UserSession.__table__
TOUCH_STATEMENT = (_session_table.update().where(_session_table.c.id == bindparam("session_id"))
                   .values(last_seen_at=bindparam("now")))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    raw = session.get(SESSION_KEY)
    if not raw:
        return None
    read = SESSION_READS.get(request.blueprint, SESSION_READ)
    row = db.session.execute(read.statement, {"token_hash": hash_token(raw)}).first()
    if row is None or str(row.user_id) != str(user_id):
        return None
    now = utcnow()
    config = current_app.config
    idle = UserSession.is_idle(row, config["SESSION_IDLE_MINUTES"], now)
    if idle or now - row.created_at > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]):
        # Idle for too long, or logged in for too long whatever the activity (ASVS 3.3.2).
        # Whose session it was is remembered for this request only: the login redirect keeps
        # what a form posted now had typed (core.replay).
        g.expired_session = ExpiredSession(row.user_id, "idle" if idle else "absolute")
        db.session.execute(_session_table.delete().where(_session_table.c.id == row.id))
        db.session.commit()
        session.clear()
        return None
    user = row.User
    if not user.active:
        return None
    # The relations the blueprint's pages read are the row's (no lazy load later); the version
    # keys core.refcache.
    for attribute, entity in read.relations:
        set_committed_value(user, attribute, getattr(row, entity))
    g.reference_version = row.reference_version or 0
    if now - row.last_seen_at > TOUCH_EVERY:
        # A plain UPDATE, committed without expiring the user just loaded.
        current = db.session()
        current.expire_on_commit = False
        try:
            current.execute(TOUCH_STATEMENT, {"session_id": row.id, "now": now})
            current.commit()
        except OperationalError:
            # SQLite: another request of the same session is touching it at this very moment
            # (its read transaction cannot be upgraded). Its own touch is as good as ours.
            current.rollback()
            user = db.session.get(User, int(user_id))
        finally:
            current.expire_on_commit = True
    return user


_dummy_user = None


def _dummy():
    """A real hash to compare when there is no account (or no password), so every answer takes as long."""
    global _dummy_user
    if _dummy_user is None:
        _dummy_user = User(email="dummy@invalid", password=secrets.token_urlsafe(16))
    return _dummy_user


def check_credentials(user: User | None, unknown_key: str, password: str) -> tuple[User | None, int]:
    """Check a password under the throttle of the account (keyed by its email whichever identifier
    was typed: one budget per account; `unknown_key` when there is no account) and of the IP
    address. Returns (the user when the password is right and the account active, else None;
    seconds to wait when the try was refused without checking).

    One password hash is compared in every case, for a known, unknown, pending or deactivated
    account alike, so that the time taken tells nothing."""
    key = account_key(user.email) if user is not None else unknown_key
    attempt = get_throttle().attempt([key, ip_key(request.remote_addr)])
    if attempt.wait:
        return None, attempt.wait
    if user is not None and user.password_hash:
        right = user.check_password(password)
    else:
        _dummy().check_password(password)
        right = False
    if right and user.active:
        attempt.succeeded(key)
        return user, 0
    attempt.failed()
    return None, 0


def attempt_login(user: User | None, unknown_key: str, password: str, form: Form,
                  bad_credentials: str) -> tuple[User | None, int]:
    """check_credentials, with the answer's message added to `form`. Returns (user, status)."""
    user, wait = check_credentials(user, unknown_key, password)
    if user is None:
        form.form_errors.append(wait_message(wait) if wait else bad_credentials)
    return user, 429 if wait else 200 if user else 422


def start_session(user: User) -> None:
    """Regenerate the session: whatever was in it before login is dropped."""
    session.clear()
    raw = UserSession.new_token()
    db.session.add(UserSession(token_hash=hash_token(raw), user=user))
    user.last_login_at = utcnow()
    db.session.commit()
    session[SESSION_KEY] = raw
    session.permanent = False
    login_user(user)
    from core.replay import note_pending  # core.replay imports this module
    note_pending(user)


def end_session() -> None:
    raw = session.get(SESSION_KEY)
    if raw:
        UserSession.query.filter_by(token_hash=hash_token(raw)).delete()
        db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(user: User) -> None:
    """Called in the transaction of a password change; the caller commits."""
    UserSession.query.filter_by(user_id=user.id).delete()


def keep_alive() -> bool:
    raw = session.get(SESSION_KEY)
    row = UserSession.query.filter_by(token_hash=hash_token(raw)).first() if raw else None
    if row is not None:
        row.last_seen_at = utcnow()
        db.session.commit()
    return row is not None
