"""Command-line tools: `flask communes load`, `flask demo`, `flask jobs worker` (the job worker: mail,
SMS, periodic jobs), `flask outbox deliver`, `flask drafts purge`, `flask backup`, `flask create-db`
(and `flask components purge-uploads`, declared with the attachments);
for a deployment without demo data, `flask admin create`, `flask organisation create`,
`flask structure create`, `flask agent create` and `flask import conventions`.

They are for operators: help texts and messages in English."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import BinaryIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from extensions import db

communes_cli = AppGroup("communes", help="Postcode and town reference data used by the commune search.")
outbox_cli = AppGroup("outbox", help="Outbox of emails and SMS: deliver or retry what is pending.")
jobs_cli = AppGroup("jobs", help="Background jobs: the worker (mail and SMS delivery, periodic clean-ups).")
drafts_cli = AppGroup("drafts", help="Server-side drafts (messages being written, wizard steps).")
admin_cli = AppGroup("admin", help="Administrator accounts (the first one is created here).")
organisation_cli = AppGroup("organisation", help="Organisations whose agents work on a portal (a CPAM, an MSA fund).")
structure_cli = AppGroup("structure", help="Partner structures of Espace Partenaires and their managers.")
agent_cli = AppGroup("agent", help="Agent accounts of an organisation, invited by email.")
import_cli = AppGroup("import", help="Import reference data from a CSV file (all or nothing).")


@communes_cli.command("load")
@click.option("--path", default=None, help="CSV file (default: data/communes-fr.csv)")
def load_communes_command(path: str | None) -> None:
    """Load data/communes-fr.csv into the indexed `commune` table (run at install)."""
    from core.places import load_communes
    count = load_communes(path)
    click.echo(f"{count} postcode–town pairs loaded.")


@outbox_cli.command("deliver")
def deliver_command() -> None:
    """Deliver (or retry) every pending email and SMS."""
    from core.outbox import deliver
    sent, failed = deliver()
    click.echo(f"{sent} message(s) sent, {failed} failed.")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
def jobs_worker_command(workers: int) -> None:
    """Run the job worker until stopped: queued deliveries and retries, and the periodic jobs of
    core.jobs.PERIODIC_JOBS. One per server (SQLite queue) or any number (Redis queue)."""
    from core.jobs import run_worker
    run_worker(current_app._get_current_object(), workers=workers)


@jobs_cli.command("drain")
def jobs_drain_command() -> None:
    """Run the jobs already due in the queue, in this process, then stop."""
    from core.jobs import run_pending
    click.echo(f"{run_pending()} job(s) run.")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run_command(name: str) -> None:
    """Run the periodic job NAME now (outbox_sweep, purge_uploads, purge_drafts…)."""
    from core.jobs import PERIODIC_JOBS, run_periodic
    if name not in PERIODIC_JOBS:
        raise click.ClickException(f"Unknown job {name!r}: one of {', '.join(PERIODIC_JOBS)}.")
    click.echo(f"{name}: {run_periodic(name)!r}")


@drafts_cli.command("purge")
def purge_drafts_command() -> None:
    """Delete drafts untouched for longer than DRAFT_RETENTION_DAYS (run daily)."""
    from core.drafts import purge_expired
    click.echo(f"{purge_expired()} draft(s) deleted.")


def demo_command() -> None:
    """Create the demo organisations, structures and users (idempotent)."""
    from core.demo import seed_demo
    for line in seed_demo():
        click.echo(line)


@click.argument("destination")
def backup_command(destination: str) -> None:
    """Online backup of the SQLite database into DESTINATION (safe while the site runs)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        raise click.ClickException("Online backup is for SQLite only; with PostgreSQL, use pg_dump.")
    source = sqlite3.connect(url[len("sqlite:///"):])
    target = sqlite3.connect(destination)
    with target:
        source.backup(target)
    source.close()
    target.close()
    click.echo(f"Database backed up to {Path(destination).resolve()}.")


def _commit_or_fail(action):
    """Run `action` in one transaction: committed when it succeeds, rolled back when refused."""
    from core.admin import SetupRefused
    try:
        result = action()
    except SetupRefused as refusal:
        db.session.rollback()
        raise click.ClickException(str(refusal)) from None
    db.session.commit()
    return result


