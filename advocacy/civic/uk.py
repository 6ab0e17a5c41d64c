"""The United Kingdom: postcodes.io for the postcode, the UK Parliament Members API for the MP.

A full postcode gives one Westminster constituency (postcodes.io places a postcode by its
centre); an outward code alone (``BR8``) may span several, and then every candidate MP is listed,
the one whose constituency holds the outward code's centre marked as at the centroid. Parsing is
pure functions from the upstream JSON to our value types; the HTTP calls around them are thin.
Shapes, and what is not covered (devolved members), are in docs/providers.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import requests

from . import checks, http
from .errors import (
    AddressNotFound,
    InvalidPostcode,
    PostcodeNotFound,
    PostcodeTerminated,
    UpstreamUnavailable,
)
from .geocoder import Geocoder
from .officials import LookupResult, Official
from .postcodes import normalize_gb, normalize_gb_outcode

NAME = "uk"
OFFICE = "MP"
BODY = "House of Commons"
LEVEL = "national"
# The member's own contact page on parliament.uk: the way to reach an MP with no email or website.
MEMBER_CONTACT_PAGE = "https://members.parliament.uk/member/{id}/contact"
SEARCH_TAKE = 20  # the Members API's maximum page size
SEARCH_PAGES = 5  # constituency names are searched by "contains": at most 100 results read
NEAREST_RADIUS = 2000  # metres, postcodes.io's maximum, around an outward code's centre
# Around a street address's point (issue 11): postcodes.io's maximum too, since a rural address
# may lie far from its postcode's centre; ``limit=1`` still gives the nearest one.
POINT_RADIUS = 2000


@dataclass(frozen=True)
class Constituency:
    """A Westminster constituency as postcodes.io names it."""

    name: str
    gss_code: str = ""
    at_centroid: bool = True


@dataclass(frozen=True)
class Place:
    """What postcodes.io says about a postcode or an outward code."""

    constituencies: tuple[Constituency, ...]
    country: str = ""
    district: str = ""


@dataclass(frozen=True)
class Contacts:
    email: str = ""
    phone: str = ""
    web_url: str = ""
    postal_address: str = ""  # the parliamentary office's, never a constituency office's


_text = checks.text


def _texts(value: Any) -> list[str]:
    """A postcodes.io outcode field (a list of names) as clean strings, order kept."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(t for t in (_text(v) for v in value) if t))


_web = checks.web_url


