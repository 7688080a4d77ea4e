"""Outbox: written in the change's transaction, delivered after commit by the job worker over real
SMTP (the queued job run here in the test's process), retried with backoff, with a stable Message-ID."""
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from core.jobs import get_jobs, run_pending
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
        # The commit only enqueued a job: nothing was sent by the code that made the change.
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_PENDING
        assert len(get_jobs().huey.pending()) == 1
    assert handler.messages == []
    assert run_pending(smtp_app) == 1  # what the worker does
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.rcpt_tos == ["anne@example.fr"]
    assert b"Subject: =?utf-8?" in envelope.content
    with smtp_app.app_context():
        message = OutboxMessage.query.one()
        assert message.status == OutboxMessage.STATUS_SENT
        # The Message-ID was chosen when the mail was queued, and is the one sent.
        assert message.message_id.endswith("@guichet.example>")
        assert message_from_bytes(envelope.content)["Message-ID"] == message.message_id


def test_rolled_back_change_sends_nothing(smtp_app, smtp_server):
    _, handler = smtp_server
    with smtp_app.app_context():
        queue_email("anne@example.fr", "Jamais", "Ne doit pas partir")
        db.session.flush()
        db.session.rollback()
        assert get_jobs().huey.pending() == []
    assert run_pending(smtp_app) == 0
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
    assert run_pending(app) == 1
    with app.app_context():
        message = OutboxMessage.query.one()
        assert message.status == OutboxMessage.STATUS_PENDING
        assert message.attempts == 1 and message.last_error
        assert message.next_attempt_at is not None  # backoff: not before OUTBOX_RETRY_SECONDS
        # Its retry is scheduled in the queue (the worker's scheduler starts it when it is due).
        assert len(get_jobs().huey.scheduled()) == 1
        message_id = message.message_id
    app.config["MAIL_PORT"] = controller.port
    mail.init_app(app)
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert "1 message(s) sent, 0 failed." in result.output
    assert len(handler.messages) == 1
    assert message_from_bytes(handler.messages[0].content)["Message-ID"] == message_id
    with app.app_context():
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_SENT
    # The scheduled retry finds it sent: nothing goes twice.
    assert run_pending(app, include_scheduled=True) == 1
    assert len(handler.messages) == 1


def test_failed_delivery_is_retried_by_its_scheduled_job_then_by_the_sweep(app, smtp_server):
    controller, handler = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False)
    from extensions import mail
    mail.init_app(app)
    with app.app_context():
        queue_email("anne@example.fr", "Relance", "Corps")
        db.session.commit()
    run_pending(app)
    run_pending(app, include_scheduled=True)  # the retry, still refused: a second one is scheduled
    with app.app_context():
        message = OutboxMessage.query.one()
        assert (message.status, message.attempts) == (OutboxMessage.STATUS_PENDING, 2)
        first, second = get_jobs().huey.scheduled()[0].eta, message.next_attempt_at
    # The sweep leaves a message alone until its backoff is over.
    from core.jobs import run_periodic
    app.config["MAIL_PORT"] = controller.port
    mail.init_app(app)
    assert run_periodic("outbox_sweep", app) == (0, 0)
    assert handler.messages == [] and first is not None and second is not None
    with app.app_context():
        OutboxMessage.query.update({"next_attempt_at": None})
        db.session.commit()
    assert run_periodic("outbox_sweep", app) == (1, 0)
    assert len(handler.messages) == 1


def test_gives_up_after_max_attempts(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False,
                      OUTBOX_MAX_ATTEMPTS=2)
    from extensions import mail
    mail.init_app(app)
    with app.app_context():
        queue_email("anne@example.fr", "Relance", "Corps")
        db.session.commit()
    run_pending(app)
    with app.app_context():
        deliver()
        assert OutboxMessage.query.one().status == OutboxMessage.STATUS_FAILED
    assert run_pending(app, include_scheduled=True) == 1  # the retry scheduled by the first failure
    with app.app_context():
        assert OutboxMessage.query.one().attempts == 2


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
    assert sent == []
    run_pending(app)
    assert sent == [("0600000000", "Votre message a bien été envoyé.")]


def test_development_sms_sender_logs(app, caplog):
    import logging
    caplog.set_level(logging.INFO, logger="guichet.outbox")
    with app.app_context():
        queue_sms("0611223344", "Code : 123456")
        db.session.commit()
    run_pending(app)
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


def test_a_generated_pdf_travels_attached_to_the_mail(smtp_app, smtp_server):
    import email
    from email import policy

    from core.pdf import render_document
    from core.uploads import attach_generated
    from models import AidApplication
    from tests import factories
    _, handler = smtp_server
    with smtp_app.app_context():
        owner = factories.user(email="eloise@example.fr")
        org = factories.organisation(portal="armees")
        db.session.flush()
        application = AidApplication(user_id=owner.id, organisation_id=org.id, benefit_code="pret-social",
                                     benefit_label="Prêt social")
        db.session.add(application)
        pdf = render_document("Récapitulatif de votre demande", [(None, [("Prestation", "Prêt social")])])
        attachment = attach_generated(pdf, "récapitulatif.pdf", application, owner=owner,
                                      subject_type="armees_application", document="recapitulatif")
        db.session.flush()
        queue_email(owner.email, "Votre demande", "Vous trouverez le récapitulatif en pièce jointe.",
                    attachments=[attachment])
        db.session.commit()
        assert attachment.owner_id == owner.id and attachment.can_download(owner)
    run_pending(smtp_app)
    message = email.message_from_bytes(handler.messages[0].content, policy=policy.default)
    parts = [p for p in message.iter_attachments()]
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [("récapitulatif.pdf", "application/pdf")]
    assert parts[0].get_content() == pdf


def test_attachments_must_exist_before_they_are_queued(app):
    from models import Attachment
    with app.app_context(), pytest.raises(ValueError):
        queue_email("anne@example.fr", "Objet", "Corps", attachments=[Attachment()])
