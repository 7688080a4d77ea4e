"""Agents' digest mails (issue 10): MSA agents are told by email of a member's reply in a
conversation and of documents sent through « Nous envoyer un document », grouped: at most one
mail an hour per agent, listing what arrived since their previous digest.

What arrived is read from the rows' own timestamps (`ConversationMessage.created_at` of a
member's message that is not a conversation's first one; `MsaDocumentSubmission.submitted_at`);
`MsaAgentDigest` records each digest sent and how far it went. A reply concerns the agent the
conversation is assigned to (the one who answered), or every agent of the fund while nobody
answered; a document concerns every agent of the member's fund.

`send_agent_digests(now=None)` is a plain function: the job worker (or `flask msa digest`, from
cron) calls it as often as it likes."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

import click
from flask import current_app, has_request_context
from sqlalchemy import exists, or_
from sqlalchemy.orm import aliased

from blueprints.msa import bp
from core.database import begin_immediate
from core.notify import notify
from core.urls import public_url
from extensions import db
from models import Conversation, ConversationMessage, Organisation, User
from models.base import utcnow
from models.msa_documents import MsaAgentDigest, MsaDocumentSubmission

INTERVAL = timedelta(hours=1)
FIRST_LOOKBACK = timedelta(days=1)  # an agent's first digest: what arrived the day before, at most
SUBJECT = "MSA – Nouveaux éléments à traiter"


def msa_agents() -> list[User]:
    return (User.query.join(Organisation, User.organisation_id == Organisation.id)
            .filter(User.role == "agent", User.active.is_(True), Organisation.portal == "msa")
            .order_by(User.id).all())


def last_digest(agent: User) -> MsaAgentDigest | None:
    return (MsaAgentDigest.query.filter_by(agent_id=agent.id)
            .order_by(MsaAgentDigest.sent_at.desc(), MsaAgentDigest.id.desc()).first())


def documents_for(agent: User, since: datetime, until: datetime) -> list[MsaDocumentSubmission]:
    return (MsaDocumentSubmission.query
            .filter(MsaDocumentSubmission.organisation_id == agent.organisation_id,
                    MsaDocumentSubmission.submitted_at > since, MsaDocumentSubmission.submitted_at <= until)
            .order_by(MsaDocumentSubmission.submitted_at, MsaDocumentSubmission.id).all())


def replies_for(agent: User, since: datetime, until: datetime) -> list[ConversationMessage]:
    """Members' replies (not the message that opened a conversation) in the agent's conversations."""
    earlier = aliased(ConversationMessage)
    is_a_reply = (exists().where(earlier.conversation_id == ConversationMessage.conversation_id,
                                  earlier.id < ConversationMessage.id))
    return (ConversationMessage.query.join(Conversation)
            .filter(Conversation.organisation_id == agent.organisation_id,
                    or_(Conversation.assigned_agent_id.is_(None), Conversation.assigned_agent_id == agent.id),
                    ConversationMessage.from_agent.is_(False), is_a_reply,
                    ConversationMessage.created_at > since, ConversationMessage.created_at <= until)
            .order_by(ConversationMessage.created_at, ConversationMessage.id).all())


def send_agent_digests(now: datetime | None = None) -> int:
    """One digest mail per MSA agent to whom something arrived since their last digest, unless
    that digest is less than an hour old. Returns the number of mails queued (committed)."""
    now = now or utcnow()
    # Outside a request (a job, the CLI), links are built in a request to no page of the site.
    context = nullcontext() if has_request_context() else \
        current_app.test_request_context("/-/taches/digest", base_url=current_app.config["PUBLIC_URL"])
    sent = 0
    with context:
        for agent_id in [a.id for a in msa_agents()]:
            sent += _digest(agent_id, now)
    return sent


def _digest(agent_id: int, now: datetime) -> int:
    # One writer at a time per agent: two workers running at once cannot both send (SQLite:
    # BEGIN IMMEDIATE; PostgreSQL: the agent's row locked until the commit).
    begin_immediate()
    agent = db.session.query(User).filter_by(id=agent_id).with_for_update().one()
    last = last_digest(agent)
    if last is not None and now - last.sent_at < INTERVAL:
        db.session.rollback()
        return 0
    since = last.covered_until if last is not None else max(agent.created_at, now - FIRST_LOOKBACK)
    documents = documents_for(agent, since, now)
    replies = replies_for(agent, since, now)
    if not documents and not replies:
        db.session.rollback()
        return 0
    notify(agent.email, "msa_agent_digest", SUBJECT, user=agent, link=public_url("agent.index"),
           documents=documents, replies=replies, documents_url=public_url("agent.msa_documents"),
           inbox_url=public_url("agent.msa_inbox"))
    db.session.add(MsaAgentDigest(agent_id=agent.id, sent_at=now, covered_until=now, documents=len(documents),
                                  replies=len(replies)))
    db.session.commit()
    return 1


@bp.cli.command("digest")
def digest_command():
    """Send the MSA agents' digest mails (at most one an hour per agent)."""
    click.echo(f"{send_agent_digests()} digest mail(s) queued.")
