"""Filing a request on the five ODS forms (seed 002, IV and V.1): fields, limits and lists, the
« Saisine mission accompagnement santé » blocks with and without JavaScript, attachments, refusals,
the 10-digit number and the confirmation."""
import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from extensions import db
from models import Attachment, AuditEvent, Convention, PartnerRequest, PartnerSettings
from models.partenaires import catalogue, ods_catalogue, paris_today
from tests import factories
from tests.components.test_attachments_content import pdf_bytes, png_bytes
from tests.helpers import errors_of, fragment, page, submit

NEW = "/partenaires/demandes/nouvelle/{}"
SAISINE = catalogue()["saisine"]
SEED_HINT = ("Fichiers acceptés pdf, word (.doc, .docx), excel (.xls, .xlsx, .csv), tiff, png, jpeg. "
             "Taille de pièce jointe maximum 5 Mo, 8 pièces jointes maximum.")
PERSON = {"civility": "Mme", "last_name": "pain", "first_name": "françois", "birth_date": "05/10/1970",
          "birth_place": "24", "phone": "0600000000"}
MOTIVES = {1: "Gérer la convention de partenariat", 2: "Situation d'urgence", 3: "Capital décès",
           4: "Etude de C2S"}


def valid(ods, **overrides):
    data = {"comments": "L'assuré a besoin de soins urgents."}
    if ods == 1:
        data.update(motive=MOTIVES[1], rdv_modalities=["Physique"])
    elif ods == 5:
        data.update(documents=["Attestation de droits"], **PERSON)
    else:
        data.update(motive=MOTIVES[ods], **PERSON)
    data.update(overrides)
    return data


def enter(app, client, login, email, organisation_id, csrf=None):
    data = {"organisation": organisation_id}
    if csrf:
        data["csrf_token"] = csrf
    assert login(client, email).status_code == 302
    assert client.post("/partenaires/organisme", data=data).status_code == 302


@pytest.fixture
def partner(app, login):
    """A technician of a structure with a running convention with CPAM GIRONDE (331), logged in
    and working on it."""
    with app.app_context():
        org, structure = factories.partner_setup()
        tech = factories.technician(structure, email="martine@example.fr")
        db.session.commit()
        p = SimpleNamespace(app=app, org=org.id, structure=structure.id, tech=tech.id)
    p.client = app.test_client()
    enter(app, p.client, login, "martine@example.fr", p.org)
    return p


def requests_of(app):
    with app.app_context():
        return PartnerRequest.query.order_by(PartnerRequest.id).all()


def stored(app):
    """The only request stored (fields read inside the app context)."""
    with app.app_context():
        rows = PartnerRequest.query.all()
        assert len(rows) == 1, f"{len(rows)} demandes enregistrées"
        r = rows[0]
        db.session.expunge(r)
        return r


def post(p, ods, data, status=302, **kwargs):
    return submit(p.client, NEW.format(ods), data, status=status, **kwargs)


def error_of(soup, field_id):
    el = soup.select_one(f"#{field_id}-erreur")
    return el.get_text(" ", strip=True).removeprefix("Erreur :").strip() if el else None


def textarea_text(soup, field_id):
    """What the browser shows: the newline right after <textarea> is not part of the value."""
    text = soup.select_one(f"#{field_id}").get_text()
    return text[2:] if text.startswith("\r\n") else text.removeprefix("\n")


def this_year_prefix():
    return f"{paris_today().year % 100:02d}331"


# --- The five forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("ods", [1, 2, 3, 4, 5])
def test_each_form_has_the_fields_of_the_seed(partner, ods):
    entry = ods_catalogue(ods)
    soup = page(partner.client, NEW.format(ods))
    assert soup.h1.get_text(strip=True) == entry["label"]
    assert soup.title.get_text().startswith(entry["label"])
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "Les champs précédés d'un astérisque* sont obligatoires." in text
    if entry.get("intro"):
        assert entry["intro"] in text
    form = soup.select_one("main form[method=post]")
    # Motive with its placeholder (ODS 5 has documents instead).
    if ods == 5:
        assert form.select_one("select[name=motive]") is None
        assert [i["value"] for i in form.select("input[name=documents][type=checkbox]")] == entry["documents"]
        assert soup.select_one("#documents-groupe legend").get_text(" ", strip=True) == "Documents *"
    else:
        options = [o.get_text(strip=True) for o in form.select("select#motive option")]
        assert options == ["Sélectionner un motif"] + entry["motives"]
        assert soup.select_one("label[for=motive]").get_text(" ", strip=True) == "Motif de la demande *"
    # ODS 1: the two appointment modalities as checkboxes in a fieldset.
    rdv = form.select("#rdv_modalities-groupe fieldset input[type=checkbox][name=rdv_modalities]")
    assert [i["value"] for i in rdv] == (["Téléphonique / Visio", "Physique"] if ods == 1 else [])
    # Person block for 2 to 5.
    person = ["civility", "last_name", "first_name", "birth_date", "birth_place", "phone"]
    present = [name for name in person if form.select_one(f"[name={name}]")]
    assert present == (person if ods != 1 else [])
    if ods != 1:
        assert soup.find("h2", string="Personne concernée")
        civilities = [lab.get_text(strip=True) for lab in form.select("#civility-groupe .choice label")]
        assert civilities == ["Madame", "Monsieur"]
        assert soup.select_one("label[for=last_name]").get_text(" ", strip=True) == "Nom *"
        assert soup.select_one("label[for=first_name]").get_text(" ", strip=True) == "Prénom *"
        assert form.select_one("#birth_date")["placeholder"] == "jj/mm/aaaa"
        assert soup.select_one("#birth_place-aide").get_text(strip=True) == \
            "(N° du Département de naissance ou Libellé du pays)"
        assert "birth_place-aide" in form.select_one("#birth_place")["aria-describedby"]
    # Attachments for 1, 2 and 4, with the seed's texts.
    if entry["attachments"]:
        assert soup.select_one("#pieces_jointes-aide").get_text(strip=True) == SEED_HINT
        assert soup.select_one("#pieces_jointes-liste-titre").get_text(strip=True) == "Liste des pièces jointes"
        assert "Aucune pièce jointe enregistrée." in form.select_one("#pieces_jointes-contenu").get_text()
        assert form.select_one("input[type=file][name=pieces_jointes]")
        assert form.select_one("[data-dropzone]")
        assert form["enctype"] == "multipart/form-data"
    else:
        assert form.select_one("input[type=file]") is None
    # Comments with the live counter, and the two buttons.
    assert soup.select_one("label[for=comments]").get_text(" ", strip=True) == "Commentaires *"
    assert soup.select_one("#comments-limite").get_text(strip=True) == "(5000 caractères maximum)"
    buttons = [b.get_text(strip=True) for b in form.select(".actions button")]
    assert buttons == ["Annuler", "Valider"]


