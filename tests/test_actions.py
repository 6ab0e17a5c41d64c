"""Recording contact actions: once per token, durable before acknowledged, safe under
concurrency on a real SQLite file."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select, text

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


def test_confirmations_arriving_together_share_one_commit(db, demo):
    """Group commit (issue 13): confirmations that queue while another write holds the lock
    are written in one transaction and one commit. Each is counted once (a repeat inside the
    group too), one that fails is rolled back alone, and none returns before the commit."""
    from advocacy import db as db_module

    campaign, template, official = demo
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _connection: commits.append(1))
    twice, first_of_two = actions.new_token(), actions.new_token()
    jobs = {f"single-{n}": (actions.new_token(), None) for n in range(6)}
    jobs |= {"twice-a": (twice, None), "twice-b": (twice, None)}  # the same form, twice
    jobs |= {"same-a": (first_of_two, "f" * 64), "same-b": (actions.new_token(), "f" * 64)}
    jobs["broken"] = (actions.new_token(), None)
    results: dict[str, actions.Recorded] = {}
    errors: dict[str, BaseException] = {}

    def breaks(_connection) -> None:
        raise RuntimeError("this one fails")

    def confirm(name: str) -> None:
        token, fingerprint = jobs[name]
        try:
            results[name] = actions.record_contact(
                db,
                campaign,
                template,
                official,
                "K1P 5G4",
                "mailto",
                token,
                fingerprint=fingerprint,
                also=breaks if name == "broken" else None,
            )
        except BaseException as exc:  # asserted below
            errors[name] = exc

    threads = [threading.Thread(target=confirm, args=(name,)) for name in jobs]
    with db.write() as session:  # another write holds the lock while they all arrive
        session.execute(text("SELECT 1"))
        for thread in threads:
            thread.start()
        group = db_module._groups.get(db)
        deadline = time.monotonic() + 30
        while len(group.queue) < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not results and not errors  # nothing answered while the lock is held
    for thread in threads:
        thread.join(timeout=30)
    assert len(commits) == 2  # the write that held the lock, then one for all of them

    assert set(errors) == {"broken"} and isinstance(errors["broken"], RuntimeError)
    created = {name: r.action_id for name, r in results.items() if r.created}
    assert {name for name in results if name.startswith("single-")} <= set(created)
    assert len([n for n in created if n.startswith("twice-")]) == 1
    assert results["twice-a"].action_id == results["twice-b"].action_id
    assert len([n for n in created if n.startswith("same-")]) == 1
    assert results["same-a"].action_id == results["same-b"].action_id
    with db.reader() as session:
        stored = set(session.scalars(select(ContactAction.id)))
        tokens = set(session.scalars(select(ContactAction.idempotency_token)))
    assert stored == set(created.values()) and len(stored) == 8
    assert jobs["broken"][0] not in tokens
    assert tallies.total(db, campaign.id) == 8  # its counters were rolled back with it