def _read_password(password_file: str | None) -> str:
    if password_file:
        # The first line of the file, without its line ending (the file is the operator's: 0600).
        with open(password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@admin_cli.command("create")
@click.argument("email")
@click.option("--first-name", default="", help="First name shown on screens.")
@click.option("--last-name", default="", help="Last name shown on screens.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="Read the password from the first line of this file instead of prompting for it.")
def create_admin_command(email: str, first_name: str, last_name: str, password_file: str | None) -> None:
    """Create an administrator who logs in with EMAIL and the password typed (never an argument:
    it would stay in the shell history). The password rule of every account applies."""
    from core.admin import create_admin
    password = _read_password(password_file)
    user = _commit_or_fail(lambda: create_admin(email, password, first_name, last_name))
    click.echo(f"Administrator {user.email} created: log in at {current_app.config['PUBLIC_URL']}/compte/connexion.")


@organisation_cli.command("create")
@click.argument("portal")
@click.argument("code")
@click.argument("name")
def create_organisation_command(portal: str, code: str, name: str) -> None:
    """Create the organisation CODE named NAME on PORTAL (partenaires: a 1 to 3 digit code, e.g. 331;
    it offers every service until its settings are changed on the web)."""
    from core.admin import create_organisation
    org = _commit_or_fail(lambda: create_organisation(portal, code, name))
    click.echo(f"Organisation {org.portal}:{org.code} {org.name} created.")


@structure_cli.command("create")
@click.argument("name")
@click.option("--max-technicians", type=int, default=10, show_default=True,
              help="Most active technicians the structure may have.")
@click.option("--manager-email", help="Invite this address as the structure's partner manager.")
@click.option("--manager-first-name", default="", help="The manager's first name.")
@click.option("--manager-last-name", default="", help="The manager's last name.")
def create_structure_command(name: str, max_technicians: int, manager_email: str | None, manager_first_name: str,
                             manager_last_name: str) -> None:
    """Create the partner structure NAME, and invite its manager by email if given."""
    from core.admin import create_partner_manager, create_structure

    def action():
        structure = create_structure(name, max_technicians)
        manager = (create_partner_manager(manager_email, manager_first_name, manager_last_name, structure)
                   if manager_email else None)
        return structure, manager
    structure, manager = _commit_or_fail(action)
    click.echo(f"Structure {structure.name} created.")
    if manager is not None:
        click.echo(f"Partner manager {manager.email} invited; activation link queued for email.")


@agent_cli.command("create")
@click.argument("email")
@click.option("--first-name", required=True, help="The agent's first name.")
@click.option("--last-name", required=True, help="The agent's last name.")
@click.option("--organisation", "organisation_code", required=True, help="Code of the agent's organisation.")
@click.option("--portal", help="Portal of the organisation, when several portals use the same code.")
def create_agent_command(email: str, first_name: str, last_name: str, organisation_code: str,
                         portal: str | None) -> None:
    """Create the agent EMAIL of an organisation and email them the activation link with which
    they choose their password (valid TOKEN_VALIDITY_HOURS)."""
    from core.admin import create_agent, find_organisation

    def action():
        return create_agent(email, first_name, last_name, find_organisation(organisation_code, portal))
    user = _commit_or_fail(action)
    click.echo(f"Agent {user.email} of {user.organisation.name} created; activation link queued for email "
               "(see `flask outbox deliver`).")


@import_cli.command("conventions")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the file and report, without saving anything.")
def import_conventions_command(file: BinaryIO, dry_run: bool) -> None:
    """Import organisations and conventions from FILE (CSV, UTF-8, ';'-separated; columns
    organisation_code;organisation_name;portal;structure_name;start_date;end_date, dates DD/MM/YYYY).
    All or nothing: any bad line is reported with its number and nothing is saved."""
    from core.admin import import_conventions
    from core.csv_import import finish_import
    report = import_conventions(file.read())
    finish_import(report, dry_run, [*(f"created: {line}" for line in report.created),
                                    *(f"updated: {line}" for line in report.updated),
                                    f"{len(report.created)} created, {len(report.updated)} updated, "
                                    f"{report.unchanged} unchanged"])


def init_app(app: Flask) -> None:
    app.cli.add_command(communes_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(drafts_cli)
    for group in (admin_cli, organisation_cli, structure_cli, agent_cli, import_cli):
        app.cli.add_command(group)
    app.cli.command("demo")(demo_command)
    app.cli.command("backup")(backup_command)
    app.cli.command("create-db", help="Create every table without migrations (tests, quick trials).")(
        lambda: (db.create_all(), click.echo("Tables created.")))
