"""blueprints.apgis.service.file_rows: the beneficiaries and the pending DITs of a file, read with
the file by the session's query of the portal's pages (models.apgis.BENEFICIARY_ROWS and
PENDING_ROWS, JSON) or else in one statement (FILE_ROWS, a UNION ALL of Core rows): the same rows,
values and order as the ORM relationships ApgisInsured.beneficiaries and pending_requests, on
SQLite and PostgreSQL."""
from datetime import UTC, date, datetime, timedelta

from blueprints.apgis import service
from blueprints.apgis.notifications import notifications_for
from sqlalchemy import select, text

from core.sessions import SESSION_READS
from extensions import db
from models import User
from models.apgis import (KIND_ADDRESS, KIND_DOCUMENT, KIND_EMAIL, NATURE_SCHOOL_CERTIFICATE, REFUSED,
                          ApgisBeneficiary, ApgisInsured, ApgisRequest)
from tests.apgis.conftest import build_world

BENEFICIARY = ("id", "relation", "first_name", "last_name", "birth_date", "school_certificate_until")
DIT = ("id", "reference", "kind", "payload", "document_nature", "notification", "created_at")


def _dit(insured, number, kind, created_at, **values):
    dit = ApgisRequest(reference=f"DIT-2026-{number:06d}", user_id=insured.user_id, insured_id=insured.id,
                       organisation_id=insured.organisation_id, kind=kind, created_at=created_at, **values)
    db.session.add(dit)
    return dit


def test_file_rows_are_the_relationships_rows(any_db_app):
    app = any_db_app
    world = build_world(app)
    with app.app_context():
        insured = db.session.get(User, world["insured2"]).apgis_insured
        child = db.session.get(ApgisBeneficiary, world["child"])
        # Twins (same birth date: id order), a spouse born earlier, a certificate until a date.
        db.session.add_all([
            ApgisBeneficiary(insured=insured, relation="enfant", first_name="Tom", last_name="Durand",
                             birth_date=child.birth_date, school_certificate_until=date(2030, 8, 31)),
            ApgisBeneficiary(insured=insured, relation="conjoint", first_name="Anne", last_name="Durand",
                             birth_date=date(1980, 2, 29))])
        moment = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
        _dit(insured, 1, KIND_ADDRESS, moment, payload={"city": "Pau", "postcode": "64000"})
        _dit(insured, 2, KIND_EMAIL, moment, payload={"email": "neuf@example.fr"}, notification="adresse-erronee")
        _dit(insured, 3, KIND_DOCUMENT, moment + timedelta(days=1), payload={"beneficiary_id": child.id},
             document_nature=NATURE_SCHOOL_CERTIFICATE)
        _dit(insured, 4, KIND_ADDRESS, moment + timedelta(days=2), payload={}, status=REFUSED)  # not pending
        other = db.session.get(User, world["insured"]).apgis_insured
        _dit(other, 5, KIND_ADDRESS, moment, payload={})  # another file's
        db.session.commit()
        insured_id = insured.id
        db.session.expire_all()

        insured = db.session.get(User, world["insured2"]).apgis_insured
        beneficiaries, pending = service.file_rows(insured)
        assert ([tuple(getattr(b, k) for k in BENEFICIARY) for b in beneficiaries]
                == [tuple(getattr(b, k) for k in BENEFICIARY)
                    for b in sorted(insured.beneficiaries, key=lambda b: (b.birth_date, b.id))])
        assert [b.first_name for b in beneficiaries] == ["Anne", "Léa", "Tom"]
        assert ([tuple(getattr(d, k) for k in DIT) for d in pending]
                == [tuple(getattr(d, k) for k in DIT) for d in insured.pending_requests])
        assert [d.reference[-1] for d in pending] == ["3", "2", "1"]
        assert pending[0].payload == {"beneficiary_id": world["child"]}
        assert isinstance(pending[0].created_at, datetime) and isinstance(beneficiaries[0].birth_date, date)
        # The notifications read from the rows are those read from the ORM objects.
        today = date.today()
        def seen(notifications):
            return [(n.code, n.text, n.args, n.pending.id if n.pending else None) for n in notifications]
        from_rows = seen(notifications_for(insured, today, pending, beneficiaries))
        assert from_rows == seen(notifications_for(insured, today, insured.pending_requests, insured.beneficiaries))
        assert ("justificatif-scolarite", pending[0].id) in [(code, dit) for code, _, _, dit in from_rows]
        assert insured.id == insured_id
        assert "beneficiary_rows" not in insured.__dict__ or insured.beneficiary_rows is None  # FILE_ROWS read
        db.session.remove()

        # The same, read with the file as the session's query does (JSON), whatever the time zone
        # of a PostgreSQL session (its JSON times carry its offset).
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET TIME ZONE 'Europe/Paris'"))
        loaded = db.session.execute(select(ApgisInsured).options(*ApgisInsured.with_file_rows)
                                    .where(ApgisInsured.id == insured_id)).scalar_one()
        assert isinstance(loaded.beneficiary_rows, list) and isinstance(loaded.pending_rows, list)
        from_json = service.file_rows(loaded)
        assert from_json.beneficiaries == [tuple(b[k] for k in BENEFICIARY) for b in
                                           (r._mapping for r in beneficiaries)]
        assert from_json.pending == [tuple(d[k] for k in DIT) for d in (r._mapping for r in pending)]
        assert all(d.created_at.utcoffset() == timedelta(0) for d in from_json.pending)
        assert [b.first_name for b in from_json.beneficiaries] == ["Anne", "Léa", "Tom"]
        db.session.remove()


