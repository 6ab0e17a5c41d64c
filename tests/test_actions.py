"""Recording contact actions: once per token, durable before acknowledged, safe under
concurrency on a real SQLite file."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from advocacy import actions, campaigns, tallies
from advocacy.civic.represent import parse_postcode
from advocacy.models import ContactAction

from .conftest import DEMO_SLUG, represent_body


@pytest.fixture
def demo(db):
    campaign = campaigns.live_campaign(db, DEMO_SLUG)
    template = campaigns.letter_version(db, campaign, "en")
    official = parse_postcode(represent_body("K1P5G4"), "K1P 5G4").officials[3]
    return campaign, template, official


def count(db) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count(ContactAction.id)))


def test_one_token_records_once(db, demo):
    campaign, template, official = demo
    token = actions.new_token()
    first = actions.record_contact(db, campaign, template, official, "K1P 5G4", "mailto", token)
    again = actions.record_contact(db, campaign, template, official, "K1P 5G4", "mailto", token)
    assert first.created and not again.created and first.action_id == again.action_id
    assert count(db) == 1 == tallies.total(db, campaign.id)


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "has spaces in it and more", None])
def test_malformed_tokens_are_refused(db, demo, token):
    campaign, template, official = demo
    with pytest.raises(actions.InvalidToken):
        actions.record_contact(db, campaign, template, official, "K1P 5G4", "mailto", token)
    assert count(db) == 0


def test_concurrent_submissions_are_each_recorded_exactly_once(db, demo):
    """16 threads submit 10 letters each, every letter twice (a double click): every
    acknowledged action is in the database exactly once."""
    campaign, template, official = demo
    tokens = [[actions.new_token() for _ in range(10)] for _ in range(16)]
    acknowledged: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(mine: list[str]) -> None:
        try:
            for token in mine:
                for _ in range(2):
                    result = actions.record_contact(
                        db, campaign, template, official, "K1P 5G4", "mailto", token
                    )
                    if result.created:
                        with lock:
                            acknowledged.append(result.action_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(mine,)) for mine in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(acknowledged) == len(set(acknowledged)) == 160
    with db.reader() as session:
        stored = set(session.scalars(select(ContactAction.id)))
    assert stored == set(acknowledged)


def test_sqlite_is_set_up_for_durability(db):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_writes_take_the_lock_up_front(db):
    """A write transaction begins IMMEDIATE: while it is open, another writer waits (and
    times out here), instead of failing later in a deferred read-then-write."""
    from advocacy.db import Database

    impatient = Database(db.url, busy_timeout=0.1)
    with db.write() as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(Exception, match="locked"), impatient.write() as other:
            other.execute(text("SELECT 1"))
    impatient.engine.dispose()
