"""MSA (seeds 001 and 004): members identified by their social security number, sign-up codes,
and the conversations of « Ma messagerie »."""
import enum
import hashlib
import hmac
import secrets
from datetime import timedelta

from core.workflow import IllegalTransition, State, Transition, Workflow
from extensions import db
from models.attachment import attachment_subject
from models.base import UTCDateTime, utcnow

SIGNUP_CODE_MINUTES = 30
SIGNUP_CODE_TRIES = 5
SIGNUP_CODE_RESENDS = 3  # « Renvoyer le code »: new codes a sign-up may ask for after the first


class MsaMember(db.Model):
    """The MSA profile of a user: the NIR without its key is their login identifier."""
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, unique=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"))  # their MSA fund
    nir = db.Column(db.String(13), nullable=False, unique=True)
    birth_date = db.Column(db.Date)
    mobile = db.Column(db.String(14))  # 06.00.00.00.00, for SMS confirmations

    user = db.relationship("User", backref=db.backref("msa_member", uselist=False))
    organisation = db.relationship("Organisation")


def _hash_code(code, salt):
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _new_code():
    """(code, salt, hash) of a fresh 6-digit code."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    return code, salt, _hash_code(code, salt)


class SignupCodeError(Exception):
    """Why a code was refused: 'expired', 'used', 'tries', 'wrong'; or a new one: 'resends'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class MsaSignup(db.Model):
    """A sign-up in progress: the details given, and the 6-digit code emailed to check the address.
    Valid 30 minutes, 5 tries, single use; « Renvoyer le code » replaces it up to 3 times."""
    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(43), nullable=False, unique=True)  # kept in the browser session
    nir = db.Column(db.String(13), nullable=False)
    email = db.Column(db.String(254), nullable=False)
    last_name = db.Column(db.String(80), nullable=False)
    first_name = db.Column(db.String(80), nullable=False)
    birth_date = db.Column(db.Date, nullable=False)
    code_hash = db.Column(db.String(64), nullable=False)
    salt = db.Column(db.String(32), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    resends = db.Column(db.Integer, nullable=False, default=0, server_default="0")  # « Renvoyer le code »
    used_at = db.Column(UTCDateTime)

    @classmethod
    def start(cls, now=None, **details):
        """Create the sign-up; returns (signup, code to email)."""
        now = now or utcnow()
        code, salt, code_hash = _new_code()
        signup = cls(token=secrets.token_urlsafe(32), code_hash=code_hash, salt=salt, created_at=now,
                     expires_at=now + timedelta(minutes=SIGNUP_CODE_MINUTES), **details)
        db.session.add(signup)
        return signup, code

    @property
    def resends_left(self):
        return max(SIGNUP_CODE_RESENDS - self.resends, 0)

    def renew(self, now=None):
        """« Renvoyer le code »: replace the code by a fresh one (the previous one stops working), with
        its own 30 minutes and 5 tries; returns it. Refused (SignupCodeError) once the sign-up is
        used, after 5 wrong tries (the sign-up is over: start again), or after SIGNUP_CODE_RESENDS
        renewals. An expired code may be renewed: that is what it is for."""
        if self.used_at is not None:
            raise SignupCodeError("used")
        if self.attempts >= SIGNUP_CODE_TRIES:
            raise SignupCodeError("tries")
        if self.resends >= SIGNUP_CODE_RESENDS:
            raise SignupCodeError("resends")
        self.resends += 1
        now = now or utcnow()
        code, self.salt, self.code_hash = _new_code()
        self.expires_at = now + timedelta(minutes=SIGNUP_CODE_MINUTES)
        self.attempts = 0
        return code

    def check(self, code, now=None):
        """Accept the code (marks it used) or raise SignupCodeError. Each try counts, and is
        counted before the code is compared, in one UPDATE: however many tries arrive at once,
        at most SIGNUP_CODE_TRIES codes are ever compared (the row stays locked until commit)."""
        now = now or utcnow()
        if self.used_at is not None:
            raise SignupCodeError("used")
        if now >= self.expires_at:
            raise SignupCodeError("expired")
        cls = type(self)
        taken = (cls.query.filter(cls.id == self.id, cls.attempts < SIGNUP_CODE_TRIES, cls.used_at.is_(None))
                 .update({"attempts": cls.attempts + 1}, synchronize_session=False))
        db.session.refresh(self)
        if not taken:
            raise SignupCodeError("used" if self.used_at is not None else "tries")
        if not hmac.compare_digest(_hash_code((code or "").strip(), self.salt), self.code_hash):
            raise SignupCodeError("tries" if self.attempts >= SIGNUP_CODE_TRIES else "wrong")
        self.attempts -= 1  # the right code is not a failed try
        self.used_at = now

    @property
    def tries_left(self):
        return max(SIGNUP_CODE_TRIES - self.attempts, 0)


class ConversationStatus(str, enum.Enum):
    """Stored slugs of a conversation's states (labels in CONVERSATION_WORKFLOW)."""
    NEW = "nouveau"          # « Nouveau »: waiting for an agent's answer (a new message, or the member replied)
    OPEN = "en-cours"        # « En cours »: an agent answered, the member may reply
    CLOSED = "cloture"       # « Clôturé »: closed by the agent

    @property
    def label(self):
        return CONVERSATION_WORKFLOW.label(self.value)


class Conversation(db.Model):
    """A thread of « Ma messagerie »: its object is a theme → subject → reason of the catalogue."""
    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), nullable=False)
    theme = db.Column(db.String(60), nullable=False)      # catalogue codes
    subject = db.Column(db.String(60), nullable=False)
    reason = db.Column(db.String(60), nullable=False)
    object_label = db.Column(db.String(400), nullable=False)  # "Thème > Sujet > Motif" as chosen
    status = db.Column(db.String(20), nullable=False, default=ConversationStatus.NEW.value)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    hidden = db.Column(db.Boolean, nullable=False, default=False)          # hidden by the member
    unread_by_member = db.Column(db.Boolean, nullable=False, default=False)
    assigned_agent_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    # Random token of the summary that sent it (core.submission): « Envoyer » posted again finds
    # this conversation instead of opening another one (and mailing twice).
    submission_token = db.Column(db.String(32), unique=True)

    member = db.relationship("User", foreign_keys=[member_id])
    organisation = db.relationship("Organisation")
    messages = db.relationship("ConversationMessage", back_populates="conversation",
                               order_by="ConversationMessage.id", cascade="all, delete-orphan")

    __table_args__ = (
        db.Index("ix_conversation_inbox", "organisation_id", "status", "theme", "created_at"),
    )

    def can_view(self, user):
        if not user.is_authenticated:
            return False
        if user.id == self.member_id:
            return True
        return user.has_role("agent") and user.organisation_id == self.organisation_id

    def can_reply(self, user):
        return CONVERSATION_WORKFLOW.can(self, "reply", user)

    def can_answer(self, user):
        return CONVERSATION_WORKFLOW.can(self, "answer", user)

    @property
    def reference(self):
        """« Conversation n° 12 »: how the member and the agent name the same conversation."""
        return f"Conversation n° {self.id}"

    @property
    def status_label(self):
        return CONVERSATION_WORKFLOW.label(self.status)

    def start(self, user, body, now=None):
        """The member's first message opens the conversation (« Nouveau »)."""
        now = now or utcnow()
        self.created_at = now
        CONVERSATION_WORKFLOW.start(self, user, now)
        return self._message(user, body, now, from_agent=False)

    def add_member_message(self, user, body, now=None):
        """A reply waits for an answer again: back in the agents' default list (« Nouveau »)."""
        now = now or utcnow()
        CONVERSATION_WORKFLOW.fire(self, "reply", user, now=now)
        return self._message(user, body, now, from_agent=False)

    def answer(self, agent, body, now=None):
        now = now or utcnow()
        CONVERSATION_WORKFLOW.fire(self, "answer", agent, now=now)
        return self._message(agent, body, now, from_agent=True)

    def close(self, agent, now=None):
        return CONVERSATION_WORKFLOW.fire(self, "close", agent, now=now)

    def _message(self, author, body, now, from_agent):
        message = ConversationMessage(conversation=self, author_id=author.id, from_agent=from_agent, body=body,
                                      created_at=now)
        db.session.add(message)
        return message


