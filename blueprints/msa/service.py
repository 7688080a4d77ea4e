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
from core.submission import SubmissionReplayed, create_once
from core.urls import public_url
from extensions import db
from models import MsaMember, MsaSignup, Organisation, Role, User
from models.msa import CONVERSATION_WORKFLOW, SIGNUP_CODE_MINUTES, Conversation, ConversationMessage

if TYPE_CHECKING:
    from core.cascade import CascadeState
    from core.uploads import AttachmentSet
    from models.case_event import CaseEvent

DRAFT_KIND = "msa.message"
ANSWER_EMAIL_SUBJECT = "MSA – Une réponse vous attend dans « Ma messagerie »"


def send_message(member: MsaMember, user: User, state: CascadeState, body: str, files: AttachmentSet,
                 token: str) -> Conversation:
    """A new conversation with its first message and files; the acknowledgement by email (and
    SMS), and the draft forgotten; committed. The summary posted twice (double tap, Back then
    « Renvoyer le formulaire ») sends once: the second post finds the conversation by the form's
    submission token, and nothing is mailed again. Another member's token: SubmissionReplayed."""
    def create() -> Conversation:
        labels = [choice.node.label for choice in state.path]
        codes = state.codes
        conversation = Conversation(member_id=user.id, organisation_id=member.organisation_id, theme=codes["theme"],
                                    subject=codes["subject"], reason=codes["reason"],
                                    object_label=" > ".join(labels), submission_token=token)
        message = conversation.start(user, body)
        db.session.flush()
        attached = files.attach_to(message, organisation_id=member.organisation_id)
        audit.record(user, "msa.conversation.created", conversation, attachments=len(attached))
        context = {"user": user, "conversation": conversation, "labels": labels, "attachments": attached}
        notify(user.email, "msa_message_ack", "MSA – Accusé de réception de votre message",
               reference=f"message N°{conversation.id}", date=conversation.created_at,
               link=public_url("msa.messages_conversation", conversation_id=conversation.id), **context)
        if member.mobile:
            queue_sms(member.mobile, render_template("emails/msa_message_ack_sms.txt", **context).strip(), user=user)
        drafts.discard(user, DRAFT_KIND)
        return conversation

    return create_once(token, Conversation, lambda: sent_with(token, user), create, lambda found: found)


def sent_with(token: str, user: User) -> Conversation | None:
    """The conversation this member already opened with this summary, if any."""
    return Conversation.query.filter_by(submission_token=token, member_id=user.id).first()


def reply(conversation: Conversation, user: User, body: str, files: AttachmentSet,
          token: str | None = None) -> ConversationMessage:
    """The member's reply: the conversation waits for an answer again (« Nouveau »). The same reply
    form posted twice adds one message: the second post returns the first one. A token that
    already added someone else's message (or to another conversation): SubmissionReplayed."""
    if token is not None:
        earlier = replied_with(token, conversation, user)
        if earlier is not None:
            return earlier
        if db.session.query(ConversationMessage.id).filter_by(submission_token=token).first() is not None:
            raise SubmissionReplayed(token)
    message = conversation.add_member_message(user, body)
    message.submission_token = token
    attached = files.attach_to(message, organisation_id=conversation.organisation_id)
    audit.record(user, "msa.conversation.replied", conversation, attachments=len(attached))
    return message


def replied_with(token: str, conversation: Conversation, user: User) -> ConversationMessage | None:
    """The reply this member already added to this conversation with this form, if any."""
    return ConversationMessage.query.filter_by(submission_token=token, conversation_id=conversation.id,
                                               author_id=user.id).first()


def answer(conversation: Conversation, agent: User, body: str, files: AttachmentSet,
           token: str | None = None) -> ConversationMessage:
    """An agent's answer (« En cours »); the member is told an answer is waiting. `token`: the
    answer form's one-time token (an answer posted twice is given once, see answered_with)."""
    message = conversation.answer(agent, body)
    message.submission_token = token
    db.session.flush()
    attached = files.attach_to(message, organisation_id=conversation.organisation_id)
    audit.record(agent, "msa_conversation_answered", conversation, message=message.id, files=len(attached))
    return message


def answered_with(conversation: Conversation, agent: User, token: str) -> ConversationMessage | None:
    """The answer this agent already gave to this conversation with this form, if any."""
    return ConversationMessage.query.filter_by(submission_token=token, conversation_id=conversation.id,
                                               author_id=agent.id).first()


def close(conversation: Conversation, agent: User) -> CaseEvent:
    return conversation.close(agent)


# --- Sign-up (seed 004) -----------------------------------------------------------------------------

def default_fund() -> Organisation | None:
    """The MSA fund new members are attached to (one per deployment here: the first configured)."""
    return Organisation.query.filter_by(portal="msa").order_by(Organisation.id).first()


# The sign-up's mails: emails/msa_signup_<kind>.txt, with their subjects.
SUBJECTS = {
    "code": "Votre code d’inscription à Mon espace privé",
    "nir_taken": "Votre inscription à Mon espace privé",
    "attempt": "Tentative d’inscription avec votre numéro de sécurité sociale",
    "email_taken": "Votre compte existe déjà",
}


def _send(to: str, kind: str, **context: Any) -> None:
    notify(to, f"msa_signup_{kind}", SUBJECTS[kind], **context)


def send_signup_email(signup_row: MsaSignup, code: str, resend: bool = False) -> None:
    """The email a sign-up (or its « Renvoyer le code ») sends. The page is the same in every case;
    only the email differs, and it goes to the address typed, or to the owner of the number: nothing
    tells a third party who is registered. The owner is warned once, not at every resend."""
    member = MsaMember.query.filter_by(nir=signup_row.nir).first()
    if member is not None:
        _send(signup_row.email, "nir_taken")
        if member.user.email != signup_row.email and not resend:
            _send(member.user.email, "attempt")
    elif User.query.filter_by(email=signup_row.email).first() is not None:
        _send(signup_row.email, "email_taken")
    else:
        _send(signup_row.email, "code", code=code, minutes=SIGNUP_CODE_MINUTES)


def start_signup(**details: Any) -> MsaSignup:
    """A sign-up in progress and its 6-digit code, emailed (or the mail that says why not)."""
    signup_row, code = MsaSignup.start(**details)
    send_signup_email(signup_row, code)
    audit.record(None, "msa_signup_started")
    return signup_row


def resend_code(signup_row: MsaSignup) -> None:
    """« Renvoyer le code »: a fresh code replaces the previous one and is emailed like the first
    (SignupCodeError when the sign-up is over)."""
    code = signup_row.renew()
    send_signup_email(signup_row, code, resend=True)
    audit.record(None, "msa_signup_code_resent")


def create_member_account(signup_row: MsaSignup, password: str) -> User | None:
    """The member's account once the code is accepted; None when the number or the address was
    registered meanwhile by another sign-up."""
    taken = (MsaMember.query.filter_by(nir=signup_row.nir).first() is not None
             or User.query.filter_by(email=signup_row.email).first() is not None)
    if taken:
        return None
    user = User(email=signup_row.email, role=Role.CITIZEN.value, active=True, first_name=signup_row.first_name,
                last_name=signup_row.last_name, password=password)
    fund = default_fund()
    db.session.add(MsaMember(user=user, nir=signup_row.nir, birth_date=signup_row.birth_date,
                             organisation_id=fund.id if fund else None))
    db.session.add(user)
    db.session.flush()
    audit.record(user, "msa_account_created", user)
    return user


# --- Messaging notifications --------------------------------------------------------------------------

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
