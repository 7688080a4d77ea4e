"""MSA « Ma messagerie », agent side (spec msa.md C, first bullet; B.7 for the notification): the
organisation's inbox of conversations, a conversation with « Répondre » and « Clôturer ».

Conversations are only ever loaded through a query scoped to the agent's organisation: anything
else is a 404. Only agents of an MSA organisation reach these screens (403 for anyone else)."""
from typing import NamedTuple

from flask import abort, request
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from blueprints.agent import bp
from blueprints.msa import service
from core import catalogues
from core.queue import (Answer, CaseLoader, Choice, DetailPage, FileLink, Queue, Unposted, agent_organisation,
                        constant, core_rows, unposted_answer)
from core.replay import keeps_input
from core.templating import render
from core.throttle import notifies
from core.uploads import MB, AttachmentSet, register_policy
from extensions import db
from forms.agent_msa import ConversationAnswerForm, ConversationCloseForm
from models import Attachment, Conversation, ConversationMessage, User
from models.msa import CONVERSATION_FILES, CONVERSATION_WORKFLOW, MESSAGE_FILES, ConversationStatus

PORTAL = "msa"
ANSWER_POLICY = "msa_reponse_agent"
CONVERSATION_TEMPLATE = "agent/msa/conversation.html"

register_policy(ANSWER_POLICY, max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))


def msa_organisation():
    """The current agent's organisation when it is an MSA fund; 403 for anyone else."""
    return agent_organisation(PORTAL)


# --- Theme labels ----------------------------------------------------------------------------------

def _catalogue_theme_labels():
    """{theme code: label} from the member side's catalogue, when it is there ({} otherwise: the
    labels then come from the conversations' own `object_label`)."""
    try:
        data = catalogues.load("msa-messagerie")
    except (OSError, ValueError):
        return {}
    themes = (data.get("choices") or data.get("themes") or []) if isinstance(data, dict) else data
    labels = {}
    if isinstance(themes, dict):
        for code, value in themes.items():
            label = value.get("label") if isinstance(value, dict) else value
            if isinstance(label, str):
                labels[str(code)] = label
    elif isinstance(themes, list):
        for theme in themes:
            if isinstance(theme, dict):
                code = theme.get("code") or theme.get("id") or theme.get("value")
                label = theme.get("label") or theme.get("name")
                if code is not None and isinstance(label, str):
                    labels[str(code)] = label
    return labels


def _theme_choices(org):
    """(code, label) of the themes the organisation's conversations use, by label."""
    labels = _catalogue_theme_labels()
    rows = (db.session.query(Conversation.theme, func.min(Conversation.object_label))
            .filter(Conversation.organisation_id == org.id).group_by(Conversation.theme).all())
    choices = [(code, labels.get(code) or object_label.split(" > ")[0]) for code, object_label in rows]
    return sorted(choices, key=lambda c: c[1].lower())


# --- Inbox -------------------------------------------------------------------------------------------

class Inbox(Queue):
    statuses = {"nouveau": ConversationStatus.NEW.value, "en-cours": ConversationStatus.OPEN.value,
                "cloture": ConversationStatus.CLOSED.value, "tous": None}
    workflow = CONVERSATION_WORKFLOW
    default_status = "nouveau"  # what is waiting for a first answer
    status_column = Conversation.status
    choices = {"theme": Choice(Conversation.theme)}
    # No search box: the member's name is in the user table, with no folded copy to search on.


def _last_messages(conversation_ids):
    """{conversation id: its latest message}, in one query for the whole page."""
    if not conversation_ids:
        return {}
    latest = (db.session.query(func.max(ConversationMessage.id))
              .filter(ConversationMessage.conversation_id.in_(conversation_ids))
              .group_by(ConversationMessage.conversation_id))
    return {m.conversation_id: m for m in ConversationMessage.query.filter(ConversationMessage.id.in_(latest))}


@bp.route("/msa/")
def msa_inbox():
    org = msa_organisation()
    themes = _theme_choices(org)
    filters = Inbox.from_args(request.args, theme={code for code, _ in themes})
    page = filters.paginate(Conversation.query.filter(Conversation.organisation_id == org.id),
                            order_by=(Conversation.created_at, Conversation.id),  # first come, first answered
                            options=(joinedload(Conversation.member),))
    return render("agent/msa/inbox.html", block="results", organisation=org, themes=themes,
                  theme_labels=dict(themes), filters=filters, page=page,
                  last_messages=_last_messages([c.id for c in page.rows]))


# --- One conversation --------------------------------------------------------------------------------