def _member(conversation, user):
    return user.is_authenticated and user.id == conversation.member_id


def _agent(conversation, user):
    return user.is_authenticated and user.has_role("agent") and user.organisation_id == conversation.organisation_id


def _answered(conversation, agent, now, data):
    conversation.assigned_agent_id = agent.id
    conversation.unread_by_member = True


_WAITING = (ConversationStatus.NEW.value, ConversationStatus.OPEN.value)

CONVERSATION_WORKFLOW = Workflow(
    "conversation",
    states=[State(ConversationStatus.NEW.value, "Nouveau"), State(ConversationStatus.OPEN.value, "En cours"),
            State(ConversationStatus.CLOSED.value, "Clôturé", final=True)],
    transitions=[
        Transition("reply", _WAITING, ConversationStatus.NEW.value, allowed=_member, label="Répondre"),
        Transition("answer", _WAITING, ConversationStatus.OPEN.value, allowed=_agent, effect=_answered,
                   label="Répondre"),
        Transition("close", _WAITING, ConversationStatus.CLOSED.value, allowed=_agent, audit="msa_conversation_closed",
                   label="Clôturer"),
    ],
    initial=ConversationStatus.NEW.value, changed_attr="updated_at")

__all__ = ["IllegalTransition"]


class ConversationMessage(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    conversation_id = db.Column(db.Integer, db.ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False,
                                index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    from_agent = db.Column(db.Boolean, nullable=False, default=False)
    body = db.Column(db.Text, nullable=False)  # plain text, always shown escaped with its line breaks
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Token of the member's reply form (core.submission): a reply posted twice is added once.
    submission_token = db.Column(db.String(32), unique=True)

    conversation = db.relationship("Conversation", back_populates="messages")
    author = db.relationship("User")


def _member_of_message(message_id, user):
    """The member reads the files of every message of their own conversations (the answers' too)."""
    message = db.session.get(ConversationMessage, message_id)
    return message is not None and message.conversation.member_id == user.id


MESSAGE_FILES = attachment_subject("ConversationMessage", "conversation_message", readers=_member_of_message)
CONVERSATION_FILES = attachment_subject("Conversation", "conversation")
