"""One way to send a mail: `notify(recipient, template, subject, **context)`.

The text part is `templates/emails/<template>.txt`; the HTML part is built from it by
`templates/emails/layout.html` (escaped, paragraphs kept, addresses made links by bleach), so both
say exactly the same. Both end with the service footer; when the mail is about a case, its
reference and date open it and a link leads to it. The mail goes through the outbox (sent after
the commit, retried when the mail server is away)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import render_template
from markupsafe import Markup, escape

from core.formatting import linkify_html

from core.outbox import queue_email
from core.urls import public_url
from models.outbox import OutboxMessage

if TYPE_CHECKING:
    from models import Attachment, User


def paragraphs(text: str) -> Markup:
    """Text → HTML paragraphs (line breaks kept), every character escaped, addresses as links."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    html = "".join(f"<p>{escape(block.strip()).replace(chr(10), Markup('<br>'))}</p>" for block in blocks)
    return linkify_html(html)


def notify(recipient: str, template: str, subject: str, user: User | None = None, reference: str | None = None,
           date: datetime | None = None, link: str | None = None, attachments: Iterable[Attachment] = (),
           **context: Any) -> OutboxMessage:
    """Queue the mail `template` to `recipient`. `reference` and `date` name the case the mail is
    about; `link` is where to read it (also given to the template); `attachments` are files sent
    with it (Attachment rows, e.g. made by core.uploads.attach_generated)."""
    context.update(user=user, link=link, reference=reference, date=date)
    body = render_template(f"emails/{template}.txt", **context).strip()
    footer = render_template("emails/footer.txt", site=public_url("main.index")).strip()
    header = render_template("emails/header.txt", reference=reference, date=date).strip()
    text = "\n\n".join(part for part in (header, body, footer) if part) + "\n"
    html = render_template("emails/layout.html", subject=subject, header=paragraphs(header),
                           body=paragraphs(body), footer=paragraphs(footer))
    return queue_email(recipient, subject, text, user=user, html=html, attachments=attachments)
