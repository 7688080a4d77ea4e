"""Login throttling, per account and per IP address.

After THROTTLE_FREE_FAILURES failures within 24 hours, each further try must wait
THROTTLE_BASE_DELAY_SECONDS doubled at every new failure; after THROTTLE_MAX_FAILURES_PER_DAY
failures the key is locked until the oldest failure is 24 hours old. The same rule applies to
unknown accounts, so the answer never tells whether an account exists.

Storage: Redis sorted sets when REDIS_URL is set (shared by every worker and server),
otherwise the database table `throttle_failure`."""
import math
import time
import uuid
from datetime import datetime, timezone

from flask import current_app

from extensions import db
from models import ThrottleFailure

WINDOW = 24 * 3600


class DatabaseStore:
    def failures(self, key, now):
        since = datetime.fromtimestamp(now - WINDOW, timezone.utc)
        rows = (db.session.query(ThrottleFailure.at)
                .filter(ThrottleFailure.key == key, ThrottleFailure.at > since)
                .order_by(ThrottleFailure.at).all())
        return [row.at.timestamp() for row in rows]

    def add(self, key, now):
        db.session.add(ThrottleFailure(key=key, at=datetime.fromtimestamp(now, timezone.utc)))
        # Old rows are useless: trim them while we are here.
        ThrottleFailure.query.filter(ThrottleFailure.key == key,
                                     ThrottleFailure.at < datetime.fromtimestamp(now - WINDOW, timezone.utc)
                                     ).delete(synchronize_session=False)
        db.session.commit()

    def clear(self, key):
        ThrottleFailure.query.filter_by(key=key).delete(synchronize_session=False)
        db.session.commit()


class RedisStore:
    def __init__(self, url):
        import redis
        self.redis = redis.Redis.from_url(url)
        self.prefix = "guichet:throttle:"

    def failures(self, key, now):
        k = self.prefix + key
        self.redis.zremrangebyscore(k, "-inf", now - WINDOW)
        return [score for _, score in self.redis.zrange(k, 0, -1, withscores=True)]

    def add(self, key, now):
        k = self.prefix + key
        pipe = self.redis.pipeline()
        pipe.zadd(k, {uuid.uuid4().hex: now})
        pipe.expire(k, WINDOW)
        pipe.execute()

    def clear(self, key):
        self.redis.delete(self.prefix + key)


class Throttle:
    def __init__(self, store, free, base_delay, max_per_day, clock=time.time):
        self.store = store
        self.free = free
        self.base_delay = base_delay
        self.max_per_day = max_per_day
        self.clock = clock

    def wait_seconds(self, keys):
        """Seconds to wait before the next try is allowed (0 = allowed now)."""
        now = self.clock()
        wait = 0
        for key in keys:
            times = self.store.failures(key, now)
            if len(times) >= self.max_per_day:
                wait = max(wait, times[len(times) - self.max_per_day] + WINDOW - now)
            elif len(times) >= self.free:
                delay = self.base_delay * 2 ** (len(times) - self.free)
                wait = max(wait, times[-1] + delay - now)
        return max(0, math.ceil(wait))

    def record_failure(self, keys):
        now = self.clock()
        for key in keys:
            self.store.add(key, now)

    def reset(self, key):
        self.store.clear(key)


def account_key(identifier):
    return "account:" + identifier.strip().lower()


def nir_account_key(nir):
    """An MSA account (login by NIR), kept apart from email keys."""
    return account_key("msa-nir:" + nir)


def ip_key(address):
    return "ip:" + (address or "unknown")


def get_throttle():
    return current_app.extensions["guichet_throttle"]


def init_app(app):
    url = app.config.get("REDIS_URL")
    store = RedisStore(url) if url else DatabaseStore()
    app.extensions["guichet_throttle"] = Throttle(
        store, app.config["THROTTLE_FREE_FAILURES"], app.config["THROTTLE_BASE_DELAY_SECONDS"],
        app.config["THROTTLE_MAX_FAILURES_PER_DAY"])


def wait_message(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 60:
        hours = math.ceil(minutes / 60)
        return f"Trop de tentatives de connexion. Réessayez dans {hours} heure{'s' if hours > 1 else ''}."
    return f"Trop de tentatives de connexion. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."
