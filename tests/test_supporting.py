"""The supporter's path as one service (advocacy/supporting.py), hardened: what a stranger
can do with raw form posts, what the upstream budget and cache allow, how letters are counted,
and what a supporter's session, the cache and the logs keep. Each test here failed before."""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import sqlite3
import threading
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from advocacy import civic, create_app
from advocacy.civic.cache import LookupCache
from advocacy.civic.officials import LookupResult
from advocacy.models import ContactAction, LookupCacheEntry, UpstreamState

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token, hidden, letter_form_data, lookup, write_links
from .test_public import confirm, open_letter, review, text

BASE = f"/c/{DEMO_SLUG}"


def rows(db) -> list[ContactAction]:
    with db.reader() as session:
        return list(session.scalars(select(ContactAction)))


def budget_used(db) -> int:
    with db.reader() as session:
        state = session.get(UpstreamState, "represent")
    return state.used if state else 0


def make_app(tmp_path, **overrides):
    app = create_app(test_config(tmp_path, **overrides))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    return app


def campaign_token(client) -> str:
    return csrf_token(client.get(f"{BASE}/").get_data(as_text=True))


# -- no 500 from the letter form's "expired" path, nor from huge numbers ---------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"postcode": "A1A1A1"},
        {"postcode": "K1P 5G4"},  # well formed, but never looked up by this browser
        {"postcode": "not a code at all"},
        {"postcode": "K1P5G4", "template_id": "99999999999999999999999"},
    ],
)
def test_a_letter_form_without_a_valid_csrf_token_gets_a_page_never_a_500(
    client, represent, db, data
):
    represent.add("K1P5G4")
    for key in ("abc", "0" * 16):
        response = client.post(f"{BASE}/write/{key}", data=data)
        assert response.status_code == 400
        assert "This form has expired" in text(response)
    assert represent.calls("K1P5G4") == 0 and budget_used(db) == 0


def test_an_expired_form_for_an_official_of_the_looked_up_code_keeps_the_letter(client, represent):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    data = letter_form_data(page, body="My own words.", csrf_token="forged")
    response = client.post(link, data=data)
    assert response.status_code == 400 and "My own words." in text(response)
    other = link.rsplit("/", 1)[0] + "/ffffffffffffffff"  # no such official
    response = client.post(other, data=data)
    assert response.status_code == 400 and "This form has expired" in text(response)


def test_huge_numbers_in_the_letter_and_confirmation_forms_are_refused_politely(
    client, represent, db
):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    huge = "99999999999999999999999"
    send = review(client, link, page, template_id=huge)
    assert send.status_code == 200  # the current version is used
    send_page = send.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(send_page),
        "postcode": hidden(send_page, "postcode"),
        "token": hidden(send_page, "token"),
        "template_id": huge,
        "proof": hidden(send_page, "proof"),
    }
    response = client.post(link.replace("/write/", "/sent/"), data=data)
    assert response.status_code == 400 and rows(db) == []


# -- the upstream budget: only the lookup step spends it ------------------------------------------


def test_strangers_posting_letter_and_confirmation_forms_spend_no_upstream_budget(
    tmp_path, represent
):
    app = make_app(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=3)
    db = app.extensions["advocacy_db"]
    stranger = app.test_client()
    token = campaign_token(stranger)
    codes = [f"K{n}A {n}B{n}" for n in range(10)]
    for code in codes:
        represent.add(code.replace(" ", ""), body={})
        for endpoint in ("write", "sent", "deliver"):
            data = {"csrf_token": token, "postcode": code, "token": "x" * 32, "proof": "x"}
            response = stranger.post(f"{BASE}/{endpoint}/abcdef0123456789", data=data)
            assert response.status_code in {302, 400, 404}, (endpoint, response.status_code)
    assert len(represent.mock.calls) == 0 and budget_used(db) == 0
    # A real supporter's new postal code still finds their officials.
    represent.add("K1P5G4")
    assert "Your officials for K1P 5G4" in text(lookup(app.test_client(), "K1P 5G4"))
    assert budget_used(db) == 1
    db.engine.dispose()


