"""Throttling of everything that checks a secret or sends a mail.

Login (and any re-authentication): after THROTTLE_FREE_FAILURES failures within 24 hours, each
further try must wait THROTTLE_BASE_DELAY_SECONDS doubled at every new failure; after
THROTTLE_MAX_FAILURES_PER_DAY failures the key is locked until the oldest failure is 24 hours old.
The same rule applies to unknown accounts, so the answer never tells whether an account exists.

Mail quotas: a route that sends a mail to an address someone typed takes one unit from the quota
of that address and one from the quota of the IP address (MAIL_QUOTA_PER_ADDRESS_PER_HOUR,
MAIL_QUOTA_PER_IP_PER_HOUR), whatever it ends up sending, so that the limit never tells who has
an account.

Every check-and-count is atomic: a try first reserves its place (Redis MULTI, or a row written
under a per-key lock in the database), then looks at the tries before it. Parallel tries can
therefore never all see the same free slot.

Storage: Redis sorted sets when REDIS_URL is set (shared by every worker and server),
otherwise the database table `throttle_failure`. Either way it fails closed: when the store does
not answer, the try is refused (core.outages.ThrottleUnavailable: a 503 page saying why)."""
from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from functools import wraps
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import text

from core.database import begin_immediate
from core.outages import ThrottleUnavailable
from extensions import db
from models import ThrottleFailure

if TYPE_CHECKING:
    from models import User

WINDOW = 24 * 3600
HOUR = 3600


class Store(Protocol):
    def failures(self, key: str, now: float) -> list[float]: ...
    def add(self, key: str, now: float) -> None: ...
    def reserve(self, key: str, now: float) -> tuple[object, list[float]]: ...
    def release(self, key: str, handle: object) -> None: ...
    def clear(self, key: str) -> None: ...


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


class DatabaseStore:
    def failures(self, key: str, now: float) -> list[float]:
        rows = (db.session.query(ThrottleFailure.at)
                .filter(ThrottleFailure.key == key, ThrottleFailure.at > _at(now - WINDOW))
                .order_by(ThrottleFailure.at, ThrottleFailure.id).all())
        return [row.at.timestamp() for row in rows]

    def add(self, key: str, now: float) -> None:
        self.reserve(key, now)

    def _insert(self, key: str, now: float) -> ThrottleFailure:
        row = ThrottleFailure(key=key, at=_at(now))
        db.session.add(row)
        # Old rows are useless: trim them while we are here.
        ThrottleFailure.query.filter(ThrottleFailure.key == key, ThrottleFailure.at < _at(now - WINDOW)
                                     ).delete(synchronize_session=False)
        return row

    def reserve(self, key: str, now: float) -> tuple[object, list[float]]:
        """Atomically: the times already recorded for `key`, then one more at `now`.
        SQLite serialises writers at BEGIN IMMEDIATE; PostgreSQL takes a lock on the key."""
        begin_immediate()
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        times = self.failures(key, now)
        row = self._insert(key, now)
        db.session.commit()
        return row.id, times

    # Writes start with BEGIN IMMEDIATE on SQLite: a read-then-write transaction could not take the
    # write lock while other requests write (each of these commits what the session had first).
    def release(self, key: str, handle: object) -> None:
        begin_immediate()
        ThrottleFailure.query.filter_by(id=handle).delete(synchronize_session=False)
        db.session.commit()

    def clear(self, key: str) -> None:
        begin_immediate()
        ThrottleFailure.query.filter_by(key=key).delete(synchronize_session=False)
        db.session.commit()


def _fails_closed(method):
    """A Redis error (down, timed out) refuses the try: ThrottleUnavailable, answered with a 503
    page saying why (core.outages). Never « allowed because we could not count »."""
    @wraps(method)
    def wrapped(self, *args, **kwargs):
        import redis
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as error:
            raise ThrottleUnavailable(str(error)) from error
    return wrapped