def test_ods3_shows_the_warning_of_the_seed(partner):
    soup = page(partner.client, NEW.format(3))
    warning = soup.select_one(".notice--warning").get_text(" ", strip=True)
    assert warning == ("Attention : Cette offre s'adresse uniquement aux personnes non autonomes et qui ne "
                       "bénéficient pas de compte ameli.")


def test_enter_submits_the_form_not_a_redraw_button(partner):
    """The first submit button of the form is what Enter in a text field presses."""
    soup = page(partner.client, NEW.format(2))
    first = soup.select_one("main form button[type=submit]")
    assert first.get_text(strip=True) == "Valider" and not first.get("name")


def test_home_links_to_each_form(partner):
    soup = page(partner.client, "/partenaires/accueil")
    links = [a["href"] for a in soup.select("a.button")]
    assert links == [NEW.format(n) for n in range(1, 6)]


# --- Lists narrowed by the organisation, ODS offered ------------------------------------------------

def test_only_the_motives_the_organisation_offers(partner):
    with partner.app.app_context():
        settings = db.session.get(PartnerSettings, partner.org)
        settings.motives = {**settings.motives, "4": ["Etude de C2S", "AME"]}
        db.session.commit()
    soup = page(partner.client, NEW.format(4))
    assert [o["value"] for o in soup.select("select#motive option")] == ["", "AME", "Etude de C2S"]
    soup = post(partner, 4, valid(4, motive="Ouverture de droits"), status=422)
    assert error_of(soup, "motive") == "Sélectionnez un motif de la liste."
    assert requests_of(partner.app) == []
    soup = post(partner, 4, valid(4, motive=""), status=422)
    assert error_of(soup, "motive") == "Sélectionnez un motif."


def test_only_the_documents_the_organisation_offers(partner):
    with partner.app.app_context():
        settings = db.session.get(PartnerSettings, partner.org)
        settings.documents = ["Formulaire carte vitale", "Attestation de droits"]
        db.session.commit()
    soup = page(partner.client, NEW.format(5))
    assert [i["value"] for i in soup.select("input[name=documents]")] == ["Attestation de droits",
                                                                         "Formulaire carte vitale"]
    soup = post(partner, 5, valid(5, documents=["Certificat provisoire CEAM"]), status=422)
    assert error_of(soup, "documents") == "Sélectionnez un document de la liste."
    soup = post(partner, 5, valid(5, documents=[]), status=422)
    assert error_of(soup, "documents") == "Sélectionnez au moins un document."
    post(partner, 5, valid(5, documents=["Formulaire carte vitale", "Attestation de droits"]))
    assert stored(partner.app).documents == ["Attestation de droits", "Formulaire carte vitale"]


def test_appointment_modalities_one_or_both(partner):
    soup = post(partner, 1, valid(1, rdv_modalities=[]), status=422)
    assert error_of(soup, "rdv_modalities") == "Sélectionnez au moins une modalité de rendez-vous."
    soup = post(partner, 1, valid(1, rdv_modalities=["Sur place"]), status=422)
    assert error_of(soup, "rdv_modalities") == "Sélectionnez une réponse de la liste."
    post(partner, 1, valid(1, rdv_modalities=["Physique", "Téléphonique / Visio"]))
    r = stored(partner.app)
    assert r.rdv_modalities == ["Téléphonique / Visio", "Physique"]
    assert r.person_last_name is None and r.person_phone is None


def test_ods_not_offered_is_not_found(partner):
    with partner.app.app_context():
        settings = db.session.get(PartnerSettings, partner.org)
        settings.ods_offered = [1, 2, 4]
        db.session.commit()
    page(partner.client, NEW.format(3), status=404)
    post(partner, 3, valid(3), status=404)
    page(partner.client, NEW.format(9), status=404)
    page(partner.client, NEW.format(0), status=404)
    assert requests_of(partner.app) == []
    page(partner.client, NEW.format(4))


def test_convention_ended_refuses_the_form_and_a_forged_post(partner):
    with partner.app.app_context():
        convention = Convention.query.filter_by(organisation_id=partner.org).one()
        convention.end_date = paris_today() - timedelta(days=3)
        from models import Organisation, User
        # A request still open: the technician may still enter the organisation (history only).
        factories.partner_request(db.session.get(Organisation, partner.org), db.session.get(User, partner.tech))
        db.session.commit()
    soup = page(partner.client, "/partenaires/accueil")
    assert not soup.select("a.button[href^='/partenaires/demandes/nouvelle']")
    soup = page(partner.client, NEW.format(4), status=403)
    assert soup.select_one("main form[method=post]") is None
    assert "Vous ne pouvez plus déposer de nouvelles demandes" in soup.select_one("main").get_text()
    response = partner.client.post(NEW.format(4), data=valid(4, pieces_jointes=(io.BytesIO(pdf_bytes()), "a.pdf")),
                                   content_type="multipart/form-data")
    assert response.status_code == 403
    with partner.app.app_context():
        assert PartnerRequest.query.count() == 1  # only the one made above
        assert Attachment.query.count() == 0


def test_other_roles_and_anonymous_cannot_file(app, partner, make_user, login):
    anonymous = app.test_client()
    assert anonymous.post(NEW.format(4), data=valid(4)).status_code == 302
    make_user(email="agent@example.fr", role="agent")
    agent = app.test_client()
    login(agent, "agent@example.fr")
    assert agent.post(NEW.format(4), data=valid(4)).status_code == 403
    assert requests_of(app) == []


def test_without_a_chosen_organisation_goes_to_the_selection(app, partner, login):
    with app.app_context():
        factories.technician(db.session.get(factories.Structure, partner.structure), email="victor@example.fr")
        db.session.commit()
    client = app.test_client()
    login(client, "victor@example.fr")
    response = client.post(NEW.format(4), data=valid(4))
    assert response.status_code == 302 and response.location.endswith("/partenaires/organisme")
    assert requests_of(app) == []


