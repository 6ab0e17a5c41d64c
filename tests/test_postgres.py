"""The app on PostgreSQL, unchanged: migrations, the demo campaign, the supporter's path and
idempotent logging, and a schema that matches the models exactly.

Needs a PostgreSQL server: set ADVOCACY_TEST_POSTGRES_URL to a URL of a role that may create
databases, e.g. postgresql+psycopg://advocacy:advocacy@127.0.0.1:5432/postgres (.ci/run sets
it up). Each test gets its own database, created and dropped here. Without the variable the
tests skip (and fail under ADVOCACY_REQUIRE_ALL=1, as in CI).
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url

from advocacy import actions, create_app
from advocacy.civic.officials import Official
from advocacy.models import Base, Campaign, ContactAction, LetterVersion, LookupCacheEntry

from .conftest import DEMO_SLUG, require, test_config
from .helpers import csrf_token, hidden, letter_form_data, lookup

ENV = "ADVOCACY_TEST_POSTGRES_URL"
MP = "Alexandra Placeholder"


def _server_url() -> URL:
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        require(False, f"PostgreSQL not available: set {ENV}")
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        pytest.fail(f"{ENV} must be a postgresql+psycopg:// URL, not {url.drivername}")
    return url.set(drivername="postgresql+psycopg")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, uniquely named database, dropped after the test."""
    server = _server_url()
    name = f"advocacy_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        require(False, f"PostgreSQL not available at {server!r}: {exc.__class__.__name__}: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = create_app(test_config(tmp_path, DATABASE_URL=pg_url))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    assert app.extensions["advocacy_db"].engine.dialect.name == "postgresql"
    yield app
    app.extensions["advocacy_db"].engine.dispose()


def _write_link(html: str, name: str) -> str:
    match = re.search(rf'href="(/c/[^/]+/write/[0-9a-f]+)">Write to {re.escape(name)}<', html)
    assert match, f"no link to write to {name}"
    return match.group(1)


def test_supporter_path_logs_one_contact_on_postgres(pg_app, represent):
    represent.add("K1P5G4")
    client = pg_app.test_client()

    officials = lookup(client, "k1p 5g4")
    assert officials.status_code == 200
    html = officials.get_data(as_text=True)
    assert "Your officials for K1P 5G4" in html
    write_url = _write_link(html, MP)

    letter = client.get(write_url)
    assert letter.status_code == 200
    letter_html = letter.get_data(as_text=True)
    sent_url = write_url.replace("/write/", "/sent/")
    review = client.post(
        write_url,
        data=letter_form_data(letter_html, name="Mei", city="Ottawa"),
        follow_redirects=True,
    )
    assert review.status_code == 200
    send_html = review.get_data(as_text=True)
    assert "mailto:alexandra.placeholder@parl.gc.ca?subject=" in send_html
    confirm = {
        "csrf_token": csrf_token(send_html),
        "postcode": hidden(send_html, "postcode"),
        "token": hidden(send_html, "token"),
        "template_id": hidden(send_html, "template_id"),
        "proof": hidden(send_html, "proof"),
    }

    for _ in range(2):  # pressed twice (or resubmitted): counted once
        response = client.post(sent_url, data=confirm)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/c/{DEMO_SLUG}/thanks")
    thanks = client.get(f"/c/{DEMO_SLUG}/thanks").get_data(as_text=True)
    assert "1 letter has been sent" in thanks
    assert represent.calls("K1P5G4") == 1  # every later lookup came from the PostgreSQL cache

    db = pg_app.extensions["advocacy_db"]
    with db.reader() as session:
        rows = session.scalars(select(ContactAction)).all()
        campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
        template = session.get(LetterVersion, int(confirm["template_id"]))
        cached = session.scalar(select(func.count()).select_from(LookupCacheEntry))
    assert len(rows) == 1
    row = rows[0]
    assert row.campaign_id == campaign.id
    assert row.template_id == template.id and template.campaign_id == campaign.id
    assert (row.official_name, row.official_office, row.level) == (MP, "MP", "federal")
    assert row.district_name == "Ottawa Centre"
    assert row.district_id == "35075"
    assert row.postcode_prefix == "K1P"
    assert (row.method, row.provider) == ("mailto", "represent")
    assert row.idempotency_token == confirm["token"]
    assert row.created_at.tzinfo is not None and row.created_at.utcoffset().total_seconds() == 0
    assert cached == 1


def test_concurrent_confirmations_of_one_token_log_one_contact(pg_app):
    """Two confirmations of one letter racing on PostgreSQL (both see no row, one insert loses
    on the unique token): one row, and both answers name it."""
    db = pg_app.extensions["advocacy_db"]
    with db.reader() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
    official = Official(
        name=MP,
        elected_office="MP",
        level="federal",
        body="House of Commons",
        district_name="Ottawa Centre",
        district_id="35075",
        email="alexandra.placeholder@parl.gc.ca",
        source="represent",
    )
    token = actions.new_token()
    barrier = threading.Barrier(4)
    results: list[actions.Recorded] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(
                actions.record_contact(db, campaign, None, official, "K1P 5G4", "mailto", token)
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 4
    assert sum(result.created for result in results) == 1
    assert len({result.action_id for result in results}) == 1
    with db.reader() as session:
        assert session.scalar(select(func.count(ContactAction.id))) == 1


def test_migrated_schema_matches_the_models(pg_app):
    engine = pg_app.extensions["advocacy_db"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
