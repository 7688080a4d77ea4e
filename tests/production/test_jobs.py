"""core.jobs: the queue in Redis when JOBS_REDIS_URL is set, a queue that is away loses nothing
(the sweep delivers), periodic jobs registered from one table, the worker command."""
import os
import uuid

import pytest

from core import jobs
from core.jobs import PERIODIC_JOBS, get_jobs, run_pending, run_periodic
from core.outbox import queue_email
from extensions import db
from models import OutboxMessage
from tests.conftest import _sqlite_app, _teardown, require
from tests.production.helpers import free_port


def test_every_periodic_job_of_the_table_is_scheduled_by_the_worker(app):
    from datetime import datetime
    huey = get_jobs(app).huey

    def due(hour, minute):
        return {type(task).__name__ for task in huey.read_periodic(datetime(2026, 12, 1, hour, minute))}
    assert due(12, 7) == {"outbox_sweep"}  # every minute
    assert due(12, 5) == {"outbox_sweep", "msa_digest"}  # every 5 minutes (at most hourly per agent)
    assert due(3, 31) == {"outbox_sweep"}
    assert due(3, 30) == {"outbox_sweep", "purge_uploads", "msa_digest"}  # nightly
    assert due(3, 45) == {"outbox_sweep", "purge_drafts", "msa_digest"}


def test_a_periodic_job_is_one_line(tmp_path, template_db, monkeypatch):
    from huey import crontab
    calls = []
    import tests.production.test_jobs as here
    here.digest = lambda: calls.append("digest") or 1
    monkeypatch.setitem(PERIODIC_JOBS, "msa_digest", (crontab(minute="0"), "tests.production.test_jobs:digest"))
    app = _sqlite_app(tmp_path, template_db)
    try:
        assert run_periodic("msa_digest", app) == 1 and calls == ["digest"]
    finally:
        _teardown(app)


def test_queue_away_at_commit_loses_nothing(tmp_path, template_db):
    # The queue is a Redis nobody answers on: the commit succeeds, the sweep sends the mail.
    app = _sqlite_app(tmp_path, template_db, JOBS_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", REDIS_TIMEOUT=1)
    try:
        with app.app_context():
            queue_email("anne@example.fr", "Bonjour", "Corps")
            db.session.commit()
            assert OutboxMessage.query.one().status == OutboxMessage.STATUS_PENDING
            from core.outbox import sweep
            assert sweep() == (1, 0)  # the dev mailbox stands in for SMTP
            db.session.rollback()  # a new snapshot (SQLite WAL)
            assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT
    finally:
        _teardown(app)


@pytest.mark.redis
def test_redis_queue(tmp_path, template_db):
    url = os.environ.get("REDIS_URL")
    require(url, "REDIS_URL n’est pas défini : test Redis ignoré (CI l’exécute).")
    app = _sqlite_app(tmp_path, template_db, JOBS_REDIS_URL=url, JOBS_QUEUE_NAME=f"guichet-test-{uuid.uuid4().hex}")
    try:
        assert type(get_jobs(app).huey.storage).__name__ == "RedisStorage"
        with app.app_context():
            queue_email("anne@example.fr", "Bonjour", "Corps")
            db.session.commit()
        assert run_pending(app) == 1
        with app.app_context():
            assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT
    finally:
        get_jobs(app).huey.storage.flush_all()
        _teardown(app)


def test_sqlite_queue_lives_in_the_instance_folder(app):
    assert get_jobs(app).huey.storage.filename == os.path.join(app.instance_path, "jobs.sqlite")
    assert jobs.__doc__ and "never in a web request" in jobs.__doc__
