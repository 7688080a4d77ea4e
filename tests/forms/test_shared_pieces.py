"""The form pieces every portal shares (forms/fields.py, forms/validators.py, core/places.py)."""
import pytest

from core.places import countries_fr, typed_countries
from forms.fields import capitalise_first_name, clean_text, format_phone, upper_name
from forms.validators import resolve_birth_place


@pytest.mark.parametrize("typed, formatted", [
    ("0600000000", "06.00.00.00.00"), ("06 12 34 56 78", "06.12.34.56.78"), ("+33 6 12 34 56 78", "06.12.34.56.78"),
    ("0033612345678", "06.12.34.56.78"), ("0012345678", None), ("06123", None), ("", None)])
def test_phone_numbers(typed, formatted):
    assert format_phone(typed) == formatted


def test_names():
    assert clean_text("  d’Artagnan   Jean ") == "d'Artagnan Jean"
    assert upper_name("lefèvre  o’neil") == "LEFÈVRE O'NEIL"
    assert capitalise_first_name("jean-marie d'arc") == "Jean-Marie D'Arc"


@pytest.mark.parametrize("typed, stored, error_start", [
    ("33", "33", None), ("2a", "2A", None), ("5", "05", None), ("Maroc", "Maroc", None),
    ("Gironde", None, "Saisissez le numéro du département plutôt que son nom : 33 pour Gironde."),
    ("France", None, "Pour une personne née en France"),
    ("Corée", None, "Saisissez un numéro de département"), ("<b>", None, "Le lieu de naissance ne peut contenir"),
])
def test_birth_places(typed, stored, error_start):
    value, error = resolve_birth_place(typed)
    assert value == stored
    assert (error or "").startswith(error_start or "")


def test_one_country_list():
    names = dict(countries_fr())
    assert names["MA"] == "Maroc" and countries_fr()[0] == ("FR", "France")
    # Typed names come from the same list, limited to what fits the field.
    assert {alpha_2 for alpha_2, _ in typed_countries(30).values()} <= set(names)
    assert typed_countries(30)["iran"] == ("IR", "Iran")
