"""Validators shared by the forms of every portal."""
import unicodedata

from wtforms.validators import ValidationError


def is_name_char(ch):
    """Letters of the Latin alphabet, accented ones included (é, ç, ï, ø, ł…), spaces, apostrophes
    and hyphens: what the seeds allow in a person's name. Names are read by agents, matched against
    files, and put into mails sent to any address typed."""
    return ch in " '’-" or (ch.isalpha() and "LATIN" in unicodedata.name(ch, ""))


class NameCharacters:
    """A name: only name characters (is_name_char), and at least one letter."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        value = field.data or ""
        if value and (not all(is_name_char(ch) for ch in value) or not any(ch.isalpha() for ch in value)):
            raise ValidationError(self.message)


def name_characters(what):
    """NameCharacters with the usual message, for « nom » or « prénom »."""
    return NameCharacters(f"Le {what} ne peut contenir que des lettres, des espaces, des apostrophes et des tirets.")
