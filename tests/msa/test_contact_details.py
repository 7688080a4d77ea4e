"""« Modifier vos coordonnées »: the address in France with the commune search (without JS:
« Rechercher »; with htmx the place block alone), abroad with the country, the phones; errors keep
what was typed; the email is changed through the platform's confirmed change of address."""
import pytest
from werkzeug.datastructures import MultiDict

from extensions import db
from models import MsaMember
from models.msa_services import MsaContactDetails
from tests.helpers import errors_of, fragment, link_in, page, submit
from tests.msa.services_world import clients, world  # noqa: F401

URL = "/msa/coordonnees"
VALID = {"address_abroad": "france", "address_line1": "3 rue des Vignes", "address_line2": "", "address_line3": "",
         "commune-recherche": "33000", "commune": "33063-33000", "country": "", "city": "",
         "phone": "05 56 00 00 00", "mobile": "06 11 22 33 44"}


def details_of(app, member_id):
    with app.app_context():
        d = MsaContactDetails.query.filter_by(member_id=member_id).one_or_none()
        member = db.session.get(MsaMember, member_id)
        return None if d is None else {"abroad": d.address_abroad, "line1": d.address_line1, "postcode": d.postcode,
                                       "insee": d.insee, "city": d.city, "country": d.country, "phone": d.phone,
                                       "mobile": member.mobile}


def test_change_address_in_france(app, world, clients):
    soup = page(clients["jeanne"], URL)
    assert soup.h1.get_text() == "Modifier vos coordonnées"
    assert soup.select_one("#coordonnees-enregistrees") is None
    response = submit(clients["jeanne"], URL, VALID, status=303)
    assert response.headers["Location"].endswith(URL)
    assert details_of(app, world["jeanne"]) == {"abroad": False, "line1": "3 rue des Vignes", "postcode": "33000",
                                                "insee": "33063", "city": "Bordeaux", "country": "FR",
                                                "phone": "05 56 00 00 00", "mobile": "06 11 22 33 44"}
    soup = page(clients["jeanne"], URL)
    assert "Vos coordonnées ont été enregistrées." in soup.get_text()
    shown = soup.select_one("#coordonnees-enregistrees").get_text(" ", strip=True)
    assert "3 rue des Vignes" in shown and "33000 Bordeaux" in shown
    # The form comes back filled with what is stored.
    assert soup.select_one("#address_line1")["value"] == "3 rue des Vignes"
    assert soup.select_one("select#commune option[selected]")["value"] == "33063-33000"
    assert details_of(app, world["paul"]) is None


def test_commune_search_without_js_then_with_htmx(app, world, clients):
    soup = submit(clients["jeanne"], URL, dict(VALID, commune="", rechercher="commune",
                                               **{"commune-recherche": "Saint-Émilion"}))
    options = [o.get_text() for o in soup.select("select#commune option")]
    assert "Saint-Émilion (33330)" in options
    assert soup.select_one("#address_line1")["value"] == "3 rue des Vignes"
    assert details_of(app, world["jeanne"]) is None  # a search saves nothing
    part = fragment(clients["jeanne"], URL, method="post",
                    data=dict(VALID, address_abroad="etranger", actualiser="adresse-lieu"))
    assert part.select_one("#adresse-lieu #city") is not None
    assert part.select_one("#commune-recherche") is None


def test_address_abroad(app, world, clients):
    submit(clients["jeanne"], URL, dict(VALID, address_abroad="etranger", city="Genève", country="CH"), status=303)
    stored = details_of(app, world["jeanne"])
    assert (stored["abroad"], stored["city"], stored["country"], stored["postcode"]) == (True, "Genève", "CH", None)
    soup = page(clients["jeanne"], URL)
    assert "Suisse" in soup.select_one("#coordonnees-enregistrees").get_text()


def test_errors_keep_everything_typed(app, world, clients):
    soup = submit(clients["jeanne"], URL, dict(VALID, address_line1="", phone="abc", commune="",
                                               **{"commune-recherche": "99999"}), status=422)
    assert errors_of(soup) == ["Saisissez un numéro de téléphone valide, par exemple 01 23 45 67 89 ou "
                               "+33 1 23 45 67 89.",
                               "Saisissez l’adresse de votre domicile (n° et libellé de la voie).",
                               "Aucune ville ne correspond à « 99999 ». Vérifiez le code postal ou le nom de la ville."]
    assert soup.select_one("#phone")["value"] == "abc"
    assert soup.select_one("#mobile")["value"] == "06 11 22 33 44"
    soup = submit(clients["jeanne"], URL, dict(VALID, address_abroad="etranger", city="", country="ZZ"), status=422)
    assert "Sélectionnez le pays de votre domicile dans la liste." in errors_of(soup)
    assert details_of(app, world["jeanne"]) is None


def test_email_change_is_confirmed_by_a_link_to_the_new_address(app, world, clients, outbox):
    soup = page(clients["jeanne"], URL)
    link = soup.find("a", string="Modifier l’adresse mail")["href"]
    assert link.startswith("/compte/adresse-mail?next=")
    response = clients["jeanne"].post(link, data={"email": "jeanne.nouvelle@example.fr",
                                                  "email_confirm": "jeanne.nouvelle@example.fr"})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    mail = outbox()[-1]
    assert mail["to"] == "jeanne.nouvelle@example.fr" and "12 heures" in mail["body"]
    confirm = link_in(mail["body"]).replace("http://guichet.test", "")
    clients["jeanne"].get(confirm)
    assert clients["jeanne"].post("/compte/adresse-mail/confirmer", data={}).status_code == 302
    notice = outbox()[-1]
    assert notice["to"] == "jeanne@example.fr"
    with app.app_context():
        assert db.session.get(MsaMember, world["jeanne"]).user.email == "jeanne.nouvelle@example.fr"


