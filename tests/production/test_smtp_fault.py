"""A mail server that accepts the connection and never answers (issue 12, item 1): the user's action
answers at once (the mail only goes into the outbox and the queue), the job worker — a real
`flask jobs worker` process — times out, retries with backoff, and delivers the mail once, with the
same Message-ID, when a real SMTP server answers again on that port."""
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from extensions import db, mail
from models import OutboxMessage
from tests.core.test_outbox import Recorder
from tests.partenaires.test_agent import agent, make_request, world  # noqa: F401  (fixtures)
from tests.production.helpers import SilentSMTP, Worker, free_port, wait_until

pytestmark = pytest.mark.slow


def _message(app):
    with app.app_context():
        message = OutboxMessage.query.one()
        db.session.expunge(message)
        return message


def test_silent_smtp_server_neither_holds_the_action_nor_loses_the_mail(app, agent, world, tmp_path):  # noqa: F811
    port = free_port()
    silent = SilentSMTP(port)
    # The web side would wait two minutes if it talked to the mail server itself.
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, DEV_MAILBOX=False, MAIL_SUPPRESS_SEND=False,
                      MAIL_TIMEOUT=120)
    mail.init_app(app)
    worker = Worker(app, tmp_path / "worker.log", MAIL_TIMEOUT=1, OUTBOX_RETRY_SECONDS=1)
    controller = None
    try:
        req_id, number = make_request(app, world["org"], world["victor"])
        answers = []
        action = threading.Thread(target=lambda: answers.append(
            agent.post(f"/agent/partenaires/demandes/{req_id}/prise-en-charge")))
        action.start()
        action.join(30)
        assert not action.is_alive(), "« Prendre en charge » waited for the mail server"
        assert answers[0].status_code == 303
        assert _message(app).status in (OutboxMessage.STATUS_PENDING, "sending")

        # The worker tries, times out (MAIL_TIMEOUT=1), records the failure and retries later.
        wait_until(lambda: _message(app).attempts >= 1, what="a failed attempt")
        failed = _message(app)
        assert silent.accepted >= 1 and "timed out" in failed.last_error
        assert failed.status == OutboxMessage.STATUS_PENDING and failed.next_attempt_at is not None

        # The mail server comes back on the same port: the mail goes, once, with its Message-ID.
        silent.stop()
        handler = Recorder()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        wait_until(lambda: _message(app).status == OutboxMessage.STATUS_SENT, what="the delivery",
                   timeout=90)
        sent = _message(app)
        assert sent.message_id == failed.message_id
        # Let any retry still scheduled run: none sends it again.
        wait_until(lambda: "deliver_messages" in worker.output(), what="the worker's log")
        time.sleep(3)
        assert len(handler.messages) == 1
        envelope = handler.messages[0]
        assert envelope.rcpt_tos == ["victor@example.fr"]
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert parsed["Message-ID"] == sent.message_id
        assert f"N°{number}" in parsed.get_body(preferencelist=("plain",)).get_content()
    finally:
        worker.stop()
        silent.stop()
        if controller is not None:
            controller.stop()