def test_after_a_failed_lookup_the_next_pages_do_not_call_the_upstream_again(tmp_path, represent):
    app = make_app(tmp_path, HTTP_RETRIES=0)
    represent.add("K1P5G4", body=requests.exceptions.ReadTimeout("slow"))
    client = app.test_client()
    # The demo campaign also writes to its own targets: they are offered meanwhile.
    page = text(lookup(client, "K1P 5G4"))
    assert "Prime Minister" in page
    assert represent.calls("K1P5G4") == 1
    for _ in range(3):  # reloads
        assert "Prime Minister" in text(client.get(f"{BASE}/officials"))
    link = next(h for h in write_links(client.get(f"{BASE}/officials").get_data(as_text=True)))
    assert client.get(link).status_code == 200
    assert represent.calls("K1P5G4") == 1
    # Asking again at once does not call either: the failure is remembered for a moment.
    assert "Prime Minister" in text(lookup(client, "K1P 5G4"))
    assert represent.calls("K1P5G4") == 1
    app.extensions["advocacy_db"].engine.dispose()


def test_a_supporter_waiting_for_the_same_code_gives_up_at_the_deadline(db):
    cache = LookupCache(db, b"k", ttl=60, stale_max=600, failure_memory=30, wait=0.3)
    key = cache.key("represent", "K1P 5G4")
    release, started, calls = threading.Event(), threading.Event(), []

    def slow() -> LookupResult:
        calls.append(1)
        started.set()
        release.wait(5)
        return LookupResult(postcode="K1P 5G4", officials=())

    first = threading.Thread(target=cache.fetch, args=(key, slow))
    first.start()
    assert started.wait(5)
    with pytest.raises(civic.UpstreamUnavailable):
        cache.fetch(key, slow)  # waits 0.3 s for the first, then gives up
    release.set()
    first.join(5)
    assert len(calls) == 1
    assert cache.fetch(key, slow).postcode == "K1P 5G4" and len(calls) == 1


# -- counting right ------------------------------------------------------------------------------


def test_five_browsers_behind_one_address_are_five_letters(tmp_path, represent):
    app = make_app(tmp_path, DUPLICATE_LETTER_WINDOW=86400)
    db = app.extensions["advocacy_db"]
    represent.add("K1P5G4")
    for _ in range(5):
        client = app.test_client()  # same address (127.0.0.1), its own browser
        page = lookup(client, "K1P 5G4").get_data(as_text=True)
        link = next(h for h in write_links(page))
        letter = client.get(link).get_data(as_text=True)
        send = review(client, link, letter).get_data(as_text=True)  # untouched, no name
        assert confirm(client, link, send).status_code == 200
    assert len(rows(db)) == 5
    # The same browser sending the same letter again (a new form) still counts once.
    letter = client.get(link).get_data(as_text=True)
    send = review(client, link, letter).get_data(as_text=True)
    assert confirm(client, link, send).status_code == 200
    assert len(rows(db)) == 5
    db.engine.dispose()


