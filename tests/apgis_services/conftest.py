"""Apgis « Mes services » test setup: the Apgis organisation and another of the portal, a manager
of each, two insured of Apgis (Éloïse with an individual contract and two beneficiaries, Paul
with a collective contract), one insured of the other organisation, and a citizen without any
Apgis file; `apgis_login(client, who)` logs one of them in."""
from datetime import date

import pytest

from extensions import db
from models import Role
from tests import factories
from tests.apgis_services import factories_services as fs

EMAILS = {"manager": "gestionnaire@apgis.fr", "other_manager": "gestionnaire@autre.fr",
          "insured": "eloise@example.fr", "insured2": "paul@example.fr", "other_insured": "zoe@example.fr",
          "citizen": "sans.dossier@example.fr"}


@pytest.fixture
def apgis(app):
    """Ids: org, other_org, users (by role name) and their insured files (insured, insured2, other_insured)."""
    with app.app_context():
        org = factories.organisation(portal="apgis", code="APGIS", name="Apgis")
        other = factories.organisation(portal="apgis", code="AUTRE", name="Autre institution")
        manager = factories.user(email=EMAILS["manager"], role=Role.AGENT, organisation=org, first_name="Gaëlle",
                                 last_name="Gestion")
        other_manager = factories.user(email=EMAILS["other_manager"], role=Role.AGENT, organisation=other)
        eloise = factories.user(email=EMAILS["insured"], first_name="Éloïse", last_name="Lefèvre")
        paul = factories.user(email=EMAILS["insured2"], first_name="Paul", last_name="Durand")
        zoe = factories.user(email=EMAILS["other_insured"], first_name="Zoé", last_name="Autre")
        citizen = factories.user(email=EMAILS["citizen"])
        db.session.flush()
        insured = fs.insured(eloise, org, member_number="100234", individual=True,
                             beneficiaries=[("conjoint", "Jérôme", "Lefèvre", date(1980, 5, 4)),
                                            ("enfant", "Noël", "Lefèvre", date(2009, 12, 25))])
        insured2 = fs.insured(paul, org, member_number="100235")
        other_insured = fs.insured(zoe, other, member_number="200001")
        db.session.commit()
        return {"org": org.id, "other_org": other.id, "manager": manager.id, "other_manager": other_manager.id,
                "insured_user": eloise.id, "insured": insured.id, "insured2": insured2.id,
                "other_insured": other_insured.id, "citizen": citizen.id}


@pytest.fixture
def apgis_login(app, login, apgis):
    def _login(who):
        client = app.test_client()
        assert login(client, EMAILS[who]).status_code == 302
        return client
    return _login


@pytest.fixture
def seed(app, apgis):
    """seed(fn): run fn(ids, models...) inside an app context and commit; returns its result."""
    def _seed(fn):
        with app.app_context():
            from models import Organisation, User
            from models.apgis import ApgisInsured
            ctx = {"org": db.session.get(Organisation, apgis["org"]),
                   "other_org": db.session.get(Organisation, apgis["other_org"]),
                   "manager": db.session.get(User, apgis["manager"]),
                   "insured": db.session.get(ApgisInsured, apgis["insured"]),
                   "insured2": db.session.get(ApgisInsured, apgis["insured2"]),
                   "other_insured": db.session.get(ApgisInsured, apgis["other_insured"])}
            result = fn(ctx)
            db.session.commit()
            if isinstance(result, list):
                return [getattr(r, "id", r) for r in result]
            return getattr(result, "id", result)
    return _seed
