"""Cascading selects: the catalogue file, resolve() with valid, partial and unknown codes, and the
`cascade` macro as a page (JavaScript off: GET form and plain links) and as an HTMX fragment."""
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from core.cascade import CATALOGUE_DIR, Cascade, CatalogueError
from tests.components.inprocess_browser import in_browser
from tests.helpers import check_page, fragment, page

DEMO = "/composants/demo"
FAMILLE = {"theme": "famille-logement"}
AF = {**FAMILLE, "subject": "allocations-familiales"}
COMPLETE = {**AF, "reason": "changement-situation"}


@pytest.fixture
def demo():
    return Cascade.load("demo-cascade")


def url(params):
    return DEMO + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def query_of(href):
    return dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))


# --- The catalogue file ---------------------------------------------------------------------------

def test_demo_catalogue_loads_with_three_labelled_levels(demo):
    assert [(lv.field, lv.label) for lv in demo.levels] == [("theme", "Thème"), ("subject", "Sujet"),
                                                             ("reason", "Motif")]
    assert all(lv.error.startswith("Sélectionnez ") for lv in demo.levels)


def test_every_node_has_a_label_and_every_branch_reaches_the_last_level(demo):
    nodes = list(demo.walk())
    assert len(nodes) > 60
    for depth, node in nodes:
        assert node.label.strip() and node.code
        if depth < 2:
            assert len(node.children) >= 3, f"{node.label} : moins de 3 sous-choix"
        if depth == 1:
            assert node.children[-1].label.startswith("Autre question"), node.label
        if depth == 2:
            assert node.is_leaf


def test_demo_catalogue_has_the_msa_family_theme_as_in_the_seed(demo):
    famille = demo.root.child("famille-logement")
    assert famille.label == "Famille, logement"
    assert [s.label for s in famille.children] == [
        'Paiements et décomptes "famille"', 'Attestations "famille"', "Allocations familiales",
        "Aides au logement", "Aides Sociales (secours, prêts)"]
    assert [r.label for r in famille.child("allocations-familiales").children] == [
        "Paiements et décomptes - Famille", "Attestation paiement / non paiement - Famille",
        "Attestation fiscale - Famille", "Demande de quotient familial", "Mon dossier - Famille",
        "Déclaration de ressources - Famille", "Changement de situation - Famille",
        "Autre question Allocations familiales"]
    assert len(demo.root.children) >= 3


def test_leaves_carry_extra_data_such_as_an_online_service(demo):
    state = demo.resolve(COMPLETE)
    assert state.leaf.get("online_service")["label"] == "Déclarer un changement de situation"
    assert demo.resolve({**AF, "reason": "autre"}).leaf.get("online_service") is None


def test_catalogue_file_is_valid_json_with_unique_sibling_codes():
    data = json.loads((CATALOGUE_DIR / "demo-cascade.json").read_text(encoding="utf-8"))

    def check(nodes):
        codes = [n["code"] for n in nodes]
        assert len(codes) == len(set(codes))
        for n in nodes:
            check(n.get("children", []))
    check(data["choices"])


@pytest.mark.parametrize("name", ["../secret", "demo/cascade", "", "Demo", "demo-cascade.json"])
def test_load_refuses_names_outside_the_catalogue_folder(name):
    with pytest.raises(CatalogueError):
        Cascade.load(name)


LEVELS = [{"field": "a", "label": "A"}, {"field": "b", "label": "B"}]


@pytest.mark.parametrize("data,problem", [
    ({"levels": [], "choices": [{"code": "x", "label": "X"}]}, "levels"),
    ({"levels": [{"field": "Bad field", "label": "A"}], "choices": [{"code": "x", "label": "X"}]}, "field"),
    ({"levels": [{"field": "a"}], "choices": [{"code": "x", "label": "X"}]}, "label"),
    ({"levels": [{"field": "a", "label": "A"}, {"field": "a", "label": "B"}],
      "choices": [{"code": "x", "label": "X"}]}, "même"),
    ({"levels": LEVELS, "choices": [{"code": "x", "label": " "}]}, "libellé"),
    ({"levels": LEVELS, "choices": [{"code": "x", "label": "X"}, {"code": "x", "label": "Y"}]}, "double"),
    ({"levels": LEVELS, "choices": [{"code": "x y", "label": "X"}]}, "code invalide"),
    ({"levels": LEVELS, "choices": [{"code": "x", "label": "X", "children": [
        {"code": "y", "label": "Y", "children": [{"code": "z", "label": "Z"}]}]}]}, "dernier niveau"),
    ({"levels": LEVELS, "choices": []}, "vide"),
])
def test_malformed_catalogues_are_refused_with_a_clear_message(data, problem):
    with pytest.raises(CatalogueError, match=problem):
        Cascade.from_dict(data, name="essai")


