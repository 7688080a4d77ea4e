"""« Mes informations » (slice SPACE): shown to its owner, editable only once a first application
was transmitted (phones, main address in France or abroad, family and professional situations),
the cascade and the address place refreshed with and without htmx, « Comptes du tiers » read-only;
and the form module the wizard shares (forms/armees_informations.py)."""
from werkzeug.datastructures import MultiDict

from blueprints.armees.recap import information_rows
from extensions import db
from forms.armees_informations import InformationsEditForm, InformationsForm
from models import User
from models.armees import RessortissantProfile
from tests import factories
from tests.helpers import errors_of, fragment, page, submit

URL = "/armees/espace/mes-informations"
EDIT = URL + "?editer=1"
VALID = {"phone": "06 12 34 56 78", "mobile": "", "fax": "", "address_abroad": "france",
         "address_line1": "3 place de la Bourse", "address_line2": "", "address_line3": "",
         "commune-recherche": "33000", "commune": "33063-33000", "in_couple": "non",
         "family_situation": "Célibataire", "category": "militaire-actif", "rank": "sous-officier",
         "employer": "marine"}


def save(client, data):
    """« Enregistrer » then « Valider » on the check page (which posts back what was typed)."""
    check = submit(client, URL, data)
    assert check.h1.get_text(strip=True) == "Confirmer mes informations"
    form = check.select_one("main form")
    posted = [(i["name"], i.get("value", "")) for i in form.select("input[type=hidden]")]
    return submit(client, URL, MultiDict([*posted, ("valider", "1")]), status=303)


def stored(app, armees, who="member"):
    with app.app_context():
        return RessortissantProfile.query.filter_by(user_id=armees[who]).one()


def test_before_any_transmission_no_edit_and_a_forged_post_is_refused(app, armees, armees_login, profile):
    profile(transmitted=False)
    client = armees_login("member")
    soup = page(client, URL)
    assert soup.h1.get_text(strip=True) == "Mes informations"
    assert soup.find("a", string="Éditer") is None
    assert "une fois votre première demande de prestation transmise" in soup.select_one(
        "#pas-encore-modifiable").get_text()
    assert page(client, EDIT).find("form", attrs={"class": "armees-informations-form"}) is None
    assert client.post(URL, data=VALID).status_code == 403
    assert stored(app, armees).phone == "05 56 00 00 00"


def test_without_a_profile_the_page_explains_and_refuses_a_post(app, armees, armees_login):
    client = armees_login("member")
    soup = page(client, URL)
    assert soup.select_one("#pas-encore-modifiable")
    assert client.post(URL, data=VALID).status_code == 403
    with app.app_context():
        assert RessortissantProfile.query.count() == 0


def test_shows_the_profile_and_the_bank_details_masked(app, armees, armees_login, profile):
    profile(account_holder="Éloïse Lefèvre", iban="FR7630006000011234567890189", bic="AGRIFRPP")
    soup = page(armees_login("member"), URL)
    rows = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in soup.select("dt")}
    assert rows["Téléphone"] == "05 56 00 00 00"
    assert rows["Adresse"] == "12 rue Sainte-Catherine, 33000 Bordeaux"
    assert rows["Catégorie de ressortissant"] == "Militaire en activité"
    assert rows["Titulaire du compte"] == "Éloïse Lefèvre"
    assert rows["IBAN"] == "FR76 •••• 0189"
    assert "FR7630006000011234567890189" not in soup.response.get_data(as_text=True)
    assert rows["BIC"] == "AGRIFRPP"
    assert soup.find("a", string="Éditer")["href"] == EDIT
    # « Comptes du tiers » has no control at all
    assert not soup.select("#comptes-du-tiers input, #comptes-du-tiers button")


def test_edit_form_is_filled_from_the_profile_and_limited_to_what_may_change(armees_login, profile):
    profile()
    soup = page(armees_login("member"), EDIT)
    assert soup.h1.get_text(strip=True) == "Modifier mes informations"
    form = soup.select_one("form.armees-informations-form")
    assert form.select_one("#phone")["value"] == "05 56 00 00 00"
    assert form.select_one("#commune option[selected]")["value"] == "33063-33000"
    assert form.select_one("#category option[selected]")["value"] == "militaire-actif"
    assert form.select_one("#employer option[selected]")["value"] == "armee-terre"
    assert form.select_one("[name=residence]") is None and form.select_one("[name=birth_name]") is None
    assert [b.get_text(strip=True) for b in form.select(".actions .button")] == ["Enregistrer", "Annuler"]