# --- Person concerned -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,expected", [
    ("jean-marie", "Jean-Marie"), ("marie claire", "Marie Claire"), ("d'artagnan", "D'Artagnan"),
    ("ÉLODIE", "Élodie"), ("  anne   sophie ", "Anne Sophie"), ("d’arc", "D'Arc"),
])
def test_first_name_is_capitalised(partner, typed, expected):
    post(partner, 4, valid(4, first_name=typed))
    assert stored(partner.app).person_first_name == expected


@pytest.mark.parametrize("typed,expected", [
    ("pain", "PAIN"), ("lefèvre-d'ornano", "LEFÈVRE-D'ORNANO"), ("de la tour", "DE LA TOUR"),
])
def test_last_name_is_uppercase(partner, typed, expected):
    post(partner, 4, valid(4, last_name=typed))
    r = stored(partner.app)
    assert r.person_last_name == expected
    assert r.person_display == f"Madame {expected} François"


LAST_NAME_CHARS = "Le nom ne peut contenir que des lettres, des apostrophes, des tirets et des espaces."
FIRST_NAME_CHARS = "Le prénom ne peut contenir que des lettres, des apostrophes, des tirets et des espaces."


@pytest.mark.parametrize("field,value,message", [
    ("last_name", "Dupont3", LAST_NAME_CHARS),
    ("last_name", "Du_pont", LAST_NAME_CHARS),
    ("last_name", "<b>Dupont</b>", LAST_NAME_CHARS),
    ("last_name", "Дюпон", LAST_NAME_CHARS),
    ("last_name", "- '", LAST_NAME_CHARS),
    ("first_name", "Jean!", FIRST_NAME_CHARS),
    ("first_name", "Jean.Marie", FIRST_NAME_CHARS),
    ("last_name", "A" * 31, "Le nom doit faire 30 caractères maximum."),
    ("first_name", "B" * 21, "Le prénom doit faire 20 caractères maximum."),
    ("last_name", "", "Saisissez le nom de la personne concernée."),
    ("first_name", "   ", "Saisissez le prénom de la personne concernée."),
    ("civility", "", "Sélectionnez la civilité de la personne concernée."),
    ("civility", "Mlle", "Sélectionnez Madame ou Monsieur."),
    ("birth_date", "", "Saisissez la date de naissance."),
    ("birth_date", "31/02/1990", "Saisissez une date valide au format JJ/MM/AAAA."),
    ("birth_date", "1990-02-01", "Saisissez une date valide au format JJ/MM/AAAA."),
])
def test_person_field_errors(partner, field, value, message):
    soup = post(partner, 3, valid(3, **{field: value}), status=422)
    assert error_of(soup, field) == message
    assert message in errors_of(soup)
    assert soup.title.get_text().startswith("Erreur : ")
    assert requests_of(partner.app) == []


def test_names_at_their_limits_are_accepted(partner):
    post(partner, 3, valid(3, last_name="a" * 30, first_name="b" * 20))
    r = stored(partner.app)
    assert r.person_last_name == "A" * 30 and r.person_first_name == "B" + "b" * 19


