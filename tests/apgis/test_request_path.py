"""What the insured's pages cost in queries: the file comes with the session's query (core.sessions);
its beneficiaries and pending DITs too (models.apgis.BENEFICIARY_ROWS and PENDING_ROWS, read by the home,
« Mes données personnelles », the notifications and « Suivi »: blueprints.apgis.service.file_rows)."""
from tests.apgis.test_dit import ask
from tests.core.test_request_path import selects, statements
from tests.helpers import page


def test_the_insured_file_comes_with_the_session_query(app, apgis, apgis_login):
    client = apgis_login("insured")
    client.get("/apgis/l-apgis-et-moi")  # the touch of the login, if due, is behind us
    with statements(app) as seen:
        soup = page(client, "/apgis/l-apgis-et-moi")
    assert soup.select_one("nav.portal-menu")  # the menu, shown from current_user.apgis_insured
    queries = selects(seen)
    assert "user_session" in queries[0] and "apgis_insured" in queries[0], queries
    assert not any(q.lstrip().upper().startswith("SELECT APGIS_INSURED") for q in queries), queries


def test_home_and_personal_data_read_beneficiaries_and_pending_dits_with_the_session(app, apgis, apgis_login):
    client = apgis_login("insured")
    assert ask(client, "adresse").status_code == 303
    for url in ("/apgis/", "/apgis/mes-donnees", "/apgis/notifications"):
        client.get(url)
        with statements(app) as seen:
            soup = page(client, url)
        queries = selects(seen)
        assert len(queries) == 1, queries  # session, with the file, its beneficiaries and pending DITs
        assert "apgis_beneficiary" in queries[0] and "apgis_request" in queries[0], queries
        if url == "/apgis/mes-donnees":
            assert soup.select_one("#en-attente-adresse")


def test_a_citizen_without_a_file_gets_the_page_that_says_so(app, apgis, apgis_login):
    client = apgis_login("stranger")
    assert client.get("/apgis/mes-donnees").status_code == 404
    assert client.get("/apgis/").status_code == 200


def test_other_portals_pages_do_not_join_the_file(app, apgis, apgis_login):
    """core.sessions.BLUEPRINT_RELATIONS: the file is joined on the Apgis pages' requests only."""
    client = apgis_login("insured")
    client.get("/compte/")
    with statements(app) as seen:
        client.get("/compte/")
    sessions = [q for q in selects(seen) if "user_session" in q]
    assert sessions and not any("apgis_insured" in q for q in sessions), sessions