class RedisStore:
    def __init__(self, url: str, timeout: float = 2) -> None:
        import redis
        # A Redis that does not answer refuses the try within `timeout` seconds, not at gunicorn's.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self.prefix = "guichet:throttle:"

    @_fails_closed
    def failures(self, key: str, now: float) -> list[float]:
        k = self.prefix + key
        self.redis.zremrangebyscore(k, "-inf", now - WINDOW)
        return [score for _, score in self.redis.zrange(k, 0, -1, withscores=True)]

    def add(self, key: str, now: float) -> None:
        self.reserve(key, now)

    @_fails_closed
    def reserve(self, key: str, now: float) -> tuple[object, list[float]]:
        """One MULTI/EXEC: what was there, then our own entry, with nothing in between."""
        k = self.prefix + key
        member = uuid.uuid4().hex
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(k, "-inf", now - WINDOW)
        pipe.zrange(k, 0, -1, withscores=True)
        pipe.zadd(k, {member: now})
        pipe.expire(k, WINDOW)
        _, entries, _, _ = pipe.execute()
        return member, [score for _, score in entries]

    @_fails_closed
    def release(self, key: str, handle: object) -> None:
        self.redis.zrem(self.prefix + key, handle)

    @_fails_closed
    def clear(self, key: str) -> None:
        self.redis.delete(self.prefix + key)


@dataclass
class Attempt:
    """A try that holds its place in each key. `wait` > 0: refused, nothing is counted."""
    throttle: Throttle
    wait: int
    held: list[tuple[str, object]] = field(default_factory=list)

    def succeeded(self, *clear_keys: str) -> None:
        """The secret was right: forget the failures of `clear_keys`, and this try everywhere."""
        for key, handle in self.held:
            if key in clear_keys:
                self.throttle.store.clear(key)
            else:
                self.throttle.store.release(key, handle)
        self.held = []

    def failed(self) -> None:
        """The secret was wrong: the places taken stay as failures."""
        self.held = []


