"""Rate limits kept in memory (no Redis) never fail a request when two threads of one worker
renew the expiry timer at once (limits' MemoryStorage race, see advocacy/limiter_storage.py)."""

from __future__ import annotations

import threading
import time

import limits.storage.memory
import pytest
from limits.storage import MemoryStorage

from advocacy import create_app
from advocacy.extensions import limiter
from advocacy.limiter_storage import ThreadSafeMemoryStorage

from .conftest import test_config


class ImmediateTimer(threading.Timer):
    """The storage's expiry timer, firing at once instead of after 10 ms (so nearly every call
    renews it), and slow to be freed. Replacing the storage's timer frees the old one in the
    middle of ``self.timer = Timer(...); self.timer.start()``; in CPython that runs Python code
    (weak-reference callbacks), where another thread may take over. The pause here makes that
    window, which under load is hit about once in 10,000 requests, wide enough to hit in a test."""

    def __init__(self, interval, function, *args, **kwargs):
        super().__init__(0, function, *args, **kwargs)

    def __del__(self):
        time.sleep(0.001)


def hammer(storage: MemoryStorage, threads: int = 8, rounds: int = 50) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        for i in range(rounds):
            try:
                storage.incr(f"key-{i % 3}", expiry=1)
            except BaseException as exc:  # what a request thread would raise
                errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.fixture
def racing_timers(monkeypatch):
    monkeypatch.setattr(limits.storage.memory.threading, "Timer", ImmediateTimer)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_library_storage_fails_under_threads(racing_timers):
    # Shows the race this module exists for (if limits fixes it, this test tells us to drop ours).
    errors = hammer(MemoryStorage())
    time.sleep(0.1)  # the timers started twice end here, under this test's warning filter
    assert any("threads can only be started once" in str(e) for e in errors)


def test_the_app_storage_does_not(racing_timers):
    assert hammer(ThreadSafeMemoryStorage()) == []


def test_the_app_uses_it_without_redis(tmp_path):
    app = create_app(test_config(tmp_path))
    assert app.config["RATELIMIT_STORAGE_URI"] == "advocacy-memory://"
    with app.app_context():
        assert isinstance(limiter.limiter.storage, ThreadSafeMemoryStorage)
