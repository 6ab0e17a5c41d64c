"""Campaign data kept in memory between requests (memo.py): read once, and what an organizer
saves is on the supporter's page at once."""

from __future__ import annotations

from sqlalchemy import update

from advocacy import campaigns
from advocacy.civic.directory import TargetRow
from advocacy.memo import Memo
from advocacy.models import Campaign

from .conftest import DEMO_SLUG


def test_the_campaign_is_read_once_for_many_pages(client, statements):
    for _ in range(3):
        assert client.get(f"/c/{DEMO_SLUG}/").status_code == 200
    reads = [s for s in statements if "FROM campaigns" in s and "WHERE campaigns.slug" in s]
    assert len(reads) <= 1


def test_an_organizer_saving_shows_on_the_next_page(client, db):
    assert client.get(f"/c/{DEMO_SLUG}/").status_code == 200  # now kept in memory
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    campaigns.save_campaign(db, campaign.id, {"slug": DEMO_SLUG, "title": "A brand new title"})
    assert "A brand new title" in client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)


def test_a_bulk_update_drops_what_is_kept(db):
    memo = Memo(db, ["campaigns"], ttl=3600)
    loads = []

    def title() -> str:
        loads.append(1)
        return campaigns.campaign_by_slug(db, DEMO_SLUG).title

    assert memo.get("title", title) == memo.get("title", title)
    assert len(loads) == 1
    with db.write() as session:
        session.execute(
            update(Campaign).where(Campaign.slug == DEMO_SLUG).values(title="Changed in bulk")
        )
    assert memo.get("title", title) == "Changed in bulk"


def test_custom_targets_replaced_are_offered_at_once(db):
    memo = Memo(db, ["custom_targets"], ttl=3600)
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)

    def names() -> list[str]:
        return [row.name for row in campaigns.custom_targets(db, campaign)]

    before = memo.get("targets", names)
    assert "Ada Example" not in before
    row = TargetRow(
        name="Ada Example",
        office="Councillor",
        level="municipal",
        district="Ward 1",
        email="ada@example.org",
        phone="",
        url="",
        postcodes=("K1A",),
    )
    campaigns.replace_targets(db, campaign, [row])
    assert memo.get("targets", names) == ["Ada Example"]
