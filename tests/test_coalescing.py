"""One upstream call per postal code across processes and hosts (issue 13), and the budget and
rate limits they share, shown with real server processes on loopback.

Two ``advocacy serve`` processes (gunicorn, one worker each) on one
PostgreSQL database and one Redis, with Represent pointed at a stub served here, which counts
calls and answers each after half a second with a recorded body (tests/fixtures/represent/).
Supporters drive the lookup form as a browser does: GET the page, read the CSRF token, POST.
Each supporter comes from its own address (X-Forwarded-For, believed with PROXY_HOPS=1), so
that the per-address rate limit counts only what a test means it to.

Without PostgreSQL or Redis the two-host test skips (and fails under ADVOCACY_REQUIRE_ALL=1);
the SQLite variant (two processes on one file, the lease in the database) and the lease's
expiry need nothing but this machine.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from advocacy import create_app
from advocacy.civic.cache import LookupCache
from advocacy.civic.officials import LookupResult
from advocacy.constants import TargetMode
from advocacy.models import Campaign, LookupLease

from .conftest import DEMO_SLUG, FIXTURES, require, test_config
from .helpers import csrf_token
from .servers import ServerProcess, serve
from .test_postgres import pg_url  # noqa: F401 - a fixture: a fresh PostgreSQL database

MP = "Alexandra Placeholder"
RECORDED = ["G6G1B2", "K1P5G4", "M5V3L9", "V0C1R0"]  # tests/fixtures/represent/<code>.json
UPSTREAM_SECONDS = 0.5
BUSY = "Many people are writing right now"  # the budget is spent
UNAVAILABLE = "We cannot look up officials right now"  # no answer within the deadline


# -- a slow Represent that counts its calls ---------------------------------------------------


class SlowRepresent:
    """``/postcodes/<CODE>/`` on 127.0.0.1, after UPSTREAM_SECONDS, with the recorded body of
    that code (or of K1P5G4 for any other code); calls counted by code."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._answer, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @Request.application
    def _answer(self, request: Request) -> Response:
        code = request.path.strip("/").rsplit("/", 1)[-1]
        with self._lock:
            self.calls[code] += 1
        time.sleep(UPSTREAM_SECONDS)
        recorded = code if code in RECORDED else "K1P5G4"
        body = (FIXTURES / "represent" / f"{recorded}.json").read_bytes()
        return Response(body, mimetype="application/json")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def slow_represent() -> Iterator[SlowRepresent]:
    stub = SlowRepresent()
    yield stub
    stub.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("ADVOCACY_TEST_REDIS_URL", "")
    require(bool(url), "Redis not available: set ADVOCACY_TEST_REDIS_URL")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        require(False, f"Redis at {url} not answering: {exc}")
    yield url
    client.flushdb()
    client.close()


# -- a browser ------------------------------------------------------------------------------


def look_up(url: str, postcode: str, address: str, start: threading.Barrier | None = None):
    """A supporter at ``address`` enters ``postcode``: (status, page text after redirects)."""
    headers = {"X-Forwarded-For": address}
    with requests.Session() as browser:
        page = browser.get(f"{url}/c/{DEMO_SLUG}/", headers=headers, timeout=20)
        if start is not None:
            start.wait(timeout=30)  # every supporter presses the button at once
        answer = browser.post(
            f"{url}/c/{DEMO_SLUG}/lookup",
            data={"csrf_token": csrf_token(page.text), "postcode": postcode},
            headers=headers,
            timeout=30,
        )
        return answer.status_code, answer.text


def all_at_once(jobs: list[tuple[str, str, str]]) -> list[tuple[int, str]]:
    """``look_up(url, postcode, address)`` for every job, in threads, pressed at once."""
    results: list[tuple[int, str] | None] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        results[index] = look_up(*jobs[index], start=start)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result is not None for result in results), "a supporter never got an answer"
    return results  # type: ignore[return-value]


def demo(config: dict):
    """An app on a database with the demo campaign, writing to the provider's officials only
    (so that a lookup without the provider's answer shows the friendly error page, rather
    than the campaign's own targets alone)."""
    app = create_app(config)
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    db = app.extensions["advocacy_db"]
    with db.write() as session:
        session.execute(update(Campaign).values(target_mode=TargetMode.PROVIDER))
    return app


def prepare(tmp_path: Path, **settings) -> dict:
    """The settings both servers run with, on a database with the demo campaign."""
    config = test_config(tmp_path, **settings)
    demo(config).extensions["advocacy_db"].engine.dispose()
    return config


def start_both(config: dict, directory: Path, workers: int) -> list[ServerProcess]:
    """Two server processes with the same settings, started side by side."""
    servers: list[ServerProcess | BaseException | None] = [None, None]

    def start(index: int) -> None:
        try:
            servers[index] = serve(config, directory, f"host{index}", workers, threads=8)
        except BaseException as exc:  # reported below, once both are known
            servers[index] = exc

    threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    started = [s for s in servers if isinstance(s, ServerProcess)]
    if len(started) < 2:
        for server in started:
            server.stop(kill=True)
        raise AssertionError(f"a server did not start: {servers}")
    return started


@pytest.fixture
def hosts() -> Iterator[list[ServerProcess]]:
    """Servers started by the test, stopped at its end."""
    running: list[ServerProcess] = []
    yield running
    for server in running:  # both at once (SIGTERM: gunicorn's graceful stop)
        if server.popen.poll() is None:
            server.popen.send_signal(signal.SIGTERM)
    for server in running:
        server.stop()


# -- two hosts: PostgreSQL and Redis ------------------------------------------------------------


