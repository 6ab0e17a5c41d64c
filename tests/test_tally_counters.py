"""Tally counters (counters.py): every table read from the counters equals the same table
counted from the contacts themselves, after contacts logged one by one, after a bulk import
and ``advocacy rebuild-tallies``, and after the migration that adds them to an old database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from advocacy import actions, campaigns, tallies
from advocacy.civic.officials import Official
from advocacy.models import ContactAction, TallyCounter

from .conftest import DEMO_SLUG

DISTRICTS = [
    ("Ottawa Centre", "35075", "federal", "MP"),
    ("Ottawa Centre", "35075p", "provincial", "MPP"),  # one name, two levels
    ("Émond—Nord", "24001", "federal", "MP"),
    ("Peace River North", "59017", "provincial", "MLA"),
]
START = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def demo(db):
    return campaigns.campaign_by_slug(db, DEMO_SLUG)


def official(n: int) -> Official:
    district, district_id, level, office = DISTRICTS[n % len(DISTRICTS)]
    return Official(
        name=f"Official {n % len(DISTRICTS)}",
        elected_office=office,
        level=level,
        body="",
        district_name=district,
        district_id=district_id,
        source="represent",
    )


def as_dict(result: tallies.Tally) -> dict:
    return {row.values: row.count for row in result.rows}


def assert_counters_match_a_recount(db, campaign_id: int, period=None) -> None:
    for by in tallies.BY:
        counted = tallies.tally(db, campaign_id, by, period)
        recounted = tallies.recount(db, campaign_id, by, period)
        assert as_dict(counted) == as_dict(recounted), by
        assert counted.total == recounted.total == tallies.total(db, campaign_id, period)


contact = st.tuples(
    st.integers(0, 7),  # official
    # Minutes from START over 5 days: many contacts fall near a UTC midnight.
    st.integers(0, 5 * 24 * 60),
    st.sampled_from(["", "direct", "newsletter-may", "partner-a"]),
    st.sampled_from(list(actions.METHODS)),
    st.sampled_from([None, True, False]),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    contacts=st.lists(contact, max_size=25),
    first=st.integers(0, 6),
    length=st.integers(0, 3),
)
def test_counters_equal_a_recount_from_the_contacts(db, demo, contacts, first, length):
    with db.write() as session:  # hypothesis reuses the fixture's database between examples
        session.query(TallyCounter).delete()
        session.query(ContactAction).delete()
    for who, minutes, source, method, personalized in contacts:
        actions.record_contact(
            db,
            demo,
            None,
            official(who),
            "K1A 0B1",
            method,
            actions.new_token(),
            source=source,
            personalized=personalized,
            when=START + timedelta(minutes=minutes),
        )
    assert_counters_match_a_recount(db, demo.id)
    period = tallies.Period(
        date(2024, 2, 28) + timedelta(days=first),
        date(2024, 2, 28) + timedelta(days=first + length),
    )
    assert_counters_match_a_recount(db, demo.id, period)
    assert tallies.total(db, demo.id) == len(contacts)


def test_a_repeat_is_neither_logged_nor_counted_twice(db, demo):
    token = actions.new_token()
    for _ in range(3):
        actions.record_contact(db, demo, None, official(0), "K1A 0B1", "mailto", token)
    for _ in range(2):  # the same letter from the same browser with a fresh form
        actions.record_contact(
            db, demo, None, official(1), "K1A 0B1", "mailto", actions.new_token(), fingerprint="f"
        )
    assert tallies.total(db, demo.id) == 2
    assert_counters_match_a_recount(db, demo.id)


def test_a_contact_near_midnight_counts_on_its_utc_day_only(db, demo):
    for when in ("2024-05-01T23:59:59.999999+00:00", "2024-05-02T00:00:00+00:00"):
        actions.record_contact(
            db,
            demo,
            None,
            official(0),
            "K1A 0B1",
            "mailto",
            actions.new_token(),
            when=datetime.fromisoformat(when),
        )
    for day in ("2024-05-01", "2024-05-02"):
        period = tallies.parse_period(day, day)
        assert tallies.total(db, demo.id, period) == 1
        assert tallies.tally(db, demo.id, "district", period).total == 1


def bulk_import(db, campaign_id: int, count: int) -> None:
    """Contacts written straight into contact_actions, the way an import would."""
    rows = []
    for n in range(count):
        district, district_id, level, office = DISTRICTS[n % len(DISTRICTS)]
        rows.append(
            {
                "campaign_id": campaign_id,
                "official_name": f"Imported {n % 3}",
                "official_office": office,
                "district_name": district,
                "district_id": district_id,
                "level": level,
                "provider": "represent",
                "method": actions.METHODS[n % len(actions.METHODS)],
                "postcode_prefix": "K1A",
                "idempotency_token": f"imported-token-{n:012d}",
                "source": ("", "partner-a")[n % 2],
                "personalized": (None, True, False)[n % 3],
                "created_at": START + timedelta(hours=7 * n),
            }
        )
    with db.write() as session:
        session.execute(insert(ContactAction), rows)


def test_a_bulk_import_is_counted_after_rebuild_tallies(runner, db, demo):
    actions.record_contact(db, demo, None, official(0), "K1A 0B1", "mailto", actions.new_token())
    bulk_import(db, demo.id, 40)
    # Imported rows bypass the counters: this is what the command is for.
    assert tallies.total(db, demo.id) == 1
    assert tallies.recount(db, demo.id, "level").total == 41

    result = runner.invoke(args=["rebuild-tallies", "--campaign", DEMO_SLUG])
    assert result.exit_code == 0, result.output
    assert "counters recounted" in result.output
    assert tallies.total(db, demo.id) == 41
    assert_counters_match_a_recount(db, demo.id)
    assert_counters_match_a_recount(db, demo.id, tallies.parse_period("2024-03-03", "2024-03-05"))

    # Rebuilding again changes nothing; an unknown campaign is refused.
    assert runner.invoke(args=["rebuild-tallies"]).exit_code == 0
    assert tallies.total(db, demo.id) == 41
    refused = runner.invoke(args=["rebuild-tallies", "--campaign", "nope"])
    assert refused.exit_code != 0 and "no campaign" in refused.output


def test_advocacy_tally_reads_the_counters(runner, db, demo):
    bulk_import(db, demo.id, 12)
    tallies.rebuild(db)
    result = runner.invoke(
        args=["tally", "--campaign", DEMO_SLUG, "--by", "level", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["federal,6", "provincial,6"]


def test_the_migration_backfills_the_counters(tmp_path):
    """A database with contacts made before the counters (revision 0008) upgrades with every
    contact counted."""
    from advocacy.db import Database
    from advocacy.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0008")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO campaigns (id, slug, title, introduction, country, provider, "
            "target_offices, status, server_delivery, target_mode, created_at) VALUES "
            "(1, 'old', 'Old', '', 'CA', 'represent', '[\"MP\"]', 'live', 0, 'provider', "
            "'2026-01-01 00:00:00')"
        )
    bulk_import(db, 1, 30)
    upgrade(db)
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(TallyCounter)) > 0
    assert tallies.total(db, 1) == 30
    assert_counters_match_a_recount(db, 1)
    db.engine.dispose()
