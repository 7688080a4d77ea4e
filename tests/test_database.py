"""Database-sensitive behaviour, on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL:
migrations match the models, constraints hold, SQLite runs in WAL mode."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Attachment, Organisation, StoredFile, User
from tests.conftest import make_app, postgres_config


def migrated_app(tmp_path, backend):
    if backend == "sqlite":
        return make_app(tmp_path, f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    config = postgres_config()
    app = make_app(tmp_path, config.pop("SQLALCHEMY_DATABASE_URI"), **config)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    return app


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migrations_build_exactly_the_models(tmp_path, backend):
    app = migrated_app(tmp_path, backend)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        # The migrated schema is usable.
        db.session.add(User(email="a@example.fr", password="Motdepasse-1"))
        db.session.commit()
        assert User.query.count() == 1
        db.session.remove()
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_existing_attachments_get_a_stored_file_each(tmp_path, backend):
    """Migration 46fb50bbece1: each attachment's own file becomes a stored_file row (sha256 left
    NULL), read through the attachment as before; the downgrade gives the names back, and refuses
    while files are shared."""
    app = migrated_app(tmp_path, backend)
    with app.app_context():
        upgrade(revision="38bf947d543e")
        db.session.add(User(email="a@example.fr", password="Motdepasse-1"))
        db.session.commit()
        owner_id = User.query.one().id
        for n, name in enumerate(("a" * 32, "b" * 32), start=1):
            db.session.execute(text(
                "INSERT INTO attachment (id, owner_id, policy, original_name, storage_name, content_type, size, "
                "created_at) VALUES (:id, :owner, 'msa_message', :original, :name, 'application/pdf', :size, "
                "'2026-01-02 03:04:05+00')"), {"id": n, "owner": owner_id, "original": f"piece{n}.pdf", "name": name,
                                                "size": 100 * n})
        db.session.commit()
        upgrade()
        rows = [(a.id, a.storage_name, a.size, a.stored_file.size, a.stored_file.sha256)
                for a in Attachment.query.order_by(Attachment.id)]
        assert rows == [(1, "a" * 32, 100, 100, None), (2, "b" * 32, 200, 200, None)]
        assert StoredFile.query.count() == 2
        db.session.remove()
        downgrade(revision="38bf947d543e")
        assert db.session.execute(text("SELECT id, storage_name FROM attachment ORDER BY id")).all() == [
            (1, "a" * 32), (2, "b" * 32)]
        db.session.remove()
        upgrade()
        shared = db.session.get(Attachment, 1).stored_file_id
        db.session.get(Attachment, 2).stored_file_id = shared
        db.session.commit()
        db.session.remove()
        with pytest.raises(SystemExit):  # flask_migrate logs the migration's error, then exits
            downgrade(revision="38bf947d543e")
        db.session.remove()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() != "38bf947d543e"
        # Read with SQL: later migrations were undone (the model's newer columns are gone).
        assert db.session.execute(text("SELECT count(*) FROM attachment WHERE stored_file_id = :s"),
                                  {"s": shared}).scalar() == 2
        db.session.remove()
        upgrade()
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()


def test_email_is_unique_case_insensitively(any_db_app):
    with any_db_app.app_context():
        db.session.add(User(email="Anne@Example.fr", password="Motdepasse-1"))
        db.session.commit()
        db.session.add(User(email="anne@example.FR", password="Motdepasse-1"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_organisation_code_unique_per_portal(any_db_app):
    with any_db_app.app_context():
        db.session.add_all([Organisation(portal="partenaires", code="331", name="A"),
                            Organisation(portal="msa", code="331", name="B")])
        db.session.commit()
        db.session.add(Organisation(portal="partenaires", code="331", name="C"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_login_works_on_each_database(any_db_app):
    with any_db_app.app_context():
        db.session.add(User(email="a@example.fr", password="Motdepasse-1"))
        db.session.commit()
    client = any_db_app.test_client()
    response = client.post("/compte/connexion", data={"email": "a@example.fr", "password": "Motdepasse-1"})
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200
    client.post("/compte/deconnexion")
    assert client.get("/compte/").status_code == 302


def test_sqlite_pragmas(app):
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_secret_key_generated_into_instance_once(tmp_path, monkeypatch):
    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("PUBLIC_URL", "https://guichet.example.fr")
    from app import create_app
    first = create_app()
    second = create_app()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    key_file = tmp_path / "inst" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'guichet.sqlite'}"


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "config.py").write_text('PORTALS = "msa"\nSECRET_KEY = "from-instance"\n')
    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(inst))
    monkeypatch.setenv("PORTALS", "armees,apgis")
    monkeypatch.setenv("GUICHET_PUBLIC_URL", "https://guichet.example.fr")
    monkeypatch.setenv("TRUSTED_HOSTS", "guichet.example.fr, autre.example.fr")
    from app import create_app
    app = create_app()
    assert app.config["PUBLIC_URL"] == "https://guichet.example.fr"
    assert app.config["TRUSTED_HOSTS"] == ["guichet.example.fr", "autre.example.fr"]
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["PORTALS"] == "armees,apgis"
    assert "armees" in app.blueprints and "msa" not in app.blueprints


def test_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"]).output
    assert "Compte créé : martine.lapierre@demo.guichet.fr" in first
    second = runner.invoke(args=["demo"]).output
    assert "créé" not in second.replace("Mot de passe", "")
    with app.app_context():
        assert User.query.filter_by(role="partner_technician").count() == 2
        roles = {u.role for u in User.query}
        assert roles == {"citizen", "partner_technician", "partner_manager", "agent", "admin"}
        assert Organisation.query.filter_by(portal="partenaires").count() == 5
        # Requests moved on by the demo were moved by an agent of their organisation, through the
        # workflow (dated history), and no mail went to the technicians for it.
        from models import OutboxMessage, PartnerRequest
        from models.partenaires import REQUEST_WORKFLOW
        moved = PartnerRequest.query.filter(PartnerRequest.status != "nouveau").all()
        assert moved and all(r.taken_by_id is not None and r.taken_by_id in
                             {u.id for u in User.query.filter_by(role="agent", organisation_id=r.organisation_id)}
                             for r in moved)
        assert all(REQUEST_WORKFLOW.history(r)[-1].to_state == r.status for r in moved)
        mailed = OutboxMessage.query.filter(OutboxMessage.subject.like("Espace Partenaires : votre demande%"))
        assert mailed.count() == 0


def test_sqlite_online_backup(app, tmp_path):
    target = tmp_path / "sauvegarde.sqlite"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert "Database backed up to" in result.output
    import sqlite3
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM commune").fetchone()[0] == 35493