def test_two_hosts_share_lookups_budget_and_limits(
    tmp_path,
    pg_url,  # noqa: F811 - the fixture imported above
    redis_url,
    slow_represent,
    hosts,
):
    config = prepare(
        tmp_path,
        DATABASE_URL=pg_url,
        REDIS_URL=redis_url,
        REPRESENT_URL=slow_represent.url,
        PROXY_HOPS=1,
        LOOKUP_RATE_LIMIT="4 per minute",
        UPSTREAM_BUDGET_PER_MINUTE=6,
        LOOKUP_DEADLINE=10.0,
    )
    hosts.extend(start_both(config, tmp_path, workers=1))
    first, second = (server.url for server in hosts)

    # (a) Four supporters per code, two on each host, all at once: one call per code.
    jobs = [
        (first if n % 2 else second, code, f"203.0.113.{10 * i + n}")
        for i, code in enumerate(RECORDED)
        for n in range(4)
    ]
    results = all_at_once(jobs)
    assert [status for status, _ in results] == [200] * len(jobs), [r[0] for r in results]
    assert all(MP in text for _, text in results[4:8])  # K1P 5G4: the officials page
    assert slow_represent.calls == Counter({code: 1 for code in RECORDED})

    # (b) The budget (6 a minute, 4 spent) is one for both: 2 more through the first host,
    # then the second host refuses a new code without calling.
    assert look_up(first, "H2X 1Y4", "198.51.100.1")[0] == 200
    assert look_up(first, "V6B 1A1", "198.51.100.2")[0] == 200
    status, text = look_up(second, "K1A 0A6", "198.51.100.3")
    assert (status, BUSY in text) == (503, True)
    assert sum(slow_represent.calls.values()) == 6 and "K1A0A6" not in slow_represent.calls

    # (c) The rate limit (4 lookups a minute per address) counts on both hosts together.
    address = "198.51.100.9"
    statuses = [look_up(url, "K1P 5G4", address)[0] for url in (first, second, first, second)]
    assert statuses == [200, 200, 200, 200]
    assert look_up(first, "K1P 5G4", address)[0] == 429
    assert look_up(second, "K1P 5G4", address)[0] == 429
    assert sum(slow_represent.calls.values()) == 6  # all of those were answered from the cache


# -- two processes on one SQLite file, no Redis -----------------------------------------------


def test_two_processes_on_sqlite_make_one_call_per_code(tmp_path, slow_represent, hosts):
    # Two servers, one SQLite file, no Redis: the lease is a row of the database.
    config = prepare(tmp_path, REPRESENT_URL=slow_represent.url, PROXY_HOPS=1, LOOKUP_DEADLINE=10.0)
    hosts.extend(start_both(config, tmp_path, workers=1))
    codes = RECORDED[:3]
    jobs = [
        (hosts[n % 2].url, code, f"203.0.113.{10 * i + n}")
        for i, code in enumerate(codes)
        for n in range(4)
    ]
    results = all_at_once(jobs)
    assert [status for status, _ in results] == [200] * len(jobs)
    assert slow_represent.calls == Counter({code: 1 for code in codes})


# -- the lease of a holder that died ------------------------------------------------------------


def test_a_lease_held_elsewhere_is_waited_for_and_an_expired_one_taken_over(tmp_path, represent):
    app = demo(test_config(tmp_path, LOOKUP_DEADLINE=0.6))
    db = app.extensions["advocacy_db"]
    cache = app.extensions["advocacy"].path.cache
    key = cache.key("represent", "K1P 5G4")
    represent.add("K1P5G4")
    client = app.test_client()

    def lookup():
        page = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
        return client.post(
            f"/c/{DEMO_SLUG}/lookup",
            data={"csrf_token": csrf_token(page), "postcode": "K1P 5G4"},
            follow_redirects=True,
        )

    # Another process is asking Represent for this code: the supporter waits for its answer,
    # which does not come within the deadline, and gets the same page as when Represent does
    # not answer, with no call made.
    with db.write() as session:
        later = datetime.now(UTC) + timedelta(seconds=30)
        session.add(LookupLease(key=key, holder="another-process", expires_at=later))
    started = time.monotonic()
    answer = lookup()
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503 and UNAVAILABLE in text
    assert 0.6 <= time.monotonic() - started < 3  # it waited all of the deadline
    assert represent.calls("K1P5G4") == 0

    # That process died: once its lease expired, the next lookup takes it over and calls.
    with db.write() as session:
        session.get(LookupLease, key).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    answer = lookup()
    assert answer.status_code == 200 and MP in answer.get_data(as_text=True)
    assert represent.calls("K1P5G4") == 1
    with db.reader() as session:
        assert session.get(LookupLease, key) is None  # released once the answer was stored
    db.engine.dispose()


def test_with_redis_unreachable_the_lease_falls_back_to_the_database(tmp_path):
    app = demo(test_config(tmp_path))
    db = app.extensions["advocacy_db"]
    # Nothing listens on the discard port: every Redis command fails at once.
    cache = LookupCache(
        db, b"k", ttl=60, stale_max=600, wait=2.0, redis_url="redis://127.0.0.1:9/0"
    )
    key = cache.key("represent", "K1P 5G4")
    seen: list[int] = []

    def call() -> LookupResult:
        with db.reader() as session:  # the lease is a row while the call runs
            seen.append(len(session.scalars(select(LookupLease)).all()))
        return LookupResult(postcode="K1P 5G4", officials=())

    assert cache.fetch(key, call).postcode == "K1P 5G4"
    assert cache.fetch(key, call).postcode == "K1P 5G4"  # from the cache
    assert seen == [1]
    with db.reader() as session:
        assert session.scalars(select(LookupLease)).all() == []
    db.engine.dispose()
