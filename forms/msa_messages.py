"""Forms of « Ma messagerie » (MSA, member side)."""
from forms.base import Form
from wtforms import HiddenField
from wtforms.validators import DataRequired

from core.submission import token_or_new

from forms.fields import CountedTextAreaField

MESSAGE_MIN = 10
MESSAGE_MAX = 750


def _message_field(label):
    return CountedTextAreaField(
        label, validators=[DataRequired(message="Saisissez votre message.")],
        max_chars=MESSAGE_MAX, min_chars=MESSAGE_MIN,
        too_short="Votre message doit faire au moins {min} caractères (il en fait {count}).",
        too_long="Votre message doit faire {max} caractères maximum (il en fait {count}).")


WRITE_LABEL = "Écrivez ici votre message (minimum 10 caractères)"


class MessageWriteForm(Form):
    body = _message_field(WRITE_LABEL)


class MessageDraftForm(Form):
    """The writing step's text as the draft keeps it, for the GETs that show it (the writing step,
    the summary): the same field, without the CSRF field that only a POST checks (those pages
    render the token apart), which makes it several times cheaper to build."""
    class Meta:
        csrf = False

    body = _message_field(WRITE_LABEL)


class MessageReplyForm(Form):
    body = _message_field("Votre réponse (minimum 10 caractères)")
    submission = HiddenField()  # one-time token (core.submission): a reply posted twice is added once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


class MessageSendForm(Form):
    """« Envoyer » on the summary: the CSRF token and the message's one-time submission token
    (kept in the draft, see blueprints.msa.messages). Only its POST builds it: the summary renders
    the token and the submission token itself."""
    submission = HiddenField()


class ConversationVisibilityForm(Form):
    """« Masquer » / « Afficher » a conversation: only the CSRF token."""
