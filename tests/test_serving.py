"""The servers the app ships with, run for real in their own processes on loopback:
``advocacy serve`` (gunicorn, threaded workers) keeps answering pages that need no lookup while
lookups hang on the upstream, and neither it nor ``advocacy run`` (werkzeug) logs a client
address or, in production, the official a supporter writes to.

The upstream is a socket on 127.0.0.1 that accepts and never answers. Every wait is bounded
and every process started here is stopped by its own id.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from advocacy import serving

from .conftest import DEMO_SLUG, test_config
from .helpers import csrf_token
from .servers import ServerProcess, start_advocacy, wait_until_serving

# Valid Canadian postal codes, all different: each lookup is its own upstream call.
POSTCODES = ["K1A 0A6", "M5V 3L9", "H2X 1Y4", "V6B 1A1"]
LOOKUP_DEADLINE = 6.0
HTTP_TIMEOUT = 3.0
PAGE_BUDGET = 1.0  # seconds a page that needs no lookup may take while lookups hang
OFFICIAL_KEY = "an-officials-key-0123456789"
FORWARDED_FOR = "203.0.113.77"  # documentation address, sent as X-Forwarded-For


# -- a hanging upstream and a server process ----------------------------------------------------


class HangingUpstream:
    """A TCP server on loopback that accepts connections and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)  # held open, unanswered

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def hanging_upstream() -> Iterator[HangingUpstream]:
    upstream = HangingUpstream()
    yield upstream
    upstream.close()


@pytest.fixture
def start(app, tmp_path: Path) -> Iterator:
    """Start ``advocacy <command>`` on the database the `app` fixture prepared, configured by
    ADVOCACY_* variables as tests/conftest.py's test_config (with changes)."""
    processes: list[ServerProcess] = []

    def run(arguments: list[str], **changes) -> ServerProcess:
        config = test_config(tmp_path, **changes)
        processes.append(start_advocacy(arguments, config, tmp_path, f"server{len(processes)}"))
        return processes[-1]

    yield run
    for process in processes:
        process.stop(timeout=LOOKUP_DEADLINE + 10)


# -- production: gunicorn ---------------------------------------------------------------------


@dataclass
class Lookup:
    """One supporter entering a postal code, in a thread of its own."""

    url: str
    postcode: str
    seconds: float = 0.0
    status: int = 0

    def run(self) -> None:
        with requests.Session() as browser:
            page = browser.get(f"{self.url}/c/{DEMO_SLUG}/", timeout=10)
            started = time.monotonic()
            answer = browser.post(
                f"{self.url}/c/{DEMO_SLUG}/lookup",
                data={"csrf_token": csrf_token(page.text), "postcode": self.postcode},
                allow_redirects=False,
                timeout=LOOKUP_DEADLINE * 4,
            )
            self.seconds = time.monotonic() - started
            self.status = answer.status_code


def test_pages_answer_while_lookups_hang_and_the_access_log_names_nobody(
    start, hanging_upstream: HangingUpstream
):
    server = start(
        ["serve", "--bind", "127.0.0.1:0", "--workers", "2", "--threads", "8"],
        REPRESENT_URL=hanging_upstream.url,
        LOOKUP_DEADLINE=LOOKUP_DEADLINE,
        HTTP_TIMEOUT=HTTP_TIMEOUT,
        MIN_FILL_SECONDS=0.0,
    )
    port = server.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url)
    for _ in range(8):  # warm both workers (first renders compile templates): time stalls only
        requests.get(url + "/", timeout=10)

    lookups = [Lookup(url, code) for code in POSTCODES]
    threads = [threading.Thread(target=lookup.run, daemon=True) for lookup in lookups]
    for thread in threads:
        thread.start()
    # Every lookup is inside the app, waiting on the upstream, before pages are timed.
    deadline = time.monotonic() + 10
    while len(hanging_upstream.connections) < len(lookups) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hanging_upstream.connections) >= len(lookups), "the lookups never went upstream"

    timings: list[tuple[str, float, int]] = []
    for _ in range(5):
        for path in ("/", "/static/style.css"):
            started = time.monotonic()
            answer = requests.get(url + path, timeout=LOOKUP_DEADLINE * 2)
            timings.append((path, time.monotonic() - started, answer.status_code))
    still_waiting = sum(thread.is_alive() for thread in threads)
    for thread in threads:
        thread.join(timeout=LOOKUP_DEADLINE * 4)
    assert not any(thread.is_alive() for thread in threads), "a lookup never answered"

    slowest = max(seconds for _, seconds, _ in timings)
    print(
        f"\nslowest page while {len(lookups)} lookups hung: {slowest * 1000:.0f} ms; "
        f"lookups took {', '.join(f'{x.seconds:.1f}' for x in lookups)} s"
    )
    assert all(status == 200 for _, _, status in timings), timings
    assert slowest < PAGE_BUDGET, timings
    # The pages were timed while every lookup was still held by the upstream.
    assert still_waiting == len(lookups)
    assert all(lookup.seconds >= HTTP_TIMEOUT * 0.8 for lookup in lookups), lookups

    # A supporter's "I have sent it" and a forwarded address, for the log.
    sent = requests.post(
        f"{url}/c/{DEMO_SLUG}/sent/{OFFICIAL_KEY}",
        headers={"X-Forwarded-For": FORWARDED_FOR},
        timeout=10,
    )
    assert sent.status_code < 500
    # A request gunicorn itself refuses: its error log names the client, unless scrubbed.
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as connection:
        connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert connection.recv(100).startswith(b"HTTP/1.1 400")
    server.stop()

    access_log = server.output()
    assert f'"POST /c/{DEMO_SLUG}/lookup"' in access_log
    assert access_log.count(f'"POST /c/{DEMO_SLUG}/lookup"') == len(lookups)
    assert '"GET /"' in access_log and '"GET /static/style.css"' in access_log
    assert f'"POST /c/{DEMO_SLUG}/sent/-"' in access_log
    assert "127.0.0.1" not in access_log
    assert FORWARDED_FOR not in access_log
    assert OFFICIAL_KEY not in access_log
    error_log = server.errors()
    assert FORWARDED_FOR not in error_log and OFFICIAL_KEY not in error_log
    assert "Using worker: gthread" in error_log
    assert "Invalid request from ip=-" in error_log
    assert not [
        line for line in error_log.splitlines() if "127.0.0.1" in line and "Listening" not in line
    ]


