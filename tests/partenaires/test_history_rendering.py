"""« Historique des demandes »: the cheap ways of rendering it (blueprints/partenaires/history.py)
give what the form, the model and Jinja give: the filter form rendered once per filter state, the
filters read without the form, the rows read as plain rows, the pagination built in Python."""
from urllib.parse import parse_qs, urlsplit

import pytest
from jinja2.filters import do_urlencode
from werkzeug.datastructures import MultiDict

import blueprints.partenaires.history as history
from forms.partenaires_followup import DEFAULTS, HistoryFilterForm, HistoryFilters, normalised_filters
from models import PartnerRequest
from models.partenaires import catalogue
from tests.helpers import fragment, page
from tests.partenaires.test_history import HISTORY, make_request, many, numbers, tech, world  # noqa: F401


@pytest.fixture
def empty_cache(monkeypatch):
    monkeypatch.setattr(history, "_filters_cache", {})
    return history


def form_values(soup):
    form = soup.select_one("form#historique-filtres")
    values = {"recherche": form.select_one("#recherche")["value"]}
    for name in ("statut", "offre", "tri", "ordre", "par_page"):
        selected = form.select(f"#{name} option[selected]")
        values[name] = selected[0]["value"] if selected else None
    return values


# --- The filter form, rendered once per state --------------------------------------------------

def test_two_filter_states_render_their_own_values(tech, many, empty_cache):
    first = page(tech, f"{HISTORY}?recherche=prince&tri=statut&ordre=az")
    second = page(tech, f"{HISTORY}?recherche=moreau&statut=nouveau&par_page=25")
    assert form_values(first) == {"recherche": "prince", "statut": "", "offre": "", "tri": "statut",
                                  "ordre": "az", "par_page": "10"}
    assert form_values(second) == {"recherche": "moreau", "statut": "nouveau", "offre": "", "tri": "depot",
                                   "ordre": "za", "par_page": "25"}
    assert len(history._filters_cache) == 2
    # From the cache, the same state shows the same values again.
    again = page(tech, f"{HISTORY}?recherche=prince&tri=statut&ordre=az&page=2")
    assert form_values(again) == form_values(first)
    assert len(history._filters_cache) == 2


def test_a_cached_form_is_the_form_rendered_afresh(tech, many, empty_cache):
    url = f"{HISTORY}?recherche=prince&offre=2&ordre=az"
    fresh = page(tech, url).select_one("form#historique-filtres")
    cached = page(tech, url).select_one("form#historique-filtres")
    assert str(cached) == str(fresh)


def test_invalid_values_are_cached_as_the_defaults_they_show(tech, many, empty_cache):
    """A value outside the choices shows the default: it shares the default state's form, and
    does not leave a wrong selection for a valid state."""
    bad = page(tech, f"{HISTORY}?tri=inconnu&ordre=haut&par_page=7&statut=annulee")
    assert form_values(bad) == {**DEFAULTS, "recherche": ""}
    assert form_values(page(tech, HISTORY)) == {**DEFAULTS, "recherche": ""}
    assert len(history._filters_cache) == 1
    good = page(tech, f"{HISTORY}?tri=statut&ordre=az&par_page=50&statut=resolu")
    assert form_values(good) == {"recherche": "", "statut": "resolu", "offre": "", "tri": "statut",
                                 "ordre": "az", "par_page": "50"}


def test_search_text_is_escaped_in_the_cached_form_and_the_links(tech, many, empty_cache):
    query = {"recherche": 'a"><script>alert(1)</script>'}
    for _ in range(2):  # rendered, then from the cache
        soup = page(tech, HISTORY, query_string=query)
        assert soup.select_one("#recherche")["value"] == 'a"><script>alert(1)</script>'
        assert not soup.select("script:-soup-contains('alert')")
        assert "<script>alert" not in soup.response.get_data(as_text=True)


def test_the_cache_is_bounded(tech, many, empty_cache, monkeypatch):
    monkeypatch.setattr(history, "FILTERS_CACHE_SIZE", 3)
    for word in ("un", "deux", "trois", "quatre", "cinq"):
        assert form_values(page(tech, HISTORY, query_string={"recherche": word}))["recherche"] == word
        assert len(history._filters_cache) <= 3
    assert [key[1][0] for key in history._filters_cache] == ["trois", "quatre", "cinq"]


def test_not_cached_in_debug_mode(app, tech, many, empty_cache):
    app.debug = True
    try:
        assert form_values(page(tech, HISTORY, query_string={"recherche": "prince"}))["recherche"] == "prince"
    finally:
        app.debug = False
    assert history._filters_cache == {}


def test_the_fragment_does_not_render_the_form(tech, many, empty_cache):
    frag = fragment(tech, f"{HISTORY}?page=2", headers={"HX-Target": "historique-resultats"})
    assert numbers(frag) == many[10:20]
    assert history._filters_cache == {}


# --- The filters read without the form -----------------------------------------------------------

@pytest.mark.parametrize("args", [
    {},
    {"recherche": "  Élise   MARTIN ", "statut": "resolu", "offre": "3", "tri": "personne", "ordre": "az",
     "par_page": "50"},
    {"recherche": "x" * 80, "statut": "annulee", "offre": "9", "tri": "", "ordre": "AZ", "par_page": "7"},
    {"recherche": "\u202eabc\u200b d", "offre": "", "tri": "date-statut"},
    {"recherche": "", "statut": "", "par_page": "10"},
    MultiDict([("tri", "statut"), ("tri", "offre"), ("recherche", "un"), ("recherche", "deux")]),
    MultiDict([("statut", "bogus"), ("statut", "nouveau")]),
])
def test_filters_read_without_the_form_equal_the_forms(app, args):
    args = args if isinstance(args, MultiDict) else MultiDict(args)
    with app.test_request_context(HISTORY):
        form = HistoryFilterForm(args)
        filters = HistoryFilters(args)
        assert normalised_filters(args) == {name: form[name].data for name in DEFAULTS}
        assert filters.args() == form.args()
        assert filters.filtered == form.filtered