def test_saving_updates_the_profile_with_a_confirmation(app, armees, armees_login, profile):
    profile()
    client = armees_login("member")
    check = submit(client, URL, VALID)
    assert check.title.get_text().startswith("Confirmer mes informations")
    rows = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in check.select("main dt")}
    assert (rows["Téléphone"], rows["Adresse"], rows["Autorité d’emploi"]) == (
        "06 12 34 56 78", "3 place de la Bourse, 33000 Bordeaux", "Marine nationale")
    assert rows["Qualité de ressortissant"] == "En France"  # what is not changed here is shown as it is
    assert stored(app, armees).phone == "05 56 00 00 00"  # nothing saved before « Valider »
    # « Modifier » brings the form back with what was typed
    posted = [(i["name"], i.get("value", "")) for i in check.select("main form input[type=hidden]")]
    again = submit(client, URL, MultiDict([*posted, ("modifier", "1")]))
    assert again.h1.get_text(strip=True) == "Modifier mes informations"
    assert again.select_one("#phone")["value"] == "06 12 34 56 78"
    response = save(client, VALID)
    assert response.headers["Location"] == URL
    soup = page(client, URL)
    assert "Vos informations ont été enregistrées." in [p.get_text(strip=True) for p in soup.select("#messages p")]
    saved = stored(app, armees)
    assert (saved.phone, saved.address_line1, saved.postcode, saved.insee, saved.city, saved.country) == (
        "06 12 34 56 78", "3 place de la Bourse", "33000", "33063", "Bordeaux", "FR")
    assert (saved.in_couple, saved.family_situation, saved.rank, saved.employer) == (
        False, "Célibataire", "sous-officier", "marine")
    assert saved.residence == "france"  # not part of this form: unchanged


def test_errors_are_shown_next_to_the_fields_and_nothing_is_saved(app, armees, armees_login, profile):
    profile()
    data = dict(VALID, phone="", address_line1="", family_situation="", employer="")
    soup = submit(armees_login("member"), URL, data, status=422)
    assert soup.title.get_text().startswith("Erreur : ")
    assert errors_of(soup) == ["Saisissez votre numéro de téléphone.",
                               "Saisissez l’adresse de votre domicile (n° et libellé de la voie).",
                               "Sélectionnez votre situation familiale.",
                               "Sélectionnez votre autorité d’emploi."]
    assert soup.select_one("#employer-erreur").get_text(strip=True).endswith("Sélectionnez votre autorité d’emploi.")
    assert soup.select_one("#address_line2")["value"] == "" and soup.select_one("#rank option[selected]")
    assert stored(app, armees).phone == "05 56 00 00 00"


def test_cascade_without_javascript_actualiser_shows_the_next_level_and_saves_nothing(app, armees, armees_login,
                                                                                       profile):
    profile()
    data = dict(VALID, category="civil-actif", rank="", employer="", phone="01 02 03 04 05",
                actualiser="situation-professionnelle")
    soup = submit(armees_login("member"), URL, data)
    assert soup.select_one("#phone")["value"] == "01 02 03 04 05"  # what was typed is kept
    ranks = [o["value"] for o in soup.select("#rank option") if o["value"]]
    assert ranks[0] == "categorie-a" and "officier" not in ranks  # the civil staff's own ranks
    assert soup.select_one("#employer") is None
    assert not errors_of(soup)
    assert stored(app, armees).phone == "05 56 00 00 00"


def test_cascade_with_htmx_answers_the_block_and_focuses_the_next_select(armees_login, profile):
    profile()
    data = dict(VALID, category="militaire-actif", rank="officier", employer="", actualiser="situation-professionnelle")
    soup = fragment(armees_login("member"), URL, method="post", data=data, headers={"HX-Trigger-Name": "rank"})
    block = soup.select_one("#situation-professionnelle")
    assert block is not None and soup.select_one("form") is None
    assert soup.select_one("#employer").has_attr("autofocus")
    assert {s["hx-post"] for s in soup.select("select")} == {URL}  # the next change posts again
    assert not soup.select_one("#rank").has_attr("autofocus")


