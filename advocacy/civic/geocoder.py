"""A street address -> a point, with a keyless public geocoder (issue 11), for postal codes that
cross a district boundary: Represent then names the officials whose districts contain the point.

OpenStreetMap Nominatim by default (``/search?q=...&format=jsonv2``; a campaign may point
``GEOCODER_URL`` at its own Nominatim or a Photon server answering the same way). Within its
usage policy: at most one request a second for the whole app (a slot reserved in the database,
so every worker and host shares it), an identifying User-Agent (the session's), results kept
(the lookup cache keeps what the point gave, under a keyed hash of the address). The shared
upstream budget and circuit breaker cover it under the name ``geocoder``. The address is never
stored or logged: it is in the query string, which urllib3's log lines would print, so a filter
removes it; our own errors name a status, never the query.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import Database
from ..models import UpstreamState
from . import http
from .budget import UpstreamBusy, UpstreamGuard
from .errors import AddressNotFound, UpstreamUnavailable

NAME = "geocoder"
QUERY_MAX = 200

log = logging.getLogger(__name__)


def parse_search(data: Any, postcode: str) -> tuple[float, float]:
    """Nominatim's ``/search?format=jsonv2`` body (a list of places, best first) as the first
    place's (lat, lng); AddressNotFound for an empty list, UpstreamUnavailable for anything
    that is not such a list."""
    if not isinstance(data, list):
        raise UpstreamUnavailable("geocoder answered something that is not a list of places")
    if not data:
        raise AddressNotFound(postcode)
    place = data[0]
    try:
        lat, lng = float(place["lat"]), float(place["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise UpstreamUnavailable("geocoder answered a place without a readable point") from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise UpstreamUnavailable("geocoder answered a point off the globe")
    return lat, lng


class Pace:
    """One request every ``interval`` seconds for the whole app: each caller reserves the next
    free slot in the ``upstream_state`` table (row ``geocoder:pace``, ``window_start`` = the next
    free slot), then sleeps until it. A wait longer than ``max_wait`` is refused (UpstreamBusy)
    rather than queued."""

    def __init__(self, db: Database, interval: float, max_wait: float, name: str) -> None:
        self.db = db
        self.interval = timedelta(seconds=interval)
        self.max_wait = max_wait
        self.name = f"{name}:pace"

    def _reserve(self) -> float:
        with self.db.write() as session:
            state = session.scalar(
                select(UpstreamState).where(UpstreamState.name == self.name).with_for_update()
            )
            now = datetime.now(UTC)
            if state is None:
                state = UpstreamState(name=self.name, window_start=now, used=0, failures=0)
                session.add(state)
                session.flush()
            slot = max(now, state.window_start)
            wait = (slot - now).total_seconds()
            if wait > self.max_wait:
                raise UpstreamBusy(f"{self.name}: queue full", retry_after=wait)
            state.window_start = slot + self.interval
            return wait

    def wait(self) -> None:
        for attempt in range(2):  # a second try if two workers created the row at once
            try:
                wait = self._reserve()
                break
            except IntegrityError:
                if attempt:
                    raise
        if wait > 0:
            time.sleep(wait)


class Geocoder:
    """Nominatim's search, paced, guarded and with the address kept out of every log."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        timeout: float,
        *,
        db: Database,
        guard: UpstreamGuard,
        interval: float = 1.0,
        max_wait: float = 3.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.guard = guard
        self.pace = Pace(db, interval, max_wait, NAME)
        _redact_urllib3_logs()

    def locate(self, address: str, postcode: str, country: str) -> tuple[float, float]:
        """The point of a street address in a postal code's area (AddressNotFound when the
        geocoder knows no such place)."""
        query = f"{' '.join(address.split())[:QUERY_MAX]}, {postcode}"
        self.guard.acquire(self.name)
        try:
            self.pace.wait()
            response = http.get_json(
                self.session,
                f"{self.base_url}/search",
                self.timeout,
                params={
                    "q": query,
                    "format": "jsonv2",
                    "limit": "1",
                    "countrycodes": country.lower(),
                },
            )
            if response.status_code != 200:
                raise UpstreamUnavailable(
                    f"geocoder answered {response.status_code}",
                    retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
                )
            try:
                data = response.json()
            except ValueError as exc:
                raise UpstreamUnavailable("geocoder answered malformed JSON") from exc
            point = parse_search(data, postcode)
        except AddressNotFound:
            self.guard.succeeded(self.name)
            raise
        except UpstreamBusy:
            raise
        except UpstreamUnavailable:
            self.guard.failed(self.name)
            raise
        self.guard.succeeded(self.name)
        return point


# -- privacy: the address is in the query string ----------------------------------------------

# The address (``q``) and its point: Represent's ``point``, postcodes.io's ``lon``/``lat`` (the
# nearest postcode, issue 11), Open States' ``lat``/``lng``.
_QUERY_PARAM = re.compile(r"([?&](?:q|point|lat|lon|lng)=)[^&\s'\"]*")


class RedactQuery(logging.Filter):
    """Removes the address (``q=``) and the point found for it (``point=``, ``lat=``, ``lon=``,
    ``lng=``) from urllib3's log lines, which print request URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        if _QUERY_PARAM.search(message):
            record.msg, record.args = _QUERY_PARAM.sub(r"\1[redacted]", message), ()
        return True


def _redact_urllib3_logs() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQuery) for f in logger.filters):
            logger.addFilter(RedactQuery())
