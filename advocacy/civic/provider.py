"""The one interface every provider implements, and everything its callers may use."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from .officials import LookupResult


@runtime_checkable
class Provider(Protocol):
    """A source of officials for one country. Callers use these names and no others, so every
    provider declares each of them (no ``getattr`` probing for optional ones)."""

    name: str  # short and stable: part of cache keys and of ``Official.source``
    country: str  # ISO 3166 alpha-2 code of the postal codes it takes ("CA", "GB", "US")
    needs_address: bool  # True when a postal code alone is not enough (a street address is)
    # True when, after a postal code that crosses a boundary, a street address settles which
    # district: ``lookup(postcode, address=...)`` then lists only the officials of its point.
    exact_by_address: bool
    offices: tuple[str, ...]  # the offices it reports, for organizers choosing targets

    def normalize(self, raw: str) -> str:
        """The postal code in its canonical form; InvalidPostcode when it is not one."""
        ...

    def lookup(self, postcode: str, **kwargs: Any) -> LookupResult:
        """The officials for a normalised postal code. Keyword arguments carry what a provider
        that ``needs_address`` takes (``address``, ``districts``); others ignore them."""
        ...
