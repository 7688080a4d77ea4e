"""A deployment without demo data: `flask admin create`, `flask organisation create`,
`flask structure create`, `flask agent create` and `flask import conventions`."""
from datetime import date
from urllib.parse import urlparse

import pytest

from extensions import db
from models import AuditEvent, Convention, Organisation, PartnerSettings, Role, Structure, User
from tests.helpers import link_in

STRONG = "Premier-admin-2026"


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def counts(app):
    with app.app_context():
        return (Organisation.query.count(), Structure.query.count(), Convention.query.count(),
                User.query.count())


# --- flask admin create --------------------------------------------------------------------------

def test_the_first_administrator_is_created_with_a_typed_password_and_can_log_in(app, login):
    result = run(app, "admin", "create", "Admin@Exemple.fr", "--first-name", "Alex", "--last-name", "ADMIN",
                 input=f"{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert "Administrator admin@exemple.fr created" in result.output
    assert STRONG not in result.output  # the prompt hides what is typed
    with app.app_context():
        user = User.query.filter_by(email="admin@exemple.fr").one()
        assert (user.role, user.active, user.first_name) == (Role.ADMIN.value, True, "Alex")
        assert AuditEvent.query.filter_by(action="admin_created").count() == 1
    client = app.test_client()
    response = login(client, "admin@exemple.fr", STRONG)
    assert response.status_code == 302
    assert client.get("/agent/").status_code == 200  # the administrators' index


def test_the_password_can_come_from_a_file(app, tmp_path, login):
    secret = tmp_path / "password"
    secret.write_text(STRONG + "\n")
    result = run(app, "admin", "create", "admin@exemple.fr", "--password-file", str(secret))
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "admin@exemple.fr", STRONG).status_code == 302


@pytest.mark.parametrize("weak, missing", [("Cour-A1", "at least 8 characters"),
                                           ("sansmajuscule-1", "an uppercase letter"),
                                           ("Sans-Chiffre", "a digit"),
                                           ("SansSpecial1", "a special character")])
def test_a_weak_password_is_refused(app, tmp_path, weak, missing):
    secret = tmp_path / "password"
    secret.write_text(weak)
    result = run(app, "admin", "create", "admin@exemple.fr", "--password-file", str(secret))
    assert result.exit_code == 1
    assert "too weak" in result.output and missing in result.output
    assert counts(app)[3] == 0


def test_an_address_already_used_is_refused(app, make_user, tmp_path):
    make_user(email="admin@exemple.fr")
    secret = tmp_path / "password"
    secret.write_text(STRONG)
    result = run(app, "admin", "create", "ADMIN@exemple.fr", "--password-file", str(secret))
    assert result.exit_code == 1
    assert "already exists" in result.output
    with app.app_context():
        assert User.query.filter_by(role="admin").count() == 0


# --- flask organisation create / structure create --------------------------------------------------

def test_organisations_are_created_on_a_known_portal(app):
    result = run(app, "organisation", "create", "partenaires", "331", "CPAM GIRONDE")
    assert result.exit_code == 0, result.output
    assert run(app, "organisation", "create", "msa", "MSA33", "MSA Gironde").exit_code == 0
    with app.app_context():
        cpam = Organisation.query.filter_by(portal="partenaires", code="331").one()
        assert cpam.name == "CPAM GIRONDE"
        # Espace Partenaires: it offers every service until its settings change.
        assert db.session.get(PartnerSettings, cpam.id).ods_offered
        assert Organisation.query.filter_by(portal="msa", code="MSA33").one().partner_settings is None


