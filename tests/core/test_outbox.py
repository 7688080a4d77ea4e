"""Outbox: written in the change's transaction, delivered after commit over real SMTP, retried."""
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from core.outbox import deliver, queue_email, queue_sms
from extensions import db
from models import OutboxMessage


class Recorder(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    controller, _ = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False)
    from extensions import mail
    mail.init_app(app)  # Flask-Mail reads its settings at init
    return app


def test_mail_is_delivered_over_smtp_after_commit(smtp_app, smtp_server):
    _, handler = smtp_server
    with smtp_app.app_context():
        queue_email("anne@example.fr", "Objet accentué : été", "Corps du message : ça marche.")
        db.session.commit()
    # Delivered when the app context ends (after commit).
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.rcpt_tos == ["anne@example.fr"]
    assert b"Subject: =?utf-8?" in envelope.content
    with smtp_app.app_context():
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT


def test_rolled_back_change_sends_nothing(smtp_app, smtp_server):
    _, handler = smtp_server
    with smtp_app.app_context():
        queue_email("anne@example.fr", "Jamais", "Ne doit pas partir")
        db.session.flush()
        db.session.rollback()
    assert handler.messages == []
    with smtp_app.app_context():
        assert OutboxMessage.query.count() == 0


def test_server_down_keeps_the_message_and_the_cli_retries(app, smtp_server):
    controller, handler = smtp_server
    # Nobody listens on that port.
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False)
    from extensions import mail
    mail.init_app(app)
    with app.app_context():
        queue_email("anne@example.fr", "Relance", "Corps")
        db.session.commit()
    with app.app_context():
        message = OutboxMessage.query.one()
        assert message.status == OutboxMessage.STATUS_PENDING
        assert message.attempts == 1 and message.last_error
    app.config["MAIL_PORT"] = controller.port
    mail.init_app(app)
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert "1 message(s) sent, 0 failed." in result.output
    assert len(handler.messages) == 1
    with app.app_context():
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT


def test_gives_up_after_max_attempts(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False,
                      OUTBOX_MAX_ATTEMPTS=2)
    from extensions import mail
    mail.init_app(app)
    with app.app_context():
        queue_email("anne@example.fr", "Relance", "Corps")
        db.session.commit()
    with app.app_context():
        deliver()
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_FAILED


def test_sms_goes_through_the_pluggable_sender(app, caplog):
    sent = []

    class Collecting:
        def send(self, recipient, body):
            sent.append((recipient, body))

    import sys
    import types
    module = types.ModuleType("test_sms_sender_module")
    module.Collecting = Collecting
    sys.modules["test_sms_sender_module"] = module
    app.config["SMS_SENDER"] = "test_sms_sender_module:Collecting"
    with app.app_context():
        queue_sms("0600000000", "Votre message a bien été envoyé.")
        db.session.commit()
    assert sent == [("0600000000", "Votre message a bien été envoyé.")]


def test_development_sms_sender_logs(app, caplog):
    import logging
    caplog.set_level(logging.INFO, logger="guichet.outbox")
    with app.app_context():
        queue_sms("0611223344", "Code : 123456")
        db.session.commit()
    assert "Code : 123456" in caplog.text
    assert "0611223344" not in caplog.text  # the number is not logged in full
    with app.app_context():
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT


def test_dev_mailbox_lists_messages(app, client):
    from tests.helpers import page
    with app.app_context():
        queue_email("anne@example.fr", "Bienvenue", "Bonjour <script>alert(1)</script>\nhttp://guichet.test/x")
        db.session.commit()
    soup = page(client, "/dev/courriels")
    link = soup.select_one("table a")
    assert link.get_text() == "Bienvenue"
    soup = page(client, link["href"])
    body = soup.select_one(".mail-body")
    assert "<script>alert(1)</script>" in body.get_text()  # shown as text
    assert not soup.select("main script")
    assert body.select_one("a")["href"] == "http://guichet.test/x"


def test_dev_mailbox_absent_in_production(tmp_path, template_db):
    from tests.conftest import _sqlite_app
    app = _sqlite_app(tmp_path, template_db, DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False)
    assert app.test_client().get("/dev/courriels").status_code == 404


def test_files_go_with_the_mail(smtp_app, smtp_server, make_user):
    """core.notify / queue_email `attachments=`: the files are read from storage when the mail is sent."""
    import email

    from core.uploads import attach_generated
    from models import User
    from tests.components.test_attachments_content import pdf_bytes
    _, handler = smtp_server
    uid = make_user(email="joint@example.fr")
    content = pdf_bytes()
    with smtp_app.app_context():
        user = db.session.get(User, uid)
        from models.armees import PORTE_DOCUMENTS
        attachment = attach_generated(content, "récapitulatif.pdf", subject_type=PORTE_DOCUMENTS.name,
                                      subject_id=uid, owner=user, document="recapitulatif")
        queue_email("joint@example.fr", "Avec un fichier", "Voir le fichier joint.", attachments=[attachment])
        db.session.commit()
    message = email.message_from_bytes(handler.messages[0].content)
    parts = [p for p in message.walk() if p.get_filename()]
    assert [p.get_content_type() for p in parts] == ["application/pdf"]
    assert parts[0].get_payload(decode=True) == content
    assert "capitulatif.pdf" in parts[0].get_filename()
    with smtp_app.app_context():
        with pytest.raises(ValueError):
            queue_email("joint@example.fr", "x", "y", attachments=[type("Unflushed", (), {"id": None})()])
