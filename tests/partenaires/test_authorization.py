"""Authorisation matrix of Espace Partenaires: technicians of two structures, two organisations,
agents of two organisations, anonymous. Every object URL, fragment and download answers 404 to
the wrong user (403 to the wrong role, the login page to anonymous), and works for the right one."""
import pytest

from extensions import db
from models import Convention, PartnerRequest
from tests import factories
from tests.partenaires.test_detail import stored_file

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app, login):
    """Organisations A and B; structure S1 (conventions with A and B) and S2 (with A); a request of S1
    to A with a file sent and a file received; clients for every actor."""
    with app.app_context():
        org_a, s1 = factories.partner_setup("CPAM A", "331")
        org_b, _ = factories.partner_setup("CPAM B", "623", structure_obj=s1)
        s2 = factories.structure(name="Association de l’autre structure")
        db.session.add(Convention(structure=s2, organisation=org_a, start_date=Convention.query.first().start_date))
        t1 = factories.technician(s1, email="t1@example.fr")
        factories.technician(s2, email="t2@example.fr", first_name="Victor", last_name="CHAUSSON")
        factories.technician(s2, email="m2@example.fr", role="partner_manager")
        ag_a = factories.user(email="ag-a@example.fr", role="agent", organisation=org_a)
        factories.user(email="ag-b@example.fr", role="agent", organisation=org_b)
        db.session.flush()
        resolved = factories.partner_request(org_a, t1, status="resolu", answer="Réponse.", resolved_by_id=ag_a.id)
        from models.base import utcnow
        resolved.resolved_at = utcnow()
        new = factories.partner_request(org_a, t1)
        db.session.commit()
        ids = {"org_a": org_a.id, "org_b": org_b.id, "resolved": resolved.number, "resolved_id": resolved.id,
               "new": new.number, "new_id": new.id, "ag_a": ag_a.id}
    ids["sent"] = stored_file(app, ids["new"], "PartnerRequest", "envoyee.pdf")
    ids["received"] = stored_file(app, ids["resolved"], "partner_request_answer", "recue.pdf", owner_id=ids["ag_a"])

    def client(email, organisation=None):
        c = app.test_client()
        assert login(c, email).status_code == 302
        if organisation:
            assert c.post("/partenaires/organisme", data={"organisation": str(ids[organisation])}).status_code == 302
        return c

    return {
        "ids": ids,
        "t1_a": client("t1@example.fr", "org_a"),
        "t1_b": client("t1@example.fr", "org_b"),
        "t2_a": client("t2@example.fr", "org_a"),
        "m2_a": client("m2@example.fr", "org_a"),
        "ag_a": client("ag-a@example.fr"),
        "ag_b": client("ag-b@example.fr"),
        "anonymous": app.test_client(),
    }


def technician_urls(ids):
    new, resolved = ids["new"], ids["resolved"]
    return [
        ("get", f"/partenaires/demandes/{new}", {}),
        ("get", f"/partenaires/demandes/{resolved}", {}),
        ("get", f"/partenaires/demandes/{new}/completer", {}),
        ("post", f"/partenaires/demandes/{new}/completer", {"comment": "Intrusion"}),
        ("get", f"/partenaires/demandes/{new}/annuler", {}),
        ("post", f"/partenaires/demandes/{new}/annuler", {"motive": "Demande faite par erreur", "confirm": "y"}),
        ("get", f"/partenaires/demandes/{resolved}/pieces-jointes/{ids['received']}", {}),
        ("get", f"/partenaires/demandes/confirmation/{new}", {}),
    ]


def agent_urls(ids):
    return [
        ("get", f"/agent/partenaires/demandes/{ids['new_id']}", {}),
        ("post", f"/agent/partenaires/demandes/{ids['new_id']}/prise-en-charge", {}),
        ("post", f"/agent/partenaires/demandes/{ids['resolved_id']}/resolution", {"answer": "Intrusion"}),
        ("get", f"/agent/partenaires/organismes/{ids['org_a']}/parametres", {}),
    ]