def test_only_members(world, clients):
    assert clients["agent"].get(URL).status_code == 403
    assert clients["anonymous"].post(URL, data=VALID).status_code == 302


# --- HTML rendered once (blueprints/msa/contact.py _pristine_fields, _pristine_country) ----------

def _form_html(client):
    import re
    html = client.get(URL).get_data(as_text=True)
    html = re.sub(r'(name="csrf_token" value=")[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)


def _as_the_macros_render_it(client, monkeypatch):
    from blueprints.msa import contact
    with monkeypatch.context() as patched:
        patched.setattr(contact, "_pristine_fields", lambda form, address_kind: None)
        patched.setattr(contact, "_pristine_country", lambda form: None)
        patched.setattr(contact, "_pristine_place", lambda form: None)
        return _form_html(client)


HOSTILE = {"address_line1": '3 "rue" <b>&amp;</b>', "address_line2": "l’Étang & Cie", "address_line3": "'x'",
           "phone": "05 56 00 00 00", "mobile": ""}


@pytest.mark.parametrize("posted", [None, VALID, dict(VALID, **HOSTILE),
                                    dict(VALID, address_abroad="etranger", city="Genève", country="CH")])
def test_the_fields_rendered_once_are_the_macros(app, world, clients, monkeypatch, posted):
    client = clients["jeanne"]
    if posted:
        submit(client, URL, posted, status=303)
    client.get(URL)  # what was flashed (the login, the confirmation) shown once
    once = _form_html(client)
    assert once == _form_html(client)  # rendered now, then from the app's store
    store = app.extensions["guichet_prerendered"]
    assert {key[0] for key in store} >= {"msa.contact_details.fields", "msa.contact_details.country"}
    assert once == _as_the_macros_render_it(client, monkeypatch)
    if posted is not None and posted.get("address_line1", "").startswith("3 \""):
        soup = page(client, URL)
        assert soup.select_one("#address_line1")["value"] == HOSTILE["address_line1"]
        assert soup.select_one("#address_line2")["value"] == HOSTILE["address_line2"]


def test_a_country_not_in_the_list_is_rendered_by_the_macro(app, world, clients):
    from blueprints.msa.contact import _pristine_country
    from forms.msa_services import ContactDetailsShownForm
    with app.test_request_context(URL):
        form = ContactDetailsShownForm(data={"address_abroad": "etranger", "country": "ZZ"})
        assert _pristine_country(form) is None
        form = ContactDetailsShownForm(data={"address_abroad": "etranger", "country": "CH"})
        assert '<option selected value="CH">' in _pristine_country(form)


def test_the_stored_commune_comes_from_the_communes_in_memory_else_from_the_table(app, world, monkeypatch):
    from types import SimpleNamespace

    from blueprints.msa import contact
    with app.test_request_context(URL):
        bordeaux = contact.stored_commune(SimpleNamespace(postcode="33000", insee="33063"))
        assert (bordeaux.key, bordeaux.name, bordeaux.postcode) == ("33063-33000", "Bordeaux", "33000")
        # Not among the postcode's communes held in memory (more of them than a search gives): the table's.
        monkeypatch.setattr(contact, "search_communes", lambda query: [])
        assert contact.stored_commune(SimpleNamespace(postcode="33000", insee="33063")).key == "33063-33000"
        assert contact.stored_commune(SimpleNamespace(postcode="33000", insee="99999")) is None


def test_the_stored_details_read_in_one_statement(app, world, clients):
    from tests.core.test_request_path import selects, statements
    submit(clients["jeanne"], URL, VALID, status=303)
    clients["jeanne"].get(URL)
    with statements(app) as seen:
        soup = page(clients["jeanne"], URL)
    queries = selects(seen)
    assert len(queries) == 2 and "msa_contact_details" in queries[1] and "commune" not in queries[1], queries
    assert "3 rue des Vignes" in soup.select_one("#coordonnees-enregistrees").get_text()
    assert soup.select_one("select#commune option[selected]")["value"] == "33063-33000"


def test_the_commune_search_memoised_is_the_macros_and_goes_with_the_communes(app, world):
    from flask import get_template_attribute

    from blueprints.msa.contact import _pristine_place
    from core.places import commune_by_key, commune_index
    from forms.msa_services import ContactDetailsShownForm

    def macro(form):
        return str(get_template_attribute("armees/informations_fields.html", "address_place")(form,
                                                                                             with_country=False))
    with app.test_request_context(URL):
        for data in ({}, {"commune": commune_by_key("33063-33000")}, {"commune": commune_by_key("33394-33330")}):
            form = ContactDetailsShownForm(data=data)
            assert str(_pristine_place(form)) == macro(form)  # rendered now
            assert str(_pristine_place(ContactDetailsShownForm(data=data))) == macro(form)  # memoised
        assert _pristine_place(ContactDetailsShownForm(data={"address_abroad": "etranger", "city": "Genève"})) is None
        # A search typed (a replayed form) is not memoised.
        typed = ContactDetailsShownForm(formdata=MultiDict({"commune-recherche": "Bord", "commune": ""}))
        assert _pristine_place(typed) is None
        assert any(key[0] == "msa.contact_details.place" for key in commune_index()._rendered)
        # `flask communes load` forgets the index, and with it what was memoised.
        from core import places
        places._indexes.pop(app.config["SQLALCHEMY_DATABASE_URI"])
        assert not any(key[0] == "msa.contact_details.place" for key in commune_index()._rendered)
