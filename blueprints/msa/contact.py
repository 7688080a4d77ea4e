"""« Modifier vos coordonnées : adresse, téléphone, mail… » (msa.md part A): the postal address (in
France with the commune search, abroad the town and the country) and the phones, changed at once;
the email through the platform's change of address, confirmed by a link mailed to the new
address (blueprints/auth, « Adresse mail »)."""
from __future__ import annotations

from flask import flash, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select

from blueprints.msa import bp, member_service
from blueprints.msa.context import member_required
from core.places import commune_by_key, commune_index, search_communes
from core.queue import prerendered
from core.replay import keeps_input, take
from core.templating import render
from extensions import db
from forms.msa_services import ABROAD, FRANCE, ContactDetailsForm, ContactDetailsShownForm
from forms.places import foreign_countries
from models.msa_services import MsaContactDetails

TEMPLATE = "msa/contact_details.html"
_details = MsaContactDetails.__table__
# The stored details, as the page reads them (only read: Core columns, no ORM object), built once.
DETAILS = select(*(_details.c[name] for name in (
    "address_abroad", "address_line1", "address_line2", "address_line3", "postcode", "insee", "city", "country",
    "phone", "updated_at"))).where(_details.c.member_id == bindparam("member_id")).limit(1)


class StoredDetails:
    """A row of DETAILS as the template reads MsaContactDetails (its columns and `has_address`)."""
    has_address = MsaContactDetails.has_address

    def __init__(self, row):
        self.__dict__.update(row._mapping)


def stored_commune(details):
    """The commune of an address in France, from the communes held in memory (core.places, what
    the form's own search reads: the same list of the postcode's communes), else from the table
    (what core.places.commune_by_key gives for its key); None when it is no longer listed."""
    found = next((c for c in search_communes(details.postcode) if c.insee == details.insee), None)
    return found or commune_by_key(f"{details.insee}-{details.postcode}")


def _initial(member):
    """The form's data from the stored details (nothing yet: an empty form, France)."""
    row = db.session.execute(DETAILS, {"member_id": member.id}).first()
    details = StoredDetails(row) if row is not None else None
    data = {"mobile": member.mobile or "", "address_abroad": FRANCE}
    if details is not None:
        data.update(phone=details.phone or "", address_line1=details.address_line1 or "",
                    address_line2=details.address_line2 or "", address_line3=details.address_line3 or "")
        if details.address_abroad:
            data.update(address_abroad=ABROAD, city=details.city or "", country=details.country or "")
        elif details.insee:
            data["commune"] = stored_commune(details)
    return details, {k: v for k, v in data.items() if v not in ("", None)}


def _address_kind(form):
    """« En France » / « A l'étranger » without an error: one of two HTMLs that only code decides,
    rendered once (core.queue.prerendered) by the macro the template calls otherwise."""
    field = form.address_abroad
    if field.errors or field.data not in (FRANCE, ABROAD):
        return None
    url = url_for("msa.contact_details")
    return prerendered(("msa.contact_details.address_kind", url, field.data), lambda: get_template_attribute(
        "armees/informations_fields.html", "address_kind_field")(form, url))


# The text fields of msa/contact_fields.html, whose values go into the HTML rendered once.
TEXT_FIELDS = ("phone", "mobile", "address_line1", "address_line2", "address_line3")
# A value's place in that HTML: never typed (forms.base drops NUL from every text field).
VALUE_MARKS = tuple(f"\x00msa-contact-{name}\x00" for name in TEXT_FIELDS)


