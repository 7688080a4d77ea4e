from extensions import db
from models.base import UTCDateTime, utcnow


class Attachment(db.Model):
    """A file a user added to a form. Stored under a random name outside static/.

    While the form is being filled, the file belongs to an upload set (`upload_set`, a random
    token carried by the form); the portal then links it to what was submitted
    (`subject_type`/`subject_id`)."""
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisation.id"), index=True)
    upload_set = db.Column(db.String(64), index=True)
    policy = db.Column(db.String(40), nullable=False)
    subject_type = db.Column(db.String(40))
    subject_id = db.Column(db.Integer)
    original_name = db.Column(db.String(255), nullable=False)
    storage_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_attachment_subject", "subject_type", "subject_id"),)

    def can_download(self, user):
        if not user.is_authenticated:
            return False
        if user.id == self.owner_id:
            return True
        if (user.role == "agent" and self.organisation_id is not None
                and user.organisation_id == self.organisation_id):
            return True
        # MSA: the member reads the files of the answers in their own conversations.
        if self.subject_type == "ConversationMessage" and self.subject_id is not None:
            from models.msa import ConversationMessage
            message = db.session.get(ConversationMessage, self.subject_id)
            return message is not None and message.conversation.member_id == user.id
        return False
