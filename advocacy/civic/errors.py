"""The civic layer's own exceptions; views map them to pages and status codes in one place.

Their messages never hold what a supporter typed (a postal code, an address): an exception's
message ends up in tracebacks and logs. The values are attributes, for the pages."""

from __future__ import annotations


class CivicError(Exception):
    """Base class for everything that can go wrong finding officials."""


class InvalidPostcode(CivicError):
    """The text is not a postal code of the campaign's country."""

    def __init__(self, raw: str, country: str) -> None:
        super().__init__(f"not a postal code for {country}")
        self.raw = raw
        self.country = country


class PostcodeNotFound(CivicError):
    """A well-formed postal code that the provider does not know (not issued, or retired)."""

    def __init__(self, postcode: str) -> None:
        super().__init__("unknown postal code")
        self.postcode = postcode


class PostcodeTerminated(PostcodeNotFound):
    """A postal code that existed once and was withdrawn (``year``/``month`` when, if known)."""

    def __init__(self, postcode: str, year: int | None = None, month: int | None = None) -> None:
        super().__init__(postcode)
        self.year = year
        self.month = month


class AddressNotFound(CivicError):
    """A street address the geocoder could not place (or placed in several districts), or no
    address where the provider needs one. Never carries the address: it may be logged."""

    def __init__(self, postcode: str, ambiguous: bool = False) -> None:
        super().__init__("address matches several places" if ambiguous else "address not found")
        self.postcode = postcode
        self.ambiguous = ambiguous


class UpstreamUnavailable(CivicError):
    """The provider is down, slow, rate-limiting or answered something we cannot read."""

    # Whether the lookup cache remembers this failure for a moment (a real upstream failure),
    # rather than asking again at once (the budget and the circuit breaker answer fast).
    remember = True

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class CongressMismatch(CivicError):
    """The geocoder's congressional districts and the stored members of Congress are not of
    the same Congress (a new map published before the new Congress sits, or members not
    refreshed after it was sworn in): naming a member would be guessing, so nobody is named.
    ``layer``, ``members`` and ``sitting`` are Congress numbers (None when unknown)."""

    def __init__(self, layer: int | None, members: int | None, sitting: int) -> None:
        super().__init__(
            f"congressional districts of Congress {layer}, members of Congress {members}, "
            f"Congress {sitting} sitting"
        )
        self.layer = layer
        self.members = members
        self.sitting = sitting