def test_the_confirmation_counts_only_the_letter_that_was_reviewed(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send_page = review(client, link, page).get_data(as_text=True)
    officials = client.get(f"{BASE}/officials").get_data(as_text=True)
    other = next(h for h in write_links(officials) if h != link)
    fields = {
        "csrf_token": csrf_token(send_page),
        "postcode": hidden(send_page, "postcode"),
        "token": hidden(send_page, "token"),
        "template_id": hidden(send_page, "template_id"),
        "proof": hidden(send_page, "proof"),
    }
    tampered = [
        (other.replace("/write/", "/sent/"), {}),  # another official of the same code
        (link.replace("/write/", "/sent/"), {"token": "another-token-abcdefghijklmnop"}),
        (
            link.replace("/write/", "/sent/"),
            {"template_id": "1" if fields["template_id"] != "1" else "2"},
        ),
        (link.replace("/write/", "/sent/"), {"postcode": "G6G 1B2"}),  # not looked up here
    ]
    represent.add("G6G1B2")
    for target, change in tampered:
        response = client.post(target, data={**fields, **change})
        assert response.status_code in {302, 400, 404}, (target, change)
    assert rows(db) == []
    assert confirm(client, link, send_page).status_code == 200
    assert len(rows(db)) == 1


# -- privacy: the cache, the session cookie, the logs ------------------------------------------


def test_the_lookup_cache_holds_no_postal_code_and_no_fine_time(client, represent, db):
    represent.add("K1P5G4")
    lookup(client, "K1P 5G4")
    path = db.engine.url.database
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT key, payload, fetched_at FROM lookup_cache").fetchall()
    assert len(stored) == 1
    key, _payload, fetched_at = stored[0]
    assert "K1P" not in key and "5G4" not in key.upper()
    assert re.fullmatch(r"represent:[0-9a-f]{64}", key)
    moment = datetime.fromisoformat(fetched_at)
    assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def test_answers_past_the_stale_limit_are_purged(db):
    cache = LookupCache(db, b"k", ttl=60, stale_max=3600)
    old = cache.key("represent", "G6G 1B2")
    with db.write() as session:
        session.add(
            LookupCacheEntry(
                key=old, payload="{}", fetched_at=datetime.now(UTC) - timedelta(hours=2)
            )
        )
    cache.store(cache.key("represent", "K1P 5G4"), LookupResult("K1P 5G4", ()))
    with db.reader() as session:
        keys = set(session.scalars(select(LookupCacheEntry.key)))
    assert old not in keys and len(keys) == 1


def _readable_parts(cookie: str) -> bytes:
    """Whatever base64 or plain text a cookie value holds, decoded where possible."""
    found = cookie.encode()
    for part in re.split(r"[.~]", cookie.lstrip(".")):
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                decoded = decode(padded)
            except ValueError:
                continue
            found += decoded
            with contextlib.suppress(zlib.error):  # Flask compresses long cookies
                found += zlib.decompress(decoded)
    return found


def test_the_session_cookie_cannot_be_read_on_the_device(client, represent, db):
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = review(client, link, page).get_data(as_text=True)
    confirm(client, link, send)
    cookie = client.get_cookie("session").value
    raw = _readable_parts(cookie)
    assert b"K1P" not in raw and b"5G4" not in raw and b"written" not in raw
    key = link.rsplit("/", 1)[1]
    assert key.encode() not in raw
    # A tampered cookie is an empty session, not an error.
    client.set_cookie("session", cookie[:-4] + "AAAA")
    response = client.get(f"{BASE}/officials")
    assert response.status_code == 302


def test_tracebacks_and_logs_carry_no_postal_code(client, represent, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    represent.add("K1P5G4")
    represent.add("G6G1B2", body={"detail": "Not found."}, status=404)
    lookup(client, "K1P 5G4")
    lookup(client, "G6G 1B2")
    lookup(client, "K1P 5G4X")
    link = next(h for h in write_links(client.get(f"{BASE}/officials").get_data(as_text=True)))
    letter = client.get(link).get_data(as_text=True)
    send = review(client, link, letter).get_data(as_text=True)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("advocacy.actions.record_contact", broken)
    assert confirm(client, link, send).status_code == 500
    logged = caplog.text + "".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert "Traceback" in logged or "Exception on" in logged  # the 500 was logged
    for fragment in ("K1P", "5G4", "G6G", "1B2"):
        assert fragment not in logged
    assert "K1A 0B1" not in str(civic.InvalidPostcode("K1A 0B1", "CA"))
    assert "K1A 0B1" not in str(civic.PostcodeNotFound("K1A 0B1"))
