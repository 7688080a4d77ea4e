import enum
import functools
import secrets
from datetime import timedelta

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models.base import UTCDateTime, utcnow


class Role(str, enum.Enum):
    CITIZEN = "citizen"
    PARTNER_TECHNICIAN = "partner_technician"
    PARTNER_MANAGER = "partner_manager"
    AGENT = "agent"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


@functools.lru_cache(maxsize=64)
def _role_values(roles: tuple) -> frozenset:
    """The stored values of `roles` (Role members or their values; an unknown one raises
    ValueError): made once per set of roles asked, not at every check."""
    return frozenset(Role(r).value for r in roles)


ROLE_LABELS = {
    Role.CITIZEN: "Usager",
    Role.PARTNER_TECHNICIAN: "Technicien partenaire",
    Role.PARTNER_MANAGER: "Gestionnaire de structure partenaire",
    Role.AGENT: "Agent",
    Role.ADMIN: "Administrateur",
}


def normalize_email(email):
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    # Stored lowercased: uniqueness is case-insensitive on every database.
    email = db.Column(db.String(254), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=True)
    role = db.Column(db.String(30), nullable=False, default=Role.CITIZEN.value)
    active = db.Column(db.Boolean, nullable=False, default=True)
    civility = db.Column(db.String(10))
    first_name = db.Column(db.String(80), nullable=False, default="")
    last_name = db.Column(db.String(80), nullable=False, default="")
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), index=True)
    structure_id = db.Column(db.Integer, db.ForeignKey("structure.id"), index=True)
    # Espace Partenaires: organisation chosen at the last connection, preselected at the next one.
    last_organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id", ondelete="SET NULL"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(UTCDateTime)
    # Set once, at the first activation: an account that was active once and is not any more was
    # deactivated (by its manager), and only its manager can make it active again.
    activated_at = db.Column(UTCDateTime)
    password_changed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    organisation = db.relationship("Organisation", foreign_keys=[organisation_id])
    structure = db.relationship("Structure")
    citizen_profile = db.relationship("CitizenProfile", uselist=False, back_populates="user")

    def __init__(self, **kwargs):
        password = kwargs.pop("password", None)
        if "email" in kwargs:
            kwargs["email"] = normalize_email(kwargs["email"])
        super().__init__(**kwargs)
        if password is not None:
            self.set_password(password)
        if self.active is not False and self.activated_at is None:  # created active (default)
            self.activated_at = utcnow()

    @property
    def is_active(self):
        return self.active

    @property
    def role_enum(self):
        return Role(self.role)

    @property
    def display_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def has_role(self, *roles):
        return self.role in _role_values(roles)

    @property
    def awaiting_invitation(self):
        """Created by someone else (a manager) and never activated: the invitation mailed to the
        owner is the only way in, and the owner chooses the password there."""
        return not self.active and self.activated_at is None and not self.password_hash

    @property
    def awaiting_own_activation(self):
        """Signed up by themself and never activated: proving the address (the activation link
        with the password chosen at sign-up, or a password reset) activates it."""
        return (not self.active and self.activated_at is None and bool(self.password_hash)
                and self.role == Role.CITIZEN.value)

    def activate(self, now=None):
        """First activation only: a deactivated account is reactivated by its manager (reactivate)."""
        if self.active or self.activated_at is not None:
            raise ValueError("account already activated once")
        self.active = True
        self.activated_at = now or utcnow()

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def change_email(self, new_email):
        self.email = normalize_email(new_email)


class CitizenProfile(db.Model):
    """Identity a citizen gives at sign-up (seed 000: civility, birth date and place)."""
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, unique=True)
    birth_date = db.Column(db.Date)
    birth_country = db.Column(db.String(2), nullable=False, default="FR")  # ISO 3166 alpha-2
    birth_insee = db.Column(db.String(5))
    birth_postcode = db.Column(db.String(5))
    birth_city = db.Column(db.String(120))  # commune name, or the town typed in full abroad

    user = db.relationship("User", back_populates="citizen_profile")


class UserSession(db.Model):
    """Server-side record of a login: deleting the row ends the session even if its cookie was copied."""
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(32)

    def is_idle(self, minutes, now=None):
        return (now or utcnow()) - self.last_seen_at > timedelta(minutes=minutes)