# --- Rows and links ------------------------------------------------------------------------------

@pytest.mark.parametrize("civility,last_name,first_name", [
    ("Mme", "DUPONT", "Marie"), ("M.", "ÉLIE", "Noé"), ("Dr", "X", "Y"), (None, "SEUL", "Prénom"), ("", "A", "B"),
    ("Mme", None, "Marie"), ("Mme", "", "Marie"), (None, None, None), ("M.", "NOM", None),
])
def test_person_display_of_a_row_is_the_models(civility, last_name, first_name):
    model = PartnerRequest(person_civility=civility, person_last_name=last_name, person_first_name=first_name)
    assert history.person_display(civility, last_name, first_name) == model.person_display


def test_ods_labels_are_the_models():
    for o in catalogue()["ods"]:
        assert history.ods_labels()[o["code"]] == PartnerRequest(ods=o["code"]).ods_label


def test_rows_link_to_their_detail(app, world, tech):
    from flask import url_for
    number = make_request(app, world["martine"], world["org"], person_last_name="DUPONT", person_first_name="Marie",
                          person_civility="Mme")
    soup = page(tech, HISTORY)
    row = soup.select_one(".history-table tbody tr")
    with app.test_request_context():
        assert row.select_one("a")["href"] == url_for("partenaires.detail", number=number)
    assert row.select("td")[4].get_text(strip=True) == "Madame DUPONT Marie"


# --- Pagination ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [
    {}, {"ordre": "az"}, {"recherche": "élise d'ARC & co/x=1 %20+"}, {"recherche": '<"> ?#', "statut": "nouveau",
                                                                       "par_page": "25"},
])
def test_pagination_links_are_the_templates_urlencode(state):
    """The links the template used to build with `dict(state, page=n)|urlencode` (escaped in the
    href); page 1 without any state links to the history itself."""
    from bs4 import BeautifulSoup
    from markupsafe import escape
    current = history.Page(5, 10, 200)
    html = str(history.pagination_html(current, state, "haut", HISTORY))
    soup = BeautifulSoup(html, "html.parser")
    for a in soup.select("a"):
        n = current.number - 1 if a.get("rel") == ["prev"] else current.number + 1 if a.get("rel") == ["next"] \
            else int(a.get_text())
        args = dict(state, page=n) if n > 1 else state
        expected = f"?{do_urlencode(args)}" if args else HISTORY
        assert a["href"] == expected
        assert f'href="{escape(expected)}"' in html
    labels = [li.a.get("aria-label") or li.a.get_text() if li.a else li.get_text() for li in soup.select("li")]
    assert labels == ["Page précédente", "Page 1", "…", "Page 3", "Page 4", "Page 5", "Page 6", "Page 7", "…",
                      "Page 20", "Page suivante"]
    assert soup.select_one("a[aria-current=page]").get_text() == "5"


def test_pagination_below_has_only_previous_and_next_and_a_single_page_none():
    soup_html = str(history.pagination_html(history.Page(2, 10, 30), {"ordre": "az"}, "bas", HISTORY))
    assert 'aria-label="Pagination (bas de liste)"' in soup_html
    assert soup_html.count("<a ") == 2 and "aria-current" not in soup_html
    assert parse_qs(urlsplit(soup_html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
                             .replace("&amp;", "&")).query) == {"ordre": ["az"], "page": ["3"]}
    assert str(history.pagination_html(history.Page(1, 10, 10), {}, "haut", HISTORY)) == ""


# --- Both databases ------------------------------------------------------------------------------

def test_prebuilt_statements_on_both_databases(any_db_app, login):
    """The cached statements' bound parameters (status, offer, number, page size and offset) on
    SQLite and PostgreSQL alike."""
    from extensions import db
    from models import User
    from tests import factories
    from tests.partenaires.test_history import enter
    app = any_db_app
    with app.app_context():
        org, ours = factories.partner_setup()
        factories.technician(ours, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
        tech_id = User.query.filter_by(email="martine@example.fr").one().id
    made = [make_request(app, tech_id, org_id, minutes=i, ods=1 if i % 2 else 3,
                         status="pris-en-charge" if i % 3 == 0 else "nouveau") for i in range(14)][::-1]
    client = enter(app.test_client(), login, "martine@example.fr", org_id)
    assert numbers(page(client, f"{HISTORY}?page=2")) == made[10:]
    assert numbers(page(client, f"{HISTORY}?ordre=az&page=2")) == made[::-1][10:]
    assert numbers(page(client, HISTORY, query_string={"recherche": made[4][-5:]})) == [made[4]]
    taken = [n for i, n in zip(range(13, -1, -1), made) if i % 3 == 0]
    assert numbers(page(client, f"{HISTORY}?statut=pris-en-charge")) == taken
    by_ods = [n for i, n in zip(range(13, -1, -1), made) if i % 2]
    # « Nouveau » before « Pris en charge »; ties newest first.
    assert numbers(page(client, f"{HISTORY}?offre=1&tri=statut&ordre=az")) == \
        [n for n in by_ods if n not in taken] + [n for n in by_ods if n in taken]
