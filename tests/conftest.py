"""Fixtures: an app with a fresh database per test, clients per role, factories.

Each test gets its own SQLite file, copied from a template built once per session (schema +
communes), so tests are isolated and fast. Tests marked `postgres` get the same on PostgreSQL
when TEST_DATABASE_URL is set."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

from app import create_app  # noqa: E402
from extensions import db  # noqa: E402
from tests import factories  # noqa: E402

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "DEV_MAILBOX": True,
    "SERVER_NAME": "guichet.test",
    "PUBLIC_URL": "http://guichet.test",
    "THROTTLE_BASE_DELAY_SECONDS": 60,
    "JOBS_REDIS_URL": "",  # each test app has its own job queue (SQLite in its instance folder), even with REDIS_URL
}


def make_app(tmp_path, database_uri, **overrides):
    config = dict(BASE_CONFIG, SQLALCHEMY_DATABASE_URI=database_uri, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    config.update(overrides)
    os.environ["GUICHET_INSTANCE_PATH"] = str(tmp_path / "instance")
    return create_app(config)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A SQLite database with every table and the communes, built once."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = make_app(path.parent, f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        from core.places import load_communes
        load_communes()
        db.session.remove()
        db.engine.dispose()
    return path


def _sqlite_app(tmp_path, template_db, **overrides):
    path = tmp_path / "test.sqlite"
    shutil.copy(template_db, path)
    return make_app(tmp_path, f"sqlite:///{path}", **overrides)


def require(available, reason):
    """Skip with a clear reason when a real component is missing on this machine; in CI
    (GUICHET_REQUIRE_ALL_TESTS=1) a missing component is a failure, never a silent skip."""
    if available:
        return
    if os.environ.get("GUICHET_REQUIRE_ALL_TESTS"):
        pytest.fail(reason + " (requis en CI)")
    pytest.skip(reason)


def postgres_url():
    return os.environ.get("TEST_DATABASE_URL")


_pg_schemas = set()


def postgres_config():
    """Config for a PostgreSQL test app: a schema of this test process's own, so that several
    test runs on one server never drop each other's tables."""
    url = postgres_url()
    require(url, "TEST_DATABASE_URL n’est pas défini : tests PostgreSQL ignorés (CI les exécute).")
    schema = f"guichet_test_{os.getpid()}"
    if schema not in _pg_schemas:
        import sqlalchemy
        engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        engine.dispose()
        _pg_schemas.add(schema)
    return {"SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}}


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schemas():
    yield
    if _pg_schemas:
        import sqlalchemy
        engine = sqlalchemy.create_engine(postgres_url().replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            for schema in _pg_schemas:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


def _postgres_app(tmp_path, **overrides):
    config = postgres_config()
    app = make_app(tmp_path, config.pop("SQLALCHEMY_DATABASE_URI"), **config, **overrides)
    with app.app_context():
        db.drop_all()
        db.create_all()
        from core.places import load_communes
        load_communes()
    return app


def _teardown(app):
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path, template_db):
    app = _sqlite_app(tmp_path, template_db)
    yield app
    _teardown(app)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_app(request, tmp_path, template_db):
    """The same test on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""
    app = _sqlite_app(tmp_path, template_db) if request.param == "sqlite" else _postgres_app(tmp_path)
    yield app
    _teardown(app)


@pytest.fixture
def csrf_app(tmp_path, template_db):
    """An app with CSRF protection on, as in production."""
    app = _sqlite_app(tmp_path, template_db, WTF_CSRF_ENABLED=True)
    yield app
    _teardown(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    def _make(**kwargs):
        with app.app_context():
            user = factories.user(**kwargs)
            db.session.commit()
            return user.id
    return _make


@pytest.fixture
def login(app):
    """login(client, email, password=factories.PASSWORD) -> the response of the login POST."""
    def _login(client, email, password=factories.PASSWORD):
        return client.post("/compte/connexion", data={"email": email, "password": password})
    return _login


@pytest.fixture
def citizen_client(app, make_user, login):
    make_user(email="citoyen@example.fr")
    client = app.test_client()
    assert login(client, "citoyen@example.fr").status_code == 302
    return client


@pytest.fixture
def outbox(app):
    """Messages of the outbox (list of dicts), newest last."""
    from models import OutboxMessage

    def _outbox(channel=None):
        with app.app_context():
            q = OutboxMessage.query.order_by(OutboxMessage.id)
            if channel:
                q = q.filter_by(channel=channel)
            return [{"to": m.recipient, "subject": m.subject, "body": m.body, "status": m.status,
                     "channel": m.channel} for m in q]
    return _outbox
