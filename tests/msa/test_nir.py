"""The NIR without key: what is accepted, and the French message for each problem."""
from datetime import date

import pytest

from core import nir


@pytest.mark.parametrize("typed, expected", [
    ("1850775123456", "1850775123456"),          # Paris
    ("2 85 07 33 063 123", "2850733063123"),      # spaces typed are ignored
    ("2.85.07.33.063.123", "2850733063123"),      # so are dots
    ("162032A004056", "162032A004056"),           # Corse-du-Sud
    ("1 62 03 2b 033 056", "162032B033056"),      # Haute-Corse, lower case
    ("2900397411012", "2900397411012"),           # La Réunion: 974 then commune 11
    ("1750698805001", "1750698805001"),           # 988 Nouvelle-Calédonie
    ("1800199134001", "1800199134001"),           # born abroad: 99 + country 134
    ("1803075123456", "1803075123456"),           # month 30: unknown month (INSEE)
    ("1806275123456", "1806275123456"),           # month 62: temporary month (INSEE)
    ("1851295999999", "1851295999999"),           # highest département of metropolitan France
])
def test_valid_numbers(typed, expected):
    assert nir.validate(typed) == expected
    assert nir.problem(typed) is None


@pytest.mark.parametrize("typed, message", [
    ("185077512345", nir.MSG_LENGTH),                  # 12 characters
    ("18507751234567", nir.MSG_LENGTH),               # 14 characters
    ("", nir.MSG_LENGTH),
    ("185077512345608", nir.MSG_WITH_KEY),            # typed with its (valid) key
    ("1850775123456999", nir.MSG_LENGTH),
    ("1850775I23456", nir.MSG_CHARACTERS),            # letter I instead of 1
    ("abcdefghijklm", nir.MSG_CHARACTERS),
    ("18O77", nir.MSG_CHARACTERS),                    # letter and wrong length: the letter first
    ("162032C004056", nir.MSG_CHARACTERS),            # 2C does not exist
    ("1620A2A004056", nir.MSG_CHARACTERS),
    ("3850775123456", nir.MSG_SEX),
    ("0850775123456", nir.MSG_SEX),
    ("1851375123456", nir.MSG_MONTH),
    ("1850075123456", nir.MSG_MONTH),
    ("1854375123456", nir.MSG_MONTH),                 # 43–49 are not used
    ("1850720123456", nir.MSG_DEPARTEMENT),           # 20: Corsica is 2A / 2B
    ("1850700123456", nir.MSG_DEPARTEMENT),
    ("1850796123456", nir.MSG_DEPARTEMENT),
    ("1850775000456", nir.MSG_COMMUNE),
    ("1850797400456", nir.MSG_COMMUNE),
    ("1850799000456", nir.MSG_COMMUNE),
    ("1850775123000", nir.MSG_ORDER),
])
def test_invalid_numbers_say_why(typed, message):
    with pytest.raises(nir.NirError) as error:
        nir.validate(typed)
    assert error.value.message == message
    assert nir.problem(typed) == message


def test_the_length_message_is_the_one_of_the_spec():
    assert nir.MSG_LENGTH == "Le numéro de sécurité sociale sans la clé doit comporter 13 caractères."


def test_birth_date_agreement():
    assert nir.matches_birth_date("2850733063123", date(1985, 7, 14))
    assert not nir.matches_birth_date("2850733063123", date(1986, 7, 14))
    assert not nir.matches_birth_date("2850733063123", date(1985, 8, 14))
    assert nir.matches_birth_date("1803075123456", date(1980, 11, 2))  # unknown month: year only
