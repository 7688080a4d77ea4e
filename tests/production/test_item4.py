"""Issue 12, item 4: the audit record of a partner submission names the request and its
organisation (written once the row exists); a submission token replayed by another user is
refused with a French 409, never a 500; every demo request « Pris en charge » has its agent."""
from extensions import db
from models import AuditEvent, PartnerRequest
from tests import factories
from tests.helpers import page


def _technician_client(app, login, email, org_id):
    client = app.test_client()
    assert login(client, email).status_code == 302
    client.post("/partenaires/organisme", data={"organisation": str(org_id)})
    return client


DATA = {"motive": "C2S", "civility": "Mme", "last_name": "Pires", "first_name": "marina",
        "birth_date": "01/02/1980", "birth_place": "29", "phone": "0600000000", "comments": "Audit."}


def _setup(app):
    with app.app_context():
        org, structure = factories.partner_setup()
        factories.technician(structure, email="first@example.fr")
        factories.technician(structure, email="second@example.fr", first_name="Victor", last_name="CHAUSSON")
        db.session.commit()
        return org.id


def test_the_submission_audit_record_names_the_request_and_its_organisation(app, login):
    org_id = _setup(app)
    client = _technician_client(app, login, "first@example.fr", org_id)
    token = page(client, "/partenaires/demandes/nouvelle/3").select_one("input[name=submission]")["value"]
    assert client.post("/partenaires/demandes/nouvelle/3", data=dict(DATA, submission=token)).status_code == 302
    with app.app_context():
        request = PartnerRequest.query.one()
        (event,) = AuditEvent.query.filter(AuditEvent.action.like("%submitted")).all()
        assert (event.object_type, event.object_id) == ("PartnerRequest", str(request.id))
        assert event.detail["organisation_id"] == org_id == request.organisation_id
        assert event.detail["number"] == request.number and event.actor_id == request.requester_id


def test_a_token_replayed_by_another_user_is_a_french_409(app, login):
    org_id = _setup(app)
    first = _technician_client(app, login, "first@example.fr", org_id)
    second = _technician_client(app, login, "second@example.fr", org_id)
    token = page(first, "/partenaires/demandes/nouvelle/3").select_one("input[name=submission]")["value"]
    assert first.post("/partenaires/demandes/nouvelle/3", data=dict(DATA, submission=token)).status_code == 302
    replayed = second.post("/partenaires/demandes/nouvelle/3", data=dict(DATA, submission=token))
    assert replayed.status_code == 409 and "déjà servi" in replayed.get_data(as_text=True)
    with app.app_context():
        assert PartnerRequest.query.count() == 1


def test_a_view_that_lets_submission_replayed_through_answers_the_409_page(app, client):
    """The safety net of core.submission: a view that forgot to catch it shows a French 409."""
    from core.access import public
    from core.submission import SubmissionReplayed

    def forgetful_view():
        raise SubmissionReplayed("0" * 32)
    app.add_url_rule("/essai-rejeu", "essai_rejeu", public(forgetful_view))
    soup = page(client, "/essai-rejeu", status=409)
    assert soup.h1.get_text() == "Formulaire déjà envoyé"
    assert "rien n’a été enregistré" in soup.select_one("main").get_text()


def test_every_demo_request_in_charge_or_resolved_has_its_agent(app):
    from core.demo import seed_demo
    with app.app_context():
        seed_demo()
        requests = PartnerRequest.query.all()
        taken = [r for r in requests if r.status in ("pris-en-charge", "resolu")]
        assert taken and all(r.taken_by_id is not None for r in taken)
        assert all(r.resolved_by_id is not None for r in requests if r.status == "resolu")
        assert all(r.taken_by_id is None for r in requests if r.status == "nouveau")
