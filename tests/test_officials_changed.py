"""Stale officials after an election (issue 11): a campaign's "officials changed on" day makes
the lookup step fetch again what was stored before it, and later pages never serve it; the
organizer sets the day on the campaign's settings and sees how old each provider's data is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from advocacy import campaigns, create_app
from advocacy.civic import freshness
from advocacy.models import Campaign, LookupCacheEntry

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG, test_config
from .helpers import lookup

CODE = "K1P5G4"


@pytest.fixture
def app(tmp_path):
    """The demo campaign, with lookups fresh for a week (so that an answer three days old is
    fresh, and only the change of officials makes it fetched again)."""
    app = create_app(test_config(tmp_path, LOOKUP_TTL=7 * 86400))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    yield app
    app.extensions["advocacy_db"].engine.dispose()


def set_changed_on(db, day: date | None) -> None:
    with db.write() as session:
        session.execute(
            update(Campaign).where(Campaign.slug == DEMO_SLUG).values(officials_changed_on=day)
        )


def age_cache(db, days: int) -> None:
    """Make every stored lookup ``days`` days old (as if fetched before an election)."""
    with db.write() as session:
        session.execute(
            update(LookupCacheEntry).values(
                fetched_at=datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                - timedelta(days=days)
            )
        )


def test_a_lookup_stored_before_the_change_is_fetched_again(client, db, represent):
    represent.add(CODE)
    assert lookup(client, CODE).status_code == 200
    age_cache(db, 3)
    assert lookup(client, CODE).status_code == 200
    assert represent.calls(CODE) == 1  # within the TTL, with no change: from the cache
    set_changed_on(db, datetime.now(UTC).date() - timedelta(days=1))
    page = lookup(client, CODE)
    assert page.status_code == 200 and "Alexandra Placeholder" in page.get_data(as_text=True)
    assert represent.calls(CODE) == 2  # asked again
    assert lookup(client, CODE).status_code == 200
    assert represent.calls(CODE) == 2  # the new answer is after the change: kept


def test_a_stale_answer_from_before_the_change_is_not_served_when_the_upstream_fails(
    client, db, represent
):
    represent.add(CODE)
    lookup(client, CODE)
    age_cache(db, 3)
    set_changed_on(db, datetime.now(UTC).date())
    represent.mock.replace("GET", represent.url(CODE), status=503)
    page = lookup(client, CODE).get_data(as_text=True)
    assert "Alexandra Placeholder" not in page
    # The demo campaign also writes to its own targets: those alone, and why.
    assert "only the campaign's own targets are shown" in page.replace("&#39;", "'")


def test_later_pages_ask_for_the_postal_code_again_after_the_change(client, db, represent):
    represent.add(CODE)
    lookup(client, CODE)
    assert client.get(f"/c/{DEMO_SLUG}/officials").status_code == 200
    age_cache(db, 3)
    set_changed_on(db, datetime.now(UTC).date())
    # Days pass: what the process kept in memory for a few seconds is gone too.
    client.application.extensions["advocacy"].path.cache._recent.clear()
    response = client.get(f"/c/{DEMO_SLUG}/officials")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{DEMO_SLUG}/")
    assert represent.calls(CODE) == 1  # later pages never call the provider


def test_the_organizer_sets_the_day_and_sees_the_data_age(runner, client, db, represent):
    represent.add(CODE)
    lookup(client, CODE)
    create_organizer(runner)
    login(client)
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    url = f"/admin/campaigns/{campaign.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "How old the officials" in page
    assert "1 postal codes looked up and kept (provider represent)" in page
    data = {
        "title": campaign.title,
        "slug": DEMO_SLUG,
        "introduction": campaign.introduction,
        "provider": "represent",
        "target_offices": list(campaign.target_offices),
        "status": "live",
        "target_mode": campaign.target_mode,
        "officials_changed_on": "2026-10-20",
    }
    assert post_form(client, url, data).status_code == 302
    assert campaigns.campaign_by_slug(db, DEMO_SLUG).officials_changed_on == date(2026, 10, 20)
    page = client.get(url).get_data(as_text=True)
    assert "Officials changed on 2026-10-20" in page
    bad = post_form(client, url, {**data, "officials_changed_on": "20/10/2026"})
    assert bad.status_code == 422


def test_the_data_age_reads_no_other_provider(db, client, represent):
    represent.add(CODE)
    lookup(client, CODE)
    assert freshness.data_age(db, "represent").lookups == 1
    assert freshness.data_age(db, "uk").lookups == 0
    assert freshness.data_age(db, "re%").lookups == 0  # a LIKE pattern is a name, not a pattern
