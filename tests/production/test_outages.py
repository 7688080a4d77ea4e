"""Outages (issue 12, item 2): PostgreSQL or Redis cut by a TCP proxy the test starts and stops.
Every page that needs them answers 503 with the French page that needs neither, and Retry-After —
logged in or not, fragments too — throttling fails closed with its own French message, and the
site recovers by itself when the proxy comes back (same app, same session, no restart)."""
from urllib.parse import urlsplit, urlunsplit

import pytest
from bs4 import BeautifulSoup

from extensions import db
from tests import factories
from tests.conftest import _teardown, make_app, postgres_config, require
from tests.helpers import check_page
from tests.production.helpers import TcpProxy

pytestmark = pytest.mark.slow

PASSWORD = factories.PASSWORD


def _through(url, proxy):
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def pg_proxy():
    config = postgres_config()
    parts = urlsplit(config["SQLALCHEMY_DATABASE_URI"])
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
def pg_app(tmp_path, pg_proxy):
    """A PostgreSQL app whose every connection goes through the proxy."""
    config = postgres_config()
    app = make_app(tmp_path, _through(config.pop("SQLALCHEMY_DATABASE_URI"), pg_proxy), **config,
                   DATABASE_CONNECT_TIMEOUT=3)
    with app.app_context():
        db.drop_all()
        db.create_all()
        factories.user(email="citoyen@example.fr")
        db.session.commit()
    yield app
    if pg_proxy.server is None:
        pg_proxy.restore()
    _teardown(app)


def assert_unavailable(response, fragment=False, message="une opération de maintenance"):
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    if fragment:
        soup = BeautifulSoup(html, "html.parser")
        assert soup.html is None and soup.select_one("#service-indisponible[role=alert]")
    else:
        soup = check_page(html)
        assert soup.h1.get_text() == "Service momentanément indisponible"
        assert soup.title.get_text() == "Service momentanément indisponible – Guichet"
    assert message in soup.get_text(" ")
    return soup


def login(client, email="citoyen@example.fr"):
    return client.post("/compte/connexion", data={"email": email, "password": PASSWORD})


@pytest.mark.postgres
def test_database_cut_then_back(pg_app, pg_proxy):
    member, visitor = pg_app.test_client(), pg_app.test_client()
    assert login(member).status_code == 302
    assert member.get("/compte/").status_code == 200

    pg_proxy.cut()
    # Logged in: the session's user cannot be loaded — the page does not need it.
    assert_unavailable(member.get("/compte/"))
    assert_unavailable(member.get("/compte/", headers={"HX-Request": "true"}), fragment=True)
    assert_unavailable(member.post("/compte/mot-de-passe", data={"current_password": "x"}))
    # A visitor: login (throttle rows and the account), an activation link.
    assert_unavailable(login(visitor))
    assert_unavailable(visitor.get("/compte/activation/" + "a" * 43))
    # Static files need neither.
    assert visitor.get("/static/css/guichet.css").status_code == 200

    pg_proxy.restore()
    # Back by itself: the same session goes on, the visitor logs in.
    assert member.get("/compte/").status_code == 200
    assert login(visitor).status_code == 302


@pytest.fixture
def redis_proxy():
    url = __import__("os").environ.get("REDIS_URL")
    require(url, "REDIS_URL n’est pas défini : test Redis ignoré (CI l’exécute).")
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield proxy, urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))
    proxy.close()


@pytest.fixture
def redis_app(tmp_path, template_db, redis_proxy):
    from tests.conftest import _sqlite_app
    proxy, url = redis_proxy
    app = _sqlite_app(tmp_path, template_db, REDIS_URL=url, REDIS_TIMEOUT=1)
    with app.app_context():
        factories.user(email="redis-outage@example.fr")
        db.session.commit()
    yield app
    _teardown(app)


@pytest.mark.redis
def test_redis_cut_throttling_fails_closed_then_back(redis_app, redis_proxy):
    proxy, _ = redis_proxy
    member, visitor = redis_app.test_client(), redis_app.test_client()
    assert login(member, "redis-outage@example.fr").status_code == 302

    proxy.cut()
    # Logging in is throttled in Redis: refused (never « allowed because nobody counted »).
    soup = assert_unavailable(login(visitor, "redis-outage@example.fr"), message="contrôle des tentatives")
    assert "Par sécurité" in soup.get_text()
    assert_unavailable(visitor.post("/compte/connexion", headers={"HX-Request": "true"},
                                    data={"email": "redis-outage@example.fr", "password": PASSWORD}),
                       fragment=True, message="contrôle des tentatives")
    # A secret checked while logged in too (« Modifier mon mot de passe »: the current password).
    assert_unavailable(member.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "password": "Nouveau-mot2passe!", "password_confirm": "Nouveau-mot2passe!"}),
        message="contrôle des tentatives")
    # Pages that need no Redis keep working.
    assert member.get("/compte/").status_code == 200

    proxy.restore()
    assert login(visitor, "redis-outage@example.fr").status_code == 302