def test_an_etablissement_public_employer_asks_for_the_organisation(app, armees, armees_login, profile):
    profile()
    client = armees_login("member")
    data = dict(VALID, rank="officier", employer="etablissement")
    soup = submit(client, URL, data, status=422)
    assert errors_of(soup) == ["Sélectionnez l’organisme dans la liste."]
    options = [o["value"] for o in soup.select("#employer_organisation option") if o["value"]]
    assert "Musée de l’Armée" in options
    save(client, dict(data, employer_organisation="Musée de l’Armée"))
    assert stored(app, armees).employer_organisation == "Musée de l’Armée"


def test_an_address_abroad_takes_a_typed_town_and_a_country(app, armees, armees_login, profile):
    profile()
    client = armees_login("member")
    # without JS: « Actualiser » swaps the commune search for the town and the country
    soup = submit(client, URL, dict(VALID, address_abroad="etranger", actualiser="adresse-lieu"))
    assert soup.select_one("#city") and soup.select_one("#country") and not soup.select_one("#commune-recherche")
    # with htmx: only the place comes back
    part = fragment(client, URL, method="post", data=dict(VALID, address_abroad="etranger", actualiser="adresse-lieu"))
    assert part.select_one("#adresse-lieu #city") and part.select_one("#address_line1") is None
    assert part.select_one("#country") is None and len(part.response.data) < 5000  # the fragment budget
    # the country list stays in the page, shown by CSS right after an #adresse-lieu abroad
    assert soup.select_one(".armees-place--etranger + .armees-country #country")
    assert page(client, EDIT).select_one(".armees-place--france + .armees-country #country")
    soup = submit(client, URL, dict(VALID, address_abroad="etranger", city="", country=""), status=422)
    assert errors_of(soup) == ["Saisissez la ville de votre domicile en entier.",
                               "Sélectionnez le pays de votre domicile dans la liste."]
    save(client, dict(VALID, address_abroad="etranger", city="Djibouti", country="DJ"))
    saved = stored(app, armees)
    assert (saved.address_abroad, saved.city, saved.country, saved.postcode, saved.insee) == (
        True, "Djibouti", "DJ", None, None)


def test_the_commune_search_without_javascript_lists_the_towns(armees_login, profile):
    profile()
    soup = submit(armees_login("member"), URL, dict(VALID, commune="", **{"commune-recherche": "33100",
                                                                          "rechercher": "commune"}))
    assert [o.get_text(strip=True) for o in soup.select("#commune option")] == ["Bordeaux (33100)"]
    assert not errors_of(soup)


def test_the_other_ressortissant_only_ever_sees_their_own(armees, armees_login, profile):
    profile()
    profile("member2", phone="09 99 99 99 99")
    soup = page(armees_login("member2"), EDIT)
    assert soup.select_one("#phone")["value"] == "09 99 99 99 99"


def test_anonymous_is_sent_to_the_login_and_agents_are_refused(app, armees, armees_login, profile):
    profile()
    anonymous = app.test_client()
    for response in (anonymous.get(URL), anonymous.post(URL, data=VALID)):
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    for who in ("agent", "other_agent"):
        client = armees_login(who)
        assert client.get(URL).status_code == 404
        assert client.post(URL, data=VALID).status_code == 404
    assert stored(app, armees).phone == "05 56 00 00 00"


# --- the form module shared with the wizard --------------------------------------------------------

def test_values_are_the_keys_of_the_data_contract_and_apply_to_a_profile(app):
    with app.test_request_context(method="POST"):
        form = InformationsForm(formdata=MultiDict(dict(VALID, residence="etranger", birth_name="Martin")),
                                meta={"csrf": False})
        assert form.validate(), form.errors
        values = form.values()
        assert set(values) == {"residence", "birth_name", "phone", "mobile", "fax", "address_abroad",
                               "address_line1", "address_line2", "address_line3", "postcode", "insee", "city",
                               "country", "in_couple", "family_situation", "category", "rank", "employer",
                               "employer_organisation"}
        rows = dict(information_rows(values))  # recap.py reads it as it is
        assert rows["Qualité de ressortissant"] == "A l’étranger"
        assert rows["Catégorie hiérarchique"] == "Sous-officier"
        profile = RessortissantProfile()
        form.apply_to(profile)
        assert (profile.birth_name, profile.insee, profile.address_abroad) == ("Martin", "33063", False)