def _result(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
        raise UpstreamUnavailable(f"postcodes.io answered an unreadable {what}")
    return data["result"]


def same_name(a: str, b: str) -> bool:
    """Whether two spellings name the same constituency: case, accents, punctuation and "&"
    aside ("Ynys Môn" and "Ynys Mon", "St Albans" and "St. Albans")."""
    return _name_key(a) == _name_key(b) != ""


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# -- postcodes.io -------------------------------------------------------------------------------


def parse_postcode(data: Any) -> Place:
    """postcodes.io's ``/postcodes/{postcode}`` 200 body: one constituency, or none (the Channel
    Islands and the Isle of Man have no MP)."""
    result = _result(data, "postcode")
    codes = result.get("codes") if isinstance(result.get("codes"), dict) else {}
    # Both keys hold the 2024 constituencies today; the second is the fallback for older data.
    for key in ("parliamentary_constituency", "parliamentary_constituency_2024"):
        name = _text(result.get(key))
        if name:
            constituency = Constituency(name, _text(codes.get(key)))
            break
    else:
        constituency = None
    return Place(
        constituencies=(constituency,) if constituency else (),
        country=_text(result.get("country")),
        district=_text(result.get("admin_district")),
    )


def parse_outcode(data: Any) -> tuple[Place, tuple[float, float] | None]:
    """postcodes.io's ``/outcodes/{outcode}`` 200 body (every field a list: an outward code
    covers several districts), and its centre as (longitude, latitude) when given."""
    result = _result(data, "outward code")
    names = _texts(result.get("parliamentary_constituency")) or _texts(
        result.get("parliamentary_constituency_2024")
    )
    single = len(names) == 1
    place = Place(
        constituencies=tuple(Constituency(n, at_centroid=single) for n in names),
        country=", ".join(_texts(result.get("country"))),
        district=", ".join(_texts(result.get("admin_district"))),
    )
    lon, lat = result.get("longitude"), result.get("latitude")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
    return place, (float(lon), float(lat)) if numbers else None


def parse_nearest(data: Any) -> Constituency | None:
    """The constituency of the nearest postcode in a reverse-geocoding answer, if any."""
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        return None
    nearest = next((r for r in data["result"] if isinstance(r, dict)), None)
    if nearest is None:
        return None
    place = parse_postcode({"result": nearest})
    return place.constituencies[0] if place.constituencies else None


def mark_centre(place: Place, centre: Constituency | None) -> Place:
    """``place`` with the constituency holding its centre marked (and first), the others not."""
    if centre is None or len(place.constituencies) < 2:
        return place
    marked = [
        Constituency(c.name, centre.gss_code, True)
        if same_name(c.name, centre.name)
        else Constituency(c.name, c.gss_code, False)
        for c in place.constituencies
    ]
    marked.sort(key=lambda c: not c.at_centroid)
    return Place(tuple(marked), place.country, place.district)


def not_found_error(data: Any, postcode: str) -> Exception:
    """The error a postcodes.io 404 body stands for: withdrawn, malformed, or never issued."""
    if isinstance(data, dict):
        terminated = data.get("terminated")
        if isinstance(terminated, dict):
            year, month = terminated.get("year_terminated"), terminated.get("month_terminated")
            return PostcodeTerminated(
                postcode,
                year if isinstance(year, int) and not isinstance(year, bool) else None,
                month if isinstance(month, int) and 1 <= month <= 12 else None,
            )
        if _text(data.get("error")).casefold().startswith("invalid"):
            return InvalidPostcode(postcode, "GB")
    return PostcodeNotFound(postcode)


# -- UK Parliament Members API ------------------------------------------------------------------


def find_constituency(data: Any, name: str) -> dict[str, Any] | None:
    """The current constituency called ``name`` in a ``/api/Location/Constituency/Search``
    body (a "contains" search: "York" also finds "York Outer" and constituencies abolished
    long ago), or None."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise UpstreamUnavailable("Members API answered an unreadable constituency search")
    for item in data["items"]:
        value = item.get("value") if isinstance(item, dict) else None
        if (
            isinstance(value, dict)
            and value.get("endDate") is None
            and same_name(_text(value.get("name")), name)
        ):
            return value
    return None


def sitting_member(constituency: dict[str, Any]) -> dict[str, Any] | None:
    """The MP in a Members API Constituency's ``currentRepresentation`` (None: seat vacant)."""
    representation = constituency.get("currentRepresentation")
    member = representation.get("member") if isinstance(representation, dict) else None
    value = member.get("value") if isinstance(member, dict) else None
    if not isinstance(value, dict):
        return None
    if not isinstance(value.get("id"), int) or not _text(value.get("nameDisplayAs")):
        raise UpstreamUnavailable("Members API answered a member without id or name")
    return value


def _contact_rank(entry: dict[str, Any]) -> tuple[bool, bool]:
    # The parliamentary office first (constituency offices are for casework, and their entries
    # are often a private address), then what the member marked as preferred.
    parliamentary = "parliament" in _text(entry.get("type")).casefold()
    return (not parliamentary, entry.get("isPreferred") is not True)


def parse_contacts(data: Any, member_id: int) -> Contacts:
    """A ``/api/Members/{id}/Contact`` body: the email, phone and web page to write through,
    and the parliamentary office's postal address (constituency offices' are never read)."""
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise UpstreamUnavailable("Members API answered unreadable contact details")
    entries = sorted((e for e in data["value"] if isinstance(e, dict)), key=_contact_rank)
    email = next((m for m in (checks.email(e.get("email")) for e in entries) if m), "")
    phone = next((p for p in (checks.phone(e.get("phone")) for e in entries) if p), "")
    websites = (
        _web(e.get("website")) or (_web(e.get("line1")) if e.get("isWebAddress") is True else "")
        for e in entries
        if _text(e.get("type")).casefold() == "website"
    )
    web_url = next((w for w in websites if w), "") or MEMBER_CONTACT_PAGE.format(id=member_id)
    return Contacts(
        email=email, phone=phone, web_url=web_url, postal_address=_office_address(entries)
    )


def _office_address(entries: list[dict[str, Any]]) -> str:
    """The parliamentary office's postal address as one line ("House of Commons, London, SW1A
    0AA"), for a letter by post; a constituency office's address is never read (it is often
    a private one)."""
    for entry in entries:
        if _text(entry.get("type")).casefold() != "parliamentary office":
            continue
        lines = [_text(entry.get(f"line{n}")) for n in range(1, 6)] + [_text(entry.get("postcode"))]
        if entry.get("isWebAddress") is not True and any(lines):
            return ", ".join(line for line in lines if line)[:300]
    return ""


def parse_official(
    constituency: Constituency, member: dict[str, Any], contacts: Contacts
) -> Official:
    """Our Official for the MP ``member`` (a Members API Member) of ``constituency``, every
    value checked (:meth:`Official.checked`)."""
    party = member.get("latestParty") if isinstance(member.get("latestParty"), dict) else {}
    return Official.checked(
        name=_text(member.get("nameDisplayAs")),
        elected_office=OFFICE,
        level=LEVEL,
        body=BODY,
        district_name=constituency.name,
        district_id=constituency.gss_code,
        party=_text(party.get("name")),
        email=contacts.email,
        phone=contacts.phone,
        web_url=contacts.web_url,
        photo_url=_web(member.get("thumbnailUrl")),
        source=NAME,
        at_centroid=constituency.at_centroid,
        # "Ms Abbott": the name the House suggests for correspondence ("Dear Ms Abbott").
        salutation=_text(member.get("nameAddressAs")),
        postal_address=contacts.postal_address,
    )


# -- the provider -------------------------------------------------------------------------------


class UKProvider:
    """The UK provider: UK postcodes (or outward codes alone), MPs from the Members API."""

    name = NAME
    country = "GB"
    needs_address = False  # a postcode, or even an outward code, is enough
    offices = (OFFICE,)

    def __init__(
        self,
        postcodes_url: str,
        members_url: str,
        session: requests.Session,
        timeout: float,
        deadline: float,
        geocoder: Geocoder | None = None,
    ) -> None:
        self.postcodes_url = postcodes_url.rstrip("/")
        self.members_url = members_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.deadline = deadline
        # Issue 11: with a geocoder, a supporter whose outward code spans several
        # constituencies may give their street address: its point settles which one.
        self.geocoder = geocoder
        self.exact_by_address = geocoder is not None

    def normalize(self, raw: str) -> str:
        """A full postcode (``"SW1A 1AA"``) or, failing that, an outward code (``"SW1A"``)."""
        try:
            return normalize_gb(raw)
        except InvalidPostcode:
            return normalize_gb_outcode(raw)

    def lookup(self, postcode: str, address: str | None = None, **kwargs: Any) -> LookupResult:
        """The MP (or, for an outward code, the candidate MPs) for a normalised code; with a
        street address (and a geocoder), the MP of the constituency the address is in."""
        if address is not None and address.strip() and " " not in postcode:
            return self.lookup_address(postcode, address)
        with http.deadline(self.deadline, self.timeout):
            place = self._outcode(postcode) if " " not in postcode else self._postcode(postcode)
            officials, vacant = [], []
            for constituency in place.constituencies:
                official = self._mp(constituency)
                if official is None:
                    vacant.append(constituency.name)
                else:
                    officials.append(official)
        return LookupResult(
            postcode=postcode,
            officials=tuple(officials),
            city=place.district,
            province=place.country,
            source=NAME,
            extra={"vacant": vacant} if vacant else {},
        )

    # issue 11: the exact constituency from a street address

    def lookup_address(self, outcode: str, address: str) -> LookupResult:
        """The MP for a street address in an outward code that spans several constituencies:
        the address geocoded (``"{address}, {outcode}"``, never stored), the postcode nearest
        its point asked of postcodes.io, and that postcode's constituency taken if it is one of
        the outward code's; an address placed anywhere else is AddressNotFound."""
        if self.geocoder is None:
            raise AddressNotFound(outcode)
        with http.deadline(self.deadline, self.timeout):
            # The outward code first: if postcodes.io is down, no geocoder slot is spent.
            place, _centre = parse_outcode(self._outcode_body(outcode))
            lat, lng = self.geocoder.locate(address, outcode, self.country)
            params = {"lon": f"{lng:.6f}", "lat": f"{lat:.6f}", "limit": 1, "radius": POINT_RADIUS}
            response = self._get(f"{self.postcodes_url}/postcodes", params=params)
            found = parse_nearest(self._json(response, "postcodes.io"))
            candidates = [c.name for c in place.constituencies]
            if found is None or not any(same_name(found.name, c) for c in candidates):
                raise AddressNotFound(outcode)  # no postcode near it, or outside the outward code
            official = self._mp(Constituency(found.name, found.gss_code, at_centroid=True))
        extra: dict[str, Any] = {"exact": True}
        if official is None:
            extra["vacant"] = [found.name]
        return LookupResult(
            postcode=outcode,
            officials=(official,) if official else (),
            city=place.district,
            province=place.country,
            source=NAME,
            extra=extra,
        )

    # postcodes.io

    def _postcode(self, postcode: str) -> Place:
        response = self._get(f"{self.postcodes_url}/postcodes/{postcode.replace(' ', '')}")
        if response.status_code == 404:
            raise not_found_error(_json_or_none(response), postcode)
        return parse_postcode(self._json(response, "postcodes.io"))

    def _outcode(self, outcode: str) -> Place:
        place, centre = parse_outcode(self._outcode_body(outcode))
        if centre is not None and len(place.constituencies) > 1:
            place = mark_centre(place, self._nearest(*centre))
        return place

    def _outcode_body(self, outcode: str) -> Any:
        response = self._get(f"{self.postcodes_url}/outcodes/{outcode}")
        if response.status_code == 404:
            raise PostcodeNotFound(outcode)
        return self._json(response, "postcodes.io")

    def _nearest(self, lon: float, lat: float) -> Constituency | None:
        """The constituency of the postcode nearest an outward code's centre. Only marks one
        candidate as most likely, so any failure here just leaves them all unmarked."""
        params = {"lon": lon, "lat": lat, "limit": 1, "radius": NEAREST_RADIUS}
        try:
            response = self._get(f"{self.postcodes_url}/postcodes", params=params)
            return parse_nearest(self._json(response, "postcodes.io"))
        except UpstreamUnavailable:
            return None

    # Members API

    def _mp(self, constituency: Constituency) -> Official | None:
        found = self._find_constituency(constituency.name)
        member = sitting_member(found)
        if member is None:
            return None
        response = self._get(f"{self.members_url}/api/Members/{member['id']}/Contact")
        if response.status_code == 404:
            contacts = parse_contacts({"value": []}, member["id"])
        else:
            contacts = parse_contacts(self._json(response, "Members API"), member["id"])
        return parse_official(constituency, member, contacts)

    def _find_constituency(self, name: str) -> dict[str, Any]:
        url = f"{self.members_url}/api/Location/Constituency/Search"
        for page in range(SEARCH_PAGES):
            params = {"searchText": name, "skip": page * SEARCH_TAKE, "take": SEARCH_TAKE}
            data = self._json(self._get(url, params=params), "Members API")
            found = find_constituency(data, name)
            if found is not None:
                return found
            total = data.get("totalResults")
            if not isinstance(total, int) or (page + 1) * SEARCH_TAKE >= total:
                break
        # postcodes.io and Parliament disagree on a name: no guess, and nothing cached.
        raise UpstreamUnavailable(f"Members API has no current constituency named {name!r}")

    # HTTP

    def _get(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        return http.get_json(self.session, url, self.timeout, params=params)

    def _json(self, response: requests.Response, upstream: str) -> Any:
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"{upstream} answered {response.status_code}",
                retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
            )
        try:
            return response.json()
        except ValueError as exc:
            raise UpstreamUnavailable(f"{upstream} answered malformed JSON") from exc


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
