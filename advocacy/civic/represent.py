"""Open North's Represent API (Canada): postal code -> officials at every level.

Parsing is a pure function from Represent's JSON to our value types (``parse_postcode``); the
HTTP call around it is thin. Shape: see docs/providers.md and tests/fixtures/represent/.
"""

from __future__ import annotations

from typing import Any

import requests

from . import checks, http
from .errors import AddressNotFound, PostcodeNotFound, UpstreamUnavailable
from .geocoder import Geocoder
from .officials import LookupResult, Official
from .postcodes import normalize_ca

NAME = "represent"
PROVINCIAL_OFFICES = {"MPP", "MLA", "MNA", "MHA"}
PROVINCIAL_BODIES = ("legislative assembly", "assemblée nationale", "house of assembly")


def level_for(office: str, body: str) -> str:
    """federal, provincial or municipal, from the office and the body that holds it."""
    body_folded = body.casefold()
    if office.upper() == "MP" or body_folded == "house of commons":
        return "federal"
    if office.upper() in PROVINCIAL_OFFICES or body_folded.startswith(PROVINCIAL_BODIES):
        return "provincial"
    return "municipal"


_text = checks.text


def _phone(offices: Any) -> str:
    """The constituency office's phone if there is one, else any office's (a number that is
    not a phone number is passed over)."""
    if not isinstance(offices, list):
        return ""
    phones = [
        (o.get("type") != "constituency", checks.phone(o.get("tel")))
        for o in offices
        if isinstance(o, dict) and checks.phone(o.get("tel"))
    ]
    return min(phones)[1] if phones else ""


def _district_id(rep: dict[str, Any]) -> str:
    related = rep.get("related") if isinstance(rep.get("related"), dict) else {}
    boundary = _text(related.get("boundary_url"))
    # "/boundaries/federal-electoral-districts-2023-representation-order/35075/" -> "35075"
    parts = [p for p in boundary.split("/") if p]
    return parts[-1] if len(parts) >= 3 else ""


def _postal(offices: Any) -> str:
    """The legislature office's postal address (where letters to the member go) as one line,
    its lines joined with commas; else the first office's; else ""."""
    if not isinstance(offices, list):
        return ""
    found = [
        (_text(o.get("type")) != "legislature", _text(", ".join(o["postal"].splitlines())))
        for o in offices
        if isinstance(o, dict) and isinstance(o.get("postal"), str) and o["postal"].strip()
    ]
    return min(found)[1][:300] if found else ""


def _salutation(rep: dict[str, Any]) -> str:
    """First and last name, for the greeting ("Dear Jane Smith"), when both are given."""
    first, last = _text(rep.get("first_name")), _text(rep.get("last_name"))
    return f"{first} {last}" if first and last else ""


def _preferred_languages(rep: dict[str, Any]) -> list[str]:
    extra = rep.get("extra") if isinstance(rep.get("extra"), dict) else {}
    languages = extra.get("preferred_languages")
    return languages if isinstance(languages, list) else []


def parse_official(rep: Any, at_centroid: bool) -> Official | None:
    """One Represent representative, or None when it lacks a name or an office. Every value
    is checked (:meth:`Official.checked`): a hostile or broken answer gives clean officials."""
    if not isinstance(rep, dict):
        return None
    name = _text(rep.get("name"))
    office = _text(rep.get("elected_office"))
    if not name or not office:
        return None
    body = _text(rep.get("representative_set_name"))
    return Official.checked(
        name=name,
        elected_office=office,
        level=level_for(office, body),
        body=body,
        district_name=_text(rep.get("district_name")),
        district_id=_district_id(rep),
        party=_text(rep.get("party_name")),
        email=rep.get("email"),
        phone=_phone(rep.get("offices")),
        web_url=checks.web_url(rep.get("url")) or checks.web_url(rep.get("personal_url")),
        photo_url=rep.get("photo_url"),
        source=NAME,
        at_centroid=at_centroid,
        salutation=_salutation(rep),
        postal_address=_postal(rep.get("offices")),
        languages=_preferred_languages(rep),
    )


