"""Durability under load and faults, against a real server process (tests/serve_app.py) on
loopback: concurrent supporters each counted exactly once, and a locked database answered
with a clear 503 that is safe to retry.

The app runs in its own OS process and calls a Represent stub served from this process on
127.0.0.1; every loop here is bounded and every HTTP call has a timeout.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from advocacy import actions, create_app

from .conftest import DEMO_SLUG, FIXTURES, test_config
from .helpers import csrf_token, hidden, letter_form_data, write_links
from .servers import ServerProcess, start_test_app

POSTCODE = "K1P5G4"
TIMEOUT = (5, 30)  # seconds: connect, read (a write may wait out the busy timeout)
CLIENTS = 50
SUBMISSIONS = 4  # letters per client


# -- the Represent stub and the server process --------------------------------------------------


@Request.application
def _represent(request: Request) -> Response:
    if request.path == f"/postcodes/{POSTCODE}/":
        body = (FIXTURES / "represent" / f"{POSTCODE}.json").read_bytes()
        return Response(body, mimetype="application/json")
    return Response(json.dumps({"error": "Not Found"}), status=404, mimetype="application/json")


@pytest.fixture(scope="module")
def represent_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _represent, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def start_server(directory: Path, represent_url: str, **config) -> ServerProcess:
    settings = {
        "REPRESENT_URL": represent_url,
        # Every client comes from 127.0.0.1: raise the per-address limits out of the way.
        "LOOKUP_RATE_LIMIT": "100000 per minute",
        "SEND_RATE_LIMIT": "100000 per minute",
        **config,
    }
    try:
        return start_test_app(directory, settings, lifetime=120, seconds=30)
    except AssertionError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def serve(tmp_path: Path, represent_url: str, upstream) -> Iterator:
    """Start servers with given settings; each is stopped at the end of the test.

    Depends on `upstream` (which lets loopback through) so the servers stop before it."""
    servers: list[ServerProcess] = []

    def start(**config) -> ServerProcess:
        directory = tmp_path / f"server{len(servers)}"
        directory.mkdir()
        servers.append(start_server(directory, represent_url, **config))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def rows_per_token(database: Path) -> Counter:
    connection = sqlite3.connect(database, timeout=10)
    try:
        return Counter(
            token
            for (token,) in connection.execute("SELECT idempotency_token FROM contact_actions")
        )
    finally:
        connection.close()


# -- a supporter ------------------------------------------------------------------------------


@dataclass
class Supporter:
    """One browser: a requests.Session walking the supporter's path on a live server."""

    url: str
    session: requests.Session = field(default_factory=requests.Session)
    statuses: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, method: str, path: str, session: requests.Session | None = None, **kw):
        response = (session or self.session).request(
            method, self.url + path, timeout=TIMEOUT, allow_redirects=False, **kw
        )
        with self.lock:
            self.statuses.append((method, path, response.status_code))
        return response

    def lookup(self) -> list[str]:
        """Enter the postal code; the links to the letter forms of the officials listed."""
        page = self.request("GET", f"/c/{DEMO_SLUG}/")
        assert page.status_code == 200
        found = self.request(
            "POST",
            f"/c/{DEMO_SLUG}/lookup",
            data={"csrf_token": csrf_token(page.text), "postcode": "K1P 5G4"},
        )
        assert found.status_code == 303, found.status_code
        officials = self.request("GET", found.headers["Location"])
        assert officials.status_code == 200
        links = write_links(officials.text)
        assert links, "no official to write to"
        return links

    def confirm_form(self, link: str) -> dict:
        """Open the letter form, continue to the send page: the confirmation form's fields."""
        letter = self.request("GET", link)
        assert letter.status_code == 200
        send = self.request("POST", link, data=letter_form_data(letter.text))
        if send.status_code == 303:  # the send page is reached by a redirect (issue 14)
            send = self.request("GET", send.headers["Location"].removeprefix(self.url))
        assert send.status_code == 200, send.status_code
        return {
            "csrf_token": csrf_token(send.text),
            "postcode": hidden(send.text, "postcode"),
            "token": hidden(send.text, "token"),
            "template_id": hidden(send.text, "template_id"),
            "proof": hidden(send.text, "proof"),
        }

    def confirm(self, link: str, form: dict, session: requests.Session | None = None):
        """Press "I have sent my letter"; True when acknowledged (303 to the thanks page)."""
        response = self.request("POST", link.replace("/write/", "/sent/"), session, data=form)
        return response, (
            response.status_code == 303
            and response.headers.get("Location", "").endswith(f"/c/{DEMO_SLUG}/thanks")
        )

    def twin(self) -> requests.Session:
        """A second connection with this browser's cookies (the same form sent twice at once,
        as a double click on a slow connection does)."""
        other = requests.Session()
        other.cookies = self.session.cookies.copy()
        return other


# -- 50 concurrent clients ------------------------------------------------------------------


