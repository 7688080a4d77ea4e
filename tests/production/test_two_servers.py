"""The production stack, as deploy/ describes it, on this machine: nginx (Debian's package, with the
site of deploy/nginx-guichet.conf) in front of two gunicorn app servers (deploy/gunicorn.conf.py)
on two ports, sharing one PostgreSQL (a schema of its own), one Redis and one file store (an
S3-compatible bucket: moto's standalone server). Nothing is mocked: HTTP over sockets.

Checked: a login on one server goes on on the other (directly and through nginx), a logout on one
ends it on the other; a file uploaded through one is downloaded through the other; login throttling
counts the failures of both; slow clients (the slowloris pattern, a body that stalls) are held by
nginx while a normal user goes on; and, as a control, the same slow clients do hold a server that
is reached without nginx."""
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from tests.conftest import postgres_url, require
from tests.production.stack import NGINX, ROOT, Stack, base_env, database_url_with_schema, recreate_schema

PASSWORD = "Motdepasse-1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + secrets.token_bytes(2000)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, s3_server):
    require(Path(NGINX).exists(), "nginx n’est pas installé (apt-get install nginx) : test des deux serveurs ignoré.")
    url = postgres_url()
    require(url, "TEST_DATABASE_URL n’est pas défini : test des deux serveurs ignoré (CI l’exécute).")
    redis_url = os.environ.get("REDIS_URL")
    require(redis_url, "REDIS_URL n’est pas défini : test des deux serveurs ignoré (CI l’exécute).")
    folder = tmp_path_factory.mktemp("stack")
    folder.chmod(0o755)
    schema = f"guichet_servers_{os.getpid()}"
    database_url = database_url_with_schema(url, schema)
    bucket = s3_server.new_bucket()
    recreate_schema(url, schema)
    emails = _fill(database_url, folder)
    stack = Stack(folder, dict(base_env(), SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database_url,
                               REDIS_URL=redis_url, SESSION_COOKIE_SECURE="0", DEV_MAILBOX="0", LOG_LEVEL="WARNING",
                               **s3_server.settings(bucket)))
    stack.emails, stack.bucket, stack.s3 = emails, bucket, s3_server
    try:
        yield stack.start()
    finally:
        stack.close()
        recreate_schema(url, schema, drop_only=True)


def _fill(database_url, folder):
    """The tables (as create_all makes them for the other PostgreSQL tests) and three citizens."""
    from app import create_app
    from extensions import db
    from tests import factories
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "UPLOAD_FOLDER": str(folder / "unused-uploads")})
    emails = {}
    with app.app_context():
        db.create_all()
        for who in ("anne", "bruno", "chloe"):
            email = emails[who] = f"{who}.{secrets.token_hex(4)}@example.fr"
            factories.user(email=email, password=PASSWORD, first_name=who.capitalize())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return emails


# --- A browser without JavaScript -----------------------------------------------------------------

class Browser:
    """A cookie jar that talks to any server of the stack. Hitting an app server directly, it
    says it comes from its own address (X-Forwarded-For, trusted with PROXY_FIX=1 as nginx's would
    be): its login failures count on its own, not on 127.0.0.1's, shared by every test here."""

    def __init__(self):
        self.http = requests.Session()
        self.address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        self.http.headers["X-Forwarded-For"] = self.address

    def get(self, base, path, status=200, **kwargs):
        response = self.http.get(base + path, allow_redirects=False, timeout=kwargs.pop("timeout", 30), **kwargs)
        assert response.status_code == status, (base + path, response.status_code, response.text[:500])
        return response

    def page(self, base, path, status=200):
        return BeautifulSoup(self.get(base, path, status).text, "html.parser")

    def post(self, base, path, data, files=None, token_from=None, status=302, timeout=30):
        soup = self.page(base, token_from or path)
        token = soup.select_one("input[name=csrf_token]")["value"]
        response = self.http.post(base + path, data={**data, "csrf_token": token}, files=files,
                                  allow_redirects=False, timeout=timeout)
        assert response.status_code == status, (base + path, response.status_code, response.text[:800])
        return response

    def login(self, base, email, password=PASSWORD, status=302):
        return self.post(base, "/compte/connexion", {"email": email, "password": password}, status=status)


def logged_in(soup) -> bool:
    return soup.select_one("form[action='/compte/deconnexion']") is not None


PORTE_DOCUMENTS = "/armees/espace/porte-documents"


def documents(soup) -> dict[str, str]:
    return {a.get_text(strip=True): a["href"] for a in soup.select("#justificatifs .armees-document-name a")}


# --- Tests ----------------------------------------------------------------------------------------

def test_a_login_on_one_server_goes_on_on_the_other_and_through_nginx(stack):
    one, two = stack.servers
    browser = Browser()
    browser.get(two, PORTE_DOCUMENTS, status=302)  # not logged in yet
    browser.login(one, stack.emails["anne"])
    for base in (two, stack.nginx, one):
        soup = browser.page(base, PORTE_DOCUMENTS)
        assert soup.h1.get_text(strip=True) == "Mon porte-documents" and logged_in(soup), base
    # The session is a row of the shared database: logging out through nginx ends it everywhere.
    _logout(browser, stack.nginx)
    for base in (one, two):
        assert browser.get(base, PORTE_DOCUMENTS, status=302).headers["Location"].startswith("/compte/connexion")


def _logout(browser, base):
    soup = browser.page(base, PORTE_DOCUMENTS)
    form = soup.select_one("form[action='/compte/deconnexion']")
    token = form.select_one("input[name=csrf_token]")["value"]
    response = browser.http.post(base + "/compte/deconnexion", data={"csrf_token": token}, allow_redirects=False,
                                 timeout=30)
    assert response.status_code in (302, 303), response.text[:500]


