"""The ressortissant's personal data (« Mes informations », seed 000): the field groups shared by
the « Mes informations » edit page (blueprints/armees/home.py) and the wizard's step 3
« Vos informations » (blueprints/armees/apply.py).

Field names are the keys of `AidApplication.data["informations"]` (blueprints/armees/recap.py)
and the columns of `RessortissantProfile`:

    residence                      « En France » / « A l'étranger » (france / etranger)
    birth_name, phone, mobile, fax nom de naissance (optional), téléphone (required), portable, fax
    address_abroad                 « En France » / « A l'étranger » (posted as france / etranger, a bool in values())
    address_line1..3, commune      the lines, then in France the commune search (posted as
                                   commune + commune-recherche, stored as postcode / insee / city)
    city, country                  abroad: the town typed in full and the country
    in_couple, family_situation    « Vivez-vous en couple » (oui / non, a bool in values()) and the situation
    category, rank, employer       the cascade data/catalogues/armees-situation-professionnelle.json
    employer_organisation          when the employer is « Établissement public ou organisme sous convention »

Two forms: `InformationsForm` (every group: the wizard) and `InformationsEditForm` (what
« Mes informations » lets change: phones, main address, family and professional situations).

Use in a view:

    form = InformationsEditForm.for_profile(profile)       # GET: filled from the profile
    form = InformationsEditForm.for_profile(profile, request.form)   # POST (or formdata=None)
    if form.is_refresh():              # « Rechercher » (commune), « Actualiser » (address or cascade):
        return render(..., block=form.refresh_block())     # redisplay, nothing validated nor saved
    if form.validate_on_submit():
        form.apply_to(profile)         # writes the validated values (form.values()) to the profile

`form.values()` is the dict to store in `data["informations"]` (only the fields of the form).
Templates: templates/armees/informations_fields.html (one macro per group); the htmx refresh of
the address place and of the cascade swaps the elements #adresse-lieu and #situation-professionnelle:
the page template wraps those macros in blocks (`adresse_lieu`, `situation_professionnelle`) and
the view renders the block `form.refresh_block()` names. Abroad, `address_place(form)` shows the
country with the town; `address_place(form, with_country=false)` + `address_country(form)` after
the block keeps the 10 KB country list out of the htmx fragment (shown by CSS when abroad)."""
from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from blueprints.armees import catalogue
from core.cascade import Cascade, CascadeState
from core.places import commune_by_key
from forms.base import Form
from forms.fields import PrerenderedSelect
from forms.places import CommuneField, country_choices, foreign_countries
from forms.validators import name_characters

FRANCE, ABROAD = "france", "etranger"
PLACE_CHOICES = [SelectChoice(FRANCE, "En France"), SelectChoice(ABROAD, "A l’étranger")]
YES_NO = [SelectChoice("oui", "Oui"), SelectChoice("non", "Non")]
ORGANISATION_EXTRA = "organisations"
REFRESH = "actualiser"          # the name of the « Actualiser » buttons (value: what to refresh)
SEARCH = "rechercher"           # the commune search's button (components/commune.html)
ADDRESS_PLACE, SITUATION = "adresse-lieu", "situation-professionnelle"
REFRESH_BLOCKS = {ADDRESS_PLACE: "adresse_lieu", SITUATION: "situation_professionnelle"}

PHONE_CHARS = Regexp(r"^\+?[0-9 .()-]{6,20}$", message="Saisissez un numéro de téléphone valide, "
                                                        "par exemple 01 23 45 67 89 ou +33 1 23 45 67 89.")


def phone_field(label: str, required: bool = False, autocomplete: str = "tel") -> StringField:
    checks = [DataRequired(f"Saisissez votre numéro de {label.lower()}.")] if required else [Optional()]
    return StringField(label, [*checks, Length(max=20, message=f"Le numéro de {label.lower()} doit faire "
                                                                "20 caractères maximum."), PHONE_CHARS],
                       render_kw={"autocomplete": autocomplete, "inputmode": "tel"})


