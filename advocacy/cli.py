"""Command-line interface: ``advocacy init-db``, ``advocacy seed-demo``, ``advocacy run``...

``advocacy`` is Flask's own command group bound to create_app, so every Flask command
(``run``, ``routes``, ``shell``) is there too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from . import campaigns, migrate, organizers
from .db import database


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database, or bring its schema up to date (Alembic migrations)."""
    migrate.upgrade(database())
    click.echo(f"Database ready: {_safe_url(database().url)}")


@click.command("seed-demo")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of campaign folders (default: letter_templates/).",
)
@with_appcontext
def seed_demo_command(source: Path | None) -> None:
    """Load the shipped campaigns (campaign.toml + letter.<lang>.txt per folder); campaigns
    that already exist (same slug) are left untouched."""
    root = source or Path(current_app.config["LETTER_TEMPLATES_DIR"])
    try:
        loaded = campaigns.load_campaigns(database(), root)
    except campaigns.CampaignFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for campaign, created in loaded:
        state = "created" if created else "already there"
        click.echo(f"{campaign.slug}: {state} ({campaign.status}) - {campaign.title}")


@click.command("create-organizer")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking.",
)
@click.option("--update", is_flag=True, help="Set a new password for an existing organizer.")
@with_appcontext
def create_organizer_command(email: str, password_stdin: bool, update: bool) -> None:
    """Create an organizer account (asks for the password twice)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        created = organizers.create_organizer(database(), email, password, update=update)
    except organizers.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Organizer {'created' if created else 'updated'}: {email.strip().lower()}")


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS = [init_db_command, seed_demo_command, create_organizer_command]


def register(app: Flask) -> None:
    """Make the commands available to ``flask --app advocacy`` too."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except (RuntimeError, ValueError) as exc:  # a refused configuration: say why, no traceback
        raise NoAppException(str(exc)) from exc


cli = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="Advocacy: letters to elected officials. Every setting comes from ADVOCACY_* "
    "environment variables (see README.md).",
)


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="advocacy")
