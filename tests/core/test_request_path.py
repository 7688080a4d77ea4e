"""What every logged-in request costs in queries, and the per-app caches of the templates (signed
CSRF token, URLs without arguments)."""
import re
from contextlib import contextmanager

from sqlalchemy import event

from extensions import db
from tests import factories


@contextmanager
def statements(app):
    """The SQL statements the app sends while the block runs."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def technician(app, login):
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="tech@example.fr")
        db.session.commit()
        org_id = org.id
    client = app.test_client()
    assert login(client, "tech@example.fr").status_code == 302
    assert client.post("/partenaires/organisme", data={"organisation": str(org_id)}).status_code == 302
    return client


def selects(seen):
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_a_logged_in_page_reads_session_user_structure_and_version_in_one_query(app, login):
    client = technician(app, login)
    client.get("/partenaires/fiche")  # the touch of the login, if due, is behind us
    with statements(app) as seen:
        response = client.get("/partenaires/fiche")
    assert response.status_code == 200
    assert "Fiche d’identification" in response.get_data(as_text=True)
    queries = selects(seen)
    assert len(queries) == 1, queries
    assert "user_session" in queries[0] and "structure" in queries[0] and "data_version" in queries[0]


def test_the_selected_organisation_costs_no_query_once_in_memory(app, login):
    client = technician(app, login)
    client.get("/partenaires/accueil")
    with statements(app) as seen:
        response = client.get("/partenaires/accueil")
    assert response.status_code == 200 and "CPAM GIRONDE" in response.get_data(as_text=True)
    assert not any("convention" in s for s in selects(seen)), selects(seen)


def test_the_touch_is_an_update_that_leaves_the_user_loaded(app, login):
    client = technician(app, login)
    client.get("/partenaires/fiche")  # the organisation in memory
    with app.app_context():
        from models import UserSession
        from models.base import utcnow
        from datetime import timedelta
        row = UserSession.query.one()
        row.last_seen_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    with statements(app) as seen:
        assert client.get("/partenaires/fiche").status_code == 200
    updates = [s for s in seen if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "last_seen_at" in updates[0]
    # No reload of the user after the commit: the session query is the only SELECT.
    assert len(selects(seen)) == 1, selects(seen)


def csrf_of(body):
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def test_the_signed_csrf_token_is_reused_within_a_session_and_still_checked(csrf_app, monkeypatch):
    app = csrf_app
    with app.app_context():
        factories.user(email="citoyen@example.fr")
        db.session.commit()
    # Each signature made gets a later timestamp: two signings would never give the same value.
    from itertools import count
    from itsdangerous.timed import TimestampSigner
    clock = count(1_800_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(clock))
    client = app.test_client()
    first = csrf_of(client.get("/compte/connexion").get_data(as_text=True))
    assert csrf_of(client.get("/compte/connexion").get_data(as_text=True)) == first
    other = app.test_client()
    assert csrf_of(other.get("/compte/connexion").get_data(as_text=True)) != first
    # The token of one session is refused in another, the right one accepted.
    refused = other.post("/compte/connexion", data={"csrf_token": first, "email": "citoyen@example.fr",
                                                    "password": factories.PASSWORD})
    assert refused.status_code == 400
    accepted = client.post("/compte/connexion", data={"csrf_token": first, "email": "citoyen@example.fr",
                                                      "password": factories.PASSWORD})
    assert accepted.status_code == 302


def test_urls_without_arguments_are_built_once_per_app(app):
    with app.test_request_context("/"):
        from flask import render_template_string
        html = render_template_string("{{ url_for('main.index') }}|{{ url_for('auth.login', next='/x') }}")
        assert html == "/|/compte/connexion?next=/x"
        assert ("main.index", "") in app.extensions["guichet_urls"]
        assert not any("auth.login" in key for key in app.extensions["guichet_urls"])


def test_take_reads_no_draft_when_none_waited_at_login(app, login):
    """The replays waiting for a user are noted at login: pages that may give one back cost no
    query for a user who has none, and a replay noted at login is still found."""
    from core import drafts, replay
    client = technician(app, login)
    with client.session_transaction() as cookie:
        assert replay.PENDING not in cookie
    with app.app_context():
        from models import User
        user = User.query.filter_by(email="tech@example.fr").one()
        drafts.save(user, replay.kind_for("partenaires.history"),
                    {"path": "/partenaires/demandes", "fields": [["recherche", "martin"]]})
        db.session.commit()
    with app.test_request_context("/partenaires/demandes"):
        from models import User
        user = User.query.filter_by(email="tech@example.fr").one()
        with statements(app) as seen:
            assert replay.take(user, "partenaires.history") is None  # not noted at this login
        assert seen == []
        replay.note_pending(user)
        found = replay.take(user, "partenaires.history")
        assert found is not None and found.form.get("recherche") == "martin"
        from flask import session
        assert replay.PENDING not in session  # given back once: nothing waits any more


def test_a_blueprint_joins_only_the_relations_its_pages_read(app, login):
    """core.sessions.BLUEPRINT_RELATIONS: a partner page reads the session with the structure and
    the organisation, and without the MSA file; a page of another blueprint reads all three."""
    client = technician(app, login)
    client.get("/partenaires/fiche")
    with statements(app) as seen:
        client.get("/partenaires/fiche")
    session_reads = [s for s in selects(seen) if "user_session" in s]
    assert len(session_reads) == 1
    assert "structure" in session_reads[0] and "organisation" in session_reads[0]
    assert "msa_member" not in session_reads[0]
    with statements(app) as seen:
        assert client.get("/compte/").status_code == 200
    session_reads = [s for s in selects(seen) if "user_session" in s]
    assert len(session_reads) == 1 and "msa_member" in session_reads[0] and "structure" in session_reads[0]


def test_a_relation_its_blueprint_does_not_join_is_still_read_right(app, login):
    """A relation left out of the session's row (the structure of a user on an agent page) is
    loaded when read: never None for a user who has one."""
    from flask import g
    from flask_login import current_user
    from core.sessions import BLUEPRINT_RELATIONS
    assert "structure" not in BLUEPRINT_RELATIONS["agent"]
    client = technician(app, login)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="guichet.test")
    with app.test_request_context("/agent/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        user = current_user._get_current_object()  # the session's row, read as on an agent page
        assert user.is_authenticated and user.email == "tech@example.fr"
        with statements(app) as seen:
            assert user.structure is not None and user.structure.name
        assert len(selects(seen)) == 1  # loaded when read, once
        assert g._login_user is user


def test_the_templates_csrf_token_is_flask_wtfs(csrf_app, monkeypatch):
    """core.security's csrf_token() reads the request's token from `g` first: the same value as
    Flask-WTF's generate_csrf, which it calls only while the request has none yet (in pages, in
    macros imported without context, and in a fragment)."""
    from flask import g, render_template_string
    import flask_wtf.csrf
    calls = []
    real = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", lambda *a, **k: calls.append(1) or real(*a, **k))
    app = csrf_app
    with app.test_request_context("/"):
        assert "csrf_token" not in g
        first = render_template_string("{{ csrf_token() }}")
        assert first and g.csrf_token == first == real()
        made = len(calls)
        assert render_template_string("{{ csrf_token() }}|{{ csrf_token() }}") == f"{first}|{first}"
        assert render_template_string('{% from "components/queue.html" import action_form %}'
                                      '{% call action_form("/x", "f", "t") %}{% endcall %}').count(first) == 1
        assert len(calls) == made  # given from `g`: Flask-WTF's function not called again
    with app.test_request_context("/"):
        assert render_template_string("{{ csrf_token() }}") != first  # another session, another token