@pytest.mark.parametrize("args, message", [
    (["nowhere", "331", "X"], "Unknown portal"),
    (["agent", "331", "X"], "Unknown portal"),
    (["partenaires", "CPAM33", "X"], "1 to 3 digits"),
    (["msa", "MSA 33", "X"], "1 to 10 letters"),
    (["msa", "MSA33", "  "], "name of 1 to 120"),
])
def test_a_bad_organisation_is_refused(app, args, message):
    result = run(app, "organisation", "create", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert counts(app)[0] == 0


def test_an_organisation_is_not_created_twice(app):
    run(app, "organisation", "create", "partenaires", "331", "CPAM GIRONDE")
    result = run(app, "organisation", "create", "partenaires", "331", "Autre")
    assert result.exit_code == 1 and "already exists" in result.output


def test_a_structure_is_created_with_its_manager_invited(app, outbox, login):
    result = run(app, "structure", "create", "CCAS de Bordeaux", "--max-technicians", "4",
                 "--manager-email", "gestion@ccas.fr", "--manager-first-name", "Sophie",
                 "--manager-last-name", "DURAND")
    assert result.exit_code == 0, result.output
    with app.app_context():
        structure = Structure.query.filter_by(name="CCAS de Bordeaux").one()
        assert structure.max_active_technicians == 4
        manager = User.query.filter_by(email="gestion@ccas.fr").one()
        assert (manager.role, manager.structure_id, manager.active) == ("partner_manager", structure.id, False)
    [mail] = outbox()
    assert mail["to"] == "gestion@ccas.fr"
    assert "Gestionnaire de structure partenaire" in mail["body"] and "CCAS de Bordeaux" in mail["body"]
    assert run(app, "structure", "create", "CCAS de Bordeaux").exit_code == 1


# --- flask agent create ------------------------------------------------------------------------------

def test_an_agent_is_invited_and_activates_the_account(app, outbox):
    run(app, "organisation", "create", "partenaires", "331", "CPAM GIRONDE")
    # Production has no SERVER_NAME: the link is built on PUBLIC_URL all the same.
    app.config["SERVER_NAME"] = None
    result = run(app, "agent", "create", "Paul.Martin@cpam33.fr", "--first-name", "Paul", "--last-name", "MARTIN",
                 "--organisation", "331")
    assert result.exit_code == 0, result.output
    assert "Agent paul.martin@cpam33.fr of CPAM GIRONDE created" in result.output
    [mail] = outbox()
    assert mail["to"] == "paul.martin@cpam33.fr"
    assert "« Agent » (CPAM GIRONDE)" in mail["body"]
    link = link_in(mail["body"])
    assert link.startswith("http://guichet.test/compte/activation/")
    app.config["SERVER_NAME"] = "guichet.test"

    agent = app.test_client()
    assert agent.get(urlparse(link).path).status_code == 302
    password = "Agent-cpam-331"
    response = agent.post("/compte/activation", data={"password": password, "password_confirm": password})
    assert response.status_code == 302
    with app.app_context():
        user = User.query.filter_by(email="paul.martin@cpam33.fr").one()
        assert user.active and user.role == "agent" and user.organisation.code == "331"
    assert agent.get("/agent/partenaires/").status_code == 200


def test_an_agent_needs_an_existing_organisation_and_a_free_address(app, make_user):
    result = run(app, "agent", "create", "a@cpam.fr", "--first-name", "A", "--last-name", "B", "--organisation", "999")
    assert result.exit_code == 1 and "No organisation" in result.output
    run(app, "organisation", "create", "partenaires", "331", "CPAM GIRONDE")
    run(app, "organisation", "create", "msa", "331", "MSA 331")
    result = run(app, "agent", "create", "a@cpam.fr", "--first-name", "A", "--last-name", "B", "--organisation", "331")
    assert result.exit_code == 1 and "give the portal" in result.output
    make_user(email="a@cpam.fr")
    result = run(app, "agent", "create", "a@cpam.fr", "--first-name", "A", "--last-name", "B",
                 "--organisation", "331", "--portal", "msa")
    assert result.exit_code == 1 and "already exists" in result.output
    assert counts(app)[3] == 1


# --- flask import conventions --------------------------------------------------------------------------

GOOD = """organisation_code;organisation_name;portal;structure_name;start_date;end_date
331;CPAM GIRONDE;partenaires;CCAS de Bordeaux;01/01/2025;
331;CPAM GIRONDE;partenaires;Hôpital Saint-André;01/03/2025;31/12/2026
401;CPAM LANDES;partenaires;CCAS de Bordeaux;15/06/2024;30/06/2025
MSA33;MSA Gironde;msa;;;
"""


def write(tmp_path, text, name="conventions.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_a_good_file_creates_everything_and_a_second_import_changes_nothing(any_db_app, tmp_path):
    app = any_db_app
    path = write(tmp_path, "\ufeff" + GOOD)  # as Excel saves « CSV UTF-8 »
    result = run(app, "import", "conventions", path)
    assert result.exit_code == 0, result.output
    assert "8 created, 0 updated, 0 unchanged." in result.output  # 3 organisations, 2 structures, 3 conventions
    with app.app_context():
        assert {(o.portal, o.code, o.name) for o in Organisation.query} == {
            ("partenaires", "331", "CPAM GIRONDE"), ("partenaires", "401", "CPAM LANDES"),
            ("msa", "MSA33", "MSA Gironde")}
        assert {s.name for s in Structure.query} == {"CCAS de Bordeaux", "Hôpital Saint-André"}
        conventions = {(c.organisation.code, c.structure.name): (c.start_date, c.end_date) for c in Convention.query}
        assert conventions == {
            ("331", "CCAS de Bordeaux"): (date(2025, 1, 1), None),
            ("331", "Hôpital Saint-André"): (date(2025, 3, 1), date(2026, 12, 31)),
            ("401", "CCAS de Bordeaux"): (date(2024, 6, 15), date(2025, 6, 30)),
        }
        audits = AuditEvent.query.count()
    before = counts(app)
    again = run(app, "import", "conventions", path)
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged." in again.output
    assert counts(app) == before
    with app.app_context():
        assert AuditEvent.query.count() == audits


def test_a_new_end_date_updates_the_convention(app, tmp_path):
    run(app, "import", "conventions", write(tmp_path, GOOD))
    changed = GOOD.replace("01/01/2025;\n", "01/01/2025;31/12/2027\n")
    result = run(app, "import", "conventions", write(tmp_path, changed, "v2.csv"))
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 3 unchanged." in result.output
    with app.app_context():
        org = Organisation.query.filter_by(code="331").one()
        structure = Structure.query.filter_by(name="CCAS de Bordeaux").one()
        convention = Convention.query.filter_by(organisation_id=org.id, structure_id=structure.id).one()
        assert convention.end_date == date(2027, 12, 31)


BAD = """organisation_code;organisation_name;portal;structure_name;start_date;end_date
331;CPAM GIRONDE;partenaires;CCAS de Bordeaux;01/01/2025;
ABC;CPAM X;partenaires;CCAS de Bordeaux;01/01/2025;
401;CPAM LANDES;partenaires;CCAS de Bordeaux;31/02/2025;
402;CPAM Y;partenaires;CCAS de Bordeaux;01/01/2025;01/01/2024
331;CPAM GIRONDE bis;partenaires;Autre;01/01/2025;
403;CPAM Z;nulle-part;CCAS de Bordeaux;01/01/2025;
MSA33;MSA Gironde;msa;CCAS de Bordeaux;01/01/2025;
404;CPAM W;partenaires;CCAS de Bordeaux
331;CPAM GIRONDE;partenaires;CCAS de Bordeaux;01/02/2025;
405;CPAM V;partenaires;Structure;;
"""


def test_a_bad_file_imports_nothing_and_reports_every_bad_line(any_db_app, tmp_path):
    app = any_db_app
    before = counts(app)
    result = run(app, "import", "conventions", write(tmp_path, BAD))
    assert result.exit_code == 1
    assert "9 bad line(s): nothing was imported." in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in range(3, 12)]
    expected = ["1 to 3 digits", "not a date DD/MM/YYYY", "end_date is before start_date", "is named 'CPAM GIRONDE'",
                "Unknown portal", "partenaires portal only", "4 columns instead of 6",
                "same organisation and structure", "start_date: missing"]
    for line, reason in zip(lines, expected):
        assert reason in line, (line, reason)
    assert counts(app) == before


def test_a_file_with_a_wrong_header_or_encoding_is_refused(app, tmp_path):
    result = run(app, "import", "conventions", write(tmp_path, "code;nom\n331;CPAM\n"))
    assert result.exit_code == 1 and "line 1: the first line must be the header" in result.output
    result = run(app, "import", "conventions", write(tmp_path, GOOD.replace("Hôpital", "Hôpital"), encoding="cp1252"))
    assert result.exit_code == 1 and "line 3: not UTF-8" in result.output
    assert counts(app) == (0, 0, 0, 0)


def test_a_dry_run_saves_nothing(app, tmp_path):
    result = run(app, "import", "conventions", write(tmp_path, GOOD), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing saved" in result.output
    assert counts(app) == (0, 0, 0, 0)
