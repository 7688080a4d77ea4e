"""Log lines (core.logs): request id and user id on every line, one line per event, no NIR, IBAN,
token or password; the request id echoed; gunicorn's access log without query strings."""
import datetime
import io
import logging
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_login import current_user

from core import logs

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def captured():
    """The lines the handler that create_app installs in production would write."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, level=logging.DEBUG)
    logger = logging.getLogger("guichet.test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_lines_carry_the_request_id_and_the_user_id(app, make_user, login, captured):
    logger, stream = captured

    @app.get("/_test/log")
    def log_something():
        current_user.is_authenticated  # as every protected view does: the user is loaded
        logger.info("something happened")
        return "ok"

    user_id = make_user(email="agent@example.fr", role="agent")
    client = app.test_client()
    login(client, "agent@example.fr")

    response = client.get("/_test/log", headers={"X-Request-ID": "req-0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "req-0123456789abcdef"
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} INFO \[req-0123456789abcdef\] "
                    rf"user={user_id} guichet\.test: something happened$", lines[0]), lines[0]

    anonymous = app.test_client().get("/_test/log")
    generated = anonymous.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert f"[{generated}] user=- guichet.test: something happened" in stream.getvalue().splitlines()[-1]


@pytest.mark.parametrize("header", ["short", "a b c d e f g h", "x" * 65, "abcdefgh\tINFO forged-line",
                                    "<script>alert(1)</script>"])
def test_an_unlikely_request_id_is_replaced(client, header):
    echoed = client.get("/", headers={"X-Request-ID": header}).headers["X-Request-ID"]
    assert echoed != header and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_outside_a_request_the_ids_are_dashes(captured):
    logger, stream = captured
    logger.warning("from the command line")
    assert "WARNING [-] user=- guichet.test: from the command line" in stream.getvalue()


@pytest.mark.parametrize("secret", [
    "2850733063123",           # NIR
    "285073306312345",         # NIR and key
    "1 62 03 2A 004 056 12",   # Corsican NIR, written in groups
    "2.85.07.33.063.123",
    "FR7630006000011234567890189",          # IBAN
    "FR76 3000 6000 0112 3456 7890 189",
])
def test_nir_and_iban_are_masked(captured, secret):
    logger, stream = captured
    logger.info("member %s asked", secret)
    line = stream.getvalue()
    assert "member [masqué] asked" in line, line
    for chunk in re.findall(r"\w{3,}", secret):
        assert chunk not in line.replace("masqué", ""), (chunk, line)


@pytest.mark.parametrize("message, kept", [
    ("GET /compte/activation/AbCdEf_123-xyzTOKENxyz0123456789 200", "GET /compte/activation/[masqué] 200"),
    ("GET /compte/mot-de-passe/reinitialiser/s3cr3t-t0k3n?x=1", "/compte/mot-de-passe/reinitialiser/[masqué]?x=1"),
    ("callback?token=abcdef123456&page=2", "callback?token=[masqué]&page=2"),
    ("form {'password': 'Motdepasse-1', 'email': 'a@b.fr'}", "'password': '[masqué]'"),
    ("new_password=Secret-99 csrf_token=ImFiYyI.xyz", "new_password=[masqué] csrf_token=[masqué]"),
    ("MSA code=123456 sent", "MSA code=[masqué] sent"),
])
def test_tokens_and_passwords_are_masked(captured, message, kept):
    logger, stream = captured
    logger.info(message)
    assert kept in stream.getvalue()


def test_ordinary_numbers_are_kept(captured):
    logger, stream = captured
    logger.info("request 2233100011 of organisation 331 by user 42, phone 0612345678, postcode 33000")
    assert "request 2233100011 of organisation 331 by user 42, phone 0612345678, postcode 33000" in stream.getvalue()


def test_a_traceback_is_one_redacted_line(captured):
    logger, stream = captured
    try:
        raise ValueError("bad NIR 2850733063123")
    except ValueError:
        logger.exception("failed")
    [line] = stream.getvalue().splitlines()
    assert "failed\\nTraceback (most recent call last):" in line
    assert "ValueError: bad NIR [masqué]" in line and "2850733063123" not in line


def test_the_sms_lines_of_the_development_sender_reach_the_handler(captured):
    _, stream = captured
    outbox_logger = logging.getLogger("guichet.outbox")
    handler = logs.make_handler(stream)
    outbox_logger.addHandler(handler)
    try:
        from core.outbox import LogSmsSender
        level = outbox_logger.getEffectiveLevel()
        outbox_logger.setLevel(logging.INFO)
        LogSmsSender().send("0612345678", "MSA : nous avons bien reçu votre message. Code : 123456")
        outbox_logger.setLevel(level)
    finally:
        outbox_logger.removeHandler(handler)
    assert ("INFO [-] user=- guichet.outbox: SMS to 0612…: MSA : nous avons bien reçu votre message. Code : 123456"
            in stream.getvalue())


def test_configure_adds_one_root_handler_at_info(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers])
    monkeypatch.setattr(root, "level", logging.WARNING)
    first = logs.configure("INFO")
    assert logs.configure("INFO") is first
    assert [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME] == [first]
    assert root.level == logging.INFO  # so that the outbox's SMS lines show under gunicorn


# --- gunicorn ---------------------------------------------------------------------------------------

def gunicorn_config():
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_the_gunicorn_access_format_has_no_query_string():
    config = gunicorn_config()
    access_format = config["access_log_format"]
    assert "%(U)s" in access_format
    for atom in ("%(r)s", "%(q)s", "%(f)s"):
        assert atom not in access_format
    assert "%({x-request-id}o)s" in access_format
    assert config["accesslog"] == "-" and config["errorlog"] == "-"


def test_the_gunicorn_access_logger_strips_queries_and_tokens():
    from gunicorn.config import Config
    config = gunicorn_config()
    logger_class = config["logger_class"]
    cfg = Config()
    cfg.set("access_log_format", '%(r)s | %(U)s | %(q)s | %(f)s')
    logger = logger_class(cfg)
    req = SimpleNamespace(method="GET", path="/compte/activation/S3cretToken0123456789", query="next=/x&token=abc",
                          uri="/compte/activation/S3cretToken0123456789?next=/x&token=abc", version=(1, 1),
                          headers=[("REFERER", "https://guichet.test/x?token=abc")])
    resp = SimpleNamespace(status="302 FOUND", sent=0, headers=[], response_length=0)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": req.uri, "PATH_INFO": req.path, "QUERY_STRING": req.query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://guichet.test/x?token=abc"}
    atoms = logger.atoms(resp, req, environ, datetime.timedelta(seconds=0.01))
    line = cfg.access_log_format % atoms
    assert "S3cretToken" not in line and "token=abc" not in line and "next=" not in line, line
    assert line.startswith("GET /compte/activation/[masqué] HTTP/1.1 | /compte/activation/[masqué] |  | "
                           "https://guichet.test/x"), line
