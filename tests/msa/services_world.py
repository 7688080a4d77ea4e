"""Shared data of the MSA member services tests (payments, attestations, contact details,
appointments): two MSA funds, two members of MSA Gironde, an agent of each fund.

Import the fixtures into a test module: `from tests.msa.services_world import world, clients  # noqa: F401`."""
from datetime import date

import pytest

from extensions import db
from models import MsaMember
from models.msa_services import MsaPayment
from tests import factories


def member(email, nir, org, first_name="Jeanne", last_name="Lacoste", civility="Mme"):
    user = factories.user(email=email, first_name=first_name, last_name=last_name, civility=civility)
    profile = MsaMember(user=user, nir=nir, organisation=org)
    db.session.add(profile)
    db.session.flush()
    return profile


def payment(profile, paid_on, branch="sante", label="Remboursement de soins", cents=2350):
    p = MsaPayment(member=profile, organisation_id=profile.organisation_id, paid_on=paid_on, branch=branch,
                   label=label, amount_cents=cents)
    db.session.add(p)
    db.session.flush()
    return p


@pytest.fixture
def world(app):
    """MSA Gironde (Jeanne Lacoste and Paul Roux, agent@…), MSA Nord (agent-nord@…, member Luc Nord)."""
    with app.app_context():
        org = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        other = factories.organisation(portal="msa", code="MSA59", name="MSA Nord-Pas-de-Calais")
        factories.user(email="agent@example.fr", role="agent", organisation=org, first_name="Alain",
                       last_name="Agent")
        factories.user(email="agent-nord@example.fr", role="agent", organisation=other)
        jeanne = member("jeanne@example.fr", "2850733063001", org)
        paul = member("paul@example.fr", "1850733063002", org, first_name="Paul", last_name="Roux", civility="M.")
        luc = member("luc@example.fr", "1700159350003", other, first_name="Luc", last_name="Nord", civility="M.")
        db.session.commit()
        return {"org": org.id, "other": other.id, "jeanne": jeanne.id, "paul": paul.id, "luc": luc.id,
                "jeanne_user": jeanne.user_id}


def client_of(app, email):
    client = app.test_client()
    response = client.post("/compte/connexion", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def clients(app, world):
    """Logged-in clients: jeanne, paul (members), agent (MSA Gironde), agent_nord (MSA Nord), anonymous."""
    return {"jeanne": client_of(app, "jeanne@example.fr"), "paul": client_of(app, "paul@example.fr"),
            "agent": client_of(app, "agent@example.fr"), "agent_nord": client_of(app, "agent-nord@example.fr"),
            "anonymous": app.test_client()}


def seed_payments(app, member_id, rows):
    """rows: (date, branch, label, cents)."""
    with app.app_context():
        profile = db.session.get(MsaMember, member_id)
        for paid_on, branch, label, cents in rows:
            payment(profile, paid_on, branch, label, cents)
        db.session.commit()


TODAY = date.today()
