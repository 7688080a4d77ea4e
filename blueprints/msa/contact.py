"""« Modifier vos coordonnées : adresse, téléphone, mail… » (msa.md part A): the postal address (in
France with the commune search, abroad the town and the country) and the phones, changed at once;
the email through the platform's change of address, confirmed by a link mailed to the new
address (blueprints/auth, « Adresse mail »)."""
from __future__ import annotations

from flask import flash, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import and_, bindparam, select

from blueprints.msa import bp, member_service
from blueprints.msa.context import member_required
from core.queue import prerendered
from core.replay import keeps_input, take
from core.templating import render
from extensions import db
from forms.msa_services import ABROAD, FRANCE, ContactDetailsForm, ContactDetailsShownForm
from models import Commune
from models.msa_services import MsaContactDetails

TEMPLATE = "msa/contact_details.html"
# The stored details and the commune of their address in one statement, built once.
DETAILS_WITH_COMMUNE = (
    select(MsaContactDetails, Commune)
    .outerjoin(Commune, and_(Commune.insee == MsaContactDetails.insee,
                             Commune.postcode == MsaContactDetails.postcode))
    .where(MsaContactDetails.member_id == bindparam("member_id"))
    .limit(1))


def _initial(member):
    """The form's data from the stored details (nothing yet: an empty form, France)."""
    details, commune = db.session.execute(DETAILS_WITH_COMMUNE, {"member_id": member.id}).first() or (None, None)
    data = {"mobile": member.mobile or "", "address_abroad": FRANCE}
    if details is not None:
        data.update(phone=details.phone or "", address_line1=details.address_line1 or "",
                    address_line2=details.address_line2 or "", address_line3=details.address_line3 or "")
        if details.address_abroad:
            data.update(address_abroad=ABROAD, city=details.city or "", country=details.country or "")
        elif details.insee:
            data["commune"] = commune  # what core.places.commune_by_key gives for its key
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
    return render(TEMPLATE, form=form, details=details, member=member, address_kind=_address_kind(form))
