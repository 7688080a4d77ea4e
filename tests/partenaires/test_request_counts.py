"""Requests counted per (organisation, structure, status, ODS) for the history's total
(models.partenaires.PartnerRequestCount): always equal to a real COUNT ... GROUP BY, after every
kind of change, including concurrent ones, on SQLite and (TEST_DATABASE_URL) PostgreSQL; the
history's « N demandes » read from them; `flask partenaires recount` repairs them."""
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text, update

from blueprints.partenaires import service
from core.database import begin_immediate
from extensions import db
from models import Organisation, PartnerRequest, User
from models.partenaires import PartnerRequestCount, catalogue
from tests import factories
from tests.helpers import fragment, page
from tests.partenaires.test_history import HISTORY, enter, make_request, world  # noqa: F401 (fixture)

T0 = datetime(2022, 2, 15, 13, 11, tzinfo=timezone.utc)
KEY = (PartnerRequest.organisation_id, PartnerRequest.structure_id, PartnerRequest.status, PartnerRequest.ods)


def real_counts():
    """{key: n} from the requests themselves."""
    return {tuple(row[:4]): row[4] for row in db.session.execute(select(*KEY, func.count()).group_by(*KEY))}


def kept_counts():
    """{key: n} of partner_request_count (keys whose count fell back to 0 may stay, as 0)."""
    t = PartnerRequestCount.__table__
    rows = db.session.execute(select(t.c.organisation_id, t.c.structure_id, t.c.status, t.c.ods, t.c.n)).all()
    return {tuple(row[:4]): row[4] for row in rows}


def assert_counts_exact():
    """The whole table equals the GROUP BY (no key missing, none extra, none negative)."""
    db.session.expire_all()
    kept = kept_counts()
    assert all(n >= 0 for n in kept.values()), kept
    assert {key: n for key, n in kept.items() if n} == real_counts()


@pytest.fixture
def setup(any_db_app):
    """Two organisations, two structures, a technician of each, an agent of the first organisation."""
    with any_db_app.app_context():
        org, ours = factories.partner_setup(org_name="CPAM GIRONDE", org_code="331")
        other_org, _ = factories.partner_setup(org_name="CPAM LANDES", org_code="401", structure_obj=ours)
        theirs = factories.structure()
        from models import Convention
        db.session.add(Convention(structure=theirs, organisation=org, start_date=T0.date() - timedelta(days=400)))
        tech = factories.technician(ours, email="martine@example.fr")
        stranger = factories.technician(theirs, email="paul@example.fr", first_name="Paul", last_name="Autre")
        agent = factories.user(email="agent@example.fr", role="agent", organisation=org)
        db.session.commit()
        ids = {"org": org.id, "other_org": other_org.id, "ours": ours.id, "theirs": theirs.id, "tech": tech.id,
               "stranger": stranger.id, "agent": agent.id}
        db.session.remove()
    return any_db_app, ids


def _submit(org_id, tech_id, ods=4, **fields):
    """A request filed as the view files it (service.submit_request, its own transaction)."""
    import secrets
    org, tech = db.session.get(Organisation, org_id), db.session.get(User, tech_id)
    defaults = dict(motive="Etude de C2S", person_civility="M.", person_last_name="PRINCE",
                    person_first_name="Marius", person_phone="07.00.00.00.00", person_birth_place="27",
                    comments="Demande de test.")
    if ods == 1:
        defaults = dict(motive="Gérer la convention de partenariat", rdv_modalities=["Physique"], comments="Test.")
    defaults.update(fields)
    number = service.submit_request(org, tech, secrets.token_hex(16), dict(ods=ods, **defaults), None)
    return PartnerRequest.query.filter_by(number=number).one().id


def _locked(request_id):
    """The request locked for a transition, as the views load it (core.queue.load_for_agent)."""
    begin_immediate()
    return PartnerRequest.query.filter_by(id=request_id).with_for_update().one()


def _take(request_id, agent_id):
    service.take_in_charge(_locked(request_id), db.session.get(User, agent_id))
    db.session.commit()


def _resolve(request_id, agent_id):
    """As service.resolve_request, without the answer's files."""
    req = _locked(request_id)
    req.resolve(db.session.get(User, agent_id), "Réponse.", detail={"number": req.number})
    db.session.commit()


def _cancel(request_id, tech_id):
    service.cancel_request(_locked(request_id), db.session.get(User, tech_id), catalogue()["cancel_motives"][0])
    db.session.commit()


