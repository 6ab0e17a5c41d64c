"""The lookup cache: one policy for every provider.

- fresh for ``ttl`` seconds: answered from the database, no upstream call;
- older: one upstream call per key at a time, across every thread, worker and host: threads
  of one process queue on a lock per key, and the first of them takes a lease on the key shared
  by every process (Redis, else a table: coalesce.py). A second supporter with the same code,
  in any process, waits for that call's answer to land in the cache, at most ``wait`` seconds,
  then gets the same friendly error;
- upstream down: the stale answer, if it is younger than ``stale_max``, marked ``stale``; the
  failure itself is remembered for ``failure_memory`` seconds, so that the redirect after a
  failed lookup, and reloads, answer at once instead of calling the upstream again.

Only :meth:`LookupCache.fetch` calls an upstream. Pages after the lookup step read with
:meth:`LookupCache.read`, which never does: nobody can spend the upstream budget except
through the (rate-limited) lookup step.

Privacy: a row is keyed by the provider's name and a keyed hash of the postal code (with the
districts, for providers that need an address), never the code itself, and its time is rounded
down to the hour (to a quarter of the TTL when that is shorter), so that it cannot be matched
to the time of a contact. Rows older than the
stale limit are deleted whenever an answer is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_

from ..db import Database
from ..models import LookupCacheEntry
from .coalesce import Leases, leases
from .errors import UpstreamUnavailable
from .officials import LookupResult
from .provider import Provider


def _now() -> datetime:
    return datetime.now(UTC)


def _coarse(moment: datetime, step: float) -> datetime:
    """``moment`` rounded down to a multiple of ``step`` seconds (since the epoch)."""
    if step <= 0:
        return moment
    seconds = moment.timestamp()
    return datetime.fromtimestamp(seconds - seconds % step, UTC)


class RememberedFailure(UpstreamUnavailable):
    """The upstream failed for this key a moment ago; it is not asked again yet."""


class _KeyLocks:
    """One lock per key while anyone holds or waits for it (the table does not grow with
    every postal code ever looked up)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def acquire(self, key: str, timeout: float) -> bool:
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            if lock is None:
                lock = threading.Lock()
            self._locks[key] = (lock, users + 1)
        if lock.acquire(timeout=max(0.0, timeout)):
            return True
        self._leave(key)
        return False

    def release(self, key: str) -> None:
        lock, _ = self._locks[key]
        lock.release()
        self._leave(key)

    def _leave(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_LOCKS = _KeyLocks()

# Fresh answers kept in a worker's memory (LookupCache.read): about 5 KB each.
RECENT_MAX = 1000
# Seconds between two looks at the cache while another process asks the upstream.
POLL_FIRST, POLL_MAX = 0.02, 0.2


class LookupCache:
    """Provider answers kept in the ``lookup_cache`` table (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        secret: bytes | None,
        ttl: float,
        stale_max: float,
        failure_memory: float = 30.0,
        wait: float = 10.0,
        redis_url: str = "",
    ) -> None:
        self.db = db
        self.secret = secret
        self.ttl = timedelta(seconds=ttl)
        self.stale_max = timedelta(seconds=stale_max)
        self.failure_memory = timedelta(seconds=failure_memory)
        self.wait = wait
        self._locks = _LOCKS
        # Across processes and hosts (coalesce.py): held for a whole lookup and a margin, so
        # that a holder that died is replaced soon after the others have given up waiting.
        self.leases: Leases = leases(db, redis_url)
        self.lease_seconds = wait + 5.0
        # How coarse a stored time is: an hour, or a quarter of a short TTL (so that an answer
        # is fresh for at least three quarters of the TTL).
        self.time_step = min(3600.0, ttl / 4)
        # Issue 13: fresh answers, parsed, kept in this process while they are fresh (the
        # officials page and the letter pages read the same key again and again): keyed by
        # the row's key (a keyed hash), at most RECENT_MAX of them. Never an absence, a
        # failure or a stale answer, so a lookup stored by another worker is seen at once.
        self._recent: dict[str, tuple[datetime, LookupResult]] = {}

    def key(self, provider: str, postcode: str, districts: Mapping[str, Any] | None = None) -> str:
        """The row's key: the provider, and a keyed hash of what was looked up."""
        material = postcode
        if districts:
            material += "|" + json.dumps(districts, sort_keys=True, separators=(",", ":"))
        if self.secret is None:
            return f"{provider}:{material}"[:120]
        digest = hmac.new(self.secret, material.encode(), hashlib.sha256).hexdigest()
        return f"{provider}:{digest}"

    # -- reading, never calling the upstream ----------------------------------------------

    def _entry(self, key: str) -> LookupCacheEntry | None:
        with self.db.reader() as session:
            return session.get(LookupCacheEntry, key)

    def _usable(
        self, entry: LookupCacheEntry | None, now: datetime, not_before: datetime | None = None
    ) -> LookupResult | None:
        if entry is None or not entry.payload or now - entry.fetched_at >= self.stale_max:
            return None
        if not_before is not None and entry.fetched_at < not_before:
            # Fetched before the officials changed (an election): not served, even stale.
            return None
        stale = now - entry.fetched_at >= self.ttl
        return LookupResult.from_dict(
            json.loads(entry.payload), stale=stale, fetched_at=entry.fetched_at.isoformat()
        )

    def _fresh(
        self, entry: LookupCacheEntry | None, now: datetime, not_before: datetime | None = None
    ) -> LookupResult | None:
        result = self._usable(entry, now, not_before)
        return result if result is not None and not result.stale else None

    def _failure(self, entry: LookupCacheEntry | None, now: datetime) -> RememberedFailure | None:
        if entry is None or entry.failed_until is None or entry.failed_until <= now:
            return None
        return RememberedFailure(
            "upstream failed a moment ago",
            retry_after=(entry.failed_until - now).total_seconds(),
        )

    def read(self, key: str, not_before: datetime | None = None) -> LookupResult | None:
        """The stored answer (marked stale when older than the TTL), or None (also when it
        was fetched before ``not_before``: the officials changed since). Never calls an
        upstream. A fresh answer read before comes from this process's memory: no database
        session, no parsing (it is the same row until it stops being fresh, and a refetch
        only happens once it is stale or predates ``not_before``, when memory is not used)."""
        now = _now()
        kept = self._recent.get(key)
        if kept is not None:
            fetched_at, result = kept
            if now - fetched_at < self.ttl and (not_before is None or fetched_at >= not_before):
                return result
        entry = self._entry(key)
        result = self._usable(entry, now, not_before)
        if result is not None and not result.stale:
            if len(self._recent) >= RECENT_MAX:
                self._recent.clear()  # (atomic, unlike dropping the oldest under threads)
            self._recent[key] = (entry.fetched_at, result)
        return result

    def remembered_failure(self, key: str) -> RememberedFailure | None:
        """The upstream's recent failure for this key, while it is remembered."""
        return self._failure(self._entry(key), _now())

    # -- the one path that calls an upstream ---------------------------------------------

    def fetch(
        self,
        key: str,
        call: Callable[[], LookupResult],
        not_before: datetime | None = None,
    ) -> LookupResult:
        """The answer for ``key``: fresh from the cache, or from ``call()`` (one call per key
        at a time), or stale when the upstream fails. An answer fetched before
        ``not_before`` (the day a campaign's officials changed) is neither fresh nor stale."""
        deadline = time.monotonic() + self.wait
        fresh = self._fresh(self._entry(key), _now(), not_before)
        if fresh is not None:
            return fresh
        if not self._locks.acquire(key, self.wait):
            # Someone else's lookup of the same code is still waiting for the upstream.
            return self._gave_up(key, not_before)
        try:
            delay = POLL_FIRST
            while True:
                now = _now()
                entry = self._entry(key)  # another thread or process may have answered
                fresh = self._fresh(entry, now, not_before)
                if fresh is not None:
                    return fresh
                if self._failure(entry, now) is not None:
                    break  # remembered: answered below without a call (or a lease)
                token = self.leases.acquire(key, self.lease_seconds)
                if token is not None:
                    try:
                        return self._call(key, call, not_before)
                    finally:
                        self.leases.release(key, token)
                # Another process is asking the upstream: its answer lands in the cache.
                # The last poll is at the deadline itself, so a waiter waits all of it.
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self._gave_up(key, not_before)
                time.sleep(min(delay, remaining))
                delay = min(delay * 1.5, POLL_MAX)
            return self._without_call(entry, now, not_before, self._failure(entry, now))
        finally:
            self._locks.release(key)

    def _call(
        self, key: str, call: Callable[[], LookupResult], not_before: datetime | None
    ) -> LookupResult:
        """With the lease held: the answer from the cache if it landed meanwhile, else
        ``call()``, stored (or its failure remembered)."""
        now = _now()
        entry = self._entry(key)
        fresh = self._fresh(entry, now, not_before)
        if fresh is not None:
            return fresh
        failure = self._failure(entry, now)
        if failure is None:
            try:
                result = call()
            except UpstreamUnavailable as exc:
                if exc.remember:
                    self.remember_failure(key)
                failure = exc
            else:
                self.store(key, result)
                return self.read(key) or result
        return self._without_call(entry, now, not_before, failure)

    def _without_call(
        self,
        entry: LookupCacheEntry | None,
        now: datetime,
        not_before: datetime | None,
        failure: UpstreamUnavailable | None,
    ) -> LookupResult:
        """The stale answer, marked stale, else ``failure`` raised."""
        stale = self._usable(entry, now, not_before)
        if stale is not None:
            return LookupResult.from_dict(stale.to_dict(), stale=True, fetched_at=stale.fetched_at)
        raise failure or UpstreamUnavailable("no answer for this key")

    def _gave_up(self, key: str, not_before: datetime | None) -> LookupResult:
        """After waiting ``wait`` seconds for another lookup of the key: whatever the cache
        holds now (its answer landed at the last moment, or a stale one), else the same
        friendly error as an upstream that did not answer."""
        now = _now()
        entry = self._entry(key)
        usable = self._usable(entry, now, not_before)
        if usable is not None:
            return usable
        failure = self._failure(entry, now)
        if failure is not None:
            raise failure
        raise UpstreamUnavailable("waited for another lookup of the same key")

    # -- writing ---------------------------------------------------------------------------

    def store(self, key: str, result: LookupResult) -> None:
        self._recent.pop(key, None)
        payload = json.dumps(result.to_dict(), ensure_ascii=False)
        now = _now()
        with self.db.write() as session:
            entry = session.get(LookupCacheEntry, key)
            if entry is None:
                session.add(
                    LookupCacheEntry(
                        key=key, payload=payload, fetched_at=_coarse(now, self.time_step)
                    )
                )
            else:
                entry.payload, entry.failed_until = payload, None
                entry.fetched_at = _coarse(now, self.time_step)
            self._purge(session, now)

    def remember_failure(self, key: str, seconds: float | None = None) -> None:
        """Remember that the upstream just failed for ``key`` (for ``failure_memory``, or
        ``seconds`` when shorter: how long a refusal by the budget or breaker lasts)."""
        self._recent.pop(key, None)
        memory = self.failure_memory
        if seconds is not None and seconds > 0:
            memory = min(memory, timedelta(seconds=seconds))
        if memory <= timedelta(0):
            return
        now = _now()
        with self.db.write() as session:
            entry = session.get(LookupCacheEntry, key)
            if entry is None:
                entry = LookupCacheEntry(
                    key=key, payload="", fetched_at=_coarse(now, self.time_step)
                )
                session.add(entry)
            entry.failed_until = now + memory

    def _purge(self, session, now: datetime) -> int:
        return (
            session.execute(
                delete(LookupCacheEntry).where(
                    LookupCacheEntry.fetched_at < now - self.stale_max,
                    or_(
                        LookupCacheEntry.failed_until.is_(None),
                        LookupCacheEntry.failed_until < now,
                    ),
                )
            ).rowcount
            or 0
        )

    def purge(self) -> int:
        """Delete the answers past the stale limit (and failures no longer remembered)."""
        now = _now()
        with self.db.write() as session:
            return self._purge(session, now)


def cached_lookup(
    db: Database, provider: Provider, key: str, ttl: float, stale_max: float
) -> LookupResult:
    """``provider.lookup(key)`` through a cache keyed by ``key`` as it is: for lookups whose
    key is public (a district), not a supporter's postal code."""
    cache = LookupCache(db, None, ttl, stale_max, failure_memory=0)
    return cache.fetch(cache.key(provider.name, key), lambda: provider.lookup(key))