def test_the_edit_form_leaves_residence_and_birth_name_alone(app):
    with app.test_request_context(method="POST"):
        form = InformationsEditForm(formdata=MultiDict(dict(VALID, residence="etranger", birth_name="X")),
                                    meta={"csrf": False})
        assert form.validate(), form.errors
        assert "residence" not in form.values() and "birth_name" not in form.values()


def test_phone_numbers_are_checked(app):
    with app.test_request_context(method="POST"):
        form = InformationsForm(formdata=MultiDict(dict(VALID, residence="france", phone="appelez-moi",
                                                        fax="12")), meta={"csrf": False})
        assert not form.validate()
        assert form.phone.errors == form.fax.errors == [
            "Saisissez un numéro de téléphone valide, par exemple 01 23 45 67 89 ou +33 1 23 45 67 89."]


def test_an_edit_posted_on_an_expired_session_comes_back_after_the_login(app, armees, armees_login, profile):
    from tests.auth.test_session_expiry import expire, next_of
    profile()
    client = armees_login("member")
    page(client, EDIT)
    expire(app)
    response = client.post(URL, data=dict(VALID, phone="07 77 77 77 77"))
    assert response.status_code == 302 and next_of(response.headers["Location"]) == URL
    assert stored(app, armees).phone == "05 56 00 00 00"
    back = client.post(response.headers["Location"], data={"email": armees["emails"]["member"],
                                                           "password": factories.PASSWORD})
    assert back.status_code == 302
    soup = page(client, back.headers["Location"])
    assert soup.h1.get_text(strip=True) == "Modifier mes informations"
    assert soup.select_one("#phone")["value"] == "07 77 77 77 77"  # given back once, to check then save
    assert soup.select_one("#employer option[selected]")["value"] == "marine"
    assert stored(app, armees).phone == "05 56 00 00 00"


def test_every_macro_renders_the_full_form_for_the_wizard(app, armees):
    """The wizard's step 3 uses the groups this page does not: residence and identity."""
    from flask import render_template_string
    from tests.helpers import check_page
    template = ('{% from "armees/informations_fields.html" import residence_field, identity_fields, address_kind_field,'
                ' address_lines, address_place, address_country, family_fields, professional_fields %}'
                '<html lang="fr"><a class="skip-link" href="#contenu"></a><form method="post">'
                '<input type="hidden" name="csrf_token" value="x">'
                '{{ residence_field(form) }}{{ identity_fields(form, user) }}{{ address_kind_field(form, "/etape") }}'
                '{{ address_lines(form) }}{{ address_place(form) }}{{ address_country(form) }}'
                '{{ family_fields(form) }}{{ professional_fields(form, "/etape") }}</form></html>')
    with app.test_request_context("/etape", method="POST"):
        user = db.session.get(User, armees["member"])
        form = InformationsForm.for_profile(factories.armees_profile(user, birth_name="Martin"))
        soup = check_page(render_template_string(template, form=form, user=user), require_h1=False)
        abroad = InformationsForm(formdata=MultiDict(dict(VALID, address_abroad="etranger")), meta={"csrf": False})
        place = render_template_string('{% from "armees/informations_fields.html" import address_place %}'
                                       '{{ address_place(form) }}', form=abroad)
        assert 'id="city"' in place and 'id="country"' in place  # by default the country comes with the town
    rows = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in soup.select("dt")}
    assert rows == {"Nom complet": "Éloïse Lefèvre", "Adresse électronique": "ressortissant@example.fr"}
    assert soup.select_one("#residence-groupe legend").get_text(" ", strip=True).startswith(
        "Validation de votre qualité de ressortissant")
    assert [i["value"] for i in soup.select("input[name=residence]")] == ["france", "etranger"]
    assert soup.select_one("input[name=residence][checked]")["value"] == "france"
    assert soup.select_one("#birth_name")["value"] == "Martin"
    assert soup.select_one("label[for=phone]").get_text(" ", strip=True) == "Téléphone (obligatoire)"
    assert soup.select_one("#employer option[selected]")["value"] == "armee-terre"
    assert soup.select_one("#category")["hx-post"] == "/etape"
