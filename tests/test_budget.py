"""The shared upstream budget and the circuit breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from advocacy import create_app
from advocacy.models import Campaign, UpstreamState

from .conftest import test_config
from .helpers import lookup


def make_app(tmp_path, **overrides):
    app = create_app(test_config(tmp_path, **overrides))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    db = app.extensions["advocacy_db"]
    with db.write() as session:  # only Represent's officials: no custom-target fallback
        session.scalar(select(Campaign)).target_mode = "provider"
    return app


def test_when_the_budget_is_spent_new_codes_get_a_busy_page(tmp_path, represent):
    app = make_app(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=2)
    for code in ("K1P5G4", "G6G1B2", "V0C1R0"):
        represent.add(code)
    client = app.test_client()
    assert lookup(client, "K1P 5G4").status_code == 200
    assert lookup(client, "G6G 1B2").status_code == 200
    response = lookup(client, "V0C 1R0")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Many people are writing right now" in page and "Please try again in" in page
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert represent.calls("V0C1R0") == 0  # the upstream was not asked
    # A code already cached is still answered.
    assert lookup(client, "K1P 5G4").status_code == 200


def test_the_budget_is_shared_by_every_worker(tmp_path, represent):
    """Two app instances (two workers) on one database share one budget."""
    first = make_app(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=2)
    second = create_app(test_config(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=2))
    for code in ("K1P5G4", "G6G1B2", "V0C1R0"):
        represent.add(code)
    assert lookup(first.test_client(), "K1P 5G4").status_code == 200
    assert lookup(second.test_client(), "G6G 1B2").status_code == 200
    assert lookup(second.test_client(), "V0C 1R0").status_code == 503


def test_a_stale_answer_is_served_when_the_budget_is_spent(tmp_path, represent):
    app = make_app(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=1, LOOKUP_TTL=0)
    represent.add("K1P5G4")
    client = app.test_client()
    assert lookup(client, "K1P 5G4").status_code == 200
    response = lookup(client, "K1P 5G4")  # expired at once, and no budget left
    assert response.status_code == 200
    assert "may be out of date" in response.get_data(as_text=True)
    assert represent.calls("K1P5G4") == 1


def test_the_budget_renews_each_minute(tmp_path, represent):
    app = make_app(tmp_path, UPSTREAM_BUDGET_PER_MINUTE=1)
    represent.add("K1P5G4")
    represent.add("G6G1B2")
    client = app.test_client()
    assert lookup(client, "K1P 5G4").status_code == 200
    assert lookup(client, "G6G 1B2").status_code == 503
    db = app.extensions["advocacy_db"]
    with db.write() as session:
        state = session.get(UpstreamState, "represent")
        state.window_start -= timedelta(seconds=61)
    assert lookup(client, "G6G 1B2").status_code == 200


def test_an_upstream_that_keeps_failing_is_left_alone(tmp_path, represent):
    # Failures are not remembered here, so that each lookup is a call the breaker counts.
    app = make_app(
        tmp_path,
        UPSTREAM_FAILURE_THRESHOLD=2,
        UPSTREAM_COOLDOWN=30.0,
        HTTP_RETRIES=0,
        LOOKUP_FAILURE_MEMORY=0,
    )
    for _ in range(2):
        represent.add("K1P5G4", body={}, status=500)
    client = app.test_client()
    assert lookup(client, "K1P 5G4").status_code == 503
    assert lookup(client, "K1P 5G4").status_code == 503
    assert represent.calls("K1P5G4") == 2
    response = lookup(client, "K1P 5G4")  # the circuit is open: no call at all
    assert response.status_code == 503 and represent.calls("K1P5G4") == 2
    assert 25 <= int(response.headers["Retry-After"]) <= 30
    # After the cooldown one trial call goes through; its success closes the circuit.
    db = app.extensions["advocacy_db"]
    with db.write() as session:
        session.get(UpstreamState, "represent").open_until = datetime.now(UTC)
    represent.add("K1P5G4")
    assert lookup(client, "K1P 5G4").status_code == 200
    with db.reader() as session:
        state = session.get(UpstreamState, "represent")
        assert (state.failures, state.open_until) == (0, None)


@pytest.mark.parametrize("status", [404])
def test_a_clear_answer_does_not_count_as_a_failure(tmp_path, represent, status):
    app = make_app(tmp_path, UPSTREAM_FAILURE_THRESHOLD=1)
    represent.add("K0K0K0", body={"detail": "Not found."}, status=status)
    client = app.test_client()
    assert lookup(client, "K0K 0K0").status_code == 404
    with app.extensions["advocacy_db"].reader() as session:
        assert session.get(UpstreamState, "represent").open_until is None
