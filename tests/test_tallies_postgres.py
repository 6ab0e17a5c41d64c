"""Tallies on PostgreSQL, unchanged: the same queries, days counted in UTC even when the
database session runs in another time zone, and the exports and the CLI on top of them.

Uses tests/test_postgres.py's fresh-database fixture (ADVOCACY_TEST_POSTGRES_URL; skipped
without it, failing under ADVOCACY_REQUIRE_ALL=1).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from advocacy import campaigns, create_app, tallies

from .admin_helpers import create_organizer, login
from .conftest import DEMO_SLUG, test_config
from .test_postgres import pg_url  # noqa: F401 - the fixture: a fresh database, dropped after
from .test_tallies import at, official, record, send_letter

# UTC+12 or +13: a day taken from local time would move every evening contact a day later.
FAR_FROM_UTC = "Pacific/Auckland"


@pytest.fixture
def pg_app_far_from_utc(tmp_path, pg_url):  # noqa: F811 - the imported fixture
    url = make_url(pg_url).update_query_dict({"options": f"-c timezone={FAR_FROM_UTC}"})
    app = create_app(test_config(tmp_path, DATABASE_URL=url.render_as_string(False)))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    yield app
    app.extensions["advocacy_db"].engine.dispose()


def test_tallies_on_postgres_count_utc_days(pg_app_far_from_utc, represent):
    app = pg_app_far_from_utc
    db = app.extensions["advocacy_db"]
    with db.engine.connect() as connection:
        assert connection.dialect.name == "postgresql"
        assert connection.execute(text("SHOW timezone")).scalar() == FAR_FROM_UTC
    demo = campaigns.campaign_by_slug(db, DEMO_SLUG)

    ottawa = official("X", "MP", "Ottawa Centre", "federal", "35075")
    record(db, demo, ottawa, at("2024-05-01", "23:59:59"))
    record(db, demo, ottawa, at("2024-05-02", "00:00:00"), source="flyer")
    record(db, demo, ottawa, at("2024-05-02", "11:30:00"))
    record(db, demo, official("Y", "MPP", "Somewhere", "provincial"), at("2024-05-05", "13:00:00"))
    send_letter(app, represent, "G6G1B2", "Émilie Côté-Exemple", "newsletter-may")

    period = tallies.parse_period("2024-05-01", "2024-05-05")
    days = {r.label: r.count for r in tallies.tally(db, demo.id, "day", period).rows}
    assert days == {"2024-05-01": 1, "2024-05-02": 2, "2024-05-05": 1}
    assert tallies.total(db, demo.id, tallies.parse_period("2024-05-02", "2024-05-02")) == 2
    assert tallies.total(db, demo.id, tallies.parse_period(None, "9999-12-31")) == 5

    everything = tallies.tallies(db, demo.id)
    assert {r.values: r.count for r in everything["district"].rows} == {
        ("Ottawa Centre", "35075", "federal"): 3,
        ("Somewhere", "", "provincial"): 1,
        ("Mégantic—L'Érable—Lotbinière", "24049", "federal"): 1,
    }
    assert everything["district"].rows[0].label == "Ottawa Centre"
    assert {r.label: r.count for r in everything["level"].rows} == {"federal": 4, "provincial": 1}
    assert {r.label: r.count for r in everything["source"].rows} == {
        "direct": 3,
        "flyer": 1,
        "newsletter-may": 1,
    }
    assert everything["official"].total == 5

    runner = app.test_cli_runner()
    create_organizer(runner)
    client = app.test_client()
    login(client)
    page = client.get(f"/admin/campaigns/{demo.id}/tallies?from=2024-05-01&to=2024-05-05")
    assert page.status_code == 200 and 'id="chart-day"' in page.get_data(as_text=True)
    raw = client.get(f"/admin/campaigns/{demo.id}/tallies/actions.csv?to=2024-05-02")
    rows = list(csv.DictReader(io.StringIO(raw.get_data().decode("utf-8-sig"))))
    assert [r["time_utc"] for r in rows] == [
        "2024-05-01T23:59:59Z",
        "2024-05-02T00:00:00Z",
        "2024-05-02T11:30:00Z",
    ]

    result = runner.invoke(
        args=["tally", "--campaign", DEMO_SLUG, "--by", "day", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 5
    assert [row["day"] for row in data["rows"]][:3] == ["2024-05-01", "2024-05-02", "2024-05-05"]
