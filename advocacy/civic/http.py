"""The HTTP session every provider uses: a User-Agent, a timeout on every call, urllib3 retries
on 429/5xx with jittered backoff, a cap on how long we wait for a Retry-After, and an overall
deadline per lookup."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from .errors import UpstreamUnavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class _Budget:
    deadline: float  # time.monotonic() value after which no new attempt starts
    attempt_timeout: float


_budget: ContextVar[_Budget | None] = ContextVar("advocacy_http_budget", default=None)


class BoundedRetry(Retry):
    """urllib3's Retry, but giving up instead of waiting when the upstream asks for a longer
    pause than ``retry_after_cap`` or when the lookup's deadline would pass before the next
    attempt could finish. Giving up returns the last response (raise_on_status=False), so the
    caller still sees the status and its Retry-After."""

    retry_after_cap: float = 3.0

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        wait = self.get_backoff_time()
        if response is not None and response.headers.get("Retry-After") is not None:
            asked = parse_retry_after(response.headers["Retry-After"]) or 0.0
            if asked > self.retry_after_cap:
                raise MaxRetryError(_pool, url, ResponseError("Retry-After too long"))
            wait = max(wait, asked)
        budget = _budget.get()
        if (
            budget is not None
            and time.monotonic() + wait + budget.attempt_timeout > budget.deadline
        ):
            raise MaxRetryError(_pool, url, error or ResponseError("lookup deadline reached"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def make_session(
    user_agent: str,
    retries: int = 2,
    backoff: float = 0.3,
    retry_after_cap: float = 3.0,
) -> requests.Session:
    """A session with our User-Agent and bounded retries on idempotent requests."""
    retry_class = type("ConfiguredRetry", (BoundedRetry,), {"retry_after_cap": retry_after_cap})
    policy = retry_class(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_jitter=backoff,
        backoff_max=retry_after_cap,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=policy)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


@contextmanager
def deadline(seconds: float, attempt_timeout: float) -> Iterator[None]:
    """Bound the whole of one lookup, retries included, to about ``seconds``."""
    token = _budget.set(_Budget(time.monotonic() + seconds, attempt_timeout))
    try:
        yield
    finally:
        _budget.reset(token)


def get_json(session: requests.Session, url: str, timeout: float, **kwargs) -> requests.Response:
    """GET ``url`` within the current deadline; network failures become UpstreamUnavailable."""
    budget = _budget.get()
    if budget is not None:
        remaining = budget.deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamUnavailable("lookup deadline reached")
        timeout = min(timeout, remaining)
    try:
        return session.get(url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise UpstreamUnavailable(f"timed out: {exc.__class__.__name__}") from exc
    except requests.RequestException as exc:
        raise UpstreamUnavailable(f"request failed: {exc.__class__.__name__}") from exc


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now, if readable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
