"""Form fields of the commune autocomplete component (shared by every portal)."""
from functools import cache

from wtforms import Field, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from core.places import commune_by_key, countries_fr, search_communes
from forms.fields import PrerenderedSelect


class CommuneField(Field):
    """A commune picked by postcode or name.

    The form posts two values: `<name>-recherche` (what was typed) and `<name>` (the key of the
    commune picked in the list). Without JavaScript, "Rechercher" re-posts the form and the list
    comes back filled; with JavaScript, htmx fills it while typing. `.data` is a Commune or None."""
    SEARCH_SUFFIX = "-recherche"

    def __init__(self, label=None, validators=None, required=True, **kwargs):
        kwargs.setdefault("description", "Saisissez les 5 chiffres du code postal ou les premières lettres "
                                         "de la ville, puis sélectionnez la ville dans la liste.")
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.query_text = ""
        self.matches = []
        self.active = True  # False when the country is not France: the field is then ignored

    @property
    def search_name(self):
        return self.name + self.SEARCH_SUFFIX

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.raw_data = None
        self.object_data = data
        key = ""
        if formdata is not None and (self.name in formdata or self.search_name in formdata):
            self.query_text = (formdata.get(self.search_name) or "").strip()
            key = formdata.get(self.name) or ""
            self.data = commune_by_key(key)
        else:
            self.data = data if data is not None and hasattr(data, "key") else None
            if self.data:
                self.query_text = self.data.postcode
        self.matches = search_communes(self.query_text) if self.query_text else []
        if self.data is not None:
            if all(m.key != self.data.key for m in self.matches):
                self.matches.insert(0, self.data)
        elif len(self.matches) == 1 and key == "":
            # A single town for this postcode: no need to make the user pick it.
            self.data = self.matches[0]

    def pre_validate(self, form):
        if not self.active:
            return
        if self.data is not None:
            return
        if not self.query_text:
            if self.required:
                raise ValidationError("Saisissez le code postal ou le nom de la ville, puis sélectionnez la ville.")
            return
        if not self.matches:
            raise ValidationError(f"Aucune ville ne correspond à « {self.query_text} ». "
                                  "Vérifiez le code postal ou le nom de la ville.")
        raise ValidationError("Sélectionnez la ville dans la liste.")

    def _value(self):
        return self.data.key if self.data else ""


@cache
def all_country_choices() -> tuple[SelectChoice, ...]:
    """Every country, France first: built once, its options rendered once (PrerenderedSelect)."""
    return tuple(SelectChoice(code, name) for code, name in countries_fr())


@cache
def country_choices() -> tuple[SelectChoice, ...]:
    """The countries of an address abroad (France left out), after a « Sélectionnez le pays » option."""
    return (SelectChoice("", "Sélectionnez le pays"),) + tuple(
        SelectChoice(code, name) for code, name in countries_fr() if code != "FR")


@cache
def foreign_countries() -> frozenset[str]:
    return frozenset(code for code, _ in countries_fr() if code != "FR")


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries_fr())


class CountryField(SelectField):
    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", "FR")
        kwargs.setdefault("widget", PrerenderedSelect())
        super().__init__(label, validators, choices=[], **kwargs)
        self.choices = all_country_choices()

    def pre_validate(self, form):
        if self.data not in _country_codes():
            raise ValidationError("Sélectionnez un pays dans la liste.")
