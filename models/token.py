import enum
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.base import UTCDateTime, utcnow


class TokenPurpose(str, enum.Enum):
    PASSWORD_RESET = "password_reset"
    EMAIL_CHANGE = "email_change"
    ACCOUNT_ACTIVATION = "account_activation"


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class AuthToken(db.Model):
    """Single-use, expiring token sent by email. Only its hash is stored."""
    id = db.Column(db.Integer, primary_key=True)
    purpose = db.Column(db.String(30), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    payload = db.Column(db.String(254))  # e.g. the new email address
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    used_at = db.Column(UTCDateTime)

    user = db.relationship("User")

    @classmethod
    def issue(cls, user, purpose, hours, payload=None, now=None):
        """Create a token; returns (token, raw value to put in the link)."""
        now = now or utcnow()
        raw = secrets.token_urlsafe(32)
        token = cls(purpose=TokenPurpose(purpose).value, token_hash=hash_token(raw), user=user,
                    payload=payload, created_at=now, expires_at=now + timedelta(hours=hours))
        db.session.add(token)
        return token, raw

    @classmethod
    def find_usable(cls, raw, purpose, now=None):
        """The token if it exists, has this purpose, is unused, unexpired, and predates no password change."""
        if not raw:
            return None
        now = now or utcnow()
        token = cls.query.filter_by(token_hash=hash_token(raw), purpose=TokenPurpose(purpose).value).first()
        if token is None or token.used_at is not None or token.expires_at <= now:
            return None
        user = token.user
        if token.purpose == TokenPurpose.ACCOUNT_ACTIVATION.value:
            # Only a first activation; a deactivated account is reactivated by its manager.
            if not (user.awaiting_invitation or user.awaiting_own_activation):
                return None
        elif token.purpose == TokenPurpose.PASSWORD_RESET.value:
            if not (user.active or user.awaiting_own_activation):
                return None
        elif not user.active:
            return None
        # A password change invalidates every token issued before it.
        if token.user.password_changed_at > token.created_at:
            return None
        return token

    def use(self, now=None):
        """Mark the token used, atomically: of two requests presenting it at the same moment, only
        one gets True. The caller commits."""
        if self.used_at is not None:
            return False
        now = now or utcnow()
        done = (AuthToken.query.filter(AuthToken.id == self.id, AuthToken.used_at.is_(None))
                .update({"used_at": now}, synchronize_session=False))
        if done != 1:
            return False
        set_committed_value(self, "used_at", now)
        return True