# The page's read of a conversation with what it shows, built once (see core.queue.CaseLoader).
# The page itself (`with_shown`) reads the member's names as plain values with the conversation
# and its messages; an action's read (after which the page is shown too) joins the member's object.
_CONVERSATION = CaseLoader(Conversation, options=(joinedload(Conversation.member), joinedload(Conversation.messages)),
                           shown={"member_first_name": User.first_name, "member_last_name": User.last_name},
                           joins=((User, User.id == Conversation.member_id),),
                           shown_options=(joinedload(Conversation.messages),))


def load_conversation(conversation_id, org, for_update=False):
    """The organisation's conversation; 404 otherwise. `for_update` locks it, so that two agents
    acting at once cannot both answer a closing conversation."""
    return _CONVERSATION(conversation_id, org, for_update)


# Built once: the files of a conversation's messages and of the conversation itself, as plain
# rows (what attachment_links shows), the subject names written in the statement (core.queue.constant).
_CONVERSATION_FILES = (
    select(Attachment.subject_type, Attachment.subject_id, Attachment.id, Attachment.original_name, Attachment.size)
    .where(((Attachment.subject_type.in_([constant(name) for name in MESSAGE_FILES.stored_names]))
            & (Attachment.subject_id.in_(select(ConversationMessage.id)
                                         .where(ConversationMessage.conversation_id == bindparam("conversation_id")))))
           | ((Attachment.subject_type.in_([constant(name) for name in CONVERSATION_FILES.stored_names]))
              & (Attachment.subject_id == bindparam("conversation_id"))))
    .order_by(Attachment.id))


def _files_by_message(conversation):
    """{message id: [attachments]}; files linked to the conversation itself go with its first message."""
    ids = [m.id for m in conversation.messages]
    files = {}
    if not ids:
        return files
    rows = core_rows(_CONVERSATION_FILES, {"conversation_id": conversation.id})
    message_subjects = MESSAGE_FILES.stored_names
    for subject_type, subject_id, *attachment in rows:
        key = subject_id if subject_type in message_subjects else ids[0]
        files.setdefault(key, []).append(FileLink(*attachment))
    return files


class Member(NamedTuple):
    """What the page shows of the member."""
    first_name: str | None
    last_name: str | None


def _context(conversation, answer_form=None, files=None, shown=None, **extra):
    # The member as the page shows them: read with the conversation on a GET, its row otherwise.
    member = Member(shown.member_first_name, shown.member_last_name) if shown is not None else conversation.member
    context = {"conversation": conversation, "member": member, "files_by_message": _files_by_message(conversation),
               "theme_label": _catalogue_theme_labels().get(conversation.theme),
               "answer_form": None, "files": None, "close_form": None, "answer_html": (None, None)}
    user = current_user._get_current_object()
    if conversation.can_answer(user):
        context["files"] = files = files or AttachmentSet(ANSWER_POLICY, user)
        # The posted form shown again, or the answer not posted (not built: core.queue.unposted_answer).
        context["answer_form"], context["answer_html"] = unposted_answer(ConversationAnswerForm, "body", files,
                                                                   answer_form)
        context["close_form"] = Unposted()  # only its CSRF token, which the template writes itself
    context.update(extra)
    return context


DETAIL = DetailPage(CONVERSATION_TEMPLATE, "thread", _context, "agent.msa_conversation", "conversation_id",
                    refusal=lambda conversation: "Cette conversation est clôturée : rien n’a été modifié.",
                    answer=Answer(ConversationAnswerForm, ANSWER_POLICY, Conversation.can_answer, service.answer,
                                  "body", lambda _: "Votre réponse a été envoyée. L’adhérent en a été informé "
                                                    "par courriel.", already=service.answered_with,
                                  endpoint="agent.msa_answer"))


@bp.route("/msa/conversations/<int:conversation_id>")
def msa_conversation(conversation_id):
    conversation, shown = _CONVERSATION.with_shown(conversation_id, msa_organisation())
    return DETAIL.show(conversation, shown=shown)


@bp.route("/msa/conversations/<int:conversation_id>/reponse", methods=["POST"])
@keeps_input(shown_at="agent.msa_conversation")
@notifies
def msa_answer(conversation_id):
    org = msa_organisation()
    return DETAIL.answer_with_files(lambda lock: load_conversation(conversation_id, org, for_update=lock))


@bp.route("/msa/conversations/<int:conversation_id>/cloture", methods=["POST"])
def msa_close(conversation_id):
    org = msa_organisation()
    if not ConversationCloseForm().validate_on_submit():
        abort(400)
    return DETAIL.act(lambda: load_conversation(conversation_id, org, for_update=True),
                      lambda locked: service.close(locked, current_user), lambda _: "La conversation est clôturée.")