def test_a_file_uploaded_through_one_server_is_downloaded_through_the_other(stack):
    one, two = stack.servers
    browser = Browser()
    browser.login(two, stack.emails["bruno"])
    browser.post(one, PORTE_DOCUMENTS, {"kind": "bulletin-remuneration"},
                 files={"file": ("bulletin-mars.pdf", PDF, "application/pdf")}, status=303)
    links = documents(browser.page(two, PORTE_DOCUMENTS))
    assert list(links) == ["bulletin-mars.pdf"]
    for base in (two, stack.nginx):
        response = browser.get(base, links["bulletin-mars.pdf"])
        assert response.content == PDF and response.headers["Content-Type"] == "application/pdf"
    # In the shared bucket, not on either server's disk.
    assert len(stack.s3.keys(stack.bucket)) == 1
    for i in (0, 1):
        uploads = stack.instance(i) / "uploads"
        assert not uploads.exists() or list(uploads.iterdir()) == []
    # Another user gets nothing, through either server.
    other = Browser()
    other.login(one, stack.emails["chloe"])
    for base in (one, two, stack.nginx):
        other.get(base, links["bulletin-mars.pdf"], status=404)


def test_login_throttling_counts_the_failures_of_both_servers(stack):
    one, two = stack.servers
    browser = Browser()
    email = stack.emails["chloe"]
    for base in (one, two, one, two, one):  # THROTTLE_FREE_FAILURES = 5, split over both servers
        soup = BeautifulSoup(browser.login(base, email, "Mauvais-mot-2", status=422).text, "html.parser")
        assert "Trop de tentatives" not in soup.get_text()
    # The sixth try, with the right password, on the server that saw only two failures: refused.
    response = browser.login(two, email, status=429)
    assert "Trop de tentatives de connexion. Réessayez dans 1 minute." in response.text
    assert not logged_in(browser.page(one, "/"))


def test_nginx_serves_the_static_files_itself(stack):
    response = Browser().get(stack.nginx, "/static/css/guichet.css")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # nginx's, not the app's
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.content == (ROOT / "static" / "css" / "guichet.css").read_bytes()


# --- Slow clients -----------------------------------------------------------------------------------

class SlowClient(threading.Thread):
    """The slowloris pattern: a request's header sent one line every `every` seconds, never ended;
    or (`body=True`) a whole header announcing 1 MB, 64 KB of it, then nothing. `closed` is set
    when the server hangs up."""

    def __init__(self, port, every=5.0, body=False):
        super().__init__(daemon=True)
        self.port, self.every, self.body = port, every, body
        self.started = threading.Event()
        self.closed = threading.Event()
        self.stop = threading.Event()

    def run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.settimeout(0.2)
                if self.body:
                    sock.sendall(b"POST /compte/connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1048576\r\n\r\n"
                                 + b"a" * 65536)
                else:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                self.started.set()
                line = 0
                next_line = time.monotonic() + self.every
                while not self.stop.is_set():
                    try:
                        if sock.recv(4096) == b"":
                            break
                    except TimeoutError:
                        pass
                    except OSError:
                        break
                    if not self.body and time.monotonic() >= next_line:
                        line += 1
                        sock.sendall(f"X-Lent-{line}: {line}\r\n".encode())
                        next_line += self.every
        except OSError:
            pass
        finally:
            self.started.set()
            self.closed.set()


def slow_clients(port):
    clients = [SlowClient(port) for _ in range(8)] + [SlowClient(port, body=True)]
    for client in clients:
        client.start()
    for client in clients:
        assert client.started.wait(10)
    time.sleep(0.5)  # every one of them is in the server's hands
    return clients


def release(clients):
    for client in clients:
        client.stop.set()
    for client in clients:
        client.join(10)


def test_slow_clients_do_not_delay_a_normal_user_through_nginx(stack):
    browser = Browser()
    browser.login(stack.servers[0], stack.emails["anne"])
    clients = slow_clients(stack.nginx_port)
    try:
        # A normal visit through nginx while the nine slow clients are held: every request answers
        # (each within 5 s, or the test fails), and all of it before nginx cuts the slow clients off
        # (client_header_timeout 10 s, client_body_timeout 30 s) or they end (never, unless released).
        assert browser.get(stack.nginx, "/", timeout=5).status_code == 200
        soup = browser.page(stack.nginx, PORTE_DOCUMENTS)
        assert logged_in(soup)
        browser.post(stack.nginx, PORTE_DOCUMENTS, {"kind": "titre-pension"},
                     files={"file": ("titre.pdf", PDF, "application/pdf")}, status=303, timeout=5)
        assert "titre.pdf" in documents(browser.page(stack.nginx, PORTE_DOCUMENTS))
        still_held = [not c.closed.is_set() for c in clients]
        assert all(still_held), "les clients lents ont été coupés avant la fin du parcours normal"
    finally:
        release(clients)


def test_control_without_nginx_the_same_slow_clients_hold_an_app_server(stack):
    """The test above can fail: straight to a gunicorn server (2 sync workers), the same slow clients
    take its workers and a normal request gets no answer."""
    port = stack.ports[1]
    clients = slow_clients(port)
    try:
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(f"http://127.0.0.1:{port}/", timeout=3)
    finally:
        release(clients)
    # Released, the server answers again.
    deadline = time.monotonic() + 60
    while True:
        try:
            assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
            break
        except requests.exceptions.RequestException:
            if time.monotonic() > deadline:
                raise
