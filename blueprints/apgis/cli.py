"""`flask apgis import FILE.csv`: the managers' reimbursements (and statements) from a CSV file."""
from __future__ import annotations

from typing import BinaryIO

import click

from blueprints.apgis import bp, operations
from core.csv_import import finish_import
from models import Organisation
from models.apgis import PORTAL


bp.cli.help = "Apgis Espace Assure: the managers' reimbursements and statements, imported from CSV files."


@bp.cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--organisation", "organisation_code", default=None,
              help="Code of the Apgis organisation whose insured the file is about (default: any).")
@click.option("--dry-run", is_flag=True, help="Check the file and report, without saving anything.")
def import_command(file: BinaryIO, organisation_code: str | None, dry_run: bool) -> None:
    """Import reimbursements from FILE (CSV, UTF-8, ';'-separated; header
    member_number;paid_on;care_date;beneficiary;care;expense;social_security;apgis;payee;statement_number,
    dates DD/MM/YYYY, amounts in euros « 12,50 »; statement_number optional: the lines sharing one
    make a statement, created or completed). All or nothing: any bad line is reported with its
    number and reason and nothing is saved."""
    organisation_id = None
    if organisation_code:
        org = Organisation.query.filter_by(portal=PORTAL, code=organisation_code).first()
        if org is None:
            raise click.ClickException(f"No {PORTAL} organisation with code {organisation_code!r}.")
        organisation_id = org.id
    report = operations.import_reimbursements(file.read(), organisation_id)
    finish_import(report, dry_run, [*(f"statement created: {n}" for n in report.statements_created),
                                    *(f"statement completed: {n}" for n in report.statements_completed),
                                    f"{report.reimbursements} reimbursement(s) imported"])