# --- resolve() ------------------------------------------------------------------------------------

def test_nothing_chosen(demo):
    state = demo.resolve({})
    assert state.path == () and not state.complete and state.leaf is None and state.error is None
    assert state.current_level.field == "theme"
    assert [n.code for n in state.options] == [n.code for n in demo.root.children]


def test_partial_path_asks_the_next_level(demo):
    state = demo.resolve(AF)
    assert [c.node.label for c in state.path] == ["Famille, logement", "Allocations familiales"]
    assert not state.complete and state.current_level.label == "Motif"
    assert len(state.options) == 8
    assert state.codes == AF
    assert state.missing_message == "Sélectionnez le motif."


def test_complete_path(demo):
    state = demo.resolve(MultiDict(COMPLETE))
    assert state.complete and state.current_level is None and state.options == ()
    assert state.leaf.label == "Changement de situation - Famille"
    assert state.codes == COMPLETE and list(state.codes) == ["theme", "subject", "reason"]
    assert state.missing_message is None


@pytest.mark.parametrize("params,kept", [
    ({"theme": "inconnu"}, {}),
    ({"theme": "inconnu", "subject": "allocations-familiales", "reason": "autre"}, {}),
    ({**FAMILLE, "subject": "inconnu", "reason": "changement-situation"}, FAMILLE),
    ({**AF, "reason": "inconnu"}, AF),
    ({"subject": "allocations-familiales", "reason": "autre"}, {}),  # no parent: ignored
    ({**FAMILLE, "subject": "remboursements"}, FAMILLE),  # a subject of another theme
    ({"theme": "x" * 5000}, {}),
    ({"theme": "famille-logement\x00"}, {}),
    ({"theme": "<script>"}, {}),
])
def test_unknown_codes_are_ignored_with_the_deeper_ones(demo, params, kept):
    state = demo.resolve(params)
    assert state.codes == kept
    assert state.error is None


def test_repeated_parameters_use_the_first(demo):
    state = demo.resolve(MultiDict([("theme", "sante"), ("theme", "retraite")]))
    assert state.codes == {"theme": "sante"}


def test_empty_choice_is_an_error_on_that_level(demo):
    state = demo.resolve({**FAMILLE, "subject": ""})
    assert state.error == "Sélectionnez le sujet." and state.current_level.field == "subject"
    assert state.codes == FAMILLE
    assert demo.resolve({"theme": " "}).error == "Sélectionnez le thème."


def test_modify_urls_keep_the_levels_above_and_drop_the_others(demo):
    state = demo.resolve(COMPLETE)
    assert state.url("/p", 0) == "/p"
    assert query_of(state.url("/p", 1)) == FAMILLE
    assert query_of(state.url("/p", 2)) == AF
    assert query_of(state.url("/p")) == COMPLETE
    assert query_of(state.url("/p", 1, {"brouillon": "7"})) == {"brouillon": "7", **FAMILLE}


def test_a_branch_may_end_before_the_last_level():
    cascade = Cascade.from_dict({"levels": LEVELS, "choices": [
        {"code": "court", "label": "Court"},
        {"code": "long", "label": "Long", "children": [{"code": "fin", "label": "Fin"}]}]})
    assert cascade.resolve({"a": "court", "b": "ignored"}).complete
    assert cascade.resolve({"a": "court"}).codes == {"a": "court"}
    assert not cascade.resolve({"a": "long"}).complete
    assert cascade.resolve({"a": "long", "b": "fin"}).leaf.label == "Fin"


# --- The page, JavaScript off (plain GET form and links) -------------------------------------------

def cascade_form(soup):
    return soup.select_one("#demo-cascade form.cascade-step")


