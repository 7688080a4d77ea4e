"""Guichet application factory."""
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as default_config
from extensions import csrf, db, htmx, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent

# Environment variables read on top of the defaults and instance/config.py.
ENV_SETTINGS = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "PORTALS": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": lambda v: v.lower() in ("1", "true", "yes"),
    "MAIL_USE_SSL": lambda v: v.lower() in ("1", "true", "yes"),
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "SMS_SENDER": str,
    "CLAMD_SOCKET": str,
    "STORAGE_BACKEND": str,
    "S3_ENDPOINT_URL": str,
    "S3_BUCKET": str,
    "S3_REGION": str,
    "S3_ACCESS_KEY_ID": str,
    "S3_SECRET_ACCESS_KEY": str,
    "PUBLIC_URL": str,
    "TRUSTED_HOSTS": lambda v: [h.strip() for h in v.split(",") if h.strip()],
    "PROXY_FIX": lambda v: v.lower() in ("1", "true", "yes"),
    "SESSION_COOKIE_SECURE": lambda v: v.lower() in ("1", "true", "yes"),
    "DEV_MAILBOX": lambda v: v.lower() in ("1", "true", "yes"),
    "LOG_LEVEL": str,
}


def create_app(test_config=None):
    app = Flask(__name__, instance_path=os.environ.get("GUICHET_INSTANCE_PATH") or str(ROOT / "instance"),
                instance_relative_config=True)
    from core.templating import Environment
    app.jinja_environment = Environment  # before anything creates app.jinja_env
    app.config.from_object(default_config.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name, cast in ENV_SETTINGS.items():
            for env_name in (f"GUICHET_{name}", name):
                if env_name in os.environ:
                    app.config[name] = cast(os.environ[env_name])
                    break
    else:
        app.config.update(test_config)

    from core import logs
    logs.init_app(app)  # first: what the set-up below logs has the same format
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_secret_key(app)
    _configure_public_url(app)
    _configure_database(app)
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    from core.uploads import backends
    backends.init_app(app)  # STORAGE_BACKEND: the folder above, or an S3-compatible bucket

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        # The client's address and scheme only: the host comes from the Host header, checked
        # against TRUSTED_HOSTS; X-Forwarded-Host, which a client can send through, is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)

    import models  # noqa: F401  (registers every table)
    from core import inputs, jobs, outages, outbox, refcache, security, sessions, submission, templating, throttle
    sessions.init_app(app)
    refcache.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    outages.init_app(app)
    submission.init_app(app)
    inputs.init_app(app)
    jobs.init_app(app)
    outbox.init_app(app)
    throttle.init_app(app)

    from blueprints import register_blueprints
    app.url_map.converters["int"] = inputs.IntegerConverter  # ids beyond 2**31 - 1: 404, before any rule uses it
    register_blueprints(app)

    from core import cli
    cli.init_app(app)
    return app


def _configure_secret_key(app):
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _configure_public_url(app):
    """PUBLIC_URL builds every link in mails; TRUSTED_HOSTS (by default its host) refuses any
    other Host header with a 400. Without PUBLIC_URL, only development and tests may start."""
    from urllib.parse import urlsplit
    url = app.config.get("PUBLIC_URL")
    if not url:
        if not (app.testing or app.debug or app.config.get("DEV_MAILBOX")):
            raise RuntimeError("PUBLIC_URL doit être défini en production (par exemple "
                               "PUBLIC_URL=https://guichet.exemple.fr) : les liens des courriels en dépendent.")
        url = app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
        return  # development: any host (localhost, 127.0.0.1, a LAN address) may be used
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise RuntimeError(f"PUBLIC_URL doit être de la forme https://hote[:port], sans chemin : {url!r}")
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [parts.hostname]


def _configure_database(app):
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "guichet.sqlite")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # A fresh dict: the default one is shared by every app created in this process.
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        opts.setdefault("connect_args", {"timeout": 30})
    else:
        opts.setdefault("pool_pre_ping", True)
        # An unreachable server fails the request quickly (a 503 page), instead of hanging it.
        connect_args = dict(opts.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", int(app.config["DATABASE_CONNECT_TIMEOUT"]))
        opts["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    import sqlite3
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy emit BEGIN itself so that BEGIN IMMEDIATE can be used where needed.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        # core.database.begin_immediate asks for IMMEDIATE: the write lock is taken at BEGIN, so
        # concurrent writers wait in turn (busy_timeout) instead of failing on lock upgrade.
        # Sent on the driver's connection: through exec_driver_sql, SQLAlchemy's statement
        # machinery costs about 13 µs more per transaction (a quarter of BEGIN to ROLLBACK), for a fixed text.
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
