"""The selected convention, its organisation and settings are kept in memory between requests
(core.refcache): an agent's change is seen by the technician's next request at once, on any
server; a change made outside the app is seen within refcache.MAX_AGE."""
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, text

from core import refcache
from core.formatting import fr_date
from extensions import db
from models import Convention, DataVersion
from tests import factories
from tests.conftest import make_app
from tests.helpers import page

HOME = "/partenaires/accueil"


@pytest.fixture
def world(any_db_app):
    app = any_db_app
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="tech@example.fr")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        db.session.commit()
        convention_id = Convention.query.filter_by(organisation_id=org.id).one().id
        return {"org": org.id, "convention": convention_id}


def logged_in(app, email):
    client = app.test_client()
    response = client.post("/compte/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def technician_of(app, world):
    client = logged_in(app, "tech@example.fr")
    assert client.post("/partenaires/organisme", data={"organisation": str(world["org"])}).status_code == 302
    return client


def home_text(client):
    return page(client, HOME).get_text(" ", strip=True)


def test_an_agent_changing_the_end_date_is_seen_by_the_next_request(any_db_app, world):
    app = any_db_app
    technician = technician_of(app, world)
    assert "arrive à échéance" not in home_text(technician)
    assert "arrive à échéance" not in home_text(technician)  # now served from memory
    end = date.today() + timedelta(days=10)
    agent = logged_in(app, "agent@example.fr")
    edit = f"/agent/partenaires/organismes/{world['org']}/conventions/{world['convention']}"
    start = (date.today() - timedelta(days=365)).strftime("%d/%m/%Y")
    assert agent.post(edit, data={"start_date": start, "end_date": end.strftime("%d/%m/%Y")}).status_code == 303
    assert f"Le conventionnement arrive à échéance le {fr_date(end)}" in home_text(technician)


def test_a_change_on_one_server_is_seen_at_once_on_another(any_db_app, world, tmp_path):
    """Two apps on one database stand for two servers, each with its own memory."""
    app = any_db_app
    other = make_app(tmp_path / "other", app.config["SQLALCHEMY_DATABASE_URI"],
                     SQLALCHEMY_ENGINE_OPTIONS=app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        technician = technician_of(app, world)
        assert "arrive à échéance" not in home_text(technician)
        with other.app_context():
            convention = db.session.get(Convention, world["convention"])
            convention.end_date = date.today() + timedelta(days=5)
            db.session.commit()
        assert "arrive à échéance" in home_text(technician)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_changing_the_offers_bumps_the_version_and_shows_at_once(any_db_app, world):
    app = any_db_app
    technician = technician_of(app, world)
    assert "Contacter votre organisme d'assurance Maladie" in home_text(technician).replace("’", "'")
    with app.app_context():
        before = db.session.get(DataVersion, refcache.REFERENCE)
        before = before.version if before else 0
        from models import PartnerSettings
        settings = db.session.get(PartnerSettings, world["org"])
        settings.ods_offered = [4]
        db.session.commit()
        assert db.session.get(DataVersion, refcache.REFERENCE).version == before + 1
    assert "Contacter votre organisme d'assurance Maladie" not in home_text(technician).replace("’", "'")


def test_a_change_outside_the_app_waits_at_most_max_age(any_db_app, world, monkeypatch):
    app = any_db_app
    technician = technician_of(app, world)
    assert "arrive à échéance" not in home_text(technician)
    with app.app_context():  # by hand in SQL: no version bump
        db.session.execute(text("UPDATE convention SET end_date = :end WHERE id = :id"),
                           {"end": date.today() + timedelta(days=5), "id": world["convention"]})
        db.session.commit()
    assert "arrive à échéance" not in home_text(technician)  # the snapshot in memory
    clock = refcache.time.monotonic() + refcache.MAX_AGE + 1
    monkeypatch.setattr(refcache.time, "monotonic", lambda: clock)
    assert "arrive à échéance" in home_text(technician)


def test_snapshots_are_not_orm_objects(any_db_app, world):
    app = any_db_app
    with app.test_request_context():
        from blueprints.partenaires.context import cached_convention
        from models import Structure
        structure_id = Structure.query.one().id
        snapshot = cached_convention(structure_id, world["org"])
        assert snapshot.organisation.name == "CPAM GIRONDE"
        assert not hasattr(snapshot, "_sa_instance_state")  # a frozen dataclass, not a mapped object
        assert inspect(snapshot.settings).transient  # a copy in no session
        assert snapshot.settings.offers(4)
        assert cached_convention(structure_id, world["org"]) is snapshot
        assert cached_convention(structure_id, world["org"] + 999) is None
