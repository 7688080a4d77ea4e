"""« Historique des demandes » (seed 002, VI.1): scoping, order, sorts, filters, search, pagination,
page and fragment from the same URL."""
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from extensions import db
from models import Convention, PartnerRequest
from models.partenaires import fold_text, person_sort_key
from tests import factories
from tests.helpers import fragment, page

HISTORY = "/partenaires/demandes"
T0 = datetime(2022, 2, 15, 13, 11, tzinfo=timezone.utc)  # 15/02/2022 14h11min in Paris


# --- Set-up shared with test_detail.py ------------------------------------------------------

def enter(client, login, email, organisation_id):
    """Log in and choose the organisation, as a technician does."""
    assert login(client, email).status_code == 302
    response = client.post("/partenaires/organisme", data={"organisation": str(organisation_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def other_structure_of(org):
    """A second structure with a running convention with the same organisation."""
    s = factories.structure()
    db.session.add(Convention(structure=s, organisation=org, start_date=T0.date() - timedelta(days=400)))
    return s


@pytest.fixture
def world(app):
    """CPAM GIRONDE and CPAM DORDOGNE; our structure (two technicians) and another one."""
    with app.app_context():
        org, ours = factories.partner_setup()
        other_org, _ = factories.partner_setup(org_name="CPAM DORDOGNE", org_code="241", structure_obj=ours)
        theirs = other_structure_of(org)
        martine = factories.technician(ours, email="martine@example.fr")
        victor = factories.technician(ours, email="victor@example.fr", first_name="Victor", last_name="Chausson")
        stranger = factories.technician(theirs, email="autre@example.fr", first_name="Paul", last_name="Autre")
        db.session.commit()
        return {"org": org.id, "other_org": other_org.id, "ours": ours.id, "theirs": theirs.id,
                "martine": martine.id, "victor": victor.id, "stranger": stranger.id}


def make_request(app, requester_id, org_id=None, minutes=0, status="nouveau", **fields):
    """A request deposited `minutes` after T0; returns its number."""
    from models import Organisation, User
    with app.app_context():
        requester = db.session.get(User, requester_id)
        org = db.session.get(Organisation, org_id) if org_id else requester.structure.conventions[0].organisation
        now = T0 + timedelta(minutes=minutes)
        r = factories.partner_request(org, requester, now=now, status=status, **fields)
        if status != "nouveau":
            r.status_at = now + timedelta(hours=1)
        if status == "resolu":
            r.answer = "Prise en charge faite"
            r.resolved_at = r.status_at
        db.session.commit()
        return r.number


@pytest.fixture
def tech(app, world, login):
    return enter(app.test_client(), login, "martine@example.fr", world["org"])


def numbers(soup):
    return [row.select("td")[1].get_text(strip=True) for row in soup.select(".history-table tbody tr")]


def totals(soup):
    return [p.get_text(" ", strip=True) for p in soup.select(".history-total")]


# --- Scope ---------------------------------------------------------------------------------

def test_lists_the_structures_requests_for_the_selected_organisation_only(app, world, tech):
    mine = make_request(app, world["martine"], world["org"], minutes=1)
    colleague = make_request(app, world["victor"], world["org"], minutes=2, status="pris-en-charge")
    resolved = make_request(app, world["victor"], world["org"], minutes=3, status="resolu")
    make_request(app, world["martine"], world["other_org"], minutes=4)            # other organisation
    make_request(app, world["stranger"], world["org"], minutes=5)                 # other structure
    make_request(app, world["martine"], world["org"], minutes=6, status="annulee")  # cancelled

    soup = page(tech, HISTORY)
    assert soup.h1.get_text(strip=True) == "Historique des demandes"
    assert numbers(soup) == [resolved, colleague, mine]
    assert totals(soup) == ["3 demandes", "3 demandes"]
    assert soup.select_one(".portal-menu a[aria-current=page]").get_text(strip=True) == "Historique des demandes"


def test_row_shows_ods_number_date_requester_person_status_and_detail_link(app, world, tech):
    number = make_request(app, world["victor"], world["org"], person_civility="Mme", person_last_name="TUTU",
                          person_first_name="Joséphine")
    soup = page(tech, HISTORY)
    cells = [td.get_text(" ", strip=True) for td in soup.select(".history-table tbody tr td")]
    assert cells[:6] == ["Soumettre une demande d'étude de dossier", number, "15/02/2022 14h11min",
                         "CHAUSSON Victor", "Madame TUTU Joséphine", "Nouveau"]
    link = soup.select_one(".history-table tbody a")
    assert link.get_text(" ", strip=True) == f"Consulter le détail n° {number}"
    assert link["href"] == f"/partenaires/demandes/{number}"


def test_empty_history_says_so(world, tech):
    soup = page(tech, HISTORY)
    assert not soup.select(".history-table")
    assert totals(soup) == ["0 demande"]
    assert "Aucune demande n’a été déposée" in soup.select_one(".history-results").get_text()


def test_requires_a_chosen_organisation(app, world, login):
    client = app.test_client()
    login(client, "martine@example.fr")
    response = client.get(HISTORY)
    # The organisation choice, then back to the history (`next`).
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/partenaires/organisme?next=/partenaires/demandes")


def test_other_organisation_selected_shows_its_own_requests(app, world, login):
    make_request(app, world["martine"], world["org"], minutes=1)
    theirs = make_request(app, world["martine"], world["other_org"], minutes=2)
    client = enter(app.test_client(), login, "victor@example.fr", world["other_org"])
    assert numbers(page(client, HISTORY)) == [theirs]


# --- Order and sorts -------------------------------------------------------------------------

@pytest.fixture
def sortable(app, world):
    """Three requests whose every sort key disagrees with the deposit order."""
    a = make_request(app, world["martine"], world["org"], minutes=10, ods=5, status="resolu",
                     person_last_name="BERNARD", person_first_name="Anne", documents=["Attestation de droits"])
    b = make_request(app, world["victor"], world["org"], minutes=20, ods=1, status="nouveau")
    c = make_request(app, world["martine"], world["org"], minutes=30, ods=2, status="pris-en-charge",
                     person_last_name="ZOLA", person_first_name="Emile", motive="Situation d'urgence")
    with app.app_context():
        # Last status dates: c oldest, then a, then b (b's is its deposit).
        for number, minutes in ((c, 5), (a, 15), (b, 25)):
            r = PartnerRequest.query.filter_by(number=number).one()
            r.status_at = T0 + timedelta(minutes=minutes)
        db.session.commit()
    return a, b, c


@pytest.mark.parametrize("sort,az", [
    ("depot", "abc"),
    ("date-statut", "cab"),
    # Contacter… (1, b) < Demander un document (5, a) < Signaler… (2, c)
    ("offre", "bac"),
    # Nouveau (b) < Pris en charge (c) < Résolu (a)
    ("statut", "bca"),
    # CHAUSSON Victor (b) < LAPIERRE Martine (a, c; ties newest first: c then a)
    ("demandeur", "bca"),
    # no person (b) < BERNARD (a) < ZOLA (c)
    ("personne", "bac"),
])
def test_each_sort_both_ways(tech, sortable, sort, az):
    by_letter = dict(zip("abc", sortable))
    expected = [by_letter[x] for x in az]
    assert numbers(page(tech, f"{HISTORY}?tri={sort}&ordre=az")) == expected
    descending = numbers(page(tech, f"{HISTORY}?tri={sort}&ordre=za"))
    if sort == "demandeur":
        # Ties keep newest first whatever the order: LAPIERRE c, a then CHAUSSON b.
        assert descending == [by_letter[x] for x in "cab"]
    else:
        assert descending == list(reversed(expected))


def test_default_order_is_deposit_date_newest_first(tech, sortable):
    a, b, c = sortable
    soup = page(tech, HISTORY)
    assert numbers(soup) == [c, b, a]
    assert soup.select_one("#tri option[selected]")["value"] == "depot"
    assert soup.select_one("#ordre option[selected]").get_text() == "Z-A"
    assert soup.select_one("#tri-groupe label").get_text(strip=True) == "Trier par"
    labels = [o.get_text() for o in soup.select("#tri option")]
    assert labels == ["Date de dépôt", "Date du dernier statut", "Offre de service", "Statut", "Demandeur",
                      "Personne concernée"]


# --- Filters and search ----------------------------------------------------------------------

def test_filter_by_status_and_by_ods(tech, sortable):
    a, b, c = sortable
    assert numbers(page(tech, f"{HISTORY}?statut=pris-en-charge")) == [c]
    assert numbers(page(tech, f"{HISTORY}?statut=resolu")) == [a]
    assert numbers(page(tech, f"{HISTORY}?offre=1")) == [b]
    soup = page(tech, f"{HISTORY}?offre=2&statut=nouveau")
    assert numbers(soup) == [] and totals(soup) == ["0 demande"]
    assert "Aucune demande ne correspond à votre recherche." in soup.select_one(".history-results").get_text()


@pytest.mark.parametrize("query,expected", [
    ("zola", "c"), ("ZOLA emile", "c"), ("émile", "c"), ("bern", "a"), ("anne bernard", "a"),
    ("zola anne", ""), ("inconnu", ""), ("%", ""),
])
def test_search_by_person_name(tech, sortable, query, expected):
    by_letter = dict(zip("abc", sortable))
    assert numbers(page(tech, HISTORY, query_string={"recherche": query})) == [by_letter[x] for x in expected]


def test_search_by_number_whole_or_part(tech, sortable):
    a, b, c = sortable
    assert numbers(page(tech, HISTORY, query_string={"recherche": b})) == [b]
    assert numbers(page(tech, HISTORY, query_string={"recherche": f" {c[-5:]} "})) == [c]
    soup = page(tech, HISTORY, query_string={"recherche": b})
    assert soup.select_one("#recherche")["value"] == b


def test_search_ignores_accents_and_case_in_stored_names(app, world, tech):
    number = make_request(app, world["martine"], world["org"], person_last_name="LÉGER-D'ARC",
                          person_first_name="Hélène")
    make_request(app, world["martine"], world["org"], minutes=1, person_last_name="LEGRAND")
    for query in ("leger", "Léger d'arc", "HELENE", "d arc"):
        assert numbers(page(tech, HISTORY, query_string={"recherche": query})) == [number], query


@pytest.mark.parametrize("text,folded", [
    ("Éloïse", "ELOISE"), ("LÉGER-D'ARC", "LEGER-D'ARC"), ("Cœur", "COEUR"), ("françois", "FRANCOIS"), (None, ""),
])
def test_fold_text_drops_case_and_accents(text, folded):
    assert fold_text(text) == folded


def test_sort_keys_follow_the_names_on_insert_and_update(app, world):
    number = make_request(app, world["martine"], world["org"], person_last_name="ÉLOI", person_first_name="Zoé")
    with app.app_context():
        request = PartnerRequest.query.filter_by(number=number).one()
        assert (request.person_sort_key, request.requester_sort_key) == ("ELOI ZOE", "LAPIERRE MARTINE")
        request.person_first_name = "Ève"
        db.session.commit()
        assert request.person_sort_key == "ELOI EVE"
        # The space sorts before any letter: « ELOI ZOE » before « ELOISE ANNE ».
        assert person_sort_key("ÉLOI", "Zoé") < person_sort_key("ÉLOISE", "Anne")


def test_search_works_on_both_databases(any_db_app, login):
    """The folding expression and the CASE sorts are plain SQL on SQLite and PostgreSQL."""
    app = any_db_app
    with app.app_context():
        org, ours = factories.partner_setup()
        factories.technician(ours, email="martine@example.fr")
        db.session.commit()
        org_id = org.id
        from models import User
        tech_id = User.query.filter_by(email="martine@example.fr").one().id
    wanted = make_request(app, tech_id, org_id, person_last_name="ÉLOI", person_first_name="Zoé", ods=2,
                          motive="Situation d'urgence")
    other = make_request(app, tech_id, org_id, minutes=1, person_last_name="MARTIN")
    client = enter(app.test_client(), login, "martine@example.fr", org_id)
    assert numbers(page(client, HISTORY, query_string={"recherche": "eloi zoe"})) == [wanted]
    assert numbers(page(client, f"{HISTORY}?tri=offre&ordre=az")) == [wanted, other]
    assert numbers(page(client, f"{HISTORY}?tri=personne&ordre=za")) == [other, wanted]


# --- Page sizes and pagination ---------------------------------------------------------------

@pytest.fixture
def many(app, world):
    """57 requests, the newest first in this list."""
    return [make_request(app, world["martine"], world["org"], minutes=i) for i in range(57)][::-1]


def test_pages_of_ten_with_pagination_and_totals(tech, many):
    soup = page(tech, HISTORY)
    assert numbers(soup) == many[:10]
    assert totals(soup) == ["57 demandes – page 1 sur 6"] * 2
    navs = soup.select("nav.pagination")
    assert len(navs) == 2
    current = navs[0].select_one("a[aria-current=page]")
    assert current.get_text(strip=True) == "1" and current["aria-label"] == "Page 1"
    texts = [a.get("aria-label") or a.get_text(strip=True) for a in navs[0].select("a")]
    assert "Page précédente" not in texts and texts[-1] == "Page suivante"

    soup = page(tech, f"{HISTORY}?page=3")
    assert numbers(soup) == many[20:30]
    texts = [a.get("aria-label") or a.get_text(strip=True) for a in soup.select("nav.pagination")[0].select("a")]
    assert texts == ["Page précédente", "Page 1", "Page 2", "Page 3", "Page 4", "Page 5", "Page 6", "Page suivante"]
    # Query-only URLs, resolved against the history's own path.
    assert soup.select_one("nav.pagination a[rel=next]")["href"] == "?page=4"
    assert soup.select_one("nav.pagination a[rel=prev]")["href"] == "?page=2"
    assert soup.select_one("nav.pagination a[aria-label='Page 1']")["href"] == HISTORY

    last = page(tech, f"{HISTORY}?page=6")
    assert numbers(last) == many[50:]
    assert not last.select("nav.pagination a[rel=next]")


@pytest.mark.parametrize("size,pages", [(10, 6), (25, 3), (50, 2)])
def test_page_sizes(tech, many, size, pages):
    soup = page(tech, f"{HISTORY}?par_page={size}")
    assert numbers(soup) == many[:size]
    assert totals(soup)[0] == f"57 demandes – page 1 sur {pages}"
    next_link = soup.select_one("nav.pagination a[rel=next]")["href"]
    expected = {"page": ["2"]} if size == 10 else {"par_page": [str(size)], "page": ["2"]}  # 10: the default
    assert parse_qs(urlsplit(next_link).query) == expected


def test_pagination_links_keep_sort_filters_and_search(tech, many):
    soup = page(tech, f"{HISTORY}?tri=depot&ordre=az&statut=nouveau&recherche=prince")
    assert numbers(soup) == many[::-1][:10]
    query = parse_qs(urlsplit(soup.select_one("nav.pagination a[rel=next]")["href"]).query)
    assert query == {"ordre": ["az"], "statut": ["nouveau"], "recherche": ["prince"], "page": ["2"]}


def test_long_histories_show_a_window_of_pages(app, world, tech):
    with app.app_context():
        from models import Organisation, User
        org, martine = db.session.get(Organisation, world["org"]), db.session.get(User, world["martine"])
        for i in range(130):
            factories.partner_request(org, martine, now=T0 + timedelta(minutes=i))
        db.session.commit()
    soup = page(tech, f"{HISTORY}?page=7")
    items = [li.a.get("aria-label") or li.a.get_text(strip=True) if li.a else li.get_text(strip=True)
             for li in soup.select("nav.pagination")[0].select("li")]
    assert items == ["Page précédente", "Page 1", "…", "Page 5", "Page 6", "Page 7", "Page 8", "Page 9", "…",
                     "Page 13", "Page suivante"]


@pytest.mark.parametrize("query", [
    "page=abc", "page=-1", "page=0", "page=1.5", "page=99999999999999999999", "page=%00", "par_page=7", "par_page=",
    "tri=inconnu", "ordre=haut", "statut=annulee", "statut=Annulée", "offre=9", "offre=x", "tri=depot&tri=statut",
    "%ff=%ff",
])
def test_invalid_parameters_fall_back_to_defaults(tech, many, query):
    soup = page(tech, f"{HISTORY}?{query}")
    assert numbers(soup) == many[:10]
    assert totals(soup)[0] == "57 demandes – page 1 sur 6"
    assert soup.select_one("#tri option[selected]")["value"] == "depot"
    assert soup.select_one("#par_page option[selected]")["value"] == "10"


def test_overlong_search_is_cut_not_refused(tech, many):
    soup = page(tech, HISTORY, query_string={"recherche": "prince" + "x" * 500})
    assert soup.select_one("#recherche")["value"] == "prince" + "x" * 54
    assert numbers(soup) == []


def test_page_beyond_the_last_shows_the_last(tech, many):
    assert numbers(page(tech, f"{HISTORY}?page=40")) == many[50:]


# --- htmx -----------------------------------------------------------------------------------

def test_form_drives_the_list_by_get_with_htmx_attributes(tech, many):
    soup = page(tech, HISTORY)
    form = soup.select_one("form#historique-filtres")
    assert form["method"] == "get" and form["action"] == HISTORY
    assert form["hx-get"] == HISTORY and form["hx-target"] == "#historique-resultats"
    assert form["hx-push-url"] == "true" and "change" in form["hx-trigger"] and "submit" in form["hx-trigger"]
    names = {el["name"] for el in form.select("input[name], select[name]")}
    assert names == {"recherche", "statut", "offre", "tri", "ordre", "par_page"}
    nav = soup.select_one("nav.pagination")
    assert nav["hx-boost"] == "true" and nav["hx-target"] == "#historique-resultats"


def test_same_url_gives_fragment_to_htmx_and_page_otherwise(tech, many):
    url = f"{HISTORY}?par_page=25&page=2&statut=nouveau"
    frag = fragment(tech, url, headers={"HX-Trigger": "historique-filtres"})
    region = frag.select_one("#historique-resultats")
    assert region is not None and numbers(frag) == many[25:50]
    assert not frag.select("h1") and not frag.select("form#historique-filtres")
    # Announced politely, outside the swapped region.
    assert frag.select_one("#historique-annonce[hx-swap-oob]").get_text(strip=True) == "57 demandes, page 2 sur 3."
    # Changing a filter does not steal the focus; a pagination link (boosted) does.
    assert not frag.select("[autofocus]")
    frag = fragment(tech, url, headers={"HX-Boosted": "true", "HX-Target": "historique-resultats"})
    assert frag.select_one("#historique-total")["autofocus"] is not None
    assert frag.response.headers["Vary"].count("HX-Request") == 1

    full = page(tech, url)
    assert numbers(full) == many[25:50]
    assert full.select_one("#statut option[selected]")["value"] == "nouveau"
    assert full.select_one("#par_page option[selected]")["value"] == "25"


def test_fragment_stays_small(app, world, tech):
    """quality.md: a fragment ≤ 5 KB, here a full page of ten requests of every ODS, with a filter."""
    for i in range(30):
        ods = i % 5 + 1
        fields = {"motive": "Situation d'urgence"} if ods == 2 else {"documents": ["Attestation de droits"]} \
            if ods == 5 else {}
        make_request(app, world["victor" if i % 2 else "martine"], world["org"], minutes=i, ods=ods,
                     person_last_name="DUPONT-MOREAU", person_first_name="Marie-Claude", **fields)
    frag = fragment(tech, f"{HISTORY}?page=2&statut=nouveau&ordre=za")
    assert len(numbers(frag)) == 10
    assert len(frag.response.get_data()) <= 5 * 1024


def test_history_runs_two_queries_whatever_the_page_size(app, tech, many):
    """One COUNT, one page of rows: no query per row."""
    from sqlalchemy import event
    statements = []

    def count(conn, cursor, statement, *args):
        if "partner_request" in statement:
            statements.append(statement)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page(tech, f"{HISTORY}?par_page=50")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The layout's convention check may read requests too; the history itself adds exactly two.
    # The total: a COUNT, or without a search the SUM of the kept counts (partner_request_count).
    history = [s for s in selects if "partner_request.number" in s or "count(*)" in s.lower()
               or "FROM partner_request_count" in s]
    assert len(history) == 2, history


def test_queries_use_the_history_indexes(app, world):
    """The default page and its count walk (organisation, structure, …) indexes on SQLite."""
    from types import SimpleNamespace

    from flask_login import login_user
    from sqlalchemy import text

    from blueprints.partenaires.history import structure_requests
    from models import Organisation, User

    with app.test_request_context():
        ctx = SimpleNamespace(organisation=db.session.get(Organisation, world["org"]))
        login_user(db.session.get(User, world["martine"]))
        query = structure_requests(ctx).order_by(PartnerRequest.created_at.desc(), PartnerRequest.id.desc()).limit(10)
        compiled = query.statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_partner_request_history" in plan and "TEMP B-TREE" not in plan.upper()


