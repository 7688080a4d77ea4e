"""MSA « Ma messagerie »: the operations that change state, for members and agents alike.

Views load (through a query scoped to the user), check, call one of these, and render; each
works in the caller's transaction, which the view commits. A conversation's moves go through its
workflow (models.msa.CONVERSATION_WORKFLOW), which refuses an illegal one with
core.workflow.IllegalTransition and writes the dated history. The member is told by email (and
SMS when they gave a mobile number) that their message was received, and by email that an answer
is waiting (B.7: never what it says)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, render_template

from core import audit, drafts
from core.notify import notify
from core.outbox import queue_sms
from core.urls import public_url
from extensions import db
from models.msa import CONVERSATION_WORKFLOW, Conversation

if TYPE_CHECKING:
    from core.cascade import CascadeState
    from core.uploads import AttachmentSet
    from models import ConversationMessage, MsaMember, User
    from models.case_event import CaseEvent

DRAFT_KIND = "msa.message"
ANSWER_EMAIL_SUBJECT = "MSA – Une réponse vous attend dans « Ma messagerie »"


def send_message(member: MsaMember, user: User, state: CascadeState, body: str, files: AttachmentSet) -> Conversation:
    """A new conversation with its first message and files; the acknowledgement by email (and
    SMS), and the draft forgotten."""
    labels = [choice.node.label for choice in state.path]
    codes = state.codes
    conversation = Conversation(member_id=user.id, organisation_id=member.organisation_id, theme=codes["theme"],
                                subject=codes["subject"], reason=codes["reason"], object_label=" > ".join(labels))
    message = conversation.start(user, body)
    attached = files.attach_to(message, organisation_id=member.organisation_id)
    audit.record(user, "msa.conversation.created", conversation, attachments=len(attached))
    context = {"user": user, "conversation": conversation, "labels": labels, "attachments": attached}
    notify(user.email, "msa_message_ack", "MSA – Accusé de réception de votre message",
           reference=f"message N°{conversation.id}", date=conversation.created_at, **context)
    if member.mobile:
        queue_sms(member.mobile, render_template("emails/msa_message_ack_sms.txt", **context).strip(), user=user)
    drafts.discard(user, DRAFT_KIND)
    return conversation


def reply(conversation: Conversation, user: User, body: str, files: AttachmentSet) -> ConversationMessage:
    """The member's reply: the conversation waits for an answer again (« Nouveau »)."""
    message = conversation.add_member_message(user, body)
    attached = files.attach_to(message, organisation_id=conversation.organisation_id)
    audit.record(user, "msa.conversation.replied", conversation, attachments=len(attached))
    return message


def answer(conversation: Conversation, agent: User, body: str, files: AttachmentSet) -> ConversationMessage:
    """An agent's answer (« En cours »); the member is told an answer is waiting."""
    message = conversation.answer(agent, body)
    db.session.flush()
    attached = files.attach_to(message, organisation_id=conversation.organisation_id)
    audit.record(agent, "msa_conversation_answered", conversation, message=message.id, files=len(attached))
    return message


def close(conversation: Conversation, agent: User) -> CaseEvent:
    return conversation.close(agent)


def messaging_link() -> str | None:
    """Where the member reads the answer (None when the MSA portal is not served here)."""
    for endpoint in ("msa.messages", "msa.messages_index", "msa.messaging", "msa.index"):
        if endpoint in current_app.view_functions:
            return public_url(endpoint)
    return None


def _answered(conversation: Conversation, event: CaseEvent, data: dict[str, Any]) -> None:
    member = conversation.member
    notify(member.email, "msa_reponse", ANSWER_EMAIL_SUBJECT, user=member, reference=f"message N°{conversation.id}",
           date=conversation.created_at, link=messaging_link(), member=member)


CONVERSATION_WORKFLOW.on_enter("answer", _answered)
