"""core.notify: one way to send a mail, with a text part and the same content as HTML, the case's
reference, date and link, and the service footer; delivered over real SMTP with both parts."""
import email
from datetime import datetime, timezone

from bs4 import BeautifulSoup

from core.jobs import run_pending
from core.notify import notify
from extensions import db
from models import OutboxMessage
from tests.core.test_outbox import smtp_app, smtp_server  # noqa: F401  (fixtures)


def _queue(app, **kwargs):
    with app.test_request_context():
        from core.throttle import mail_quota_wait
        assert mail_quota_wait() == 0  # a request that mails must be throttled
        notify("anne@example.fr", "msa_reponse", "Réponse à votre message", **kwargs)
        db.session.commit()
    run_pending(app)  # the worker's delivery job
    with app.app_context():
        return OutboxMessage.query.order_by(OutboxMessage.id.desc()).first()


class Member:
    first_name, last_name = "Anne", "Lefèvre <b>"


def test_text_part_has_reference_date_link_and_footer(app):
    message = _queue(app, reference="message N°42", date=datetime(2026, 2, 15, 13, 11, tzinfo=timezone.utc),
                     link="http://guichet.test/msa/messages", member=Member)
    lines = message.body.splitlines()
    assert lines[0] == "Référence : message N°42 – 15/02/2026 14h11min"  # Paris time
    assert "Bonjour Anne LEFÈVRE <B>," in message.body
    assert "http://guichet.test/msa/messages" in message.body
    assert lines[-2:] == ["Guichet – http://guichet.test/",
                          "Ce courriel est envoyé automatiquement : merci de ne pas y répondre."]


def test_html_part_says_the_same_escaped_with_links(app):
    message = _queue(app, reference="message N°42", link="http://guichet.test/msa/messages", member=Member)
    soup = BeautifulSoup(message.html, "html.parser")
    assert soup.html["lang"] == "fr" and soup.title.get_text() == "Réponse à votre message"
    text = soup.get_text(" ", strip=True)
    assert "Référence : message N°42" in text and "Bonjour Anne LEFÈVRE <B>," in text
    assert not soup.find("b")  # the name was escaped, not interpreted
    assert [a["href"] for a in soup.find_all("a")] == ["http://guichet.test/msa/messages", "http://guichet.test/"]


def test_both_parts_reach_the_smtp_server(smtp_app, smtp_server):
    _, handler = smtp_server
    _queue(smtp_app, member=Member, link="http://guichet.test/msa/messages")
    parsed = email.message_from_bytes(handler.messages[-1].content)
    types = sorted(part.get_content_type() for part in parsed.walk() if not part.is_multipart())
    assert types == ["text/html", "text/plain"]
