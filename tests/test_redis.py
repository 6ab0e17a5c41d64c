"""Rate limits held in Redis are shared by every worker (several app processes)."""

from __future__ import annotations

import os

import pytest

from advocacy import create_app

from .conftest import DEMO_SLUG, require, test_config
from .helpers import csrf_token

REDIS_URL = os.environ.get("ADVOCACY_TEST_REDIS_URL", "")


@pytest.fixture
def redis_url():
    require(bool(REDIS_URL), "Redis not available: set ADVOCACY_TEST_REDIS_URL")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        require(False, f"Redis at {REDIS_URL} not answering: {exc}")
    yield REDIS_URL
    client.flushdb()


def worker(tmp_path, redis_url):
    app = create_app(test_config(tmp_path, REDIS_URL=redis_url, LOOKUP_RATE_LIMIT="2 per minute"))
    runner = app.test_cli_runner()
    runner.invoke(args=["init-db"])
    runner.invoke(args=["seed-demo"])
    return app


def lookup(app):
    client = app.test_client()
    page = client.get(f"/c/{DEMO_SLUG}/").get_data(as_text=True)
    return client.post(
        f"/c/{DEMO_SLUG}/lookup", data={"csrf_token": csrf_token(page), "postcode": "K1P 5G4"}
    ).status_code


def test_two_workers_share_one_limit(tmp_path, redis_url, represent):
    import redis

    represent.add("K1P5G4")
    first, second = worker(tmp_path, redis_url), worker(tmp_path, redis_url)
    assert [lookup(first), lookup(second), lookup(first)] == [303, 303, 429]
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*")]
    assert keys and not any("127.0.0.1" in key for key in keys)  # no address stored
