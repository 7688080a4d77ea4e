"""`flask apgis import FILE.csv`: reimbursements (and statements) from a CSV, all or nothing: a
file with any bad line is reported line by line and nothing of it is imported."""
from datetime import date

import pytest

from extensions import db
from models.apgis import ApgisReimbursement, ApgisStatement
from tests.apgis_services import factories_services as fs

HEADER = "member_number;paid_on;care_date;beneficiary;care;expense;social_security;apgis;payee;statement_number\n"


@pytest.fixture
def app(any_db_app):
    """These tests run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (numbering,
    one transaction per import)."""
    return any_db_app


def _run(app, tmp_path, text, *args):
    path = tmp_path / "reglements.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["apgis", "import", str(path), *args])


def _counts(app):
    with app.app_context():
        return ApgisReimbursement.query.count(), ApgisStatement.query.count()


def test_a_good_file_imports_reimbursements_and_makes_its_statements(app, apgis, tmp_path):
    text = HEADER + (
        "100234;05/03/2026;01/03/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;25,00;Assuré;DEC-2026-000100\n"
        "100234;20/03/2026;18/03/2026;Éloïse LEFÈVRE;Verres correcteurs;1 234,56;12,50;987,65;Optique Lumière;"
        "DEC-2026-000100\n"
        "\n"
        "100235;21/03/2026;21/03/2026;Paul DURAND;Pharmacie;12.30;8.00;4.30;;\n")
    result = _run(app, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "statement created: DEC-2026-000100" in result.output
    assert "3 reimbursement(s) imported." in result.output
    with app.app_context():
        statement = ApgisStatement.query.filter_by(number="DEC-2026-000100").one()
        assert statement.insured_id == apgis["insured"]
        assert [r.label for r in statement.reimbursements] == ["Pédiatre", "Verres correcteurs"]
        assert (statement.period_start, statement.period_end, statement.issued_on) == (
            date(2026, 3, 5), date(2026, 3, 20), date(2026, 3, 20))
        assert statement.kind == "mensuel" and statement.total_cents == 101265
        paul = ApgisReimbursement.query.filter_by(insured_id=apgis["insured2"]).one()
        assert (paul.expense_cents, paul.social_security_cents, paul.apgis_cents, paul.payee, paul.statement_id) == (
            1230, 800, 430, "Assuré", None)


def test_a_bad_file_reports_every_bad_line_and_imports_nothing(app, apgis, tmp_path):
    text = HEADER + (
        "100234;05/03/2026;01/03/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;25,00;Assuré;DEC-2026-000100\n"
        "999999;05/03/2026;01/03/2026;Inconnu;Pédiatre;60,00;35,00;25,00;Assuré;\n"
        "100234;31/02/2026;01/02/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;25,00;Assuré;\n"
        "100234;05/03/2026;01/03/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;;Assuré;\n"
        "100234;05/03/2026;01/03/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;30,00;Assuré;\n"
        "100235;05/03/2026;01/03/2026;Paul DURAND;Pharmacie;10;5;5;Assuré;DEC-2026-000100\n"
        "100234;05/03/2026;09/03/2026;Noël LEFÈVRE;Pédiatre;60,00;35,00;25,00;Assuré;\n"
        "100234;05/03/2026\n")
    result = _run(app, tmp_path, text)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "line 3: member_number: no insured '999999'",
        "line 4: paid_on: '31/02/2026' is not a date DD/MM/YYYY",
        "line 5: apgis: missing amount",
        "line 6: social_security + apgis is more than the expense",
        "line 7: statement_number DEC-2026-000100: another insured's (line 2)",
        "line 8: care_date is after paid_on",
        "line 9: 2 columns instead of 10",
        "Error: 7 bad line(s): nothing was imported.",
    ]
    assert _counts(app) == (0, 0)


def test_a_file_without_the_header_is_refused(app, apgis, tmp_path):
    result = _run(app, tmp_path, "100234;05/03/2026;01/03/2026;Noël;Pédiatre;60;35;25;Assuré;\n")
    assert result.exit_code == 1
    assert result.output.startswith("line 1: the first line must be the header member_number;paid_on;")
    assert _counts(app) == (0, 0)


def test_lines_can_complete_an_existing_statement_of_the_same_insured_only(app, apgis, tmp_path):
    with app.app_context():
        from models.apgis import ApgisInsured
        paul = db.session.get(ApgisInsured, apgis["insured2"])
        fs.statement(paul, "DEC-2026-000050", date(2026, 2, 28), [fs.reimbursement(paul, date(2026, 2, 10))])
        db.session.commit()
    bad = _run(app, tmp_path, HEADER + "100234;05/03/2026;01/03/2026;Éloïse;Pédiatre;60;35;25;Assuré;DEC-2026-000050\n")
    assert bad.exit_code == 1
    assert "line 2: statement_number DEC-2026-000050: another insured's statement" in bad.output
    assert _counts(app) == (1, 1)
    good = _run(app, tmp_path, HEADER + "100235;05/03/2026;01/03/2026;Paul;Pharmacie;10;5;5;Assuré;DEC-2026-000050\n")
    assert good.exit_code == 0, good.output
    assert "statement completed: DEC-2026-000050" in good.output
    with app.app_context():
        statement = ApgisStatement.query.filter_by(number="DEC-2026-000050").one()
        assert len(statement.reimbursements) == 2 and statement.period_end == date(2026, 3, 5)


def test_the_organisation_option_keeps_to_its_insured_and_dry_run_saves_nothing(app, apgis, tmp_path):
    line = "200001;05/03/2026;01/03/2026;Zoé AUTRE;Pharmacie;10;5;5;Assuré;\n"
    refused = _run(app, tmp_path, HEADER + line, "--organisation", "APGIS")
    assert refused.exit_code == 1 and "line 2: member_number: no insured '200001'" in refused.output
    dry = _run(app, tmp_path, HEADER + line, "--organisation", "AUTRE", "--dry-run")
    assert dry.exit_code == 0 and "1 reimbursement(s) imported (dry run: nothing saved)." in dry.output
    assert _counts(app) == (0, 0)
