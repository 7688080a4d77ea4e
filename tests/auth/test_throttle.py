"""Login throttling: after 5 failures a growing delay (≥ 1 minute, doubling), at most 25 a day,
per account and per IP, with the same answer for unknown accounts."""
import os
import time

import pytest

from core.throttle import DatabaseStore, RedisStore, Throttle, account_key, ip_key
from tests.conftest import require
from tests.factories import PASSWORD
from tests.helpers import errors_of, submit


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def exercise_rule(store):
    clock = Clock()
    throttle = Throttle(store, free=5, base_delay=60, max_per_day=25, clock=clock)
    key = ["account:a@example.fr"]
    for _ in range(5):
        assert throttle.wait_seconds(key) == 0
        throttle.record_failure(key)
        clock.now += 1
    # Sixth try: must wait a minute after the fifth failure.
    assert 58 <= throttle.wait_seconds(key) <= 60
    clock.now += 60
    assert throttle.wait_seconds(key) == 0
    throttle.record_failure(key)
    assert 119 <= throttle.wait_seconds(key) <= 120  # doubled
    clock.now += 120
    throttle.record_failure(key)
    assert 239 <= throttle.wait_seconds(key) <= 240
    # Up to 25 failures within 24 h, then locked until the oldest is a day old.
    while len(store.failures(key[0], clock.now)) < 25:
        clock.now += 1
        throttle.record_failure(key)
    assert throttle.wait_seconds(key) > 23 * 3600
    clock.now += 24 * 3600
    assert throttle.wait_seconds(key) == 0
    throttle.reset(key[0])
    assert throttle.wait_seconds(key) == 0


def test_rule_with_database_store(app):
    with app.app_context():
        exercise_rule(DatabaseStore())


@pytest.mark.redis
def test_rule_with_redis_store():
    url = os.environ.get("REDIS_URL")
    require(url, "REDIS_URL n’est pas défini : test Redis ignoré (CI l’exécute).")
    store = RedisStore(url)
    store.prefix = f"guichet-test:{os.getpid()}:"
    try:
        exercise_rule(store)
    finally:
        for k in store.redis.scan_iter(store.prefix + "*"):
            store.redis.delete(k)


@pytest.mark.redis
def test_redis_store_is_shared_between_app_instances(tmp_path, template_db):
    url = os.environ.get("REDIS_URL")
    require(url, "REDIS_URL n’est pas défini : test Redis ignoré (CI l’exécute).")
    from tests.conftest import _sqlite_app
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _sqlite_app(tmp_path / "a", template_db, REDIS_URL=url)
    second = _sqlite_app(tmp_path / "b", template_db, REDIS_URL=url)
    key = [account_key(f"shared-{os.getpid()}@example.fr")]
    with first.app_context():
        t1 = first.extensions["guichet_throttle"]
        assert isinstance(t1.store, RedisStore)
        t1.reset(key[0])
        for _ in range(5):
            t1.record_failure(key)
    with second.app_context():
        assert second.extensions["guichet_throttle"].wait_seconds(key) > 0
        second.extensions["guichet_throttle"].reset(key[0])


def test_login_is_throttled_after_five_failures(client, make_user):
    make_user(email="a@example.fr")
    for _ in range(5):
        soup = submit(client, "/compte/connexion", {"email": "a@example.fr", "password": "Faux-mot-1"}, status=422)
    # Even the right password is refused while the delay runs.
    soup = submit(client, "/compte/connexion", {"email": "a@example.fr", "password": PASSWORD}, status=429)
    assert errors_of(soup) == ["Trop de tentatives de connexion. Réessayez dans 1 minute."]


def test_unknown_account_is_throttled_the_same_way(client, make_user):
    make_user(email="known@example.fr")
    answers = {}
    for email in ("known@example.fr", "unknown@example.fr"):
        c = client.application.test_client()
        for _ in range(5):
            submit(c, "/compte/connexion", {"email": email, "password": "Faux-mot-1"},
                   status=422, environ_base={"REMOTE_ADDR": f"10.0.0.{len(answers) + 1}"})
        soup = submit(c, "/compte/connexion", {"email": email, "password": "Faux-mot-1"},
                      status=429, environ_base={"REMOTE_ADDR": f"10.0.0.{len(answers) + 1}"})
        answers[email] = errors_of(soup)
    assert answers["known@example.fr"] == answers["unknown@example.fr"]


def test_ip_is_throttled_across_accounts(client, make_user):
    for i in range(5):
        submit(client, "/compte/connexion", {"email": f"x{i}@example.fr", "password": "Faux-mot-1"}, status=422)
    soup = submit(client, "/compte/connexion", {"email": "other@example.fr", "password": "Faux-mot-1"}, status=429)
    assert "Trop de tentatives" in errors_of(soup)[0]


def test_success_resets_the_account_counter(app, client, make_user):
    make_user(email="a@example.fr")
    for _ in range(4):
        submit(client, "/compte/connexion", {"email": "a@example.fr", "password": "Faux-mot-1"}, status=422)
    assert client.post("/compte/connexion", data={"email": "a@example.fr", "password": PASSWORD}).status_code == 302
    with app.app_context():
        assert app.extensions["guichet_throttle"].store.failures(account_key("a@example.fr"), time.time()) == []
        assert len(app.extensions["guichet_throttle"].store.failures(ip_key("127.0.0.1"), time.time())) == 4