def call(client, method, url, data, htmx=False):
    kwargs = {"headers": HX} if htmx else {}
    if method == "post":
        kwargs["data"] = data
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize("who", ["t2_a", "m2_a", "t1_b"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_technician_of_another_structure_or_organisation_gets_404(app, world, who, htmx):
    for method, url, data in technician_urls(world["ids"]):
        response = call(world[who], method, url, data, htmx)
        assert response.status_code == 404, (who, method, url, response.status_code)
    with app.app_context():
        new = PartnerRequest.query.filter_by(number=world["ids"]["new"]).one()
        assert new.status == "nouveau" and "Intrusion" not in new.comments


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_agent_of_another_organisation_gets_404(app, world, htmx):
    for method, url, data in agent_urls(world["ids"]):
        response = call(world["ag_b"], method, url, data, htmx)
        assert response.status_code == 404, (method, url, response.status_code)
    with app.app_context():
        assert PartnerRequest.query.filter_by(number=world["ids"]["new"]).one().status == "nouveau"


@pytest.mark.parametrize("who,attachment,expected", [
    ("t1_a", "sent", 200), ("t2_a", "sent", 404), ("m2_a", "sent", 404), ("ag_a", "sent", 200), ("ag_b", "sent", 404),
    ("ag_a", "received", 200), ("ag_b", "received", 404), ("t2_a", "received", 404),
])
def test_component_downloads_are_scoped(world, who, attachment, expected):
    url = f"/composants/pieces-jointes/{world['ids'][attachment]}"
    assert world[who].get(url).status_code == expected
    assert world[who].get(url, headers=HX).status_code == expected


def test_the_right_users_get_through(world):
    ids = world["ids"]
    assert world["t1_a"].get(f"/partenaires/demandes/{ids['new']}").status_code == 200
    assert world["t1_a"].get(f"/partenaires/demandes/{ids['resolved']}/pieces-jointes/{ids['received']}"
                             ).status_code == 200
    assert world["ag_a"].get(f"/agent/partenaires/demandes/{ids['new_id']}").status_code == 200


def test_wrong_roles_get_403(world):
    ids = world["ids"]
    for method, url, data in agent_urls(ids):
        assert call(world["t1_a"], method, url, data).status_code == 403, url
    for method, url, data in technician_urls(ids):
        assert call(world["ag_a"], method, url, data).status_code == 403, url


def test_anonymous_is_sent_to_login_and_sees_nothing(world):
    ids = world["ids"]
    urls = technician_urls(ids) + agent_urls(ids) + [("get", f"/composants/pieces-jointes/{ids['sent']}", {})]
    for method, url, data in urls:
        page_response = call(world["anonymous"], method, url, data)
        assert page_response.status_code in (302, 400), url  # 400: a POST without CSRF token would be refused too
        if page_response.status_code == 302:
            assert "/compte/connexion" in page_response.headers["Location"]
        fragment_response = call(world["anonymous"], method, url, data, htmx=True)
        assert fragment_response.status_code in (401, 400), url
        assert b"envoyee.pdf" not in page_response.data + fragment_response.data


def test_history_lists_only_the_structure_and_organisation(world):
    from tests.helpers import page
    ids = world["ids"]
    numbers_t1_a = {a.get_text(strip=True) for a in page(world["t1_a"], "/partenaires/demandes").select("td, th")}
    assert any(ids["new"] in text for text in numbers_t1_a)
    for who in ("t2_a", "m2_a", "t1_b"):
        text = page(world[who], "/partenaires/demandes").select_one("main").get_text()
        assert ids["new"] not in text and ids["resolved"] not in text, who
    queue_b = page(world["ag_b"], "/agent/partenaires/").select_one("main").get_text()
    assert ids["new"] not in queue_b
