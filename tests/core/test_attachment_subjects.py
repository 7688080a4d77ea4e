"""The registry of what an attachment can belong to (models.attachment): each kind is declared once
by its model, with the names older rows carry and who else may read its files."""
import pytest

from models import Attachment, User
from models.attachment import SUBJECTS
from models.msa import CONVERSATION_FILES, MESSAGE_FILES
from models.partenaires import ANSWER_FILES, REQUEST_FILES


def test_each_portal_declares_its_subjects_once():
    assert SUBJECTS["PartnerRequest"] is SUBJECTS["partner_request"] is REQUEST_FILES
    assert SUBJECTS["partner_request_answer"] is ANSWER_FILES
    assert SUBJECTS["ConversationMessage"] is SUBJECTS["conversation_message"] is MESSAGE_FILES
    assert SUBJECTS["Conversation"] is CONVERSATION_FILES
    assert MESSAGE_FILES.readers is not None and REQUEST_FILES.readers is None


def test_files_can_only_be_attached_to_a_declared_subject(app):
    from core.uploads import AttachmentSet
    with app.test_request_context():
        files = AttachmentSet.__new__(AttachmentSet)
        files.items = []
        with pytest.raises(ValueError, match="attachment_subject"):
            files.attach_to(subject_type="Inconnu", subject_id=1)


def test_an_undeclared_subject_gives_nobody_else_access(app):
    stranger = User(email="x@example.fr", role="citizen")
    stranger.id = 999
    attachment = Attachment(owner_id=1, subject_type="Inconnu", subject_id=1)
    assert not attachment.can_download(stranger)