def test_every_kind_of_change_keeps_the_counts_exact(setup):
    app, ids = setup
    with app.app_context():
        assert kept_counts() == {}
        # Filed (the view's service), to two organisations, by two structures, every ODS.
        filed = [_submit(ids["org"], ids["tech"], ods=ods) for ods in (1, 2, 3, 4, 5, 4, 4)]
        filed.append(_submit(ids["other_org"], ids["tech"], ods=3))
        filed.append(_submit(ids["org"], ids["stranger"], ods=4))
        assert_counts_exact()
        assert kept_counts()[(ids["org"], ids["ours"], "nouveau", 4)] == 3

        _take(filed[0], ids["agent"])                          # Nouveau → Pris en charge
        assert_counts_exact()
        _take(filed[1], ids["agent"])
        _resolve(filed[1], ids["agent"])                       # Pris en charge → Résolu
        assert_counts_exact()
        _cancel(filed[2], ids["tech"])                         # Nouveau → Annulée
        assert_counts_exact()
        assert kept_counts()[(ids["org"], ids["ours"], "annulee", 3)] == 1

        before = kept_counts()
        req = _locked(filed[3])                                # « Compléter »: no change of status
        service.complete_request(req, db.session.get(User, ids["tech"]), "Un complément.", None)
        db.session.commit()
        assert kept_counts() == before
        assert_counts_exact()

        # A transition rolled back (e.g. its files could not be stored) leaves the counts as they were.
        req = _locked(filed[4])
        service.take_in_charge(req, db.session.get(User, ids["agent"]))
        db.session.flush()
        assert kept_counts() != before
        db.session.rollback()
        assert kept_counts() == before
        assert_counts_exact()

        # No view does these, but the ORM may: a key column changed, a status set twice in one
        # flush, a request deleted (even with its attributes expired), two changes in one flush.
        req = db.session.get(PartnerRequest, filed[5])
        req.ods = 2
        db.session.commit()
        assert_counts_exact()
        req = db.session.get(PartnerRequest, filed[6])
        req.status = "pris-en-charge"
        req.status = "resolu"
        db.session.commit()
        assert_counts_exact()
        db.session.expire_all()
        db.session.delete(db.session.get(PartnerRequest, filed[7]))
        db.session.commit()
        assert_counts_exact()
        moved = db.session.get(PartnerRequest, filed[8])
        moved.status = "resolu"
        db.session.delete(db.session.get(PartnerRequest, filed[0]))
        db.session.commit()
        assert_counts_exact()
        assert PartnerRequest.query.count() == len(filed) - 2


def test_requests_made_by_the_tests_factories_are_counted(setup):
    """factories.partner_request files the request then sets its status: counted where it ends."""
    app, ids = setup
    with app.app_context():
        org, tech = db.session.get(Organisation, ids["org"]), db.session.get(User, ids["tech"])
        for status in ("nouveau", "pris-en-charge", "resolu", "annulee", "resolu"):
            factories.partner_request(org, tech, now=T0, status=status)
        db.session.commit()
        assert_counts_exact()
        assert kept_counts()[(ids["org"], ids["ours"], "resolu", 4)] == 2


def test_demo_seeding_keeps_the_counts_exact(app):
    from core.demo import seed_demo
    with app.app_context():
        seed_demo()
        assert PartnerRequest.query.count() > 20
        assert_counts_exact()
        seed_demo()  # idempotent: nothing filed twice, counts unchanged
        assert_counts_exact()


THREADS = 3
PER_THREAD = 8