# -- development: werkzeug --------------------------------------------------------------------


def test_the_development_server_logs_no_client_address(start):
    server = start(["run", "--host", "127.0.0.1", "--port", "0"])
    port = server.wait_for(r"Running on http://127\.0\.0\.1:(\d+)").group(1)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url)
    requests.post(f"{url}/c/{DEMO_SLUG}/sent/{OFFICIAL_KEY}", timeout=10)
    server.stop()

    lines = [line for line in server.errors().splitlines() if OFFICIAL_KEY in line]
    assert lines, server.errors()
    assert all("127.0.0.1" not in line and line.startswith("- ") for line in lines), lines


# -- the settings and the log's paths ---------------------------------------------------------


def test_settings_threaded_recycled_and_above_the_lookup_deadline():
    settings = serving.gunicorn_settings({"LOOKUP_DEADLINE": 25.0})
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] > 1
    assert settings["timeout"] > 25.0 and settings["graceful_timeout"] > 25.0
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert "%(h)s" not in settings["access_log_format"]
    options = serving.gunicorn_settings(
        {"SERVE_WORKERS": 3, "SERVE_THREADS": 4}, bind="unix:/tmp/a.sock", threads=16
    )
    assert (options["bind"], options["workers"], options["threads"]) == (
        ["unix:/tmp/a.sock"],
        3,
        16,
    )


@pytest.mark.parametrize(
    ("method", "path", "logged"),
    [
        ("POST", f"/c/{DEMO_SLUG}/sent/{OFFICIAL_KEY}", f"/c/{DEMO_SLUG}/sent/-"),
        ("GET", f"/c/{DEMO_SLUG}/write/{OFFICIAL_KEY}", f"/c/{DEMO_SLUG}/write/-"),
        ("DELETE", f"/c/{DEMO_SLUG}/write/{OFFICIAL_KEY}", f"/c/{DEMO_SLUG}/write/-"),
        ("GET", f"/c/{DEMO_SLUG}/confirm/a-token", f"/c/{DEMO_SLUG}/confirm/-"),
        ("GET", "/photo/a-token", "/photo/-"),
        ("GET", "/static/style.css", "/static/style.css"),
        ("GET", "/", "/"),
        ("GET", f"/c/{OFFICIAL_KEY}/sent", serving.NO_ROUTE),
    ],
)
def test_the_log_shows_routes_not_officials(app, method: str, path: str, logged: str):
    assert serving.loggable_path(app.url_map, method, path) == logged


@pytest.mark.parametrize(
    ("method", "path", "logged"),
    [
        ("GET", f"/c/{DEMO_SLUG}/write/{OFFICIAL_KEY}", f"/c/{DEMO_SLUG}/write/-"),
        # Refused by CSRFProtect's hook, before the view: logged by its route all the same.
        ("POST", f"/c/{DEMO_SLUG}/sent/{OFFICIAL_KEY}", f"/c/{DEMO_SLUG}/sent/-"),
        ("GET", f"/fr/c/{DEMO_SLUG}/", f"/c/{DEMO_SLUG}/"),
        ("GET", "/static/style.css", "/static/style.css"),
    ],
)
def test_the_log_takes_the_route_flask_matched(app, method: str, path: str, logged: str):
    from werkzeug.test import EnvironBuilder

    served = serving._RoutesForTheLog(app)
    environ = EnvironBuilder(method=method, path=path).get_environ()
    b"".join(served(environ, lambda *_args: None))
    assert environ[serving.ROUTE_KEY] == logged
    assert OFFICIAL_KEY not in logged
