"""The NIR (numéro de sécurité sociale) without its 2-digit key: the MSA login identifier.

13 characters: sex (1), year (2), month (2), place of birth (5), order number (3).

What is accepted, and why:
- sex 1 or 2 only (the spec of « Mon espace privé »; 3, 4, 7 and 8 are temporary numbers that
  never open an online account);
- month 01–12, plus the values INSEE gives when the month of birth is unknown: 20–42 and 50–99
  (a person registered with an unknown month keeps such a number for life and must be able to
  log in);
- place: département 01–95 (20 no longer exists: Corsica is 2A / 2B) followed by a 3-digit commune
  001–999; overseas 97x / 98x (3-digit département) followed by a 2-digit commune 01–99;
  99 (born abroad) followed by a 3-digit country code 001–999;
- order 001–999.

python-stdnum (`stdnum.fr.nir`) checks the full 15-character number (format and key) but not the
month nor the place: it is used to clean the input and to recognise a number typed with its key.
"""
from __future__ import annotations

import re
from datetime import date

from stdnum.fr import nir as stdnum_nir

NIR_LENGTH = 13

MSG_LENGTH = "Le numéro de sécurité sociale sans la clé doit comporter 13 caractères."
MSG_WITH_KEY = ("Saisissez le numéro de sécurité sociale sans la clé : les 13 premiers caractères, "
                "sans les 2 derniers chiffres.")
MSG_CHARACTERS = ("Le numéro de sécurité sociale ne doit contenir que des chiffres, "
                  "sauf 2A ou 2B pour un département de naissance en Corse.")
MSG_SEX = "Le premier chiffre du numéro de sécurité sociale doit être 1 ou 2."
MSG_MONTH = ("Le mois de naissance (4e et 5e chiffres du numéro de sécurité sociale) n’est pas valide : "
             "il doit être compris entre 01 et 12.")
MSG_DEPARTEMENT = ("Le département de naissance (6e et 7e caractères du numéro de sécurité sociale) "
                   "n’est pas valide.")
MSG_COMMUNE = "Le code de la commune ou du pays de naissance (8e à 10e caractères) n’est pas valide."
MSG_ORDER = "Le numéro d’ordre (3 derniers chiffres du numéro de sécurité sociale) ne peut pas être 000."


class NirError(ValueError):
    """The number is not a NIR without key; `message` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize(value: str | None) -> str:
    """What was typed, without spaces nor dots, in capitals (2a → 2A)."""
    return stdnum_nir.compact(re.sub(r"\s+", "", value or ""))


def _month_ok(month):
    number = int(month)
    return 1 <= number <= 12 or 20 <= number <= 42 or 50 <= number <= 99


def validate(value: str | None) -> str:
    """Return the normalised 13-character NIR, or raise NirError with the first problem found."""
    nir = normalize(value)
    if not nir.isascii():
        # « ² » or « ٣ » pass str.isdigit() but are no digits of a NIR (and int() refuses some).
        raise NirError(MSG_CHARACTERS)
    if len(nir) == 15 and stdnum_nir.is_valid(nir):
        raise NirError(MSG_WITH_KEY)
    if len(nir) != NIR_LENGTH:
        if not re.fullmatch(r"[0-9]*(2[AB])?[0-9]*", nir):
            raise NirError(MSG_CHARACTERS)
        raise NirError(MSG_LENGTH)
    place = nir[5:10]
    if not (nir[:5] + nir[7:]).isdigit() or not (place[:2].isdigit() or place[:2] in ("2A", "2B")):
        raise NirError(MSG_CHARACTERS)
    if nir[0] not in "12":
        raise NirError(MSG_SEX)
    if not _month_ok(nir[3:5]):
        raise NirError(MSG_MONTH)
    departement = place[:2]
    if departement in ("2A", "2B") or (departement.isdigit() and 1 <= int(departement) <= 95
                                         and departement != "20"):
        if place[2:] == "000":
            raise NirError(MSG_COMMUNE)
    elif departement in ("97", "98"):
        if place[3:] == "00":
            raise NirError(MSG_COMMUNE)
    elif departement == "99":
        if place[2:] == "000":
            raise NirError(MSG_COMMUNE)
    else:
        raise NirError(MSG_DEPARTEMENT)
    if nir[10:] == "000":
        raise NirError(MSG_ORDER)
    return nir


def problem(value: str | None) -> str | None:
    """The French message for what is wrong with `value`, or None when it is a valid NIR."""
    try:
        validate(value)
    except NirError as error:
        return error.message
    return None


def matches_birth_date(nir: str, birth_date: date) -> bool:
    """The year (and the month when it is a real one) of the NIR agree with the birth date."""
    if nir[1:3] != f"{birth_date.year % 100:02d}":
        return False
    month = int(nir[3:5])
    return not 1 <= month <= 12 or month == birth_date.month