def test_birth_date_cannot_be_in_the_future(partner):
    tomorrow = (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")
    soup = post(partner, 4, valid(4, birth_date=tomorrow), status=422)
    assert error_of(soup, "birth_date") == "La date ne peut pas être dans le futur."
    post(partner, 4, valid(4, birth_date=date.today().strftime("%d/%m/%Y")))
    assert stored(partner.app).person_birth_date == date.today()


@pytest.mark.parametrize("typed,expected", [
    ("33", "33"), ("2a", "2A"), ("2B", "2B"), ("971", "971"), ("1", "01"), (" 47 ", "47"),
    ("maroc", "Maroc"), ("Etats-Unis", "États-Unis"), ("royaume uni", "Royaume-Uni"), ("Viet nam", "Viêt Nam"),
    ("Iran", "Iran"), ("Côte d’Ivoire", "Côte d'Ivoire"),
])
def test_birth_place_departement_or_country(partner, typed, expected):
    post(partner, 4, valid(4, birth_place=typed))
    assert stored(partner.app).person_birth_place == expected


@pytest.mark.parametrize("typed,message", [
    ("99", "Saisissez un numéro de département (par exemple 33, 2A ou 971) ou le nom d’un pays en français "
           "(par exemple Maroc)."),
    ("Atlantide", "Saisissez un numéro de département (par exemple 33, 2A ou 971) ou le nom d’un pays en "
                  "français (par exemple Maroc)."),
    ("Gironde", "Saisissez le numéro du département plutôt que son nom : 33 pour Gironde."),
    ("France", "Pour une personne née en France, saisissez le numéro du département de naissance, par exemple 33."),
    ("Réunion", "Pour une personne née en France, saisissez le numéro du département de naissance : "
                "974 pour La Réunion."),
    ("33!", "Le lieu de naissance ne peut contenir que des lettres, des chiffres, des apostrophes, des tirets et "
            "des espaces."),
    ("Saint-Vincent-et-les-Grenadines", "Le lieu de naissance doit faire 30 caractères maximum."),
    ("", "Saisissez le lieu de naissance : numéro du département ou nom du pays."),
])
def test_birth_place_errors(partner, typed, message):
    soup = post(partner, 4, valid(4, birth_place=typed), status=422)
    assert error_of(soup, "birth_place") == message
    assert requests_of(partner.app) == []


@pytest.mark.parametrize("typed", ["0600000000", "06 00 00 00 00", "06.00.00.00.00", "06-00-00-00-00",
                                   "+33 6 00 00 00 00"])
def test_phone_formats_accepted(partner, typed):
    post(partner, 5, valid(5, phone=typed))
    assert stored(partner.app).person_phone == "06.00.00.00.00"


@pytest.mark.parametrize("typed", ["06000000", "06.00.00.00.0a", "1600000000", "06000000001", "06/00/00/00/00"])
def test_phone_formats_refused(partner, typed):
    soup = post(partner, 5, valid(5, phone=typed), status=422)
    assert error_of(soup, "phone") == "Saisissez un numéro de téléphone à 10 chiffres, par exemple 06.00.00.00.00."


def test_errors_keep_everything_typed(partner):
    data = valid(4, motive="AME", civility="M.", last_name="chemin", first_name="marie", birth_date="01/06/1975",
                 birth_place="Belgique", phone="07 00 00 00 00", comments="Ligne 1\r\nLigne 2", )
    data["phone"] = "07 00"  # the only error
    soup = post(partner, 4, data, status=422)
    assert errors_of(soup) == ["Saisissez un numéro de téléphone à 10 chiffres, par exemple 06.00.00.00.00."]
    assert soup.select_one("#error-summary-title").get_text() == "Il y a un problème"
    assert soup.select_one(".error-summary a")["href"] == "#phone"
    assert soup.select_one("#motive option[selected]")["value"] == "AME"
    assert soup.select_one("input[name=civility][checked]")["value"] == "M."
    assert soup.select_one("#last_name")["value"] == "CHEMIN"
    assert soup.select_one("#first_name")["value"] == "Marie"
    assert soup.select_one("#birth_date")["value"] == "01/06/1975"
    assert soup.select_one("#birth_place")["value"] == "Belgique"
    assert soup.select_one("#phone")["value"] == "07 00"
    assert soup.select_one("#phone")["aria-invalid"] == "true"
    assert "phone-erreur" in soup.select_one("#phone")["aria-describedby"]
    assert textarea_text(soup, "comments") == "Ligne 1\nLigne 2"


def test_required_fields_all_reported_in_page_order(partner):
    soup = post(partner, 2, {"motive": ""}, status=422)
    assert errors_of(soup) == [
        "Sélectionnez un motif.", "Sélectionnez la civilité de la personne concernée.",
        "Saisissez le nom de la personne concernée.", "Saisissez le prénom de la personne concernée.",
        "Saisissez la date de naissance.", "Saisissez le lieu de naissance : numéro du département ou nom du pays.",
        "Saisissez le numéro de téléphone.", "Saisissez vos commentaires."]
    anchors = [a["href"] for a in soup.select(".error-summary a")]
    assert anchors[:2] == ["#motive", "#civility-0"]
    for anchor in anchors:
        assert soup.select_one(anchor), anchor


# --- Comments and the counter ------------------------------------------------------------------------

def test_comments_counter_and_limit_enforced_by_the_server(partner):
    soup = page(partner.client, NEW.format(3))
    assert soup.select_one("textarea#comments[name=comments]")
    counter = soup.select_one("#comments-compteur")
    assert counter["data-counter-for"] == "comments" and counter["data-max"] == "5000"
    assert soup.select_one("#comments-compteur-live")["aria-live"] == "polite"
    assert not soup.select_one("#comments").has_attr("maxlength")
    soup = post(partner, 3, valid(3, comments="é" * 5001), status=422)
    assert error_of(soup, "comments") == "Les commentaires doivent faire 5000 caractères maximum (ils en font 5001)."
    assert len(textarea_text(soup, "comments")) == 5001  # kept, to be shortened
    # Line breaks count one, as in the browser's counter; specials and accents are allowed.
    text = "<b>&'\"€\r\n" + "x" * 4992  # 5000 once the line break is one
    post(partner, 3, valid(3, comments=text))
    comments = stored(partner.app).comments
    assert comments == text.replace("\r\n", "\n") and len(comments) == 5000


def test_control_characters_removed_from_comments(partner):
    post(partner, 3, valid(3, comments="Avant\x00après\x1b\tfin"))
    assert stored(partner.app).comments == "Avantaprès\tfin"


def test_comments_are_shown_escaped_when_kept(partner):
    soup = post(partner, 3, valid(3, comments="<script>alert(1)</script>", phone=""), status=422)
    assert textarea_text(soup, "comments") == "<script>alert(1)</script>"
    assert soup.select_one("main script") is None


# --- Saisine mission accompagnement santé --------------------------------------------------------------

# What a page that showed the saisine and renunciation questions posts with them.
RENUNCIATION_SHOWN = {"questions-affichees": "1", "renoncement-affiche": "1"}


def saisine_data(**overrides):
    return valid(2, motive=SAISINE["motive"], **overrides)


def test_saisine_blocks_hidden_until_that_motive(partner):
    soup = page(partner.client, NEW.format(2))
    assert soup.select_one("#saisine") is not None
    assert soup.select_one("#saisine input") is None
    button = soup.select_one("button[name=afficher-questions][value=motif]")
    assert button.get_text(strip=True) == "Afficher les questions liées au motif"
    assert "no-js-only" in button["class"]
    select = soup.select_one("select#motive")
    assert select["hx-post"] == NEW.format(2) and select["hx-target"] == "#saisine"
    assert soup.select_one("#ods-annonce")["aria-live"] == "polite"
    # Other forms have no such button.
    assert page(partner.client, NEW.format(4)).select_one("button[name=afficher-questions]") is None


def test_saisine_button_not_offered_when_the_motive_is_not(partner):
    with partner.app.app_context():
        settings = db.session.get(PartnerSettings, partner.org)
        settings.motives = {**settings.motives, "2": ["Situation d'urgence"]}
        db.session.commit()
    soup = page(partner.client, NEW.format(2))
    assert soup.select_one("button[name=afficher-questions]") is None
    assert not soup.select_one("select#motive").has_attr("hx-post")
    soup = post(partner, 2, saisine_data(consent="y", frameworks=[SAISINE["frameworks"][0]]), status=422)
    assert error_of(soup, "motive") == "Sélectionnez un motif de la liste."
    assert soup.select_one("#consent") is None


@pytest.mark.parametrize("ods", [1, 2, 3, 4, 5])
def test_required_fields_are_marked_once(partner, ods):
    """The seed's asterisk, explained above the form, and not « (obligatoire) » as well."""
    data = saisine_data(**{"afficher-questions": "motif"}) if ods == 2 else {}
    soup = post(partner, ods, data, status=200) if data else page(partner.client, NEW.format(ods))
    marks = [el.get_text(" ", strip=True) for el in soup.select("main form label, main form legend")]
    starred = [m for m in marks if m.endswith("*")]
    assert starred and all("(obligatoire)" not in m for m in marks), marks
    assert soup.select_one("main form .required") is None
    if ods == 2:
        assert "Consentement de l'assuré *" in starred


def test_saisine_without_javascript(partner):
    typed = dict(saisine_data(), **{"afficher-questions": "motif", "last_name": "pain"})
    soup = post(partner, 2, typed, status=200)
    assert errors_of(soup) == [] and not soup.title.get_text().startswith("Erreur")
    legend = soup.select_one("#consent-groupe legend").get_text(" ", strip=True)
    assert legend == "Consentement de l'assuré *"
    assert soup.select_one("label[for=consent]").get_text(strip=True) == SAISINE["consent_label"]
    assert soup.select_one("#consent")["type"] == "checkbox"
    frameworks = soup.select("#frameworks-groupe input[name=frameworks]")
    assert [i["value"] for i in frameworks] == SAISINE["frameworks"]
    assert soup.select_one("#frameworks-groupe legend").get_text(" ", strip=True) == \
        "Accompagnement santé sollicité dans le cadre de *"
    assert soup.select_one("#frameworks-aide").get_text(strip=True) == "Sélectionnez la ou les réponses"
    assert soup.select_one("#saisine-renoncement input") is None
    # Everything typed is kept and nothing is stored.
    assert soup.select_one("#last_name")["value"] == "PAIN"
    assert requests_of(partner.app) == []
    # A renunciation answer, then « Afficher les questions sur le renoncement aux soins ».
    typed.update(frameworks=[SAISINE["renunciation_frameworks"][1]], consent="y")
    typed["afficher-questions"] = "renoncement"
    soup = post(partner, 2, typed, status=200)
    assert soup.select_one("#consent").has_attr("checked")
    assert [i["value"] for i in soup.select("#care-groupe input[type=checkbox]")] == SAISINE["care"]
    assert [i["value"] for i in soup.select("#duration-groupe input[type=radio]")] == SAISINE["durations"]
    assert [i["value"] for i in soup.select("#causes-groupe input[type=checkbox]")] == SAISINE["causes"]
    assert soup.select_one("#care-groupe legend").get_text(" ", strip=True) == SAISINE["care_legend"]
    assert soup.select_one("#duration-groupe legend").get_text(" ", strip=True) == SAISINE["duration_legend"]
    assert soup.select_one("#causes-groupe legend").get_text(" ", strip=True) == SAISINE["causes_legend"]
    # Back to another motive: the blocks go.
    typed["motive"], typed["afficher-questions"] = "Situation d'urgence", "motif"
    soup = post(partner, 2, typed, status=200)
    assert soup.select_one("#consent") is None and soup.select_one("#care-groupe") is None


def test_saisine_blocks_shown_after_a_submit_with_errors(partner):
    soup = post(partner, 2, saisine_data(frameworks=[SAISINE["renunciation_frameworks"][0]], phone=""), status=422)
    assert soup.select_one("#consent") is not None
    assert soup.select_one("#care-groupe") is not None
    assert error_of(soup, "consent") == ("Indiquez que l’assuré accepte que ses coordonnées soient transmises à la "
                                         "Mission accompagnement santé.")
    assert soup.select_one("#frameworks-0").has_attr("checked") is False
    assert soup.select_one(f"input[name=frameworks][value=\"{SAISINE['renunciation_frameworks'][0]}\"]")\
        .has_attr("checked")


def test_saisine_with_htmx(partner):
    url = NEW.format(2)
    data = dict(saisine_data(), **{"afficher-questions": "motif"})
    soup = fragment(partner.client, url, method="post", data=data)
    region = soup.select_one("#saisine")
    assert region.select_one("#consent") and region.select_one("#frameworks-groupe")
    assert region.select_one("input[type=hidden][name=questions-affichees]")
    assert soup.select_one("#ods-annonce[hx-swap-oob]").get_text(strip=True) == \
        f"Les questions liées au motif « {SAISINE['motive']} » ont été ajoutées sous la liste des motifs."
    assert soup.select_one("#last_name") is None  # only the region
    assert len(soup.response.data) <= 5 * 1024
    # Renunciation answered: the three blocks arrive (and the fragment stays small).
    data.update({"afficher-questions": "renoncement", "questions-affichees": "1",
                 "frameworks": [SAISINE["renunciation_frameworks"][0], SAISINE["frameworks"][0]]})
    soup = fragment(partner.client, url, method="post", data=data)
    assert soup.select_one("#saisine-renoncement #care-groupe") and soup.select_one("#duration-groupe")
    assert soup.select_one("#consent") is None
    assert "Trois questions" in soup.select_one("#ods-annonce").get_text()
    assert len(soup.response.data) <= 5 * 1024
    # The motive chosen again while its questions are shown: nothing to announce.
    again = dict(saisine_data(), **{"afficher-questions": "motif", "questions-affichees": "1"})
    soup = fragment(partner.client, url, method="post", data=again)
    assert soup.select_one("#saisine #consent")
    assert soup.select_one("#ods-annonce").get_text(strip=True) == ""
    # Renunciation unticked, then the motive changed: the blocks go, and it is said.
    data.update({"afficher-questions": "renoncement", "renoncement-affiche": "1",
                 "frameworks": [SAISINE["frameworks"][0]]})
    soup = fragment(partner.client, url, method="post", data=data)
    assert soup.select_one("#saisine-renoncement").select_one("input") is None
    assert "retirées" in soup.select_one("#ods-annonce").get_text()
    data.update({"afficher-questions": "motif", "motive": "Situation d'urgence"})
    soup = fragment(partner.client, url, method="post", data=data)
    assert soup.select_one("#saisine").select_one("input") is None
    assert "retirées" in soup.select_one("#ods-annonce").get_text()
    assert requests_of(partner.app) == []


def test_saisine_frameworks_required_and_stored(partner):
    soup = post(partner, 2, saisine_data(consent="y"), status=422)
    assert error_of(soup, "frameworks") == "Sélectionnez au moins un cadre d’accompagnement santé."
    soup = post(partner, 2, saisine_data(consent="y", frameworks=["Autre chose"]), status=422)
    assert error_of(soup, "frameworks") == "Sélectionnez une réponse de la liste."
    # Renunciation blocks posted without a renunciation answer are ignored.
    post(partner, 2, saisine_data(consent="y", frameworks=["Situation sociale complexe", "Fragilité face au numérique"],
                                  care=["Chirurgie"], duration="Plus de 2 ans"))
    assert stored(partner.app).saisine == {
        "consent": True, "frameworks": ["Fragilité face au numérique", "Situation sociale complexe"],
        "care": [], "duration": None, "causes": []}


def test_saisine_renunciation_answers_stored(partner):
    frameworks = SAISINE["renunciation_frameworks"][:1]
    soup = post(partner, 2, saisine_data(consent="y", frameworks=frameworks, duration="Depuis toujours"), status=422)
    assert error_of(soup, "duration") == "Sélectionnez une réponse de la liste."
    post(partner, 2, saisine_data(consent="y", frameworks=frameworks, care=["Pharmacie", "Chirurgie"],
                                  duration="De 3 mois à 1 an", causes=["De transport"], **RENUNCIATION_SHOWN))
    r = stored(partner.app)
    assert r.motive == SAISINE["motive"]
    assert r.saisine == {"consent": True, "frameworks": frameworks, "care": ["Chirurgie", "Pharmacie"],
                         "duration": "De 3 mois à 1 an", "causes": ["De transport"]}


def test_renunciation_blocks_are_optional(partner):
    post(partner, 2, saisine_data(consent="y", frameworks=SAISINE["renunciation_frameworks"], **RENUNCIATION_SHOWN))
    assert stored(partner.app).saisine["care"] == []


def test_valider_with_renunciation_never_shown_offers_its_questions_first(partner):
    """Issue 13, point 5: without JavaScript, motive and renunciation chosen, then « Valider »
    straight away (neither « Afficher les questions… » button pressed): the form comes back once
    with the renunciation questions open and everything typed kept; nothing is filed until the
    next « Valider »."""
    typed = saisine_data(consent="y", frameworks=[SAISINE["renunciation_frameworks"][1], SAISINE["frameworks"][0]],
                         last_name="pain", comments="Pas de médecin traitant.\nA besoin d'aide.")
    soup = post(partner, 2, typed, status=200)
    assert requests_of(partner.app) == []
    assert errors_of(soup) == [] and not soup.title.get_text().startswith("Erreur")
    notice = soup.select_one("#questions-ajoutees")
    assert notice["role"] == "status" and "pas encore été envoyée" in notice.get_text()
    assert notice.select_one("a")["href"] == "#saisine-renoncement"
    # The three questions are open, with the markers that say the page showed them.
    block = soup.select_one("#saisine-renoncement")
    assert [i["value"] for i in block.select("#care-groupe input[type=checkbox]")] == SAISINE["care"]
    assert [i["value"] for i in block.select("#duration-groupe input[type=radio]")] == SAISINE["durations"]
    assert [i["value"] for i in block.select("#causes-groupe input[type=checkbox]")] == SAISINE["causes"]
    assert soup.select_one("input[type=hidden][name=renoncement-affiche]")
    assert soup.select_one("input[type=hidden][name=questions-affichees]")
    # Everything typed is kept.
    assert soup.select_one("#motive option[selected]")["value"] == SAISINE["motive"]
    assert soup.select_one("#consent").has_attr("checked")
    ticked = [i["value"] for i in soup.select("#frameworks-groupe input[checked]")]
    assert sorted(ticked) == sorted(typed["frameworks"])
    assert soup.select_one("#last_name")["value"] == "PAIN"
    assert soup.select_one("#phone")["value"] == "06.00.00.00.00"  # as the form shows it
    assert soup.select_one("input[name=civility][checked]")["value"] == "Mme"
    assert textarea_text(soup, "comments") == typed["comments"]
    token = soup.select_one("input[name=submission]")["value"]
    # Second « Valider », with what the page now posts (markers, same token): filed once.
    again = dict(typed, care=SAISINE["care"][:1], submission=token,
                 **{"questions-affichees": "1", "renoncement-affiche": "1"})
    post(partner, 2, again)
    r = stored(partner.app)
    assert r.saisine["care"] == SAISINE["care"][:1] and r.saisine["consent"] is True
    assert r.person_last_name == "PAIN"


def test_valider_with_renunciation_shown_files_at_once(partner):
    """With the questions shown (JavaScript, or after « Afficher les questions… »), « Valider »
    files straight away, answered or not."""
    post(partner, 2, saisine_data(consent="y", frameworks=SAISINE["renunciation_frameworks"][:1], **RENUNCIATION_SHOWN))
    assert stored(partner.app).saisine["frameworks"] == SAISINE["renunciation_frameworks"][:1]


def test_errors_come_before_the_offered_questions(partner):
    """A form with errors comes back with them (422), the renunciation questions open as well."""
    soup = post(partner, 2, saisine_data(consent="y", frameworks=SAISINE["renunciation_frameworks"][:1], phone=""),
                status=422)
    assert error_of(soup, "phone") == "Saisissez le numéro de téléphone."
    assert soup.select_one("#care-groupe") and soup.select_one("input[name=renoncement-affiche]")
    assert soup.select_one("#questions-ajoutees") is None
    assert requests_of(partner.app) == []


def test_other_motive_stores_no_saisine(partner):
    post(partner, 2, valid(2, consent="y", frameworks=[SAISINE["frameworks"][0]]))
    r = stored(partner.app)
    assert r.motive == "Situation d'urgence" and r.saisine is None


# --- Attachments -----------------------------------------------------------------------------------

def files(*names):
    return [(io.BytesIO(png_bytes() if n.endswith(".png") else pdf_bytes()), n) for n in names]


def test_attachments_kept_after_an_error_then_sent(partner):
    data = valid(4, phone="", pieces_jointes=files("PJ1.pdf", "PJ2.png"))
    soup = post(partner, 4, data, status=422, content_type="multipart/form-data")
    assert error_of(soup, "phone") == "Saisissez le numéro de téléphone."
    listed = [a.get_text(strip=True) for a in soup.select("#pieces_jointes-contenu .attachment-list a")]
    assert listed == ["PJ1.pdf", "PJ2.png"]
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    post(partner, 4, valid(4, **{"pieces_jointes-lot": token}), content_type="multipart/form-data")
    r = stored(partner.app)
    with partner.app.app_context():
        linked = (Attachment.query.filter_by(subject_type="PartnerRequest", subject_id=r.id)
                  .order_by(Attachment.id).all())
        assert [a.original_name for a in linked] == ["PJ1.pdf", "PJ2.png"]
        assert {a.organisation_id for a in linked} == {partner.org}
        assert {a.upload_set for a in linked} == {None}


def test_attachments_added_and_removed_without_javascript(partner):
    data = valid(1, comments="Je souhaite un rdv.", pieces_jointes=files("PJ1.pdf", "PJ3.pdf"),
                 **{"pieces_jointes-ajouter": "1"})
    soup = post(partner, 1, data, status=200, content_type="multipart/form-data")
    assert errors_of(soup) == []
    assert textarea_text(soup, "comments") == "Je souhaite un rdv."
    remove = soup.select("button[name=pieces_jointes-retirer]")
    assert len(remove) == 2
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    soup = post(partner, 1, valid(1, **{"pieces_jointes-lot": token, "pieces_jointes-retirer": remove[0]["value"]}),
                status=200, content_type="multipart/form-data")
    assert [a.get_text(strip=True) for a in soup.select(".attachment-list a")] == ["PJ3.pdf"]
    assert requests_of(partner.app) == []


def test_at_most_eight_attachments(partner):
    names = [f"PJ{i}.pdf" for i in range(1, 10)]
    soup = post(partner, 2, valid(2, pieces_jointes=files(*names), phone=""), status=422,
                content_type="multipart/form-data")
    assert "Vous ne pouvez pas ajouter plus de 8 fichiers." in errors_of(soup)
    assert len(soup.select("#pieces_jointes-contenu .attachment-list li")) == 8
    assert soup.select_one("input[type=file][name=pieces_jointes]") is None  # full
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    post(partner, 2, valid(2, **{"pieces_jointes-lot": token}), content_type="multipart/form-data")
    with partner.app.app_context():
        assert Attachment.query.filter_by(subject_type="PartnerRequest").count() == 8


def test_attachment_formats_checked(partner):
    soup = post(partner, 4, valid(4, pieces_jointes=[(io.BytesIO(b"MZ" + b"\0" * 100), "virus.exe")]),
                status=422, content_type="multipart/form-data")
    assert any("n’est pas d’un format accepté" in e for e in errors_of(soup))
    assert requests_of(partner.app) == []


def test_cancel_keeps_nothing(partner):
    data = valid(4, pieces_jointes=files("PJ1.pdf"), **{"pieces_jointes-ajouter": "1"})
    soup = post(partner, 4, data, status=200, content_type="multipart/form-data")
    token = soup.select_one("input[name=pieces_jointes-lot]")["value"]
    with partner.app.app_context():
        stored_name = Attachment.query.one().storage_name
    upload_dir = partner.app.config["UPLOAD_FOLDER"]
    import os
    assert os.path.exists(os.path.join(upload_dir, stored_name))
    response = post(partner, 4, valid(4, annuler="1", **{"pieces_jointes-lot": token}),
                    content_type="multipart/form-data")
    assert response.location.endswith("/partenaires/accueil")
    with partner.app.app_context():
        assert Attachment.query.count() == 0
    assert not os.path.exists(os.path.join(upload_dir, stored_name))
    assert requests_of(partner.app) == []
    # On a form without attachments too.
    assert post(partner, 3, {"annuler": "1"}).location.endswith("/partenaires/accueil")


# --- Submission: number, confirmation, what is stored ---------------------------------------------------

def test_number_and_confirmation(partner):
    response = post(partner, 4, valid(4))
    first = stored(partner.app).number
    assert first == this_year_prefix() + "00001"
    assert response.location.endswith(f"/partenaires/demandes/confirmation/{first}")
    soup = page(partner.client, response.location)
    assert soup.h1.get_text(strip=True) == "Demande envoyée"
    text = soup.select_one("#confirmation-demande").get_text(" ", strip=True)
    assert ("Votre demande « Soumettre une demande d'étude de dossier » a bien été envoyée à l’organisme "
            "CPAM GIRONDE.") in text
    assert f"Un numéro a été assigné à votre demande pour faciliter son suivi : {first}" in text
    links = {a.get_text(strip=True): a["href"] for a in soup.select("main a")}
    assert links["Consulter le détail de la demande"] == f"/partenaires/demandes/{first}"
    page(partner.client, links["Consulter le détail de la demande"])
    assert links["Historique des demandes"] == "/partenaires/demandes"
    assert links["Revenir à l’accueil"] == "/partenaires/accueil"
    second = post(partner, 1, valid(1))
    assert second.location.endswith(this_year_prefix() + "00002")
    assert [r.number for r in requests_of(partner.app)] == [first, this_year_prefix() + "00002"]


def test_confirmation_only_for_its_technician(app, partner, login):
    number = post(partner, 4, valid(4)).location.rsplit("/", 1)[1]
    with app.app_context():
        other_org, other_structure = factories.partner_setup(org_name="CPAM LANDES", org_code="401")
        factories.technician(other_structure, email="autre@example.fr")
        colleague_structure = db.session.get(factories.Structure, partner.structure)
        factories.technician(colleague_structure, email="collegue@example.fr")
        db.session.commit()
        other_org_id = other_org.id
    stranger = app.test_client()
    enter(app, stranger, login, "autre@example.fr", other_org_id)
    page(stranger, f"/partenaires/demandes/confirmation/{number}", status=404)
    colleague = app.test_client()
    enter(app, colleague, login, "collegue@example.fr", partner.org)
    page(colleague, f"/partenaires/demandes/confirmation/{number}", status=404)
    page(partner.client, "/partenaires/demandes/confirmation/12345", status=404)
    page(partner.client, f"/partenaires/demandes/confirmation/{number}")


def test_request_stored_with_every_field(partner):
    data = saisine_data(civility="M.", last_name="pires", first_name="jean-marie", birth_date="01/02/1980",
                        birth_place="29", phone="06 12 34 56 78", comments="Demande de capital décès.",
                        consent="y", frameworks=[SAISINE["frameworks"][0]],
                        pieces_jointes=files("Att sur honneur.pdf"))
    post(partner, 2, data, content_type="multipart/form-data")
    r = stored(partner.app)
    assert (r.ods, r.motive, r.status) == (2, SAISINE["motive"], "nouveau")
    assert (r.person_civility, r.person_last_name, r.person_first_name) == ("M.", "PIRES", "Jean-Marie")
    assert (r.person_birth_date, r.person_birth_place, r.person_phone) == (date(1980, 2, 1), "29", "06.12.34.56.78")
    assert r.comments == "Demande de capital décès."
    assert r.saisine["frameworks"] == [SAISINE["frameworks"][0]]
    assert (r.organisation_id, r.structure_id, r.requester_id) == (partner.org, partner.structure, partner.tech)
    assert r.requester_name == "LAPIERRE Martine"
    assert r.rdv_modalities == [] and r.documents == []
    assert r.created_at == r.status_at
    with partner.app.app_context():
        event = AuditEvent.query.filter_by(action="partenaires.request_submitted").one()
        assert (event.actor_id, event.object_type, event.object_id) == (partner.tech, "PartnerRequest", str(r.id))
        assert event.detail["number"] == r.number and event.detail["attachments"] == 1


def test_submission_on_each_database(any_db_app):
    """The whole ODS 2 submission, JSON and dates included, on SQLite and PostgreSQL."""
    app = any_db_app
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
    client = app.test_client()
    assert client.post("/compte/connexion", data={"email": "martine@example.fr",
                                                  "password": factories.PASSWORD}).status_code == 302
    assert client.post("/partenaires/organisme", data={"organisation": org_id}).status_code == 302
    data = saisine_data(consent="y", frameworks=SAISINE["renunciation_frameworks"], duration="Plus d'1 an",
                        causes=["D'avance des frais"], comments="Nul\x00 part", pieces_jointes=files("BS.pdf"),
                        **RENUNCIATION_SHOWN)
    response = submit(client, NEW.format(2), data, status=302, content_type="multipart/form-data")
    number = this_year_prefix() + "00001"
    assert response.location.endswith(number)
    r = stored(app)
    assert (r.number, r.person_birth_date, r.comments) == (number, date(1970, 10, 5), "Nul part")
    assert r.saisine["causes"] == ["D'avance des frais"] and r.saisine["duration"] == "Plus d'1 an"
    with app.app_context():
        assert Attachment.query.filter_by(subject_id=r.id, organisation_id=org_id).count() == 1
    soup = page(client, response.location)
    assert soup.select_one(".request-number").get_text() == number


# --- With CSRF on, as in production --------------------------------------------------------------------

def test_with_csrf_protection(csrf_app, login):
    with csrf_app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
    client = csrf_app.test_client()
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    assert client.post("/compte/connexion", data={"email": "martine@example.fr", "password": factories.PASSWORD,
                                                  "csrf_token": token}).status_code == 302
    token = page(client, "/partenaires/organisme").select_one("input[name=csrf_token]")["value"]
    assert client.post("/partenaires/organisme", data={"organisation": org_id, "csrf_token": token}).status_code == 302
    soup = page(client, NEW.format(2))
    token = soup.select_one("main form input[name=csrf_token]")["value"]
    # Forged: no token, nothing stored; HTMX refresh without the header refused too.
    assert client.post(NEW.format(2), data=valid(2)).status_code == 400
    refresh = dict(saisine_data(), **{"afficher-questions": "motif"})
    assert client.post(NEW.format(2), data=refresh, headers={"HX-Request": "true"}).status_code == 400
    assert fragment(client, NEW.format(2), method="post", data=refresh,
                    headers={"X-CSRFToken": token}).select_one("#consent")
    assert client.post(NEW.format(2), data=dict(valid(2), csrf_token=token)).status_code == 302
    assert [r.number for r in requests_of(csrf_app)] == [this_year_prefix() + "00001"]


def test_the_same_form_posted_twice_files_one_request(app, login):
    """Double click on « Valider », or a reload of the POST: one request, one number."""
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="double@example.fr")
        db.session.commit()
        org_id = org.id
    client = app.test_client()
    login(client, "double@example.fr")
    client.post("/partenaires/organisme", data={"organisation": str(org_id)})
    soup = page(client, "/partenaires/demandes/nouvelle/3")
    token = soup.select_one("input[name=submission]")["value"]
    data = {"submission": token, "motive": "C2S", "civility": "Mme", "last_name": "Pires", "first_name": "marina",
            "birth_date": "01/02/1980", "birth_place": "29", "phone": "0600000000", "comments": "Deux clics."}
    first = client.post("/partenaires/demandes/nouvelle/3", data=data)
    second = client.post("/partenaires/demandes/nouvelle/3", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert PartnerRequest.query.count() == 1
    other = page(client, "/partenaires/demandes/nouvelle/3").select_one("input[name=submission]")["value"]
    assert other != token  # a new form is a new request


def test_a_form_replayed_by_another_technician_files_nothing(app, login):
    """The submission token of a colleague's request (a replayed or forged form): 409 with
    everything typed kept and a fresh token, never a 500; « Valider » again files it once."""
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="first@example.fr")
        factories.technician(structure, email="second@example.fr", first_name="Victor", last_name="CHAUSSON")
        db.session.commit()
        org_id = org.id
    clients = {}
    for email in ("first@example.fr", "second@example.fr"):
        clients[email] = client = app.test_client()
        login(client, email)
        client.post("/partenaires/organisme", data={"organisation": str(org_id)})
    token = page(clients["first@example.fr"], "/partenaires/demandes/nouvelle/3").select_one(
        "input[name=submission]")["value"]
    data = {"submission": token, "motive": "C2S", "civility": "Mme", "last_name": "Pires", "first_name": "marina",
            "birth_date": "01/02/1980", "birth_place": "29", "phone": "0600000000", "comments": "Rejouée."}
    assert clients["first@example.fr"].post("/partenaires/demandes/nouvelle/3", data=data).status_code == 302
    replayed = clients["second@example.fr"].post("/partenaires/demandes/nouvelle/3", data=data)
    assert replayed.status_code == 409
    soup = BeautifulSoup(replayed.data, "html.parser")
    assert "déjà servi à envoyer une autre demande" in soup.select_one(".error-summary").get_text()
    fresh = soup.select_one("input[name=submission]")["value"]
    assert fresh != token and soup.select_one("#comments").get_text().strip() == "Rejouée."
    with app.app_context():
        assert [r.requester.email for r in PartnerRequest.query.all()] == ["first@example.fr"]
    again = clients["second@example.fr"].post("/partenaires/demandes/nouvelle/3", data=dict(data, submission=fresh))
    assert again.status_code == 302
    with app.app_context():
        assert sorted(r.requester.email for r in PartnerRequest.query.all()) == [
            "first@example.fr", "second@example.fr"]