def _pristine_fields(form, address_kind):
    """The phones, the address kind and the address lines without an error (msa/contact_fields.html
    `contact_fields`): HTML that only code decides but for the five values typed and the address
    kind, rendered once per app and address kind (core.queue.prerendered) with a mark in place of
    each value, the values then put in their place escaped as forms/field_html.py escapes them.
    None when a field has an error (or the marks are not found once each): the template calls the
    macro then."""
    fields = [form[name] for name in TEXT_FIELDS]
    if address_kind is None or any(f.errors for f in fields):
        return None
    url = url_for("msa.contact_details")

    def render_marked():
        kept = [f.data for f in fields]
        try:
            for f, mark in zip(fields, VALUE_MARKS):
                f.data = mark
            return get_template_attribute("msa/contact_fields.html", "contact_fields")(form, url, address_kind)
        finally:
            for f, data in zip(fields, kept):
                f.data = data

    # The fields' labels, hints and flags are their class's (ContactDetailsForm sets no flag of these).
    key = ("msa.contact_details.fields", type(form), url, form.address_abroad.data)
    html = str(prerendered(key, render_marked))
    parts = html.split("\x00")
    # text, mark, text, mark, … : each mark once, in the fields' order
    if len(parts) != 2 * len(fields) + 1 or [f"\x00{m}\x00" for m in parts[1::2]] != list(VALUE_MARKS):
        return None
    values = [str(escape(f._value())).replace(chr(34), "&quot;") for f in fields]
    out = [parts[0]]
    for value, text in zip(values, parts[2::2]):
        out += (value, text)
    return Markup("".join(out))


def _pristine_country(form):
    """The country's select without an error (armees/informations_fields.html `address_country`):
    one of the countries' HTMLs, rendered once per app and country chosen (none, or one of the
    list)."""
    field = form.country
    chosen = field.data or None
    if field.errors or (chosen is not None and chosen not in foreign_countries()):
        return None
    return prerendered(("msa.contact_details.country", field.id, field.name, chosen,
                        tuple(sorted(vars(field.flags).items()))),
                       lambda: get_template_attribute("armees/informations_fields.html", "address_country")(form))


def _pristine_place(form):
    """The commune search of an address in France as a GET shows it (armees/informations_fields.html
    `address_place`): the stored commune's postcode, that postcode's communes and the stored one
    chosen, or nothing yet. HTML that only code and the communes (reference data) decide, the same
    for everyone living there: memoised with the communes held in memory, as their search fragments
    are (core.places.CommuneIndex.rendered, forgotten when the communes are loaded again). None
    otherwise (abroad, an error, a search typed): the template calls the macro then."""
    field = form.commune
    if form.abroad or field.errors:
        return None
    if field.data is None:
        if field.query_text:
            return None
        selected = ""
    elif field.query_text == field.data.postcode:
        selected = field.data.key
    else:
        return None
    key = ("msa.contact_details.place", type(form), field.query_text, selected, request.script_root)
    return Markup(commune_index().rendered(key, lambda: str(get_template_attribute(
        "armees/informations_fields.html", "address_place")(form, with_country=False))))


@bp.route("/coordonnees", methods=["GET", "POST"])
@keeps_input
@member_required
def contact_details(member):
    details, initial = _initial(member)
    if request.method == "POST":
        form = ContactDetailsForm(formdata=request.form)
        if form.is_refresh():  # « Rechercher » (commune) or « Actualiser » (France / abroad)
            return render(TEMPLATE, block=form.refresh_block(), form=form, details=details, member=member,
                          address_kind=_address_kind(form))
        if form.validate_on_submit():
            member_service.update_contact_details(member, form.values(), current_user)
            db.session.commit()
            flash("Vos coordonnées ont été enregistrées.", "success")
            return redirect(url_for("msa.contact_details"), 303)
        return render(TEMPLATE, form=form, details=details, member=member, status=422)
    replay = take(current_user)
    form = ContactDetailsShownForm(formdata=replay.form if replay else None, data=initial)
    address_kind = _address_kind(form)
    return render(TEMPLATE, form=form, details=details, member=member, address_kind=address_kind,
                  fields_html=_pristine_fields(form, address_kind), country_html=_pristine_country(form),
                  place_html=_pristine_place(form))
