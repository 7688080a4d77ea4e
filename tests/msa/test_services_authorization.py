"""Who reaches the MSA member services and their agent side: every route × (member A, member B,
an agent of the members' fund, an agent of another MSA fund, an agent of another portal, anonymous).
Member pages are the member's own data only; agent pages are scoped to the agent's fund; the wrong
kind of user gets 403, anonymous users the login."""
from datetime import date

import pytest

from extensions import db
from models.msa_services import MsaAppointment, MsaPayment
from tests import factories
from tests.helpers import page
from tests.msa.services_world import client_of, clients, seed_payments, world  # noqa: F401


@pytest.fixture
def everyone(app, world, clients):
    with app.app_context():
        cpam = factories.organisation(portal="partenaires", name="CPAM TEST")
        factories.user(email="agent-cpam@example.fr", role="agent", organisation=cpam)
        db.session.commit()
    seed_payments(app, world["jeanne"], [(date(2025, 3, 5), "sante", "Paiement de Jeanne", 1000)])
    seed_payments(app, world["paul"], [(date(2025, 3, 5), "sante", "Paiement de Paul", 2000)])
    response = clients["jeanne"].post("/msa/rendez-vous", data={"subject": "retraite", "modality": "agence",
                                                                 "slots": ["lundi-matin"], "submission": "c" * 32})
    assert response.status_code == 303
    with app.app_context():
        appointment_id = MsaAppointment.query.one().id
    return dict(clients, agent_cpam=client_of(app, "agent-cpam@example.fr"), appointment=appointment_id)


MEMBER_PAGES = ["/msa/paiements", "/msa/attestations", "/msa/coordonnees", "/msa/rendez-vous"]
AGENT_PAGES = ["/agent/msa/rendez-vous/", "/agent/msa/paiements/nouveau"]


def test_member_pages(everyone):
    for url in MEMBER_PAGES:
        for who in ("jeanne", "paul"):
            page(everyone[who], url)
        for who in ("agent", "agent_nord", "agent_cpam"):
            assert everyone[who].get(url).status_code == 403, (who, url)
        response = everyone["anonymous"].get(url)
        assert response.status_code == 302 and "/msa/connexion" in response.headers["Location"]
    jeanne = page(everyone["jeanne"], "/msa/paiements").get_text()
    assert "Paiement de Jeanne" in jeanne and "Paiement de Paul" not in jeanne
    assert "Rendez-vous n°" not in page(everyone["paul"], "/msa/rendez-vous").get_text()


def test_agent_pages(everyone):
    for url in AGENT_PAGES:
        page(everyone["agent"], url)
        page(everyone["agent_nord"], url)
        for who in ("jeanne", "paul", "agent_cpam"):
            assert everyone[who].get(url).status_code == 403, (who, url)
        assert everyone["anonymous"].get(url).status_code == 302
    appointment = f"/agent/msa/rendez-vous/{everyone['appointment']}"
    page(everyone["agent"], appointment)
    assert everyone["agent_nord"].get(appointment).status_code == 404
    assert everyone["agent_cpam"].get(appointment).status_code == 403
    assert everyone["jeanne"].get(appointment).status_code == 403


def test_an_agent_records_payments_only_for_members_of_their_fund(app, everyone):
    data = {"nir": "2850733063001", "paid_on": "05/03/2025", "branch": "sante", "label": "Intrus", "amount": "10"}
    assert everyone["agent_nord"].post("/agent/msa/paiements/nouveau", data=data).status_code == 422
    assert everyone["agent_cpam"].post("/agent/msa/paiements/nouveau", data=data).status_code == 403
    assert everyone["jeanne"].post("/agent/msa/paiements/nouveau", data=data).status_code == 403
    assert everyone["anonymous"].post("/agent/msa/paiements/nouveau", data=data).status_code == 302
    with app.app_context():
        assert MsaPayment.query.filter_by(label="Intrus").count() == 0


def test_member_actions_on_another_members_appointment(app, everyone):
    appointment = everyone["appointment"]
    decision = {"decision": "confirm", "day": "01/01/2099", "hour": "10:00"}
    assert everyone["agent_nord"].post(f"/agent/msa/rendez-vous/{appointment}/decision",
                                       data=decision).status_code == 404
    assert everyone["agent_cpam"].post(f"/agent/msa/rendez-vous/{appointment}/decision",
                                       data=decision).status_code == 403
    assert everyone["paul"].post(f"/agent/msa/rendez-vous/{appointment}/decision", data=decision).status_code == 403
    assert everyone["paul"].post(f"/msa/rendez-vous/{appointment}/annuler").status_code == 404
    assert everyone["agent"].post(f"/msa/rendez-vous/{appointment}/annuler").status_code == 403
    with app.app_context():
        assert MsaAppointment.query.one().status == "en-attente"