def test_every_acknowledged_action_is_stored_exactly_once_under_load(serve):
    """50 clients, each writing 4 letters: some confirmed once, some twice in a row (a second
    press), some twice at the same moment from two connections. Every confirmation answered
    with the redirect to the thanks page is in the database exactly once, even after the
    server is killed without a chance to clean up; and no request got a 5xx."""
    server = serve()
    acknowledged: set[str] = set()
    submitted: set[str] = set()
    errors: list[str] = []
    supporters = [Supporter(server.url) for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS, timeout=30)
    guard = threading.Lock()

    def run(index: int, supporter: Supporter) -> None:
        try:
            start.wait()  # everyone starts at once
            links = supporter.lookup()
            for number in range(SUBMISSIONS):
                link = links[(index + number) % len(links)]
                form = supporter.confirm_form(link)
                with guard:
                    submitted.add(form["token"])
                mode = (index + number) % 3
                answers = []
                if mode == 0:  # pressed once
                    answers.append(supporter.confirm(link, form))
                elif mode == 1:  # pressed, then pressed again
                    answers.append(supporter.confirm(link, form))
                    answers.append(supporter.confirm(link, form))
                else:  # the same form twice at the same moment
                    twin = supporter.twin()
                    both = threading.Barrier(2, timeout=30)
                    extra: list = []

                    def again(twin=twin, both=both, extra=extra, link=link, form=form) -> None:
                        both.wait()
                        extra.append(supporter.confirm(link, form, twin))

                    other = threading.Thread(target=again)
                    other.start()
                    both.wait()
                    answers.append(supporter.confirm(link, form))
                    other.join(timeout=60)
                    answers.extend(extra)
                    twin.close()
                for response, ok in answers:
                    if ok:
                        with guard:
                            acknowledged.add(form["token"])
                    else:
                        errors.append(f"client {index}: confirmation got {response.status_code}")
        except Exception as exc:  # collected and asserted below
            errors.append(f"client {index}: {exc!r}")
        finally:
            supporter.session.close()

    threads = [
        threading.Thread(target=run, args=(index, supporter))
        for index, supporter in enumerate(supporters)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, 90 - (time.monotonic() - began)))
    assert not any(thread.is_alive() for thread in threads), "clients still running after 90 s"

    # Acknowledged means committed: kill the server outright before looking.
    server.stop(kill=True)
    rows = rows_per_token(server.database)

    server_errors = [s for supporter in supporters for s in supporter.statuses if s[2] >= 500]
    assert server_errors == [], server.log_tail()
    assert errors == [], server.log_tail()
    assert len(submitted) == CLIENTS * SUBMISSIONS
    assert acknowledged == submitted
    assert {token: rows[token] for token in acknowledged} == dict.fromkeys(acknowledged, 1)
    assert set(rows) == acknowledged  # and nothing else was recorded
    confirmations = sum(
        1 for supporter in supporters for s in supporter.statuses if "/sent/" in s[1]
    )
    assert confirmations > len(submitted)  # the double presses did happen


# -- a locked database --------------------------------------------------------------------------


class WriteLock:
    """Another writer holding SQLite's write lock (BEGIN IMMEDIATE) on the server's file."""

    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(
            database, timeout=10, isolation_level=None, check_same_thread=False
        )
        self.held = False

    def take(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.connection.execute("ROLLBACK")
            self.held = False

    def close(self) -> None:
        self.release()
        self.connection.close()


def test_a_locked_database_waits_then_gets_a_clear_503_and_the_retry_counts_once(serve):
    server = serve(SQLITE_BUSY_TIMEOUT=1.5)
    supporter = Supporter(server.url)
    links = supporter.lookup()
    form = supporter.confirm_form(links[0])
    lock = WriteLock(server.database)
    try:
        # Locked for longer than the server waits: a 503 that says what happened.
        lock.take()
        began = time.monotonic()
        response, ok = supporter.confirm(links[0], form)
        waited = time.monotonic() - began
        assert not ok
        assert response.status_code == 503, server.log_tail()
        assert response.headers["Retry-After"] == "5"
        page = unescape(response.text)
        assert "We are very busy right now" in page
        assert "Nothing was recorded" in page and "try again" in page
        assert waited >= 1.4  # it waited out the busy timeout first
        assert rows_per_token(server.database)[form["token"]] == 0
        lock.release()

        # The same submission again, once the lock is gone: recorded, once.
        response, ok = supporter.confirm(links[0], form)
        assert ok, (response.status_code, server.log_tail())
        response, ok = supporter.confirm(links[0], form)
        assert ok
        assert rows_per_token(server.database)[form["token"]] == 1

        # Locked briefly (less than the busy timeout): the server waits and succeeds.
        second = supporter.confirm_form(links[-1])
        lock.take()
        release = threading.Timer(0.2, lock.release)
        release.start()
        try:
            response, ok = supporter.confirm(links[-1], second)
        finally:
            release.join(timeout=5)
        assert ok, (response.status_code, server.log_tail())
        rows = rows_per_token(server.database)
        assert (rows[form["token"]], rows[second["token"]]) == (1, 1)
    finally:
        lock.close()
        supporter.session.close()
    assert not [s for s in supporter.statuses if s[2] >= 500 and s[2] != 503]


def test_other_database_errors_are_not_mistaken_for_a_busy_database(
    tmp_path, represent, monkeypatch
):
    """Only "database is locked" is worth a retry; anything else is the 500 page."""
    from .test_public import confirm, open_letter, review

    app = create_app(test_config(tmp_path))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        assert runner.invoke(args=command).exit_code == 0
    client = app.test_client()
    link, page = open_letter(client, represent, "K1P 5G4", "Alexandra Placeholder")
    send = review(client, link, page).get_data(as_text=True)

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(actions, "record_contact", broken)
    response = confirm(client, link, send, follow=False)
    assert response.status_code == 500
    assert "Something went wrong on our side" in unescape(response.get_data(as_text=True))
    app.extensions["advocacy_db"].engine.dispose()
