"""One upstream call per lookup key across every worker and host (issue 13).

The lookup cache (cache.py) first queues the threads of one process on a lock per key. The
thread at the head of that queue then takes a *lease* on the key, shared by every process:

- with Redis (``ADVOCACY_REDIS_URL``): ``SET advocacy:lease:<key> <token> NX PX <ms>``, released
  by a script that deletes the key only if it still holds this holder's token;
- without: a row in the ``lookup_leases`` table (SQLite or PostgreSQL), inserted by the holder,
  taken over by anyone once its ``expires_at`` has passed, deleted by its holder.

The holder calls the upstream, stores the answer (or the failure) in the lookup cache, and
releases the lease. The others poll the cache row every few tens of milliseconds until the
answer lands, the lease is free (they then take it), or the lookup deadline passes. A holder
that dies (a killed worker) holds its key only until the lease expires: the lookup deadline
and a margin. The key is the lookup cache's key, a keyed hash: neither Redis nor the table
ever holds a postal code, and a row lives only while its lookup does (a row left by a holder
that died is deleted by the next release after it expired).

If Redis cannot be reached, the lease falls back to the table for that attempt, so a Redis
outage costs speed, not lookups.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..db import Database
from ..models import LookupLease

log = logging.getLogger(__name__)

REDIS_PREFIX = "advocacy:lease:"
# Deletes the lease only if this holder still holds it (it may have expired and been taken).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class Leases(Protocol):
    def acquire(self, key: str, seconds: float) -> str | None:
        """A token if this caller now holds ``key`` for ``seconds``, else None (held)."""

    def release(self, key: str, token: str) -> None:
        """Give ``key`` back, if ``token`` still holds it."""


def _now() -> datetime:
    return datetime.now(UTC)


class DatabaseLeases:
    """Leases as rows of ``lookup_leases``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, key: str, seconds: float) -> str | None:
        token = secrets.token_hex(16)
        now = _now()
        expires = now + timedelta(seconds=seconds)
        try:
            with self.db.write() as session:
                # A lease whose holder died (or overran): taken over.
                taken = session.execute(
                    update(LookupLease)
                    .where(LookupLease.key == key, LookupLease.expires_at <= now)
                    .values(holder=token, expires_at=expires)
                ).rowcount
                if not taken:
                    session.add(LookupLease(key=key, holder=token, expires_at=expires))
                    session.flush()  # IntegrityError here when someone holds it
            return token
        except IntegrityError:
            return None
        except OperationalError as exc:  # the database is busy or away: wait, as if held
            log.warning("lookup lease not taken: %s", type(exc).__name__)
            return None

    def release(self, key: str, token: str) -> None:
        try:
            with self.db.write() as session:
                session.execute(
                    delete(LookupLease).where(LookupLease.key == key, LookupLease.holder == token)
                )
                # Leases left by holders that died: their exact times are kept no longer.
                session.execute(delete(LookupLease).where(LookupLease.expires_at < _now()))
        except OperationalError as exc:  # it expires by itself
            log.warning("lookup lease not released: %s", type(exc).__name__)


class RedisLeases:
    """Leases as Redis keys that expire by themselves, with the table as a fallback."""

    def __init__(self, url: str, fallback: Leases) -> None:
        import redis  # only when Redis is configured

        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.client: Any = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.fallback = fallback
        self._release = self.client.register_script(_RELEASE)

    def acquire(self, key: str, seconds: float) -> str | None:
        token = secrets.token_hex(16)
        try:
            held = self.client.set(
                REDIS_PREFIX + key, token, nx=True, px=max(1, int(seconds * 1000))
            )
        except self._errors as exc:
            log.warning("Redis lease failed (%s): using the database", type(exc).__name__)
            fallback = self.fallback.acquire(key, seconds)
            return None if fallback is None else "db:" + fallback
        return token if held else None

    def release(self, key: str, token: str) -> None:
        if token.startswith("db:"):
            self.fallback.release(key, token[3:])
            return
        try:
            self._release(keys=[REDIS_PREFIX + key], args=[token])
        except self._errors as exc:  # it expires by itself
            log.warning("Redis lease not released: %s", type(exc).__name__)


def leases(db: Database, redis_url: str = "") -> Leases:
    """Redis leases when ``redis_url`` names a server, else the database's."""
    table = DatabaseLeases(db)
    return RedisLeases(redis_url, table) if redis_url else table