def test_first_level_is_a_get_form_with_a_labelled_select(citizen_client):
    soup = page(citizen_client, DEMO)
    form = cascade_form(soup)
    assert form["method"] == "get" and form["action"] == DEMO
    select = form.select_one("select#demo-cascade-theme[name=theme]")
    assert soup.select_one("label[for=demo-cascade-theme]").get_text(strip=True) == "Thème"
    options = [o.get_text() for o in select.select("option")]
    assert options[0] == "Sélectionnez le thème" and "Famille, logement" in options
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Valider"
    assert not soup.select(".cascade-choice") and not form.select("input[type=hidden]")
    assert not select.has_attr("autofocus"), "pas de focus forcé au chargement d’une page"
    # The rest of the form comes once the cascade is complete.
    assert not soup.select("#demo-formulaire, textarea")


def test_each_level_shows_the_choices_above_with_a_modify_link(citizen_client):
    soup = page(citizen_client, url(AF))
    rows = soup.select("#demo-cascade .cascade-choice")
    assert [(r.dt.get_text(strip=True), r.select("dd")[0].get_text(strip=True)) for r in rows] == [
        ("Thème :", "Famille, logement"), ("Sujet :", "Allocations familiales")]
    links = [r.select_one("a") for r in rows]
    assert [a.get_text(" ", strip=True) for a in links] == ["Modifier : Thème", "Modifier : Sujet"]
    assert [query_of(a["href"]) for a in links] == [{}, FAMILLE]
    assert all(urlsplit(a["href"]).path == DEMO for a in links)
    form = cascade_form(soup)
    hidden = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert hidden == AF
    select = form.select_one("select#demo-cascade-reason[name=reason]")
    assert soup.select_one("label[for=demo-cascade-reason]").get_text(strip=True) == "Motif"
    assert len(select.select("option")) == 9


def test_following_a_modify_link_drops_that_level_and_the_deeper_ones(citizen_client):
    soup = page(citizen_client, url(COMPLETE))
    subject_link = soup.select("#demo-cascade .cascade-choice a")[1]
    back = page(citizen_client, subject_link["href"])
    assert [r.dt.get_text(strip=True) for r in back.select("#demo-cascade .cascade-choice")] == ["Thème :"]
    assert back.select_one("select#demo-cascade-subject")
    assert not back.select("input[name=reason]") and not back.select("input[name=subject]")


def test_valider_without_js_submits_the_get_form_and_comes_back_at_the_next_level(citizen_client):
    soup = page(citizen_client, DEMO)
    form = cascade_form(soup)
    # What a browser sends for this form: its hidden inputs plus the select.
    params = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    params["theme"] = "famille-logement"
    nxt = page(citizen_client, form["action"], query_string=params)
    assert nxt.select_one("select#demo-cascade-subject")
    params = {i["name"]: i["value"] for i in cascade_form(nxt).select("input[type=hidden]")}
    assert params == FAMILLE


def test_complete_cascade_is_a_summary_with_hidden_inputs_inside_the_post_form(citizen_client):
    soup = page(citizen_client, url(COMPLETE))
    assert not cascade_form(soup), "plus de liste une fois le choix complet"
    post = soup.select_one("form#demo-formulaire[method=post]")
    assert post.select_one("#demo-cascade .cascade-choices")
    hidden = {i["name"]: i["value"] for i in post.select("#demo-cascade input[type=hidden]")}
    assert hidden == COMPLETE
    assert len(post.select("#demo-cascade .cascade-choice a")) == 3


def test_valider_without_a_choice_shows_an_error(citizen_client):
    soup = page(citizen_client, url({**FAMILLE, "subject": ""}))
    assert soup.title.get_text().startswith("Erreur : ")
    summary = soup.select_one("#demo-cascade .error-summary")
    assert summary.h2.get_text() == "Il y a un problème"
    assert summary.select_one("a")["href"] == "#demo-cascade-subject"
    assert summary.select_one("a").get_text() == "Sélectionnez le sujet."
    select = soup.select_one("#demo-cascade-subject")
    assert select["aria-invalid"] == "true"
    assert "demo-cascade-subject-erreur" in select["aria-describedby"].split()
    assert "Sélectionnez le sujet." in soup.select_one("#demo-cascade-subject-erreur").get_text()


