"""Background jobs: mail and SMS delivery (with retries and backoff) and the periodic clean-ups run
in the worker process (`flask jobs worker`), never in a web request.

Built on Huey. The queue is in Redis whenever Redis is configured (JOBS_REDIS_URL, by default
REDIS_URL: what several servers share), else a SQLite file (`instance/jobs.sqlite`, one server).
A web request only enqueues (core.outbox enqueues the delivery of the messages it committed); if
the queue itself is away, nothing is lost: the messages are in the database and the periodic outbox sweep delivers them.

A periodic job is one line of PERIODIC_JOBS: its name, its schedule (huey.crontab) and the
function that does it (`module:function`, run in an app context, no arguments). For example an
hourly digest for the agents of a portal:

    "msa_digest": (crontab(minute="*/5"), "blueprints.msa.digest:send_agent_digests"),
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from werkzeug.utils import import_string

log = logging.getLogger("guichet.jobs")

PERIODIC_JOBS: dict[str, tuple[Callable[..., bool], str]] = {
    # Messages whose delivery job was lost (queue away at enqueue time, worker killed mid-send) or
    # whose retry is due: every minute.
    "outbox_sweep": (crontab(minute="*"), "core.outbox:sweep"),
    # Files added to forms never sent, stored files nothing uses, files without a row: nightly.
    "purge_uploads": (crontab(minute="30", hour="3"), "core.jobs:purge_uploads"),
    # Server-side drafts untouched for longer than DRAFT_RETENTION_DAYS: nightly.
    "purge_drafts": (crontab(minute="45", hour="3"), "core.drafts:purge_expired"),
    # MSA agents told of members' replies and documents, at most once an hour each (the function
    # keeps to that): looked at every 5 minutes.
    "msa_digest": (crontab(minute="*/5"), "blueprints.msa.digest:send_agent_digests"),
}


@dataclass
class Jobs:
    """The app's queue and its tasks (one Huey instance per app: tests make many apps)."""
    huey: Huey
    deliver: TaskWrapper
    periodic: dict[str, TaskWrapper] = field(default_factory=dict)


def purge_uploads() -> int:
    from core.uploads import purge_abandoned
    return purge_abandoned(timedelta(hours=float(current_app.config["UPLOAD_PURGE_AFTER_HOURS"])))


def _in_app(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    """Run `func` inside an app context of `app` (its own database session, removed after)."""
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return func(*args, **kwargs)
    return run


def _deliver(ids: list[int]) -> None:
    from core.outbox import deliver_and_schedule_retries
    deliver_and_schedule_retries(ids)


def create_huey(app: Flask) -> Huey:
    name = app.config["JOBS_QUEUE_NAME"]
    url = app.config.get("JOBS_REDIS_URL")
    if url is None:
        url = app.config.get("REDIS_URL")
    if url:
        import redis
        timeout = float(app.config["REDIS_TIMEOUT"])
        # Reads block up to 1 s (the consumer's BRPOP): the socket timeout must be longer.
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout + 5)
        return RedisHuey(name, results=False, connection_pool=pool)
    filename = app.config.get("JOBS_SQLITE_PATH") or str(Path(app.instance_path) / "jobs.sqlite")
    return SqliteHuey(name, results=False, filename=filename, timeout=30)


def init_app(app: Flask) -> None:
    huey = create_huey(app)
    deliver = huey.task(name="deliver_messages")(_in_app(app, _deliver))
    jobs = Jobs(huey, deliver)
    for name, (schedule, target) in PERIODIC_JOBS.items():
        jobs.periodic[name] = huey.periodic_task(schedule, name=name)(_in_app(app, _lazy(target)))
    app.extensions["guichet_jobs"] = jobs


def _lazy(target: str) -> Callable[[], Any]:
    def run() -> Any:
        return import_string(target.replace(":", "."))()
    run.__name__ = target.rpartition(":")[2]
    run.__module__ = __name__
    return run


def get_jobs(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions["guichet_jobs"]


def enqueue_delivery(ids: Collection[int], delay: float | None = None) -> None:
    """Ask the worker to deliver these outbox messages (after `delay` seconds). Raises when the
    queue is unreachable: callers in a request log it (the outbox sweep will deliver them)."""
    task = get_jobs().deliver
    if delay:
        task.schedule(args=(sorted(ids),), delay=delay)
    else:
        task(sorted(ids))


def run_pending(app: Flask | None = None, include_scheduled: bool = False) -> int:
    """Run, in this process, every job due in the queue (with `include_scheduled`, also those
    scheduled for later at the time of the call, once); returns how many ran. For tests and
    `flask jobs drain`: in production the worker runs them."""
    huey = get_jobs(app).huey
    early = set()
    if include_scheduled:
        for task in huey.read_schedule(_far_future()):
            early.add(task.id)
            huey.enqueue(task)
    count = 0
    while True:
        for task in huey.read_schedule():
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            return count
        timestamp = _far_future() if task.id in early else None
        if huey.ready_to_run(task, timestamp):
            count += 1
        huey.execute(task, timestamp)  # not due yet: back to the schedule


def _far_future():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=3650)


def run_periodic(name: str, app: Flask | None = None) -> Any:
    """Run the periodic job `name` now, in this process (`flask jobs run NAME`)."""
    return get_jobs(app).periodic[name].call_local()


def run_worker(app: Flask, workers: int = 2) -> None:
    """The worker: `workers` threads running the queued jobs, and the scheduler of the periodic
    ones. SIGTERM (systemd's stop) lets the jobs in progress finish, SIGINT stops at once."""
    huey = get_jobs(app).huey
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                    initial_delay=0.1, backoff=1.15, max_delay=float(app.config["JOBS_POLL_SECONDS"]),
                                    check_worker_health=True, graceful_signal="TERM")
    log.info("Job worker started: %s workers, queue %s", workers, type(huey.storage).__name__)
    consumer.run()
