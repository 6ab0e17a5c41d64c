"""Shared fixtures: a fresh app on a real SQLite file per test, its client and CLI runner, and
Represent stubbed with `responses` (no test reaches the internet)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import responses
from sqlalchemy import event

from advocacy import create_app
from advocacy.db import Database

FIXTURES = Path(__file__).parent / "fixtures"
REPRESENT = "https://represent.test"
DEMO_SLUG = "canada-beijing-policy"


def represent_body(code: str) -> dict:
    """A recorded-shape Represent body from tests/fixtures/represent/."""
    return json.loads((FIXTURES / "represent" / f"{code}.json").read_text(encoding="utf-8"))


def require(available: bool, reason: str) -> None:
    """Skip a test whose system component is missing; under ADVOCACY_REQUIRE_ALL=1 (CI), fail."""
    if available:
        return
    if os.environ.get("ADVOCACY_REQUIRE_ALL") == "1":
        pytest.fail(f"required component missing (ADVOCACY_REQUIRE_ALL=1): {reason}")
    pytest.skip(reason)


def test_config(tmp_path: Path, **overrides) -> dict:
    """Settings for a test app: a SQLite file in tmp_path, Represent at a stub address."""
    config = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'advocacy.db'}",
        "REPRESENT_URL": REPRESENT,
        "HTTP_BACKOFF": 0.0,
        "HTTP_TIMEOUT": 2.0,
        "LOOKUP_DEADLINE": 5.0,
        # Cheap Argon2 for speed; test_admin_auth checks the production parameters.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_PARALLELISM": 1,
        # Tests press buttons at once; test_public checks the minimum fill time itself.
        "MIN_FILL_SECONDS": 0.0,
        # Tests send the same letter many times; test_public checks duplicates count once.
        "DUPLICATE_LETTER_WINDOW": 0,
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test


@pytest.fixture(autouse=True)
def upstream():
    """Every test runs with HTTP stubbed: an unstubbed request fails instead of going out."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"http://(127\.0\.0\.1|localhost)(:\d+)?/"))
        yield mock


class RepresentStub:
    """Helpers to stub Represent's /postcodes/{CODE}/ with the recorded-shape fixtures."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def url(self, code: str) -> str:
        return f"{REPRESENT}/postcodes/{code}/"

    def add(self, code: str, body: dict | Exception | None = None, **kwargs):
        """Stub one answer for ``code``: a fixture body by default, or ``body`` (JSON, or an
        exception to raise, like a timeout)."""
        if isinstance(body, Exception):
            return self.mock.get(self.url(code), body=body, **kwargs)
        return self.mock.get(
            self.url(code), json=represent_body(code) if body is None else body, **kwargs
        )

    def calls(self, code: str) -> int:
        return sum(1 for call in self.mock.calls if call.request.url == self.url(code))


@pytest.fixture
def represent(upstream) -> RepresentStub:
    return RepresentStub(upstream)


@pytest.fixture
def app(tmp_path):
    app = create_app(test_config(tmp_path))
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    yield app
    app.extensions["advocacy_db"].engine.dispose()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["advocacy_db"]


@pytest.fixture
def statements(db):
    """The SQL statements the app runs while the test goes on (to show what is read once)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- translations (issue 9) -----------------------------------------------------------------------


def pytest_sessionstart(session) -> None:
    """Build any .mo older than its .po (`make test` does too), so a bare `pytest` after a
    translation was edited serves it."""
    from tests.i18n_catalogues import compile_stale

    compile_stale()