@pytest.mark.parametrize("query", ["theme=inconnu", "theme=famille-logement&subject=inconnu&reason=autre",
                                   "subject=allocations-familiales", "theme=%00%ff", "theme=" + "a" * 3000,
                                   "theme=famille-logement&theme=sante", "reason=autre&reason=", "theme[]=x"])
def test_unknown_or_odd_codes_never_fail(citizen_client, query):
    soup = page(citizen_client, f"{DEMO}?{query}")
    assert cascade_form(soup).select_one("select")
    assert not soup.select(".error-summary")


# --- The fragment, JavaScript on (htmx) ----------------------------------------------------------

def test_htmx_attributes_swap_the_target_and_push_the_url(citizen_client):
    soup = page(citizen_client, url(AF))
    form = cascade_form(soup)
    assert form["hx-get"] == DEMO and form["hx-target"] == "#demo-etapes"
    assert form["hx-swap"] == "outerHTML" and form["hx-push-url"] == "true"
    for a in soup.select("#demo-cascade .cascade-choice a"):
        assert a["hx-get"] == a["href"] and a["hx-target"] == "#demo-etapes" and a["hx-push-url"] == "true"


def test_fragment_is_the_target_block_with_focus_on_the_new_select(citizen_client):
    soup = fragment(citizen_client, url(FAMILLE))
    top = [el for el in soup.contents if el.name]
    assert [el.name for el in top] == ["title", "div"] and top[1]["id"] == "demo-etapes"
    assert top[0].get_text() == "Démonstration des composants – Guichet"
    select = soup.select_one("select#demo-cascade-subject")
    assert select.has_attr("autofocus")
    assert soup.select_one("label[for=demo-cascade-subject]")
    assert not soup.select("h1")
    assert len(soup.response.data) <= 5 * 1024
    vary = {v.strip() for h in soup.response.headers.get_all("Vary") for v in h.split(",")}
    assert "HX-Request" in vary


def test_fragment_after_modify_goes_back_to_that_level(citizen_client):
    soup = fragment(citizen_client, url({}))
    assert soup.select_one("select#demo-cascade-theme[autofocus]")
    assert not soup.select(".cascade-choice")


def test_fragment_with_an_error_focuses_the_summary_not_the_select(citizen_client):
    soup = fragment(citizen_client, url({**AF, "reason": ""}))
    assert soup.select_one(".error-summary[data-autofocus][role=alert]")
    assert soup.title.get_text().startswith("Erreur : Démonstration des composants")
    assert not soup.select_one("select#demo-cascade-reason").has_attr("autofocus")


def test_macro_defaults_target_itself_and_carries_extra_params(app):
    cascade = Cascade.from_dict({"levels": LEVELS, "choices": [
        {"code": "x", "label": "Ex", "children": [{"code": "y", "label": "Why"}, {"code": "z", "label": "Zed"}]}]})
    template = ('{% from "components/cascade.html" import cascade %}'
                '<!doctype html><html lang="fr"><head><title>Essai</title></head><body>'
                '<a class="skip-link" href="#contenu">x</a><main id="contenu"><h1>Essai</h1>'
                '{{ cascade(state, "/essai", params={"brouillon": "12"}) }}</main></body></html>')
    with app.test_request_context("/essai", headers={"HX-Request": "true"}):
        html = render_template_string(template, state=cascade.resolve({"a": "x"}))
    soup = check_page(html)
    form = soup.select_one("#cascade form")
    assert form["hx-target"] == "#cascade"
    assert {i["name"]: i["value"] for i in form.select("input[type=hidden]")} == {"brouillon": "12", "a": "x"}
    assert query_of(soup.select_one(".cascade-choice a")["href"]) == {"brouillon": "12"}
    assert soup.select_one("select#cascade-b[name=b][autofocus]")
    with app.test_request_context("/essai"):
        html = render_template_string(template, state=cascade.resolve({"a": "x", "b": "z"}))
    soup = check_page(html)
    assert not soup.select("form") and not soup.select("[autofocus]")
    assert {i["name"]: i["value"] for i in soup.select("#cascade input[type=hidden]")} == {"a": "x", "b": "z"}


