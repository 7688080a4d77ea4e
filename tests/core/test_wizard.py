"""The wizard kit (core.wizard, components/wizard.html) through its demo, /composants/assistant:
steps reachable in order only, « Suivant » checks and keeps what was typed, « Précédent » and
« Enregistrer » save without checking, a draft resumed after logging in again, discarded after a
confirmation, dropped once the last step is validated; the breadcrumb; the htmx answers."""
import io

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from core import drafts
from core.wizard import MAX_STORED_CHARS, Step, Wizard
from extensions import db
from models import Draft, User
from tests.components.test_attachments_content import pdf_bytes
from tests.helpers import errors_of, fragment, page, submit

BASE = "/composants/assistant"
IDENTITY = f"{BASE}/identite"
CHOICE = f"{BASE}/choix"
RECAP = f"{BASE}/recapitulatif"
KIND = "composants.assistant"
EMAIL = "citoyen@example.fr"
VALID_IDENTITY = {"last_name": "Dupont", "first_name": "Léa", "birth_date": "14/07/1985"}


def location(response):
    return response.headers["Location"].removeprefix("http://guichet.test")


def draft_data(app, email=EMAIL):
    with app.app_context():
        user = User.query.filter_by(email=email).one()
        draft = drafts.load(user, KIND)
        return None if draft is None else {"data": draft.data, "step": draft.step,
                                           "attachment_token": draft.attachment_token}


def value_of(soup, name):
    return soup.select_one(f"[name={name}]").get("value", "")


def pass_identity(client):
    response = client.post(IDENTITY, data={**VALID_IDENTITY, "suivant": "1"})
    assert response.status_code == 303 and location(response) == CHOICE
    return response


