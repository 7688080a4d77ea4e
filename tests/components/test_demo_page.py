"""Components demo page (/composants/demo): login required (any role), the whole form submitted with
JavaScript off using every component, errors that keep everything typed, and its HTMX fragments."""
import re

import pytest

from models import Role
from tests.helpers import errors_of, fragment, page, submit

DEMO = "/composants/demo"
CODES = {"theme": "famille-logement", "subject": "allocations-familiales", "reason": "changement-situation"}
COMPLETE = DEMO + "?" + "&".join(f"{k}={v}" for k, v in CODES.items())
MESSAGE = "Bonjour,\r\nmon fils est né le 3 mai : « Léo » 😀.\r\n\r\n<b>Merci</b>"


def text_of(element):
    return " ".join(element.get_text().split())


def summary_of(soup):
    return {div.dt.get_text(strip=True): div.dd.get_text() for div in soup.select(".summary-list > div")}


def form_values(form):
    """What a browser without JavaScript posts for `form` (hidden inputs, text fields, selects)."""
    values = {}
    for el in form.select("input[name], textarea[name], select[name]"):
        if el.name == "select":
            option = el.select_one("option[selected]") or el.select_one("option")
            values[el["name"]] = option["value"] if option else ""
        elif el.name == "textarea":
            values[el["name"]] = el.get_text().removeprefix("\r\n").removeprefix("\n")
        elif el.get("type") not in ("submit", "button"):
            values[el["name"]] = el.get("value", "")
    return values


# --- Access ----------------------------------------------------------------------------------------

