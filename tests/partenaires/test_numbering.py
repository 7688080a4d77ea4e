"""Request numbers (seed 002, V.1): 2 digits of the year in Paris, the 3-digit organisation code,
a 5-digit sequence per organisation and year. Unique and gapless, even when several servers submit
at the same moment: proven with several OS processes, each with its own app and connections, on
SQLite (a file database) and on PostgreSQL (TEST_DATABASE_URL)."""
import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from core.database import begin_immediate
from extensions import db
from models import Organisation, PartnerRequest, RequestSequence, User
from models.partenaires import format_number
from tests import factories
from tests.conftest import make_app

PROCESSES = 4
PER_PROCESS = 10
EVERY = 3  # each process also files one request to a second organisation every EVERY requests
WHEN = datetime(2022, 2, 15, 13, 11, tzinfo=timezone.utc)


def _file(organisation_id, requester_id, now, comment="Test."):
    """One submission as the view does it: its own IMMEDIATE transaction."""
    begin_immediate()
    organisation = db.session.get(Organisation, organisation_id)
    requester = db.session.get(User, requester_id)
    request = PartnerRequest.submit(organisation, requester, now=now, ods=1, motive="Autre motif de contact",
                                    rdv_modalities=["Physique"], comments=comment)
    number = request.number
    db.session.commit()
    return number


def _submit_in_another_process(database, workdir, first_org, second_org, requester_id, barrier):
    """Runs in a separate OS process (spawned): like another server, it has its own app, engine and
    connections to the same database (`database`: the URI and engine options of the test's app)."""
    app = make_app(Path(workdir), **database)
    with app.app_context():
        db.session.get(User, requester_id)  # connected and warm before the start signal
        db.session.commit()
        barrier.wait(timeout=120)
        for i in range(PER_PROCESS):
            _file(first_org, requester_id, WHEN, comment=f"{workdir} n°{i}")
            if i % EVERY == 0:
                _file(second_org, requester_id, WHEN)
        db.session.remove()
        db.engine.dispose()


def numbers_of(organisation_id):
    return sorted(n for (n,) in db.session.query(PartnerRequest.number).filter_by(organisation_id=organisation_id))


def test_numbers_unique_and_gapless_under_concurrent_processes(any_db_app, tmp_path):
    app = any_db_app
    with app.app_context():
        first, structure = factories.partner_setup(org_name="CPAM GIRONDE", org_code="331")
        second, _ = factories.partner_setup(org_name="CPAM LANDES", org_code="401", structure_obj=structure)
        requesters = [factories.technician(structure, email=f"tech{i}@example.fr") for i in range(PROCESSES)]
        db.session.commit()
        first_id, second_id, requester_ids = first.id, second.id, [u.id for u in requesters]
        # Engine options too: on PostgreSQL they carry the test process's own schema (search_path).
        database = {"database_uri": app.config["SQLALCHEMY_DATABASE_URI"],
                    "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
        db.session.remove()

    # spawn, not fork: nothing of this process's engine or sessions leaks into the workers.
    mp = multiprocessing.get_context("spawn")
    barrier = mp.Barrier(PROCESSES)
    workers = [mp.Process(target=_submit_in_another_process,
                          args=(database, str(tmp_path / f"worker{i}"), first_id, second_id, requester_ids[i], barrier))
               for i in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * PROCESSES

    total_first = PROCESSES * PER_PROCESS
    total_second = PROCESSES * len(range(0, PER_PROCESS, EVERY))
    with app.app_context():
        assert numbers_of(first_id) == [format_number(2022, "331", n) for n in range(1, total_first + 1)]
        assert numbers_of(second_id) == [format_number(2022, "401", n) for n in range(1, total_second + 1)]
        assert numbers_of(first_id)[-1] == "2233100040"
        # Every process did file its share (the work really was spread over the processes).
        per_requester = dict(db.session.query(PartnerRequest.requester_id, db.func.count())
                             .filter_by(organisation_id=first_id).group_by(PartnerRequest.requester_id).all())
        assert per_requester == {rid: PER_PROCESS for rid in requester_ids}
        assert db.session.get(RequestSequence, (first_id, 2022)).last_value == total_first
        assert db.session.get(RequestSequence, (second_id, 2022)).last_value == total_second


def test_a_rolled_back_submission_leaves_no_gap(any_db_app):
    with any_db_app.app_context():
        org, structure = factories.partner_setup()
        tech = factories.technician(structure)
        db.session.commit()
        org_id, tech_id = org.id, tech.id
        begin_immediate()
        lost = PartnerRequest.submit(db.session.get(Organisation, org_id), db.session.get(User, tech_id), now=WHEN,
                                     ods=1, motive="Autre motif de contact", comments="Test.")
        assert lost.number == "2233100001"
        db.session.rollback()  # e.g. the attachments could not be linked: nothing was stored
        assert _file(org_id, tech_id, WHEN) == "2233100001"
        assert _file(org_id, tech_id, WHEN) == "2233100002"


@pytest.mark.parametrize("now,expected", [
    (datetime(2022, 12, 31, 22, 59, 59, tzinfo=timezone.utc), "2233100001"),  # 23:59:59 in Paris
    (datetime(2022, 12, 31, 23, 30, tzinfo=timezone.utc), "2333100001"),      # already 00:30 on 1 January
    (datetime(2023, 7, 1, 21, 59, tzinfo=timezone.utc), "2333100001"),        # summer time: 23:59
])
def test_year_is_the_year_in_paris(app, now, expected):
    with app.app_context():
        org, structure = factories.partner_setup()
        tech = factories.technician(structure)
        db.session.commit()
        assert _file(org.id, tech.id, now) == expected


def test_sequence_restarts_each_year_and_is_per_organisation(any_db_app):
    with any_db_app.app_context():
        gironde, structure = factories.partner_setup(org_name="CPAM GIRONDE", org_code="331")
        landes, _ = factories.partner_setup(org_name="CPAM LANDES", org_code="40", structure_obj=structure)
        tech = factories.technician(structure)
        db.session.commit()
        g, landes_id, t = gironde.id, landes.id, tech.id
        december = datetime(2022, 12, 31, 22, 0, tzinfo=timezone.utc)
        january = datetime(2022, 12, 31, 23, 30, tzinfo=timezone.utc)
        filed = [_file(g, t, december), _file(g, t, december), _file(landes_id, t, december),
                 _file(g, t, january), _file(landes_id, t, january), _file(g, t, december), _file(g, t, january)]
        assert filed == ["2233100001", "2233100002", "2204000001",
                         "2333100001", "2304000001", "2233100003", "2333100002"]
        assert {len(n) for n in filed} == {10}


def test_unique_constraint_backstop(any_db_app):
    with any_db_app.app_context():
        org, structure = factories.partner_setup()
        tech = factories.technician(structure)
        db.session.commit()
        number = _file(org.id, tech.id, WHEN)
        db.session.add(PartnerRequest(number=number, organisation_id=org.id, structure_id=structure.id,
                                      requester_id=tech.id, requester_name="X", ods=1, comments="Doublon."))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