class Throttle:
    def __init__(self, store: Store, free: int, base_delay: float, max_per_day: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.free = free
        self.base_delay = base_delay
        self.max_per_day = max_per_day
        self.clock = clock

    def _wait(self, times: list[float], now: float) -> float:
        if len(times) >= self.max_per_day:
            return times[len(times) - self.max_per_day] + WINDOW - now
        if len(times) >= self.free:
            return times[-1] + self.base_delay * 2 ** (len(times) - self.free) - now
        return 0

    def wait_seconds(self, keys: list[str]) -> int:
        """Seconds to wait before the next try is allowed (0 = allowed now). Read-only."""
        now = self.clock()
        return max(0, math.ceil(max([self._wait(self.store.failures(k, now), now) for k in keys] or [0])))

    def attempt(self, keys: list[str]) -> Attempt:
        """Take a place for one try in every key, atomically per key. If any key says wait, the
        places are given back and the attempt is refused (a refused try is not a failure)."""
        _mark_throttled()
        now = self.clock()
        attempt = Attempt(self, 0)
        wait = 0.0
        for key in keys:
            handle, times = self.store.reserve(key, now)
            attempt.held.append((key, handle))
            wait = max(wait, self._wait(times, now))
        attempt.wait = max(0, math.ceil(wait))
        if attempt.wait:
            for key, handle in attempt.held:
                self.store.release(key, handle)
            attempt.held = []
        return attempt

    def record_failure(self, keys: list[str]) -> None:
        now = self.clock()
        for key in keys:
            self.store.add(key, now)

    def reset(self, key: str) -> None:
        self.store.clear(key)

    def take_quota(self, limits: list[tuple[str, int]], window: float = HOUR) -> int:
        """Count one use in each (key, limit) if every one of them has room within `window`;
        otherwise count nothing and return the seconds until there is room."""
        _mark_throttled()
        now = self.clock()
        held, wait = [], 0.0
        for key, limit in limits:
            handle, times = self.store.reserve(key, now)
            held.append((key, handle))
            recent = [t for t in times if t > now - window]
            if len(recent) >= limit:
                # Room again once enough of the oldest are out of the window to leave limit - 1.
                wait = max(wait, recent[len(recent) - limit] + window - now, 1)
        if wait:
            for key, handle in held:
                self.store.release(key, handle)
        return math.ceil(wait)


def account_key(identifier: str) -> str:
    return "account:" + identifier.strip().lower()


def nir_account_key(nir: str) -> str:
    """An unknown MSA identifier (login by NIR). A known one is keyed by its account's email, so
    that one account has one budget whichever way it logs in."""
    return account_key("msa-nir:" + nir)


def ip_key(address: str | None) -> str:
    return "ip:" + (address or "unknown")


def get_throttle() -> Throttle:
    return current_app.extensions["guichet_throttle"]


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    store = RedisStore(url, float(app.config["REDIS_TIMEOUT"])) if url else DatabaseStore()
    app.extensions["guichet_throttle"] = Throttle(
        store, app.config["THROTTLE_FREE_FAILURES"], app.config["THROTTLE_BASE_DELAY_SECONDS"],
        app.config["THROTTLE_MAX_FAILURES_PER_DAY"])


def wait_minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 60:
        hours = math.ceil(minutes / 60)
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def wait_message(seconds: int) -> str:
    return f"Trop de tentatives de connexion. Réessayez dans {wait_minutes(seconds)}."


# --- Secrets checked by a logged-in user (current password) --------------------------------------

def check_secret(user: User, check: Callable[[], bool]) -> tuple[bool, int]:
    """Run `check` (a password or code comparison) under the login throttle of `user`'s account
    and of the IP address. Returns (ok, seconds to wait: refused without checking when > 0)."""
    throttle = get_throttle()
    attempt = throttle.attempt([account_key(user.email), ip_key(request.remote_addr)])
    if attempt.wait:
        return False, attempt.wait
    if check():
        attempt.succeeded(account_key(user.email))
        return True, 0
    attempt.failed()
    return False, 0


# --- Mails ---------------------------------------------------------------------------------------

def _mark_throttled() -> None:
    if has_request_context():
        g.guichet_throttled = True


def request_was_throttled() -> bool:
    """Whether this request went through a throttle or a mail quota (core.outbox checks it)."""
    return bool(g.get("guichet_throttled"))


def mail_quota_wait(address: str | None = None, ip_limit: int | None = None) -> int:
    """Take one mail from the quota of the sender (the logged-in account, else the IP address)
    and, when `address` was typed by the sender, from that address's quota. Returns 0 when the
    mail may go, else the seconds to wait (nothing counted)."""
    config = current_app.config
    if current_user.is_authenticated:
        limits = [(f"mail-user:{current_user.id}", config["MAIL_QUOTA_PER_ACCOUNT_PER_HOUR"])]
    else:
        limits = [("mail-" + ip_key(request.remote_addr), ip_limit or config["MAIL_QUOTA_PER_IP_PER_HOUR"])]
    if address:
        limits.append(("mail-to:" + address.strip().lower(), config["MAIL_QUOTA_PER_ADDRESS_PER_HOUR"]))
    return get_throttle().take_quota([(key, max(1, int(limit))) for key, limit in limits])


View = TypeVar("View", bound=Callable[..., Any])


def notifies(view: View) -> View:
    """For a view where a logged-in user's action mails someone else (a notification to the owner
    of a case): each POST takes one unit of the account's mail quota first, and is refused with
    a 429 when it is used up."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST" and mail_quota_wait():
            abort(429)
        return view(*args, **kwargs)
    return wrapped


def mail_wait_message(seconds: int) -> str:
    return (f"Trop de courriels ont été demandés pour cette adresse ou depuis votre connexion internet. "
            f"Réessayez dans {wait_minutes(seconds)}.")
