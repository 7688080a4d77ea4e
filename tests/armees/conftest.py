"""Portail Des Aides test setup: Igesa and another organisation of the portal, their agents, two
ressortissants; `armees_login(client, who)` logs one of them in."""
import pytest

from extensions import db
from models import Role
from tests import factories


@pytest.fixture
def armees(app):
    """Ids and emails: org (Igesa), other_org, agent, other_agent (of other_org), member, member2."""
    with app.app_context():
        org = factories.organisation(portal="armees", code="IGESA", name="Igesa")
        other = factories.organisation(portal="armees", code="AUTRE", name="Autre opérateur")
        agent = factories.user(email="agent@igesa.fr", role=Role.AGENT, organisation=org,
                               first_name="Agnès", last_name="Instructrice")
        other_agent = factories.user(email="agent@autre.fr", role=Role.AGENT, organisation=other)
        member = factories.user(email="ressortissant@example.fr", first_name="Éloïse", last_name="Lefèvre")
        member2 = factories.user(email="autre.ressortissant@example.fr", first_name="Paul", last_name="Durand")
        db.session.commit()
        return {"org": org.id, "other_org": other.id, "agent": agent.id, "other_agent": other_agent.id,
                "member": member.id, "member2": member2.id,
                "emails": {"agent": agent.email, "other_agent": other_agent.email, "member": member.email,
                           "member2": member2.email}}


@pytest.fixture
def armees_login(app, login, armees):
    def _login(who):
        client = app.test_client()
        assert login(client, armees["emails"][who]).status_code == 302
        return client
    return _login


@pytest.fixture
def make_application(app, armees):
    """make_application(state="en-creation", owner="member", **kw) -> the application's id."""
    from models import Organisation, User

    def _make(state="en-creation", owner="member", **kwargs):
        with app.app_context():
            application = factories.armees_application(
                db.session.get(User, armees[owner]), db.session.get(Organisation, armees["org"]), state=state,
                agent=db.session.get(User, armees["agent"]), **kwargs)
            db.session.commit()
            return application.id
    return _make


@pytest.fixture
def profile(app, armees):
    """profile(who="member", **columns): the ressortissant's « Mes informations » (after a first
    transmitted application unless transmitted=False)."""
    from models import User

    def _make(who="member", **kwargs):
        with app.app_context():
            factories.armees_profile(db.session.get(User, armees[who]), **kwargs)
            db.session.commit()
    return _make
