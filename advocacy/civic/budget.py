"""One upstream budget and circuit breaker per provider, shared by every worker and host
through the database.

- Budget: at most ``per_minute`` lookups start per provider in each one-minute window
  (Represent allows 60 requests a minute per client, and answers its limit with 503). When it
  is spent, the lookup raises :class:`UpstreamBusy`: the cache then serves a stored answer,
  even a stale one, and a new postal code gets a "busy, try again in N seconds" page.
- Circuit breaker: after ``failure_threshold`` failures in a row the provider is not called
  for ``cooldown`` seconds (:class:`CircuitOpen`); the first lookup after that is a trial,
  and one more failure opens the circuit again.

Both exceptions are :class:`UpstreamUnavailable`, so every caller already handles them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import Database
from ..models import UpstreamState
from .errors import AddressNotFound, PostcodeNotFound, UpstreamUnavailable
from .officials import LookupResult
from .provider import Provider

WINDOW = timedelta(minutes=1)


class UpstreamBusy(UpstreamUnavailable):
    """This minute's budget of upstream calls is spent."""

    remember = False


class CircuitOpen(UpstreamUnavailable):
    """The upstream failed repeatedly; it is left alone for a while."""

    remember = False


def _now() -> datetime:
    return datetime.now(UTC)


class UpstreamGuard:
    """The shared budget and breaker, kept in the ``upstream_state`` table."""

    def __init__(
        self, db: Database, per_minute: int, failure_threshold: int, cooldown: float
    ) -> None:
        self.db = db
        self.per_minute = per_minute
        self.failure_threshold = failure_threshold
        self.cooldown = timedelta(seconds=cooldown)

    def _state(self, session, name: str) -> UpstreamState:
        state = session.scalar(
            select(UpstreamState).where(UpstreamState.name == name).with_for_update()
        )
        if state is None:
            state = UpstreamState(name=name, window_start=_now(), used=0, failures=0)
            session.add(state)
            session.flush()
        return state

    def acquire(self, name: str) -> None:
        """Take one call from the budget, or raise UpstreamBusy / CircuitOpen."""
        for attempt in range(2):  # a second try if two workers created the row at once
            try:
                with self.db.write() as session:
                    self._take(session, name)
                return
            except IntegrityError:
                if attempt:
                    raise

    def _take(self, session, name: str) -> None:
        state = self._state(session, name)
        now = _now()
        if state.open_until is not None and state.open_until > now:
            raise CircuitOpen(
                f"{name}: circuit open after repeated failures",
                retry_after=(state.open_until - now).total_seconds(),
            )
        if now - state.window_start >= WINDOW:
            state.window_start, state.used = now, 0
        if state.used >= self.per_minute:
            wait = (state.window_start + WINDOW - now).total_seconds()
            raise UpstreamBusy(
                f"{name}: budget of {self.per_minute} a minute spent", retry_after=max(1.0, wait)
            )
        state.used += 1

    def succeeded(self, name: str) -> None:
        with self.db.write() as session:
            state = self._state(session, name)
            state.failures, state.open_until = 0, None

    def failed(self, name: str) -> None:
        with self.db.write() as session:
            state = self._state(session, name)
            state.failures += 1
            if state.failures >= self.failure_threshold:
                state.open_until = _now() + self.cooldown


class GuardedProvider:
    """A provider whose lookups go through the guard. It declares what the Provider protocol
    declares, and hands everything but the budget to the provider it wraps."""

    def __init__(self, provider: Provider, guard: UpstreamGuard) -> None:
        self.provider = provider
        self._guard = guard
        self.name = provider.name
        self.country = provider.country
        self.needs_address = provider.needs_address
        self.exact_by_address = provider.exact_by_address
        self.offices = provider.offices

    def normalize(self, raw: str) -> str:
        return self.provider.normalize(raw)

    def lookup(self, postcode: str, **kwargs: Any) -> LookupResult:
        name = self.provider.name
        self._guard.acquire(name)
        try:
            result = self.provider.lookup(postcode, **kwargs)
        except (PostcodeNotFound, AddressNotFound):
            self._guard.succeeded(name)  # a clear answer: the upstream is working
            raise
        except UpstreamUnavailable:
            self._guard.failed(name)
            raise
        self._guard.succeeded(name)
        return result