def test_a_file_without_beneficiaries_or_dits(any_db_app):
    app = any_db_app
    world = build_world(app)
    with app.app_context():
        insured = db.session.get(User, world["insured"]).apgis_insured
        assert service.file_rows(insured) == ([], [])
        db.session.remove()
        loaded = db.session.execute(select(ApgisInsured).options(*ApgisInsured.with_file_rows)
                                    .where(ApgisInsured.id == insured.id)).scalar_one()
        assert loaded.beneficiary_rows == [] and loaded.pending_rows == []
        assert service.file_rows(loaded) == ([], [])
        db.session.remove()


def test_the_session_query_of_the_portal_brings_them():
    """core.sessions.SESSION_READS["apgis"]: the file with its beneficiaries and pending DITs."""
    statement = str(SESSION_READS["apgis"].statement)
    assert "apgis_beneficiary" in statement and "apgis_request" in statement


def test_request_files_read_with_the_dit_are_the_files(any_db_app):
    """ApgisRequest.with_files (the DIT's query brings its documents as JSON): service.request_files
    gives what REQUEST_FILE_ROWS and models.attachment.files_of give, in the order they were added."""
    from models.apgis import REQUEST_FILES
    from models.attachment import files_of
    from tests.apgis.conftest import pdf_file
    from tests.factories import PASSWORD
    app = any_db_app
    world = build_world(app)
    client = app.test_client()
    assert client.post("/compte/connexion", data={"email": world["emails"]["insured2"],
                                                  "password": PASSWORD}).status_code == 302
    response = client.post("/apgis/nous-transmettre", data={
        "nature": "Devis optique", "pieces_jointes": [pdf_file("b.pdf"), pdf_file("a.pdf"), pdf_file("c.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        dit_id = ApgisRequest.query.one().id
        expected = [(a.id, a.original_name, a.size) for a in files_of(dit_id, REQUEST_FILES)]
        assert len(expected) == 3
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET TIME ZONE 'Europe/Paris'"))
        dit = db.session.execute(select(ApgisRequest).options(*ApgisRequest.with_files)
                                 .where(ApgisRequest.id == dit_id)).scalar_one()
        assert isinstance(dit.attachment_rows, list)
        assert [tuple(f) for f in service.request_files(dit)] == expected
        db.session.remove()
        dit = db.session.get(ApgisRequest, dit_id)  # without them: REQUEST_FILE_ROWS
        assert dit.attachment_rows is None
        assert [tuple(f) for f in service.request_files(dit)] == expected
        db.session.remove()
    assert "b.pdf" in client.get(f"/apgis/suivi/demandes/{dit_id}").get_data(as_text=True)