# --- In Chromium, JavaScript on: in-place swaps, URL kept in sync, focus -------------------------

@pytest.mark.browser
def test_with_htmx_each_step_swaps_in_place_and_the_url_follows(citizen_client):
    def flow(p):
        from playwright.sync_api import expect
        p.goto(DEMO)
        p.evaluate("window.sameDocument = true")  # lost on any full page load
        p.select_option("#demo-cascade-theme", "famille-logement")
        p.get_by_role("button", name="Valider").click()
        expect(p.locator("#demo-cascade-subject")).to_be_focused()
        assert query_of(p.url) == FAMILLE
        p.select_option("#demo-cascade-subject", "allocations-familiales")
        p.get_by_role("button", name="Valider").click()
        expect(p.locator("#demo-cascade-reason")).to_be_focused()
        assert query_of(p.url) == AF
        assert p.evaluate("window.sameDocument === true"), "les étapes ne rechargent pas la page"

        # "Valider" without a choice: the error summary takes the focus.
        p.get_by_role("button", name="Valider").click()
        expect(p.locator("#demo-cascade .error-summary")).to_be_focused()
        assert p.title().startswith("Erreur : Démonstration des composants")

        # "Modifier" on the theme: back to the first level, in place, deeper choices dropped.
        p.get_by_role("link", name="Modifier : Thème").click()
        expect(p.locator("#demo-cascade-theme")).to_be_focused()
        assert query_of(p.url) == {}
        expect(p.locator("#demo-cascade .cascade-choice")).to_have_count(0)
        assert p.title() == "Démonstration des composants – Guichet"

        # The back button brings the previous step back (the page is reloaded from its URL).
        p.go_back()
        expect(p.locator("#demo-cascade-reason")).to_be_visible()
        assert query_of(p.url) == {**AF, "reason": ""}

        # The last choice loads the whole page with the rest of the form.
        p.select_option("#demo-cascade-reason", "changement-situation")
        p.get_by_role("button", name="Valider").click()
        expect(p.locator("#demo-formulaire textarea#message")).to_be_visible()
        assert query_of(p.url) == COMPLETE
        expect(p.locator("#demo-formulaire #demo-cascade input[type=hidden]")).to_have_count(3)
    in_browser(citizen_client, flow)


# --- Inside a larger POST form: selects() and the cascade_selects macro (slice SPACE) ----------------

def test_selects_show_every_chosen_level_with_its_siblings_then_the_next_one(demo):
    state = demo.resolve(AF)
    selects = state.selects()
    assert [(s.level.field, s.selected) for s in selects] == [("theme", "famille-logement"),
                                                             ("subject", "allocations-familiales"), ("reason", "")]
    assert [n.code for n in selects[0].options] == [n.code for n in demo.root.children]
    assert [n.code for n in selects[2].options] == [n.code for n in state.node.children]
    assert [s.selected for s in demo.resolve(COMPLETE).selects()] == [
        "famille-logement", "allocations-familiales", "changement-situation"]  # complete: no empty level
    assert [s.level.field for s in demo.resolve({}).selects()] == ["theme"]


def test_cascade_selects_macro_posts_the_refresh_and_marks_errors(app, demo):
    template = ('{% from "components/cascade.html" import cascade_selects %}'
                '{{ cascade_selects(state, "/formulaire", "choix", errors={"subject": "Sélectionnez le sujet."}) }}')
    with app.test_request_context("/formulaire"):
        html = render_template_string(template, state=demo.resolve(FAMILLE))
    soup = check_page(f'<html lang="fr"><a class="skip-link" href="#contenu"></a>{html}</html>', require_h1=False)
    theme = soup.select_one("select#theme")
    assert theme["hx-post"] == "/formulaire" and theme["hx-target"] == "#choix"
    assert json.loads(theme["hx-vals"]) == {"actualiser": "choix"}
    assert soup.select_one("#theme option[selected]")["value"] == "famille-logement"
    assert soup.select_one("#subject")["aria-invalid"] == "true"
    assert soup.select_one("#subject-erreur").get_text(strip=True).endswith("Sélectionnez le sujet.")
    button = soup.select_one("button[name=actualiser]")
    assert button["value"] == "choix" and button.has_attr("formnovalidate")
