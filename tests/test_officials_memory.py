"""The cached officials page under load (issue 13): served from what the worker keeps in
memory, with no database session, yet an organizer's save shows at once and no answer is
served past the lookup cache's TTL."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from advocacy.civic import cache as cache_module
from advocacy.civic.cache import LookupCache
from advocacy.civic.officials import LookupResult, Official

from .admin_helpers import create_organizer, login, post_form
from .conftest import DEMO_SLUG
from .helpers import lookup

CODE = "K1P5G4"
OFFICIALS = f"/c/{DEMO_SLUG}/officials"


def test_a_cached_officials_page_reads_nothing_from_the_database(client, represent, statements):
    represent.add(CODE)
    first = lookup(client, CODE)  # the lookup step and the first page read the database
    assert first.status_code == 200
    statements.clear()
    page = client.get(OFFICIALS)
    text = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "Alexandra Placeholder" in text
    assert "have not yet said who they are" in text  # the footer's campaign contact
    assert statements == []  # not even a BEGIN: no session, no pool checkout


def test_who_runs_the_campaign_shows_at_once_after_the_organizer_saves(app, client, represent):
    represent.add(CODE)
    lookup(client, CODE)
    assert "have not yet said who they are" in unescape(client.get(OFFICIALS).get_data(True))
    organizer = app.test_client()
    create_organizer(app.test_cli_runner())
    login(organizer)
    saved = post_form(
        organizer,
        "/admin/campaigns/1/about",
        {"organizer_name": "Ottawa Watchers", "contact": "", "privacy_text": ""},
        follow=True,
    )
    assert saved.status_code == 200
    text = unescape(client.get(OFFICIALS).get_data(as_text=True))
    assert "This campaign is run by Ottawa Watchers." in text


def test_an_answer_kept_in_memory_is_not_served_as_fresh_past_the_ttl(db, monkeypatch):
    cache = LookupCache(db, b"k", ttl=60, stale_max=600)
    key = cache.key("represent", "K1P5G4")
    official = Official.checked(name="Ada Example", elected_office="MP", level="federal")
    cache.store(key, LookupResult(postcode="K1P5G4", officials=(official,), source="t"))
    assert not cache.read(key).stale
    kept = cache.read(key)
    assert cache.read(key) is kept  # from memory: the same parsed answer
    now = cache_module._now()
    monkeypatch.setattr(cache_module, "_now", lambda: now + timedelta(seconds=61))
    later = cache.read(key)
    assert later is not kept and later.stale  # past the TTL: read again, and said stale
    monkeypatch.setattr(cache_module, "_now", lambda: now + timedelta(seconds=601))
    assert cache.read(key) is None  # past the stale limit: nothing


def test_a_page_rendered_once_is_served_only_for_the_same_inputs(app, client, represent):
    represent.add(CODE)
    represent.add("M5V3L9")
    lookup(client, CODE)
    other = app.test_client()
    lookup(other, "M5V3L9")
    for _ in range(2):  # the second time, both pages come from what was rendered
        mine = unescape(client.get(OFFICIALS).get_data(as_text=True))
        theirs = unescape(other.get(OFFICIALS).get_data(as_text=True))
        assert "Alexandra Placeholder" in mine and "Taylor Example" not in mine
        assert "Taylor Example" in theirs and "Alexandra Placeholder" not in theirs
    french = unescape(client.get(f"/fr{OFFICIALS}").get_data(as_text=True))
    assert 'lang="fr"' in french and "Alexandra Placeholder" in french
    assert f'href="/fr/c/{DEMO_SLUG}/write/' in french  # links keep the language
    tagged = unescape(client.get(f"{OFFICIALS}?source=newsletter").get_data(as_text=True))
    assert "source=newsletter" in tagged and "source=newsletter" not in mine
    # The campaign's title changes: the page kept before is not served again.
    from advocacy import campaigns

    db = app.extensions["advocacy_db"]
    campaign = campaigns.campaign_by_slug(db, DEMO_SLUG)
    campaigns.save_campaign(db, campaign.id, {"slug": DEMO_SLUG, "title": "A brand new title"})
    assert "A brand new title" in unescape(client.get(OFFICIALS).get_data(as_text=True))