def test_concurrent_transitions_never_lose_a_count(setup):
    """Several threads, each with its own session and connection, at the same moment: one takes
    requests in charge (and resolves them), one cancels, one files new ones: all on the same keys.
    An increment lost to a race (read, add, write) would show as a difference with the COUNT."""
    app, ids = setup
    with app.app_context():
        to_take = [_submit(ids["org"], ids["tech"], ods=4) for _ in range(PER_THREAD)]
        to_cancel = [_submit(ids["org"], ids["tech"], ods=4) for _ in range(PER_THREAD)]
        db.session.remove()
    barrier = threading.Barrier(THREADS)
    errors = []

    def run(work):
        try:
            with app.app_context():
                db.session.execute(text("SELECT 1"))  # connected before the start signal
                db.session.commit()
                barrier.wait(timeout=60)
                work()
                db.session.remove()
        except Exception as error:  # reported by the main thread
            errors.append(error)
            barrier.abort()

    def take_and_resolve():
        for request_id in to_take:
            _take(request_id, ids["agent"])
            _resolve(request_id, ids["agent"])

    def cancel():
        for request_id in to_cancel:
            _cancel(request_id, ids["tech"])

    def file():
        for _ in range(PER_THREAD):
            _submit(ids["org"], ids["tech"], ods=4)

    threads = [threading.Thread(target=run, args=(work,)) for work in (take_and_resolve, cancel, file)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    with app.app_context():
        assert_counts_exact()
        key = (ids["org"], ids["ours"])
        assert kept_counts()[(*key, "nouveau", 4)] == PER_THREAD
        assert kept_counts()[(*key, "pris-en-charge", 4)] == 0
        assert kept_counts()[(*key, "resolu", 4)] == PER_THREAD
        assert kept_counts()[(*key, "annulee", 4)] == PER_THREAD
        db.session.remove()


def test_history_total_equals_the_real_count_with_each_filter(app, world, login):  # noqa: F811
    """« N demandes » with each status and each offer, with both, and with a search (real COUNT)."""
    for i in range(14):
        make_request(app, world["victor" if i % 2 else "martine"], world["org"], minutes=i, ods=i % 5 + 1,
                     status=("nouveau", "pris-en-charge", "resolu", "annulee")[i % 4],
                     **({"motive": "Situation d'urgence"} if i % 5 == 1 else
                        {"documents": ["Attestation de droits"]} if i % 5 == 4 else {}))
    make_request(app, world["stranger"], world["org"], ods=1)          # another structure
    make_request(app, world["martine"], world["other_org"], ods=1)    # another organisation
    tech = enter(app.test_client(), login, "martine@example.fr", world["org"])

    def label(url, full=False):
        soup = page(tech, url) if full else fragment(tech, url)
        return re.match(r"\d+ demandes?", soup.select_one(".history-total").get_text(" ", strip=True)).group(0)

    def real(**filters):
        with app.app_context():
            query = PartnerRequest.query.filter(PartnerRequest.organisation_id == world["org"],
                                                PartnerRequest.structure_id == world["ours"],
                                                PartnerRequest.status != "annulee").filter_by(**filters)
            n = query.count()
        return f"{n} demande{'s' if n > 1 else ''}"

    assert label(HISTORY, full=True) == real() == "11 demandes"
    for status in ("nouveau", "pris-en-charge", "resolu"):
        assert label(f"{HISTORY}?statut={status}") == real(status=status)
        for ods in range(1, 6):
            assert label(f"{HISTORY}?statut={status}&offre={ods}") == real(status=status, ods=ods)
    for ods in range(1, 6):
        assert label(f"{HISTORY}?offre={ods}") == real(ods=ods)
    with app.app_context():
        first = PartnerRequest.query.filter_by(structure_id=world["ours"], organisation_id=world["org"],
                                               status="nouveau").first().number
    assert label(f"{HISTORY}?recherche={first}") == "1 demande"
    assert label(f"{HISTORY}?recherche=prince") == real(person_last_name="PRINCE")
    # The kept counts are not read with a search: made wrong, the search's total stays right.
    with app.app_context():
        db.session.execute(update(PartnerRequestCount).values(n=PartnerRequestCount.n + 100))
        db.session.commit()
    assert label(f"{HISTORY}?recherche=prince") == real(person_last_name="PRINCE")
    assert label(HISTORY) != real()  # (and without a search they are what the history reads)


def test_recount_repairs_counts_made_wrong(setup):
    app, ids = setup
    with app.app_context():
        for ods in (1, 4, 4):
            _submit(ids["org"], ids["tech"], ods=ods)
        # Rows written without the ORM (as the benchmark loads its data): not counted.
        db.session.execute(insert(PartnerRequest.__table__), [
            dict(number=f"22331{90000 + i}", organisation_id=ids["org"], structure_id=ids["theirs"],
                 requester_id=ids["stranger"], requester_name="AUTRE Paul", ods=2, status="resolu",
                 rdv_modalities=[], documents=[], comments="", created_at=T0, status_at=T0) for i in range(5)])
        t = PartnerRequestCount.__table__
        db.session.execute(update(t).where(t.c.ods == 4).values(n=t.c.n + 7))
        db.session.execute(t.delete().where(t.c.ods == 1))
        db.session.execute(insert(t).values(organisation_id=ids["org"], structure_id=ids["ours"], status="resolu",
                                            ods=3, n=2))
        db.session.commit()
        assert {k: n for k, n in kept_counts().items() if n} != real_counts()
        db.session.remove()

    result = app.test_cli_runner().invoke(args=["partenaires", "recount"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("Compteurs recalculés : 8 demandes en 3 groupes "
                                     "(organisme, structure, statut, offre).")
    with app.app_context():
        assert_counts_exact()
        assert kept_counts() == {(ids["org"], ids["ours"], "nouveau", 1): 1, (ids["org"], ids["ours"], "nouveau", 4): 2,
                                 (ids["org"], ids["theirs"], "resolu", 2): 5}
