"""Validators shared by the forms of every portal."""
from __future__ import annotations

import re
import unicodedata

from wtforms import Field
from wtforms.form import BaseForm
from wtforms.validators import ValidationError

from core.places import OVERSEAS_CODES, departement_codes_by_name, departements, place_key, typed_countries


def is_name_char(ch: str) -> bool:
    """Letters of the Latin alphabet, accented ones included (é, ç, ï, ø, ł…), spaces, apostrophes
    and hyphens: what the seeds allow in a person's name. Names are read by agents, matched against
    files, and put into mails sent to any address typed."""
    return ch in " '’-" or (ch.isalpha() and "LATIN" in unicodedata.name(ch, ""))


class NameCharacters:
    """A name: only name characters (is_name_char), and at least one letter."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: BaseForm, field: Field) -> None:
        value = field.data or ""
        if value and (not all(is_name_char(ch) for ch in value) or not any(ch.isalpha() for ch in value)):
            raise ValidationError(self.message)


def name_characters(what: str) -> NameCharacters:
    """NameCharacters with the usual message, for « nom » or « prénom »."""
    return NameCharacters(f"Le {what} ne peut contenir que des lettres, des espaces, des apostrophes et des tirets.")


def resolve_birth_place(value: str | None, max_length: int = 30) -> tuple[str | None, str | None]:
    """(value to store, None) for a département code or a country's French name, else (None, the
    French error). Someone born in France (overseas included) is given by the département."""
    if not value:
        return None, "Saisissez le lieu de naissance : numéro du département ou nom du pays."
    if not re.fullmatch(r"[^\W_]+(?:[ '\-]+[^\W_]+)*", value):
        return None, ("Le lieu de naissance ne peut contenir que des lettres, des chiffres, des apostrophes, "
                      "des tirets et des espaces.")
    code = value.upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    if code in departements():
        return code, None
    key = place_key(value)
    if key in departement_codes_by_name():
        code = departement_codes_by_name()[key]
        return None, f"Saisissez le numéro du département plutôt que son nom : {code} pour {departements()[code]}."
    country = typed_countries(max_length).get(key)
    if country:
        alpha_2, label = country
        if alpha_2 == "FR":
            return None, ("Pour une personne née en France, saisissez le numéro du département de naissance, "
                          "par exemple 33.")
        if alpha_2 in OVERSEAS_CODES:
            code = OVERSEAS_CODES[alpha_2]
            return None, (f"Pour une personne née en France, saisissez le numéro du département de naissance : "
                          f"{code} pour {departements()[code]}.")
        return label, None
    return None, ("Saisissez un numéro de département (par exemple 33, 2A ou 971) ou le nom d’un pays en français "
                  "(par exemple Maroc).")
