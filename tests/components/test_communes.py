"""Commune autocomplete: search by postcode digits or first letters, accents and case ignored,
ranked by population; the HTMX fragment; the indexed table."""
import pytest

from core.places import commune_by_key, countries_fr, load_communes, search_communes
from models import Commune
from models.commune import normalize_place
from tests.helpers import fragment


@pytest.mark.parametrize("raw,expected", [("Saint-Étienne", "saint etienne"), ("L'Haÿ-les-Roses", "l hay les roses"),
                                          ("  ŒUILLY ", "oeuilly"), ("saint etienne", "saint etienne")])
def test_normalize(raw, expected):
    assert normalize_place(raw) == expected


def test_accent_and_case_insensitive_search_ranked_by_population(any_db_app):
    with any_db_app.app_context():
        results = search_communes("saint etienne")
        assert results[0].name == "Saint-Étienne"
        populations = [c.population for c in results]
        assert populations == sorted(populations, reverse=True)
        assert [c.name for c in search_communes("SAINT-ÉTIENNE")][:3] == [c.name for c in results][:3]


def test_postcode_prefix(any_db_app):
    with any_db_app.app_context():
        results = search_communes("33")
        assert results and all(c.postcode.startswith("33") for c in results)
        assert results[0].name == "Bordeaux"
        assert [c.name for c in search_communes("33000")] == ["Bordeaux"]
        paris = search_communes("75001")
        assert [(c.name, c.postcode) for c in paris] == [("Paris", "75001")]


@pytest.mark.parametrize("query", ["", "3", "b", " ", "-", "'"])
def test_too_short_queries_find_nothing(app, query):
    with app.app_context():
        assert search_communes(query) == []


def test_key_round_trip(app):
    with app.app_context():
        bordeaux = commune_by_key("33063-33000")
        assert bordeaux.name == "Bordeaux" and bordeaux.key == "33063-33000"
        assert commune_by_key("nonsense") is None
        assert commune_by_key("") is None


def test_load_is_complete_and_idempotent(any_db_app):
    with any_db_app.app_context():
        assert Commune.query.count() == 35493
        assert load_communes() == 35493
        assert Commune.query.count() == 35493


def test_cli_loads_communes(app):
    result = app.test_cli_runner().invoke(args=["communes", "load"])
    assert "35493 postcode–town pairs loaded." in result.output


def test_fragment_is_a_labelled_select(client):
    soup = fragment(client, "/composants/communes?champ=ville&ville-recherche=bordeaux")
    select = soup.select_one("select#ville[name=ville]")
    assert soup.select_one("label[for=ville]").get_text() == "Ville"
    options = [o.get_text() for o in select.select("option")]
    assert options[0] == "Sélectionnez la ville"
    assert "Bordeaux (33000)" in options
    status = soup.select_one("#ville-statut[hx-swap-oob]")
    assert "villes trouvées" in status.get_text()


def test_fragment_without_match(client):
    soup = fragment(client, "/composants/communes?champ=ville&ville-recherche=xyzxyz")
    assert "Aucune ville ne correspond à « xyzxyz »." in soup.get_text()
    assert soup.select_one("input[type=hidden][name=ville]")


def test_fragment_escapes_the_query(client):
    soup = fragment(client, "/composants/communes?champ=ville&ville-recherche=<b>zz</b>")
    assert not soup.select("b")


def test_countries_in_french_with_france_first():
    countries = countries_fr()
    assert countries[0] == ("FR", "France")
    names = [n for _, n in countries]
    assert "Allemagne" in names and "Espagne" in names and "États-Unis" in names
    assert names.index("Afghanistan") < names.index("Allemagne") < names.index("Zimbabwe")


@pytest.mark.parametrize("query", ["33", "330", "75", "97", "bor", "saint", "sa", "la", "saint etienne", "ile",
                                   "l hay", "Évry", "zz", "2a"])
def test_in_memory_index_answers_like_the_indexed_query(any_db_app, query):
    from core.places import search_communes_in_database
    with any_db_app.app_context():
        memory = [(c.key, c.name) for c in search_communes(query)]
        database = [(c.key, c.name) for c in search_communes_in_database(query)]
        assert memory == database


def test_reloading_communes_refreshes_the_index(app):
    with app.app_context():
        assert search_communes("33000")[0].name == "Bordeaux"
        from extensions import db
        db.session.execute(Commune.__table__.update().where(Commune.postcode == "33000").values(name="Bordo"))
        db.session.commit()
        assert search_communes("33000")[0].name == "Bordeaux"  # held in memory until the next load
        load_communes()
        assert search_communes("33000")[0].name == "Bordeaux"
        assert Commune.query.filter_by(postcode="33000").one().name == "Bordeaux"
