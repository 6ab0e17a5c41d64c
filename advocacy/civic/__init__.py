"""Everything about finding officials: postal codes, providers, the lookup cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from ..db import Database
from . import freshness, http
from .budget import UpstreamGuard
from .cache import cached_lookup
from .errors import (
    AddressNotFound,
    CivicError,
    CongressMismatch,
    InvalidPostcode,
    PostcodeNotFound,
    PostcodeTerminated,
    UpstreamUnavailable,
)
from .geocoder import Geocoder
from .officials import LookupResult, Official
from .photos import PhotoCache
from .provider import Provider
from .represent import RepresentProvider
from .uk import UKProvider
from .us import USProvider

__all__ = [
    "AddressNotFound",
    "CivicError",
    "CongressMismatch",
    "InvalidPostcode",
    "LookupResult",
    "Official",
    "PhotoCache",
    "PostcodeNotFound",
    "PostcodeTerminated",
    "Provider",
    "UpstreamUnavailable",
    "build_providers",
    "cached_lookup",
    "freshness",
    "make_session",
]


def make_session(config: Mapping[str, Any]) -> requests.Session:
    """The HTTP session all upstream calls share (User-Agent, retries), kept for reuse."""
    return http.make_session(
        user_agent=config["USER_AGENT"],
        retries=config["HTTP_RETRIES"],
        backoff=config["HTTP_BACKOFF"],
        retry_after_cap=config["HTTP_RETRY_AFTER_MAX"],
    )


def build_geocoder(
    config: Mapping[str, Any], session: requests.Session, db: Database
) -> Geocoder | None:
    """The street-address geocoder for postal codes that cross a boundary (issue 11), behind
    the shared budget and breaker under its own name; None when GEOCODER_URL is empty."""
    if not config["GEOCODER_URL"]:
        return None
    guard = UpstreamGuard(
        db,
        per_minute=config["UPSTREAM_BUDGET_PER_MINUTE"],
        failure_threshold=config["UPSTREAM_FAILURE_THRESHOLD"],
        cooldown=config["UPSTREAM_COOLDOWN"],
    )
    return Geocoder(
        config["GEOCODER_URL"],
        session,
        config["HTTP_TIMEOUT"],
        db=db,
        guard=guard,
        interval=config["GEOCODER_INTERVAL"],
    )


def build_providers(
    config: Mapping[str, Any], session: requests.Session, db: Database
) -> dict[str, Provider]:
    """One instance of each provider, configured, by name (``db``: the app's database, where
    the US provider reads the members of Congress)."""
    return {
        RepresentProvider.name: RepresentProvider(
            base_url=config["REPRESENT_URL"],
            session=session,
            timeout=config["HTTP_TIMEOUT"],
            deadline=config["LOOKUP_DEADLINE"],
            geocoder=build_geocoder(config, session, db),
        ),
        UKProvider.name: UKProvider(
            postcodes_url=config["UK_POSTCODES_URL"],
            members_url=config["UK_MEMBERS_URL"],
            session=session,
            timeout=config["HTTP_TIMEOUT"],
            deadline=config["LOOKUP_DEADLINE"],
            geocoder=build_geocoder(config, session, db),
        ),
        USProvider.name: USProvider(
            geocoder_url=config["US_GEOCODER_URL"],
            session=session,
            timeout=config["HTTP_TIMEOUT"],
            deadline=config["LOOKUP_DEADLINE"],
            db=db,
            benchmark=config["US_GEOCODER_BENCHMARK"],
            vintage=config["US_GEOCODER_VINTAGE"],
            layers=config["US_GEOCODER_LAYERS"],
            vintages=config["US_GEOCODER_VINTAGES"],
            openstates_url=config["OPENSTATES_URL"],
            openstates_key=config["OPENSTATES_KEY"],
            ttl=config["LOOKUP_TTL"],
            stale_max=config["LOOKUP_STALE_MAX"],
        ),
    }
