"""Command-line interface: ``advocacy init-db``, ``advocacy seed-demo``, ``advocacy run``...

``advocacy`` is Flask's own command group bound to create_app, so every Flask command
(``run``, ``routes``, ``shell``) is there too.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import (
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    get_debug_flag,
    pass_script_info,
    show_server_banner,
    with_appcontext,
)
from flask.cli import run_command as flask_run_command

from . import campaigns, delivery, organizers, positions, reports, tallies
from . import statement as statement_service  # issue 10
from .civic import directory, make_session, us
from .db import database


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database, or bring its schema up to date (Alembic migrations)."""
    # Imported here: Alembic (and Mako, Pygments) cost each server worker about 11 MB when
    # create_app registered this command (issue 13).
    from . import migrate

    migrate.upgrade(database())
    click.echo(f"Database ready: {_safe_url(database().url)}")


@click.command("seed-demo")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of campaign folders (default: the package's letter_templates/).",
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
    for slug, languages in statement_service.load_statements(database(), root):
        if languages:
            click.echo(f"{slug}: statement in {languages} languages")


@click.command("create-organizer")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of asking.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Set a new password for an existing organizer, ending all their sessions.",
)
@with_appcontext
def create_organizer_command(email: str, password_stdin: bool, update: bool) -> None:
    """Create an organizer account (asks for the password twice)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        created = organizers.create_organizer(
            database(), email, password, update=update, ph=organizers.hasher_for(current_app.config)
        )
    except organizers.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    if created:
        click.echo(f"Organizer created: {email.strip().lower()}")
    else:
        click.echo(f"Organizer updated: {email.strip().lower()} (every earlier session ended)")


def _refresh_us(source: str, refresh):
    """A congress-legislators refresh from a file or its URL (downloaded only then, with the
    app's HTTP settings); a file that cannot be read is a clear error, nothing changed."""
    config = current_app.config
    session = make_session(config) if source.startswith(("https://", "http://")) else None
    try:
        return refresh(
            database(),
            source,
            session,
            timeout=max(config["HTTP_TIMEOUT"], 30.0),
            max_bytes=config["US_LEGISLATORS_MAX_BYTES"],
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("refresh-us-legislators")
@click.argument("source", metavar="FILE_OR_URL")
@with_appcontext
def refresh_us_legislators_command(source: str) -> None:
    """Replace the stored members of Congress with those of a congress-legislators file
    (legislators-current.json or .yaml), or of its URL, downloaded only then. The official
    one: https://unitedstates.github.io/congress-legislators/legislators-current.json"""
    records, skipped = _refresh_us(source, us.refresh_legislators)
    senators = sum(1 for record in records if record.chamber == "sen")
    click.echo(
        f"Stored {len(records)} members of Congress ({senators} senators, "
        f"{len(records) - senators} representatives and delegates) from {source}."
    )
    if skipped:
        click.echo(f"Skipped {skipped} entries without a usable current term.")


@click.command("import-targets")
@click.option("--campaign", "slug", required=True, help="The campaign's slug.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_targets_command(slug: str, file: Path) -> None:
    """Replace a campaign's custom targets with those in a CSV file (columns: name, office,
    level, district, email, phone, url, postcodes). Nothing is imported if any row is bad."""
    campaign = campaigns.campaign_by_slug(database(), slug)
    if campaign is None:
        raise click.ClickException(f"no campaign with the slug {slug!r}")
    try:
        rows = directory.parse_targets_csv(
            file.read_bytes(), campaign.country, current_app.config["TARGETS_MAX_BYTES"]
        )
    except directory.DirectoryError as exc:
        for line, message in exc.errors:
            click.echo(f"{file}:{line}: {message}", err=True)
        raise click.ClickException("nothing imported") from exc
    campaigns.replace_targets(database(), campaign, rows)
    click.echo(f"{slug}: {len(rows)} custom targets")


@click.command("tally")
@click.option("--campaign", "slug", required=True, help="The campaign's slug.")
@click.option("--by", type=click.Choice(tallies.BY), required=True, help="What to count by.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day counted (UTC).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last day counted (UTC, included).")
@click.option(
    "--sort",
    type=click.Choice(tallies.SORTS),
    default=None,
    help="Order of the rows (default: count-desc; by day: name-asc, oldest first).",
)
@click.option(
    "--format", "output", type=click.Choice(tallies.FORMATS), default="table", show_default=True
)
@with_appcontext
def tally_command(
    slug: str, by: str, date_from: str | None, date_to: str | None, sort: str | None, output: str
) -> None:
    """Print a campaign's contacts counted by district, official, level, day or source: the
    figures of the organizers' dashboard."""
    campaign = campaigns.campaign_by_slug(database(), slug)
    if campaign is None:
        raise click.ClickException(f"no campaign with the slug {slug!r}")
    try:
        period = tallies.parse_period(date_from, date_to)
    except tallies.InvalidPeriod as exc:
        raise click.ClickException(str(exc)) from exc
    result = tallies.tally(database(), campaign.id, by, period, tallies.parse_sort(sort, by))
    click.echo(tallies.render(result, campaign, period, output), nl=output != "csv")
    if by == "district" and output == "table":  # issue 10: the statement's signatures too
        click.echo(statement_service.district_table(database(), campaign, period.bounds()))


# -- issue 13: rebuild-tallies -------------------------------------------------------------------


@click.command("rebuild-tallies")
@click.option("--campaign", "slug", default=None, help="Only this campaign (default: all).")
@with_appcontext
def rebuild_tallies_command(slug: str | None) -> None:
    """Recount the tally counters from the contacts logged: run it after a bulk import or a
    purge of contact_actions (new contacts wait while it runs)."""
    campaign_id = None
    if slug is not None:
        campaign = campaigns.campaign_by_slug(database(), slug)
        if campaign is None:
            raise click.ClickException(f"no campaign with the slug {slug!r}")
        campaign_id = campaign.id
    written = tallies.rebuild(database(), campaign_id)
    click.echo(f"{slug or 'all campaigns'}: {written} counters recounted")


@click.command("deliver")
@click.option(
    "--loop",
    "interval",
    type=float,
    default=0.0,
    help="Keep running, draining the queue every this many seconds (a worker).",
)
@with_appcontext
def deliver_command(interval: float) -> None:
    """Send the letters supporters confirmed (email delivery), retrying failures later, and
    delete unconfirmed requests older than ADVOCACY_CONFIRM_TTL."""
    config = current_app.config
    sender = delivery.sender_from_config(config)
    if sender is None:
        raise click.ClickException("email delivery is off: set ADVOCACY_SMTP_URL")

    def status_url(row) -> str:
        return (
            f"{config['PUBLIC_URL'].rstrip('/')}/letters/"
            f"{delivery.status_token(config, row.id, row.seal_key)}"
        )

    while True:
        purged = delivery.purge(
            database(),
            timedelta(seconds=config["CONFIRM_TTL"]),
            timedelta(seconds=config["LETTER_TEXT_KEEP"]),
        )
        report = delivery.process_queue(
            database(), sender, status_url, max_attempts=config["DELIVERY_MAX_ATTEMPTS"]
        )
        click.echo(
            f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
            f"purged {purged}"
        )
        if interval <= 0:
            return
        time.sleep(interval)


@click.command("bounce")
@with_appcontext
def bounce_command() -> None:
    """Record a bounce: reads the bounce message on standard input (e.g. from a mail server's
    pipe to the bounce address) and marks the letter it is about."""
    message = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
    recipients = [str(message.get(h, "")) for h in ("Delivered-To", "X-Original-To", "To")]
    for recipient in recipients:
        for address in (a for _, a in email.utils.getaddresses([recipient]) if a):
            row = delivery.record_bounce(
                database(), delivery.secret_bytes(current_app.config, "bounce"), address
            )
            if row is not None:
                click.echo(f"bounce recorded for letter {row.id}")
                return
    raise click.ClickException("not a bounce for one of our letters")


@click.command("serve")
@click.option(
    "--bind",
    "-b",
    default=None,
    metavar="ADDRESS",
    help="HOST:PORT or unix:PATH to listen on (default: ADVOCACY_SERVE_BIND, else "
    "127.0.0.1:8000, for a reverse proxy on the same machine).",
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: ADVOCACY_SERVE_WORKERS, else 2).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per worker (default: ADVOCACY_SERVE_THREADS, else 8).",
)
@with_appcontext
def serve_command(bind: str | None, workers: int | None, threads: int | None) -> None:
    """Serve the app in production: gunicorn, threaded workers, an access log without client
    addresses (see docs/deploy.md)."""
    from . import serving  # gunicorn is imported by this command only

    # The app built here checked the configuration; each worker builds its own.
    settings = serving.gunicorn_settings(current_app.config, bind, workers, threads)
    serving.serve(_create_app, settings)


@click.command(
    "run",
    params=list(flask_run_command.params),
    short_help="Run the development server.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run the development server (Flask's ``run``, whose request log names no client
    address). For production, use ``advocacy serve``."""
    from werkzeug.serving import run_simple

    from .serving import PrivateRequestHandler

    app = info.load_app()
    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    run_simple(
        host,
        port,
        app,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
        request_handler=PrivateRequestHandler,
    )


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS = [
    init_db_command,
    seed_demo_command,
    create_organizer_command,
    refresh_us_legislators_command,
    import_targets_command,
    tally_command,
    rebuild_tallies_command,
    deliver_command,
    bounce_command,
    serve_command,
]


# -- issue 10: personal data past retention ------------------------------------------------------


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    required=True,
    help="Retention in days: personal data older than this is removed.",
)
@with_appcontext
def purge_command(days: int) -> None:
    """Remove supporters' personal data past retention (emails, names not listed publicly)
    while every count stays; addresses never confirmed go after ADVOCACY_CONFIRM_TTL. Meant
    for cron, e.g. daily: advocacy purge --older-than 365"""
    purged = statement_service.purge(
        database(),
        timedelta(days=days),
        timedelta(seconds=current_app.config["CONFIRM_TTL"]),
    )
    click.echo(f"signatures: {purged.emails} emails and {purged.names} names removed")
    excerpts = reports.purge(
        database(), timedelta(days=days), timedelta(seconds=current_app.config["CONFIRM_TTL"])
    )
    click.echo(f"report excerpts: {excerpts} removed")
    replies = positions.purge(database(), timedelta(days=days))
    click.echo(f"reply excerpts never published: {replies} removed")


@click.command("report")
@click.option("--campaign", "slug", required=True, help="The campaign's slug.")
@click.option(
    "--official",
    "office",
    default=None,
    metavar="ID",
    help="The office's id (without it: the list of offices and their ids).",
)
@click.option(
    "--format", "output", type=click.Choice(("html", "csv")), default="html", show_default=True
)
@with_appcontext
def report_command(slug: str, office: str | None, output: str) -> None:
    """Print the report for one office: how many of its constituents wrote and signed, by
    week, with the words of those who agreed to be quoted (HTML to print, or CSV)."""
    campaign = campaigns.campaign_by_slug(database(), slug)
    if campaign is None:
        raise click.ClickException(f"no campaign with the slug {slug!r}")
    if office is None:
        for row in reports.offices(database(), campaign):
            click.echo(
                f"{row.id}  {row.office}, {row.district}: "
                f"{row.letters} letters, {row.signatures} signatures"
            )
        return
    found = reports.find_office(database(), campaign, office)
    if found is None:
        raise click.ClickException(f"no office {office!r} in {slug} (run without --official)")
    result = reports.report(database(), campaign, found)
    if output == "csv":
        click.echo(reports.as_csv(result), nl=False)
        return
    from flask import render_template

    css = (Path(current_app.static_folder or "") / "report.css").read_text(encoding="utf-8")
    with current_app.test_request_context():
        click.echo(render_template("admin/report.html", report=result, inline_css=css))


COMMANDS.append(purge_command)
COMMANDS.append(report_command)


# -- issue 11: members of Congress's offices at home ----------------------------------------------


@click.command("refresh-us-district-offices")
@click.argument("source", metavar="FILE_OR_URL")
@with_appcontext
def refresh_us_district_offices_command(source: str) -> None:
    """Replace the stored district offices of members of Congress with those of a
    congress-legislators file (legislators-district-offices.json or .yaml), or of its URL,
    downloaded only then. Letters by post then go to the office nearest the supporter's
    address. The official one:
    https://unitedstates.github.io/congress-legislators/legislators-district-offices.json"""
    records, skipped = _refresh_us(source, us.refresh_district_offices)
    members = len({record.bioguide_id for record in records})
    click.echo(f"Stored {len(records)} district offices of {members} members from {source}.")
    if skipped:
        click.echo(f"Skipped {skipped} entries without a usable address.")


COMMANDS.append(refresh_us_district_offices_command)


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
# Replaces Flask's own ``run`` in ``advocacy run`` (``flask --app advocacy run`` keeps Flask's).
cli.add_command(run_command)


def main() -> None:
    cli(prog_name="advocacy")