def test_login_required(client):
    response = client.get(DEMO)
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert client.post(DEMO, data={"message": "x" * 20}).status_code == 302
    response = client.get(COMPLETE, headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/compte/connexion" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.PARTNER_TECHNICIAN, Role.AGENT, Role.ADMIN])
def test_any_role_may_use_it(app, make_user, login, role):
    make_user(email="role@example.fr", role=role)
    client = app.test_client()
    assert login(client, "role@example.fr").status_code == 302
    soup = page(client, DEMO)
    assert soup.h1.get_text() == "Démonstration des composants"
    assert soup.title.get_text().startswith("Démonstration des composants – ")


# --- The whole form, JavaScript off ------------------------------------------------------------

def test_full_submit_without_js_using_every_component(citizen_client):
    # 1. The cascade, one GET form per level, as the browser submits it.
    soup = page(citizen_client, DEMO)
    for field, code in CODES.items():
        form = soup.select_one("#demo-cascade form.cascade-step")
        values = form_values(form)
        values[field] = code
        soup = page(citizen_client, form["action"], query_string=values)
    form = soup.select_one("form#demo-formulaire")
    assert [text_of(dd) for dd in form.select(".cascade-choice dd:first-of-type")] == [
        "Famille, logement", "Allocations familiales", "Changement de situation - Famille"]
    assert "Service en ligne : Déclarer un changement de situation" in text_of(form.select_one(".notice"))

    # 2. The commune: "Rechercher" re-posts the form, which comes back with the towns and the text kept.
    values = dict(form_values(form), message=MESSAGE, **{"commune-recherche": "bordeaux", "rechercher": "commune"})
    soup = submit(citizen_client, form["action"], values)
    form = soup.select_one("form#demo-formulaire")
    assert not errors_of(soup), "une recherche de commune ne valide pas le formulaire"
    assert form.select_one("textarea#message").get_text().lstrip("\r\n") == MESSAGE.replace("\r\n", "\n")
    options = {o.get_text(): o["value"] for o in form.select("select#commune option")}
    assert "Bordeaux (33000)" in options

    # 3. Valider.
    values = dict(form_values(form), commune=options["Bordeaux (33000)"])
    soup = submit(citizen_client, form["action"], values)
    assert text_of(soup.select_one("#demo-confirmation")) == "Votre saisie a bien été enregistrée."
    summary = summary_of(soup)
    assert summary["Thème"] == "Famille, logement"
    assert summary["Sujet"] == "Allocations familiales"
    assert summary["Motif"] == "Changement de situation - Famille"
    assert summary["Service en ligne"] == "Déclarer un changement de situation"
    assert summary["Message"] == MESSAGE.replace("\r\n", "\n")  # as typed, never interpreted as HTML
    assert not soup.select(".summary-list b")
    assert "user-text" in soup.select_one(".summary-list dd.user-text")["class"]
    assert summary["Pays de résidence"] == "France"
    assert summary["Ville de résidence"] == "Bordeaux (33000)"
    assert not soup.select("#demo-formulaire")


def test_enter_in_a_text_field_submits_with_valider(citizen_client):
    # Implicit submission uses the form's first submit button: it must not be « Changer de pays ».
    soup = page(citizen_client, COMPLETE)
    first = soup.select_one("form#demo-formulaire button[type=submit]")
    assert first.get_text() == "Valider" and not first.has_attr("name")
    assert first["tabindex"] == "-1" and first["aria-hidden"] == "true"


def test_abroad_without_js(citizen_client):
    soup = page(citizen_client, COMPLETE)
    form = soup.select_one("form#demo-formulaire")
    values = dict(form_values(form), message=MESSAGE, country="BE", **{"changer-pays": "1"})
    soup = submit(citizen_client, form["action"], values)
    form = soup.select_one("form#demo-formulaire")
    assert not errors_of(soup)
    assert form.select_one("select#country option[selected]")["value"] == "BE"
    assert form.select_one("input#city_abroad") and not form.select_one("#commune-recherche")
    assert soup.select_one("label[for=city_abroad]").get_text(" ", strip=True).startswith("Ville de résidence")

    soup = submit(citizen_client, form["action"], form_values(form), status=422)
    assert errors_of(soup) == ["Saisissez la ville de résidence en entier."]
    form = soup.select_one("form#demo-formulaire")
    assert form.select_one("textarea#message").get_text().lstrip("\r\n") == MESSAGE.replace("\r\n", "\n")

    soup = submit(citizen_client, form["action"], dict(form_values(form), city_abroad="Liège"))
    summary = summary_of(soup)
    assert summary["Pays de résidence"] == "Belgique"
    assert summary["Ville de résidence"] == "Liège"


def test_errors_keep_everything_typed(citizen_client):
    data = dict(CODES, message="Court\r\n", country="FR", **{"commune-recherche": "Saint", "commune": ""})
    soup = submit(citizen_client, COMPLETE, data, status=422)
    assert soup.title.get_text().startswith("Erreur : Démonstration des composants")
    assert soup.select_one(".error-summary h2").get_text() == "Il y a un problème"
    assert errors_of(soup) == ["Le message doit faire au moins 10 caractères : il en fait 6.",
                               "Sélectionnez la ville dans la liste."]
    form = soup.select_one("form#demo-formulaire")
    assert form.select_one("textarea#message").get_text().lstrip("\r\n") == "Court\n"
    assert form.select_one("#commune-recherche")["value"] == "Saint"
    assert len(form.select("select#commune option")) > 2, "les villes trouvées sont proposées"
    assert form.select_one("select#country option[selected]")["value"] == "FR"
    hidden = {i["name"]: i["value"] for i in form.select("#demo-cascade input[type=hidden]")}
    assert hidden == CODES
    assert form["action"] == COMPLETE


def test_error_summary_links_to_each_field(citizen_client):
    data = dict(CODES, message="Court", country="FR", **{"commune-recherche": "zzzz", "commune": ""})
    soup = submit(citizen_client, COMPLETE, data, status=422)
    links = [(a["href"], a.get_text()) for a in soup.select(".error-summary a")]
    assert links == [("#message", "Le message doit faire au moins 10 caractères : il en fait 5."),
                     ("#commune-recherche", "Aucune ville ne correspond à « zzzz ». "
                                            "Vérifiez le code postal ou le nom de la ville.")]
    for href, _ in links:
        assert soup.select_one(href), f"{href} ne mène à aucun champ"
    assert soup.select_one("#commune-recherche")["aria-invalid"] == "true"


def test_empty_submit(citizen_client):
    soup = submit(citizen_client, COMPLETE, dict(CODES, country="FR"), status=422)
    assert errors_of(soup) == ["Saisissez votre message.",
                               "Saisissez le code postal ou le nom de la ville, puis sélectionnez la ville."]


@pytest.mark.parametrize("codes", [{}, {"theme": "famille-logement"},
                                   dict(CODES, reason="inconnu"), {"theme": "x", "subject": "y", "reason": "z"}])
def test_incomplete_cascade_on_post_keeps_the_text_and_asks_for_the_choice(citizen_client, codes):
    data = dict(codes, message="Un message assez long.", country="BE", city_abroad="Liège")
    soup = submit(citizen_client, DEMO, data, status=422)
    assert any(e.startswith("Sélectionnez le ") for e in errors_of(soup))
    post = soup.select_one("form#demo-formulaire")
    assert post.select_one("textarea#message").get_text().lstrip("\r\n") == "Un message assez long."
    assert post.select_one("#city_abroad")["value"] == "Liège"
    cascade = soup.select_one("#demo-cascade form.cascade-step")
    assert cascade is not None and post not in cascade.parents and cascade not in post.descendants, \
        "jamais de formulaire imbriqué"


@pytest.mark.parametrize("data", [
    {"message": "x" * 100_000}, {"country": "ZZ"}, {"country": "<script>"}, {"commune": "nonsense"},
    {"commune": "33063-33000", "commune-recherche": ""}, {"message": "\x00" * 20},
    {"theme": "famille-logement", "subject": "x" * 5000},
])
def test_odd_input_never_fails(citizen_client, data):
    soup = submit(citizen_client, DEMO, dict(CODES, **data), status=422)
    assert errors_of(soup)


# --- Fragments (JavaScript on) -------------------------------------------------------------------

def test_cascade_fragment_then_whole_page_once_complete(citizen_client):
    soup = fragment(citizen_client, DEMO + "?theme=famille-logement")
    assert soup.select_one("div#demo-etapes").parent is soup
    assert soup.select_one("select#demo-cascade-subject[autofocus]")
    assert not soup.select("#demo-formulaire")
    # The last choice brings the rest of the form with its long country list: a whole page load.
    response = citizen_client.get(COMPLETE, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == COMPLETE


def test_country_change_fragment_swaps_only_the_town_part(citizen_client):
    data = dict(CODES, message="Gardé tel quel", country="BE", **{"changer-pays": "1"})
    soup = fragment(citizen_client, DEMO, method="post", data=data)
    root = soup.find(True)
    assert root["id"] == "demo-ville"
    assert soup.select_one("input#city_abroad") and soup.select_one("label[for=city_abroad]")
    assert not soup.select("select#country"), "la liste des pays (et son focus) reste en place"
    assert len(soup.response.data) <= 5 * 1024
    page_soup = page(citizen_client, COMPLETE)
    country = page_soup.select_one("select#country")
    assert country["hx-post"] == DEMO and country["hx-target"] == "#demo-ville"
    assert country["hx-trigger"] == "change" and "changer-pays" in country["hx-vals"]

    data["country"] = "FR"
    soup = fragment(citizen_client, DEMO, method="post", data=data)
    assert soup.select_one("input#commune-recherche") and not soup.select("#city_abroad")


def test_commune_search_fragment_used_by_the_demo(citizen_client):
    soup = page(citizen_client, COMPLETE)
    search = soup.select_one("#commune-recherche")
    assert search["hx-get"] == "/composants/communes" and search["hx-target"] == "#commune-resultats"
    results = fragment(citizen_client, "/composants/communes?champ=commune&commune-recherche=33000")
    assert [o.get_text() for o in results.select("select#commune option")] == ["Bordeaux (33000)"]


def test_page_weight_within_budget(citizen_client):
    response = citizen_client.get(COMPLETE)
    assert len(response.data) <= 30 * 1024


# --- CSRF on, as in production --------------------------------------------------------------------

def test_post_needs_the_csrf_token(csrf_app):
    from extensions import db
    from tests import factories
    with csrf_app.app_context():
        factories.user(email="csrf@example.fr")
        db.session.commit()
    client = csrf_app.test_client()
    token = page(client, "/compte/connexion").select_one("input[name=csrf_token]")["value"]
    assert client.post("/compte/connexion", data={"email": "csrf@example.fr", "password": factories.PASSWORD,
                                                  "csrf_token": token}).status_code == 302
    soup = page(client, COMPLETE)
    form = soup.select_one("form#demo-formulaire")
    data = dict(form_values(form), message="Un message assez long.", country="BE", city_abroad="Liège")
    forged = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(form["action"], data=forged).status_code == 400
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', soup.body["hx-headers"]).group(1)
    assert client.post(DEMO, data=dict(forged, **{"changer-pays": "1"}),
                       headers={"HX-Request": "true", "X-CSRFToken": header_token}).status_code == 200
    soup = submit(client, form["action"], data)
    assert text_of(soup.select_one("#demo-confirmation")) == "Votre saisie a bien été enregistrée."
