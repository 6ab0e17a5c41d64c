"""The lookup cache: one policy for every provider.

- fresh for ``ttl`` seconds: answered from the database, no upstream call;
- older: one upstream call per key at a time (in this process), the answer stored;
- upstream down: the stale answer, if it is younger than ``stale_max``, marked ``stale``.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..db import Database
from ..models import LookupCacheEntry
from .errors import UpstreamUnavailable
from .officials import LookupResult


class Provider(Protocol):
    name: str
    country: str

    def normalize(self, raw: str) -> str: ...

    def lookup(self, postcode: str) -> LookupResult: ...


_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_locks_guard = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks[key]


def cache_key(provider: Provider, postcode: str) -> str:
    return f"{provider.name}:{postcode}"


def _read(db: Database, key: str) -> LookupCacheEntry | None:
    with db.reader() as session:
        return session.get(LookupCacheEntry, key)


def _as_result(entry: LookupCacheEntry, stale: bool = False) -> LookupResult:
    return LookupResult.from_dict(
        json.loads(entry.payload), stale=stale, fetched_at=entry.fetched_at.isoformat()
    )


def store(db: Database, key: str, result: LookupResult, now: datetime | None = None) -> None:
    payload = json.dumps(result.to_dict(), ensure_ascii=False)
    with db.write() as session:
        entry = session.get(LookupCacheEntry, key)
        if entry is None:
            session.add(LookupCacheEntry(key=key, payload=payload, fetched_at=now or _now()))
        else:
            entry.payload = payload
            entry.fetched_at = now or _now()


def _now() -> datetime:
    return datetime.now(UTC)


def cached_lookup(
    db: Database, provider: Provider, postcode: str, ttl: float, stale_max: float
) -> LookupResult:
    """The officials for ``postcode``, from the cache when fresh, else from the provider."""
    key = cache_key(provider, postcode)
    entry = _read(db, key)
    if entry is not None and _now() - entry.fetched_at < timedelta(seconds=ttl):
        return _as_result(entry)
    with _lock_for(key):
        # Another thread may have refreshed it while we waited for the lock.
        entry = _read(db, key)
        if entry is not None and _now() - entry.fetched_at < timedelta(seconds=ttl):
            return _as_result(entry)
        try:
            result = provider.lookup(postcode)
        except UpstreamUnavailable:
            if entry is not None and _now() - entry.fetched_at < timedelta(seconds=stale_max):
                return _as_result(entry, stale=True)
            raise
        store(db, key, result)
        return _as_result(_read(db, key))
