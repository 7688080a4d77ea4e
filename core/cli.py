"""Command-line tools: `flask communes load`, `flask demo`, `flask outbox deliver`, `flask drafts purge`,
`flask backup`, `flask create-db` (and `flask components purge-uploads`, declared with the attachments).

They are for operators: help texts and messages in English."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from extensions import db

communes_cli = AppGroup("communes", help="Postcode and town reference data used by the commune search.")
outbox_cli = AppGroup("outbox", help="Outbox of emails and SMS: deliver or retry what is pending.")
drafts_cli = AppGroup("drafts", help="Server-side drafts (messages being written, wizard steps).")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(communes_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(drafts_cli)
    app.cli.command("demo")(demo_command)
    app.cli.command("backup")(backup_command)
    app.cli.command("create-db", help="Create every table without migrations (tests, quick trials).")(
        lambda: (db.create_all(), click.echo("Tables created.")))