def line_field(label: str, required: bool = False) -> StringField:
    checks = [DataRequired("Saisissez l’adresse de votre domicile (n° et libellé de la voie).")] if required \
        else [Optional()]
    return StringField(label, [*checks, Length(max=38, message="Chaque ligne d’adresse doit faire 38 caractères "
                                                               "maximum.")])


def situation_cascade() -> Cascade:
    return Cascade.load(catalogue.SITUATION_CASCADE)


class InformationsForm(Form):
    """Every group of « Vos informations » (the wizard's step 3)."""
    residence = RadioField("Validation de votre qualité de ressortissant", choices=PLACE_CHOICES,
                           validators=[InputRequired("Indiquez si votre domicile est en France ou à l’étranger.")],
                           description="Cochez « En France » ou « A l’étranger » selon le pays de votre domicile.")
    birth_name = StringField("Nom de naissance", [Optional(), Length(max=80, message="Le nom de naissance doit "
                                                                                     "faire 80 caractères maximum."),
                                                  name_characters("nom de naissance")],
                             render_kw={"autocomplete": "family-name"})
    phone = phone_field("Téléphone", required=True)
    mobile = phone_field("Portable", autocomplete="tel")
    fax = phone_field("Fax", autocomplete="off")
    address_abroad = RadioField("Adresse principale", choices=PLACE_CHOICES, default=FRANCE,
                                validators=[InputRequired("Indiquez si votre domicile est en France ou à l’étranger.")])
    address_line1 = line_field("N° et libellé de la voie", required=True)
    address_line2 = line_field("Complément d’adresse (bâtiment, résidence…)")
    address_line3 = line_field("Lieu-dit ou boîte postale")
    commune = CommuneField("Code postal/Ville",
                           description="Saisissez les deux premiers chiffres du code postal ou les premières "
                                       "lettres de la ville, puis sélectionnez la ville dans la liste.")
    city = StringField("Ville", [Length(max=120, message="La ville doit faire 120 caractères maximum.")],
                       description="Saisissez la ville en entier.", render_kw={"autocomplete": "address-level2"})
    country = SelectField("Pays", choices=[], validate_choice=False, widget=PrerenderedSelect())
    in_couple = RadioField("Vivez-vous en couple", choices=YES_NO,
                           validators=[InputRequired("Indiquez si vous vivez en couple.")])
    family_situation = SelectField("Situation familiale", choices=[], validate_choice=False,
                                   validators=[DataRequired("Sélectionnez votre situation familiale.")])
    # The cascade's levels: rendered by the `cascade_selects` macro, checked in validate().
    category = StringField("Catégorie de ressortissant")
    rank = StringField("Catégorie hiérarchique")
    employer = StringField("Autorité d’emploi")
    employer_organisation = SelectField("Organisme", choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "country" in self:
            self.country.choices = country_choices()
        if "family_situation" in self:
            self.family_situation.choices = [SelectChoice("", "Sélectionnez votre situation familiale")] + [
                SelectChoice(s, s) for s in catalogue.family_situations()]
        self.situation: CascadeState = situation_cascade().resolve(
            {name: getattr(self, name).data for name in ("category", "rank", "employer")
             if name in self and getattr(self, name).data})
        if "employer_organisation" in self:
            self.employer_organisation.choices = [SelectChoice("", "Sélectionnez l’organisme")] + [
                SelectChoice(o, o) for o in self.organisations]
        if "commune" in self:
            self.commune.active = not self.abroad
        if "city" in self:  # required abroad only: say so next to the label (the country is shown abroad only)
            self.city.flags.required = self.abroad
            self.country.flags.required = True

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def for_profile(cls, profile: Any, formdata: MultiDict | None = None, **kwargs: Any) -> InformationsForm:
        """The form filled from a RessortissantProfile (or anything with its attributes), unless
        `formdata` (a POST) is given."""
        return cls(formdata=formdata, data=initial_data(profile), **kwargs)

    # -- state ----------------------------------------------------------------------------------
    @property
    def abroad(self) -> bool:
        return "address_abroad" in self and self.address_abroad.data == ABROAD

    @property
    def organisations(self) -> list[str]:
        leaf = self.situation.leaf
        return list(leaf.get(ORGANISATION_EXTRA) or ()) if leaf else []

    def is_refresh(self, formdata: MultiDict | None = None) -> bool:
        """A POST that only asks to redisplay the form (commune search, address place, cascade)."""
        data = request.form if formdata is None else formdata
        return SEARCH in data or REFRESH in data

    def refresh_block(self, formdata: MultiDict | None = None) -> str | None:
        """The template block an htmx refresh answers with (None: the whole page)."""
        data = request.form if formdata is None else formdata
        return REFRESH_BLOCKS.get(data.get(REFRESH, ""))

    # -- checks ---------------------------------------------------------------------------------
    def validate(self, extra_validators: Any = None) -> bool:
        if "commune" in self:
            self.commune.active = not self.abroad
        ok = super().validate(extra_validators)
        if "category" in self and not self.situation.complete:
            level = self.situation.current_level
            getattr(self, level.field).errors = [level.error]
            ok = False
        return ok

    def validate_city(self, field: StringField) -> None:
        if self.abroad and not (field.data or "").strip():
            raise ValidationError("Saisissez la ville de votre domicile en entier.")

    def validate_country(self, field: SelectField) -> None:
        if self.abroad and field.data not in foreign_countries():
            raise ValidationError("Sélectionnez le pays de votre domicile dans la liste.")

    def validate_family_situation(self, field: SelectField) -> None:
        if field.data not in catalogue.family_situations():
            raise ValidationError("Sélectionnez votre situation familiale dans la liste.")

    def validate_employer_organisation(self, field: SelectField) -> None:
        if self.organisations and field.data not in self.organisations:
            raise ValidationError("Sélectionnez l’organisme dans la liste.")

    # -- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The validated values, keyed like `data["informations"]` (only this form's fields)."""
        values: dict[str, Any] = {}
        for name in ("residence", "birth_name", "phone", "mobile", "fax",
                     "address_line1", "address_line2", "address_line3"):
            if name in self:
                values[name] = (self[name].data or "").strip() or None
        if "address_abroad" in self:
            values["address_abroad"] = self.abroad
            if self.abroad:
                values.update(postcode=None, insee=None, city=self.city.data.strip(), country=self.country.data)
            else:
                commune = self.commune.data
                values.update(postcode=commune.postcode, insee=commune.insee, city=commune.name, country="FR")
        if "in_couple" in self:
            values["in_couple"] = self.in_couple.data == "oui"
            values["family_situation"] = self.family_situation.data
        if "category" in self:
            codes = self.situation.codes
            values.update(category=codes.get("category"), rank=codes.get("rank"), employer=codes.get("employer"),
                          employer_organisation=self.employer_organisation.data if self.organisations else None)
        return values

    def apply_to(self, profile: Any) -> None:
        """Write the validated values to a RessortissantProfile (the caller commits)."""
        for name, value in self.values().items():
            setattr(profile, name, value)


class InformationsEditForm(InformationsForm):
    """« Mes informations » › « Éditer »: only phones, main address, family and professional
    situations can change (seed 000)."""
    residence = None
    birth_name = None


def initial_data(profile: Any) -> dict[str, Any]:
    """The form's data from a profile's attributes (for `data=`)."""
    def get(name: str) -> Any:
        return getattr(profile, name, None)
    data = {name: get(name) or "" for name in ("residence", "birth_name", "phone", "mobile", "fax", "address_line1",
                                               "address_line2", "address_line3", "family_situation", "category",
                                               "rank", "employer", "employer_organisation")}
    data["address_abroad"] = ABROAD if get("address_abroad") else FRANCE
    data["in_couple"] = {True: "oui", False: "non"}.get(get("in_couple"), "")
    if get("address_abroad"):
        data.update(city=get("city") or "", country=get("country") or "")
    else:
        commune = commune_by_key(f"{get('insee')}-{get('postcode')}") if get("insee") else None
        data.update(commune=commune, country="")
    return {k: v for k, v in data.items() if v not in ("", None)}