def pass_choice(client, contact="courrier", **extra):
    response = client.post(CHOICE, data={"contact": contact, "suivant": "1", **extra},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == RECAP
    return response


# --- Reaching the steps ------------------------------------------------------------------------

def test_login_required(client):
    response = client.get(IDENTITY)
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


def test_entry_and_unreachable_steps_redirect_to_the_first_incomplete_one(app, citizen_client):
    response = citizen_client.get(BASE + "/")
    assert response.status_code == 303 and location(response) == IDENTITY
    for url in (CHOICE, RECAP):
        response = citizen_client.get(url)
        assert response.status_code == 303 and location(response) == IDENTITY
    # A post to a step not reachable yet changes nothing.
    response = citizen_client.post(CHOICE, data={"contact": "courrier", "suivant": "1"})
    assert response.status_code == 303 and location(response) == IDENTITY
    assert draft_data(app) is None
    assert citizen_client.get(f"{BASE}/inconnue").status_code == 404

    pass_identity(citizen_client)
    assert citizen_client.get(CHOICE).status_code == 200
    response = citizen_client.get(RECAP)
    assert response.status_code == 303 and location(response) == CHOICE
    response = citizen_client.get(BASE + "/")
    assert response.status_code == 303 and location(response) == CHOICE  # where the draft was left


def test_next_with_errors_keeps_what_was_typed_and_answers_422(app, citizen_client):
    soup = submit(citizen_client, IDENTITY, {"last_name": "Dupont", "first_name": "", "birth_date": "31/02/2020",
                                             "suivant": "1"}, status=422)
    assert errors_of(soup) == ["Saisissez votre prénom.", "Saisissez une date valide au format JJ/MM/AAAA."]
    assert soup.title.get_text().startswith("Erreur : Votre identité – Étape 1 sur 3")
    assert value_of(soup, "last_name") == "Dupont"
    assert value_of(soup, "birth_date") == "31/02/2020"
    assert soup.select_one("#birth_date")["aria-invalid"] == "true"
    # Kept in the draft too, but the step is not passed: the next one stays out of reach.
    assert draft_data(app)["data"]["steps"]["identite"]["birth_date"] == ["31/02/2020"]
    assert citizen_client.get(CHOICE).status_code == 303


def test_previous_saves_without_checking_files_included(app, citizen_client):
    pass_identity(citizen_client)
    files = {"pieces_jointes": [(io.BytesIO(pdf_bytes()), "avis.pdf")]}
    response = citizen_client.post(CHOICE, data={"contact": "telephone", "precedent": "1", **files},
                                   content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == IDENTITY
    soup = page(citizen_client, IDENTITY)
    assert value_of(soup, "first_name") == "Léa"

    soup = page(citizen_client, CHOICE)
    assert soup.select_one("input[name=contact][value=telephone]").has_attr("checked")
    assert [a.get_text() for a in soup.select(".attachment-list a")] == ["avis.pdf"]

    # Back on the first step, a required field emptied and saved: later steps are out of reach
    # until it is filled again, and nothing else was lost.
    response = citizen_client.post(IDENTITY, data={**VALID_IDENTITY, "first_name": "", "enregistrer": "1"})
    assert response.status_code == 303 and location(response) == IDENTITY
    response = citizen_client.get(CHOICE)
    assert response.status_code == 303 and location(response) == IDENTITY
    soup = page(citizen_client, IDENTITY)
    assert (value_of(soup, "last_name"), value_of(soup, "first_name")) == ("Dupont", "")
    pass_identity(citizen_client)
    soup = page(citizen_client, CHOICE)
    assert soup.select_one("input[name=contact][value=telephone]").has_attr("checked")
    assert [a.get_text() for a in soup.select(".attachment-list a")] == ["avis.pdf"]


def test_adding_a_file_without_javascript_redisplays_the_step_keeping_the_choice(app, citizen_client):
    pass_identity(citizen_client)
    soup = page(citizen_client, CHOICE)
    lot = value_of(soup, "pieces_jointes-lot")
    response = citizen_client.post(CHOICE, data={"contact": "courriel", "pieces_jointes-lot": lot,
                                                 "pieces_jointes": [(io.BytesIO(pdf_bytes()), "rib.pdf")],
                                                 "pieces_jointes-ajouter": "1"},
                                   content_type="multipart/form-data")
    assert response.status_code == 200
    soup = page(citizen_client, CHOICE)
    assert soup.select_one("input[name=contact][value=courriel]").has_attr("checked")
    assert [a.get_text() for a in soup.select(".attachment-list a")] == ["rib.pdf"]
    assert draft_data(app)["attachment_token"]


# --- Saving, resuming, discarding ---------------------------------------------------------------

def test_save_then_log_out_and_in_again_then_resume(app, citizen_client, login):
    response = citizen_client.post(IDENTITY, data={"last_name": "Dupont", "first_name": "",
                                                   "birth_date": "14/07", "enregistrer": "1"})
    assert response.status_code == 303 and location(response) == IDENTITY
    soup = page(citizen_client, IDENTITY)
    assert "Votre brouillon a été enregistré." in soup.select_one("#messages").get_text()
    assert not errors_of(soup), "« Enregistrer » ne vérifie pas la saisie"

    assert citizen_client.post("/compte/deconnexion").status_code == 302
    assert citizen_client.get(IDENTITY).status_code == 302  # logged out for real
    assert login(citizen_client, EMAIL).status_code == 302
    response = citizen_client.get(BASE + "/")
    assert response.status_code == 303 and location(response) == IDENTITY
    soup = page(citizen_client, IDENTITY)
    assert (value_of(soup, "last_name"), value_of(soup, "birth_date")) == ("Dupont", "14/07")
    assert soup.select_one("button[name=abandonner]"), "un brouillon peut être supprimé"


def test_a_draft_is_its_owners_only(app, citizen_client, make_user, login):
    citizen_client.post(IDENTITY, data={**VALID_IDENTITY, "enregistrer": "1"})
    make_user(email="autre@example.fr")
    other = app.test_client()
    login(other, "autre@example.fr")
    soup = page(other, IDENTITY)
    assert value_of(soup, "last_name") == ""
    assert not soup.select_one("button[name=abandonner]")


def test_discard_asks_for_confirmation_then_deletes_the_draft(app, citizen_client):
    pass_identity(citizen_client)
    response = citizen_client.post(CHOICE, data={"contact": "courriel", "abandonner": "1"},
                                   content_type="multipart/form-data")
    assert response.status_code == 303 and location(response) == CHOICE + "?supprimer=1"
    soup = page(citizen_client, location(response))
    assert soup.h1.get_text() == "Voulez-vous supprimer votre brouillon ?"
    assert not soup.select("nav[aria-label=Étapes]")
    # Not deleted yet, and what was typed before asking is saved.
    assert draft_data(app)["data"]["steps"]["choix"] == {"contact": ["courriel"]}
    back = soup.select_one("form a")
    assert back.get_text() == "Non, reprendre ma saisie" and back["href"].endswith(CHOICE)

    form = soup.select_one("form:has(button[name=supprimer-brouillon])")
    response = citizen_client.post(form["action"], data={"supprimer-brouillon": "1"})
    assert response.status_code == 303 and location(response) == IDENTITY
    assert draft_data(app) is None
    soup = page(citizen_client, IDENTITY)
    assert "Votre brouillon a été supprimé." in soup.select_one("#messages").get_text()
    assert value_of(soup, "last_name") == ""


# --- The end -------------------------------------------------------------------------------------

def test_the_last_step_shows_a_recap_then_completes_and_clears_the_draft(app, citizen_client):
    pass_identity(citizen_client)
    pass_choice(citizen_client, "courrier", pieces_jointes=[(io.BytesIO(pdf_bytes()), "avis.pdf")])
    soup = page(citizen_client, RECAP)
    recap = {div.dt.get_text(): div.select_one("dd").get_text() for div in soup.select(".summary-list > div")}
    assert recap == {"Nom": "Dupont", "Prénom": "Léa", "Date de naissance": "14/07/1985", "Contact": "Par courrier",
                     "Justificatifs": "avis.pdf"}
    assert soup.select_one(".summary-list a[href$='/identite']").get_text(" ", strip=True) == "Modifier : Nom"
    assert soup.select_one("button[name=suivant]:not(.visually-hidden)").get_text() == "Valider"

    soup = submit(citizen_client, RECAP, {"suivant": "1"}, status=422)
    assert errors_of(soup) == ["Cochez la case pour certifier l’exactitude des informations."]
    assert draft_data(app) is not None

    response = citizen_client.post(RECAP, data={"certify": "y", "suivant": "1"})
    assert response.status_code == 303 and location(response) == f"{BASE}/termine"
    assert draft_data(app) is None
    with app.app_context():
        assert Draft.query.count() == 0
    soup = page(citizen_client, f"{BASE}/termine")
    assert soup.h1.get_text() == "Votre saisie a bien été validée"
    # Sent twice (double click, Back then resend): nothing left to validate, back to the start.
    response = citizen_client.post(RECAP, data={"certify": "y", "suivant": "1"})
    assert response.status_code == 303 and location(response) == IDENTITY


# --- Breadcrumb ----------------------------------------------------------------------------------

def test_breadcrumb_marks_the_current_step_and_links_the_completed_ones(citizen_client):
    soup = page(citizen_client, IDENTITY)
    steps = soup.select("nav[aria-label=Étapes] ol > li")
    assert [li.get("aria-current") for li in steps] == ["step", None, None]
    assert not soup.select("nav[aria-label=Étapes] a"), "aucune étape n’est encore atteignable"

    pass_identity(citizen_client)
    soup = page(citizen_client, CHOICE)
    steps = soup.select("nav[aria-label=Étapes] ol > li")
    current = soup.select("nav[aria-label=Étapes] [aria-current=step]")
    assert len(current) == 1 and current[0] is steps[1]
    assert " ".join(current[0].get_text().split()) == "Étape 2 sur 3, en cours : Votre choix"
    assert current[0].select_one("a") is None
    assert steps[0].a["href"].endswith(IDENTITY) and "(terminée)" in steps[0].get_text()
    assert steps[2].a is None and "(à compléter)" in steps[2].get_text()
    assert soup.h1.get_text() == "Votre choix"
    assert soup.title.get_text().startswith("Votre choix – Étape 2 sur 3 – Assistant de démonstration")

    pass_choice(citizen_client)
    soup = page(citizen_client, IDENTITY)  # back to the first step: every completed step is a link
    steps = soup.select("nav[aria-label=Étapes] ol > li")
    assert [li.a["href"].rsplit("/", 1)[1] if li.a else None for li in steps] == [None, "choix", "recapitulatif"]


# --- htmx ----------------------------------------------------------------------------------------

def test_with_htmx_the_step_block_is_swapped_and_the_address_follows(citizen_client):
    hx = {"HX-Request": "true"}
    page(citizen_client, IDENTITY)  # shows the login's notice
    response = citizen_client.post(IDENTITY, data={**VALID_IDENTITY, "suivant": "1"}, headers=hx)
    assert response.status_code == 303 and location(response) == CHOICE  # followed by htmx
    soup = fragment(citizen_client, CHOICE, headers=hx)
    assert soup.response.headers["HX-Push-Url"] == CHOICE
    assert soup.select_one("div#assistant > form#assistant-formulaire")["hx-target"] == "#assistant"
    assert soup.title.get_text().startswith("Votre choix – Étape 2 sur 3")
    assert soup.h1.has_attr("data-autofocus")
    # The page's live region is emptied: a notice of an earlier « Enregistrer » would linger.
    assert soup.select_one("#messages[hx-swap-oob=innerHTML]").get_text() == ""

    # Errors come back in 200: htmx reports any 4xx as a failure in the console.
    soup = fragment(citizen_client, CHOICE, method="post", status=200, headers=hx,
                    data={"suivant": "1"}, content_type="multipart/form-data")
    assert errors_of(soup) == ["Sélectionnez comment vous souhaitez être contacté."]
    assert soup.title.get_text().startswith("Erreur : ")
    assert soup.select_one(".error-summary").has_attr("data-autofocus") and not soup.h1.has_attr("data-autofocus")

    soup = fragment(citizen_client, CHOICE, method="post", headers=hx,
                    data={"contact": "courriel", "enregistrer": "1"}, content_type="multipart/form-data")
    assert soup.response.headers["HX-Reswap"] == "none"
    notice = soup.select_one("#messages[hx-swap-oob=innerHTML]")
    assert "Votre brouillon a été enregistré." in notice.get_text()
    soup = page(citizen_client, CHOICE)
    assert soup.select_one("input[name=contact][value=courriel]").has_attr("checked")
    assert not soup.h1.has_attr("data-autofocus"), "une page entière ne déplace pas le focus"

    # The end is another page: loaded whole, not swapped in the step's place.
    citizen_client.post(CHOICE, data={"contact": "courriel", "suivant": "1"}, content_type="multipart/form-data")
    response = citizen_client.post(RECAP, data={"certify": "y", "suivant": "1"}, headers=hx)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(f"{BASE}/termine")


# --- The helper itself -----------------------------------------------------------------------------

class NoteForm(FlaskForm):
    note = StringField("Note", [DataRequired("Saisissez une note.")])


def test_stored_input_is_bounded(app, citizen_client):
    citizen_client.post(IDENTITY, data={"last_name": "x" * (MAX_STORED_CHARS + 10), "enregistrer": "1",
                                        "intrus": "jamais gardé"})
    stored = draft_data(app)["data"]["steps"]["identite"]
    assert len(stored["last_name"][0]) == MAX_STORED_CHARS and "intrus" not in stored


def test_an_information_step_and_a_step_with_its_own_check(app, make_user):
    """A step without a form is complete once passed; a step's own check can refuse « Suivant »."""
    uid = make_user(email="etapes@example.fr")
    wizard = Wizard("essai.etapes", endpoint="components.assistant", title="Essai", steps=[
        Step("preambule", "Préambule"),
        Step("note", "Note", NoteForm, is_complete=lambda page: page.data_of("note")["note"] != "non",
             incomplete_message="Cette note n’est pas acceptée."),
        Step("fin", "Fin"),
    ])
    with app.app_context():
        user = db.session.get(User, uid)
        with app.test_request_context("/composants/assistant/note"):
            page = wizard.handle(user, "note")
            assert page.response.status_code == 303 and page.response.location.endswith("/preambule")
        with app.test_request_context("/composants/assistant/preambule", method="POST", data={"suivant": "1"}):
            page = wizard.handle(user, "preambule")
            assert page.response.location.endswith("/note")
        with app.test_request_context("/composants/assistant/note", method="POST",
                                      data={"note": "non", "suivant": "1"}):
            page = wizard.handle(user, "note")
            assert page.response is None and page.status == 422
            assert page.summary.form_errors == ["Cette note n’est pas acceptée."]
            assert [c.state for c in page.breadcrumb] == ["done", "current", "todo"]
        with app.test_request_context("/composants/assistant/note", method="POST",
                                      data={"note": "oui", "suivant": "1"}):
            page = wizard.handle(user, "note")
            assert page.response.location.endswith("/fin")
        with app.test_request_context("/composants/assistant/fin", method="POST", data={"suivant": "1"}):
            page = wizard.handle(user, "fin")
            assert page.finished and page.data_of("note")["note"] == "oui"
            page.finish()
            db.session.commit()
            assert drafts.load(user, "essai.etapes") is None


def test_step_slugs_are_checked():
    with pytest.raises(ValueError):
        Wizard("essai", endpoint="x", title="Essai", steps=[Step("un", "Un"), Step("un", "Deux")])
    with pytest.raises(ValueError):
        Wizard("essai", endpoint="x", title="Essai", steps=[Step("Étape 1", "Un")])


# --- One wizard, many cases; forms built per case; outcome; prefill -------------------------------

class OtherNoteForm(FlaskForm):
    other = StringField("Autre", [DataRequired("Saisissez autre chose.")])


CASES = Wizard("essai.cas", endpoint="components.assistant", title="Essai", outcome="Confirmation", steps=[
    Step("note", "Note", form_factory=lambda page: NoteForm if page.context == "note" else OtherNoteForm),
    Step("fin", "Fin", form_factory=lambda page: None),
])


def test_cases_keep_separate_drafts_and_build_their_own_forms(app, make_user):
    uid = make_user(email="cas@example.fr")
    first = CASES.for_case("essai.cas.1", context="note", extra="1")
    second = CASES.for_case("essai.cas.2", context="autre", extra="2")
    assert CASES.kind == "essai.cas" and CASES.context is None, "the declaration is left as it was"
    with app.app_context():
        user = db.session.get(User, uid)
        with app.test_request_context("/composants/assistant/note", method="POST",
                                      data={"note": "un", "other": "x", "suivant": "1"}):
            page = first.handle(user, "note")
            assert page.action == "suivant" and page.target.slug == "fin"
            # The case's URL arguments go into every URL of its wizard (here as a query string).
            assert page.response.location.endswith("/composants/assistant/fin?extra=1")
            assert page.raw("note") == {"note": ["un"]}, "only the case's form fields are kept"
        with app.test_request_context("/composants/assistant/note", method="POST",
                                      data={"note": "un", "suivant": "1"}):
            page = second.handle(user, "note")
            assert page.status == 422 and list(page.form.errors) == ["other"]
        assert drafts.load(user, "essai.cas.1").data["steps"]["note"] == {"note": ["un"]}
        assert drafts.load(user, "essai.cas.2").data["passed"] == []
        with app.test_request_context("/composants/assistant/fin"):
            page = first.handle(user, "fin")
            assert page.form is None and page.total == 3 and page.title.startswith("Fin – Étape 2 sur 3")
            assert [(c.title, c.state) for c in page.breadcrumb] == [
                ("Note", "done"), ("Fin", "current"), ("Confirmation", "todo")]
            assert page.breadcrumb[-1].url is None
    assert [(c.number, c.state) for c in CASES.outcome_breadcrumb()] == [(1, "done"), (2, "done"), (3, "current")]


def test_prefill_writes_a_draft_resumed_where_asked(app, make_user):
    uid = make_user(email="prefill@example.fr")
    case = CASES.for_case("essai.cas.9", context="note")
    with app.app_context():
        user = db.session.get(User, uid)
        case.prefill(user, {"note": {"note": ["repris"], "bad": "not a list"}, "inconnue": {"x": ["y"]}},
                     passed=["note", "inconnue"], step="fin")
        db.session.commit()
        draft = drafts.load(user, "essai.cas.9")
        assert draft.data == {"steps": {"note": {"note": ["repris"]}}, "passed": ["note"]} and draft.step == "fin"
        with app.test_request_context("/composants/assistant/"):
            page = case.handle(user, None)
            assert page.response.location.endswith("/composants/assistant/fin")
            assert page.is_complete("note") and page.data_of("note") == {"note": "repris"}


def test_a_step_takes_a_form_class_or_a_factory_not_both():
    with pytest.raises(ValueError):
        Step("un", "Un", NoteForm, form_factory=lambda page: NoteForm)