def parse_postcode(data: Any, postcode: str) -> LookupResult:
    """Represent's ``/postcodes/{CODE}/`` body as a LookupResult.

    Both ``representatives_centroid`` and ``representatives_concordance`` are used (either may
    be absent); an official listed in both appears once, marked as at the centroid.
    """
    if not isinstance(data, dict):
        raise UpstreamUnavailable("Represent answered something that is not a JSON object")
    officials: list[Official] = []
    seen: set[tuple[str, str, str, str]] = set()
    for list_name, at_centroid in (
        ("representatives_centroid", True),
        ("representatives_concordance", False),
    ):
        reps = data.get(list_name) or []
        if not isinstance(reps, list):
            raise UpstreamUnavailable(f"Represent's {list_name} is not a list")
        for rep in reps:
            official = parse_official(rep, at_centroid)
            if official is None:
                continue
            identity = (
                official.body,
                official.elected_office,
                official.district_name,
                official.name,
            )
            if identity not in seen:
                seen.add(identity)
                officials.append(official)
    return LookupResult(
        postcode=postcode,
        officials=tuple(officials),
        city=_text(data.get("city")),
        province=_text(data.get("province")),
        source=NAME,
    )


class RepresentProvider:
    """The Canadian provider: Canadian postal codes, officials from Represent."""

    name = NAME
    country = "CA"
    needs_address = False  # a postal code is enough
    # Offices Represent reports, for organizers choosing whom a campaign targets.
    offices = ("MP", "MPP", "MLA", "MNA", "MHA", "Mayor", "Maire", "Councillor", "Conseiller",
               "Regional Councillor", "Deputy Mayor", "Trustee")  # fmt: skip

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        timeout: float,
        deadline: float,
        geocoder: Geocoder | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.deadline = deadline
        # Issue 11: with a geocoder, a supporter whose postal code crosses a boundary may give
        # their street address, and the officials are those whose districts contain its point.
        self.geocoder = geocoder
        self.exact_by_address = geocoder is not None

    def normalize(self, raw: str) -> str:
        return normalize_ca(raw)

    def lookup(self, postcode: str, address: str | None = None, **kwargs: Any) -> LookupResult:
        """The officials for a normalised postal code, straight from Represent; with a street
        address (and a geocoder), those whose districts contain the address's point."""
        if address is not None and address.strip():
            return self.lookup_address(postcode, address)
        code = postcode.replace(" ", "").upper()
        url = f"{self.base_url}/postcodes/{code}/"
        with http.deadline(self.deadline, self.timeout):
            response = http.get_json(self.session, url, self.timeout)
        if response.status_code == 404:
            raise PostcodeNotFound(postcode)
        data = _body(response)
        return parse_postcode(data, postcode)

    def lookup_address(self, postcode: str, address: str) -> LookupResult:
        """Geocode the address (never stored), then ``/representatives/?point=lat,lng``."""
        if self.geocoder is None:
            raise AddressNotFound(postcode)
        with http.deadline(self.deadline, self.timeout):
            lat, lng = self.geocoder.locate(address, postcode, self.country)
            response = http.get_json(
                self.session,
                f"{self.base_url}/representatives/",
                self.timeout,
                params={"point": f"{lat:.6f},{lng:.6f}", "limit": "200"},
            )
        data = _body(response)
        return parse_point(data, postcode)


def _body(response) -> Any:
    """Represent's JSON body of a 200; any other status or malformed JSON is the upstream
    being unavailable (with its Retry-After, if it gave one)."""
    if response.status_code != 200:
        raise UpstreamUnavailable(
            f"Represent answered {response.status_code}",
            retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
        )
    try:
        return response.json()
    except ValueError as exc:
        raise UpstreamUnavailable("Represent answered malformed JSON") from exc


def parse_point(data: Any, postcode: str) -> LookupResult:
    """Represent's ``/representatives/?point=`` body (``{"objects": [Rep, ...], "meta": ...}``)
    as a LookupResult: every official's district contains the point, so none is a mere
    candidate. ``extra["exact"]`` says the list comes from an address."""
    objects = data.get("objects") if isinstance(data, dict) else None
    if not isinstance(objects, list):
        raise UpstreamUnavailable("Represent answered something that is not a list of officials")
    officials = [o for o in (parse_official(rep, True) for rep in objects) if o is not None]
    return LookupResult(
        postcode=postcode, officials=tuple(officials), source=NAME, extra={"exact": True}
    )
