"""Agent screens of MSA « Ma messagerie »: answer a conversation, close it. One form per action.

The inbox's filters are a plain GET form parsed by the view (unknown values are ignored, never an
error), like the Espace Partenaires queue."""
from wtforms.fields import HiddenField
from wtforms.validators import DataRequired

from core.submission import token_or_new
from forms.base import Form

from forms.fields import CountedTextAreaField

# The member's messages are 10 to 750 characters, to keep a question to one subject. An answer
# often has to explain a procedure, list the documents to send and quote amounts or dates:
# squeezing that into 750 characters would split one answer into several messages. 5000 is the
# limit of agents' answers elsewhere in Guichet (Espace Partenaires).
ANSWER_MIN = 10
ANSWER_MAX = 5000


class ConversationAnswerForm(Form):
    body = CountedTextAreaField(
        "Votre réponse", [DataRequired("Saisissez votre réponse.")], max_chars=ANSWER_MAX, min_chars=ANSWER_MIN,
        too_short="La réponse doit faire au moins {min} caractères.",
        too_long="La réponse doit faire {max} caractères maximum : elle en fait {count}. Raccourcissez-la.",
        description="L’adhérent la lira dans « Ma messagerie » ; il est prévenu par courriel, sans le contenu "
                    "de la réponse.")
    submission = HiddenField()  # one-time token (core.submission): an answer posted twice is given once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission.data = token_or_new(self.submission.data)


class ConversationCloseForm(Form):
    """« Clôturer la conversation »: nothing but the CSRF token."""
