"""End-to-end fixtures: the app served for real on loopback, Represent answered by a second
loopback server, and the system Chromium driven by Playwright (sync API).

Nothing here leaves 127.0.0.1: the app calls the Represent stub over real HTTP (the `upstream`
fixture in tests/conftest.py lets loopback through and blocks everything else), and the browser
only ever talks to the app.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from advocacy import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Page
from tests.conftest import FIXTURES, require, test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


class _Served:
    """A WSGI app served by werkzeug on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, wsgi_app) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@Request.application
def _represent(request: Request) -> Response:
    """Represent's /postcodes/{CODE}/ answered from tests/fixtures/represent/{CODE}.json."""
    parts = request.path.strip("/").split("/")
    if request.method == "GET" and len(parts) == 2 and parts[0] == "postcodes":
        code = parts[1]
        path = FIXTURES / "represent" / f"{code}.json"
        if code.isalnum() and path.is_file():
            return Response(path.read_bytes(), mimetype="application/json")
    body = json.dumps({"error": "Not Found"})
    return Response(body, status=404, mimetype="application/json")


@pytest.fixture(scope="module")
def represent_server() -> Iterator[str]:
    served = _Served(_represent)
    yield served.url
    served.stop()


@dataclass
class LiveApp:
    app: Flask
    url: str
    represent_url: str

    @property
    def db(self):
        return self.app.extensions["advocacy_db"]


@pytest.fixture
def live_app(tmp_path: Path, represent_server: str, upstream) -> Iterator[LiveApp]:
    """A fresh app (own SQLite file, demo campaign seeded) served on 127.0.0.1.

    Depends on `upstream` so that the server stops before the HTTP stubbing does."""
    app = create_app(test_config(tmp_path, REPRESENT_URL=represent_server))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    served = _Served(app)
    yield LiveApp(app, served.url, represent_server)
    served.stop()
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, headless (Playwright's own browser download is not used)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the dev extras
        require(False, "Playwright is not installed (pip install -e '.[dev]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        require(False, f"Chromium not available at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Requests:
    """Every URL the page asked for, in order."""

    urls: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.urls}

    def foreign(self) -> list[str]:
        return [url for url in self.urls if urlsplit(url).hostname != "127.0.0.1"]


@dataclass
class Tab:
    """A page in its own browser context (own cookies), with the requests it made."""

    page: Page
    requests: Requests


def _tab(browser, javascript: bool) -> Iterator[Tab]:
    context = browser.new_context(java_script_enabled=javascript, locale="en-CA")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    seen = Requests()
    page.on("request", lambda request: seen.urls.append(request.url))
    yield Tab(page, seen)
    context.close()


@pytest.fixture
def tab_nojs(browser) -> Iterator[Tab]:
    """A fresh browser context with JavaScript disabled, as some supporters browse."""
    yield from _tab(browser, javascript=False)


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    """A fresh browser context with JavaScript enabled."""
    yield from _tab(browser, javascript=True)
