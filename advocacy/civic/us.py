"""United States: a street address -> its districts (US Census Geocoder) -> members of Congress
(the public ``congress-legislators`` data set, stored by ``advocacy refresh-us-legislators``)
and state legislators (Open States v3, only when a key is configured).

A ZIP code alone does not identify a congressional district (many span two or more), so this
provider needs the supporter's street address (``needs_address``). The address is sent to the
geocoder and then forgotten: it is never stored, cached or logged. Between pages the app keeps
only the resolved districts (:class:`Districts`, public identifiers); what is cached is public
too (state legislators per district). Parsing is pure functions from JSON to our value types
(``parse_geocoder``, ``parse_people``, ``parse_legislators``); the HTTP calls are thin.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import delete, select

from ..db import Database
from ..models import USDistrictOffice, USLegislator
from . import checks, http
from .cache import cached_lookup
from .errors import AddressNotFound, CongressMismatch, UpstreamUnavailable
from .officials import LookupResult, Official
from .postcodes import normalize_us

NAME = "us"
SENATE = "United States Senate"
HOUSE = "United States House of Representatives"
LEGISLATORS_URL = "https://unitedstates.github.io/congress-legislators/legislators-current.json"
ADDRESS_MAX = 200

log = logging.getLogger(__name__)

# USPS code -> (FIPS code, name): the states, DC and the territories with a House delegate.
STATES: dict[str, tuple[str, str]] = {
    "AL": ("01", "Alabama"), "AK": ("02", "Alaska"), "AZ": ("04", "Arizona"),
    "AR": ("05", "Arkansas"), "CA": ("06", "California"), "CO": ("08", "Colorado"),
    "CT": ("09", "Connecticut"), "DE": ("10", "Delaware"), "DC": ("11", "District of Columbia"),
    "FL": ("12", "Florida"), "GA": ("13", "Georgia"), "HI": ("15", "Hawaii"),
    "ID": ("16", "Idaho"), "IL": ("17", "Illinois"), "IN": ("18", "Indiana"),
    "IA": ("19", "Iowa"), "KS": ("20", "Kansas"), "KY": ("21", "Kentucky"),
    "LA": ("22", "Louisiana"), "ME": ("23", "Maine"), "MD": ("24", "Maryland"),
    "MA": ("25", "Massachusetts"), "MI": ("26", "Michigan"), "MN": ("27", "Minnesota"),
    "MS": ("28", "Mississippi"), "MO": ("29", "Missouri"), "MT": ("30", "Montana"),
    "NE": ("31", "Nebraska"), "NV": ("32", "Nevada"), "NH": ("33", "New Hampshire"),
    "NJ": ("34", "New Jersey"), "NM": ("35", "New Mexico"), "NY": ("36", "New York"),
    "NC": ("37", "North Carolina"), "ND": ("38", "North Dakota"), "OH": ("39", "Ohio"),
    "OK": ("40", "Oklahoma"), "OR": ("41", "Oregon"), "PA": ("42", "Pennsylvania"),
    "RI": ("44", "Rhode Island"), "SC": ("45", "South Carolina"), "SD": ("46", "South Dakota"),
    "TN": ("47", "Tennessee"), "TX": ("48", "Texas"), "UT": ("49", "Utah"),
    "VT": ("50", "Vermont"), "VA": ("51", "Virginia"), "WA": ("53", "Washington"),
    "WV": ("54", "West Virginia"), "WI": ("55", "Wisconsin"), "WY": ("56", "Wyoming"),
    "AS": ("60", "American Samoa"), "GU": ("66", "Guam"),
    "MP": ("69", "Northern Mariana Islands"), "PR": ("72", "Puerto Rico"),
    "VI": ("78", "U.S. Virgin Islands"),
}  # fmt: skip
_BY_FIPS = {fips: usps for usps, (fips, _name) in STATES.items()}

# Layer names carry the Congress or the year of their vintage ("119th Congressional Districts",
# "2024 State Legislative Districts - Upper"): match them by pattern, never by exact name.
_CD_LAYER = re.compile(r"(?:(\d+)(?:st|nd|rd|th)\s+)?congressional districts?", re.I)
_SLD_LAYER = re.compile(r"(?:(\d{4})\s+)?state legislative districts?\s*-\s*(upper|lower)", re.I)
_DISTRICT_CODE = re.compile(r"[0-9A-Z]{1,5}")


# -- districts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Districts:
    """Where an address is, as public identifiers: enough to list its officials again without
    the address (the app keeps this in the session, never the address)."""

    state: str  # USPS code
    cd: str = ""  # "0" at-large or delegate, "1"..; "" when in no district (water, "ZZ")
    sldu: str = ""  # Census codes ("010", "30A"); "" when unknown or none
    sldl: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"state": self.state, "cd": self.cd, "sldu": self.sldu, "sldl": self.sldl}

    @classmethod
    def from_dict(cls, data: Any) -> Districts | None:
        """Districts from ``to_dict``'s form, or None when anything is not as it should be."""
        if not isinstance(data, Mapping):
            return None
        values = {k: data.get(k, "") for k in ("state", "cd", "sldu", "sldl")}
        if not all(isinstance(v, str) for v in values.values()):
            return None
        if values["state"] not in STATES or not re.fullmatch(r"\d{0,2}", values["cd"]):
            return None
        for key in ("sldu", "sldl"):
            if values[key] and not _DISTRICT_CODE.fullmatch(values[key]):
                return None
        return cls(**values)

    @property
    def legislature_key(self) -> str | None:
        """The cache key of this place's state legislators, if its districts are known."""
        if not (self.sldu or self.sldl):
            return None
        return f"{self.state}:u{self.sldu}:l{self.sldl}"


@dataclass(frozen=True)
class Location:
    """A geocoded address: its districts and the point (kept in memory for one request)."""

    districts: Districts
    lat: float | None
    lng: float | None
    layer_errors: tuple[str, ...] = ()
    # The Congress whose map the district comes from (the layer's name or CDSESSN), if said.
    congress: int | None = None
    # The address as the geocoder understood it, shown to the supporter on the page of this
    # one request (never stored, cached or logged, like the address typed).
    matched_address: str = ""


_text = checks.text


def _pick_layer(geographies: Mapping[str, Any], pattern: re.Pattern, kind: str = "") -> Any:
    """The newest layer whose name matches (highest Congress or year), or None."""
    best: tuple[int, str] | None = None
    for name in geographies:
        match = pattern.fullmatch(name.strip()) if isinstance(name, str) else None
        if match is None or (kind and match.group(2).lower() != kind):
            continue
        rank = int(match.group(1) or 0)
        if best is None or rank > best[0]:
            best = (rank, name)
    return None if best is None else (best[1], geographies[best[1]])


def _layer_records(value: Any) -> tuple[list[dict], bool]:
    """A layer's records, and whether the geocoder reported an error for it instead. A failed
    layer holds ``[{"status": "Layer query encountered an error: ..."}]`` and no district."""
    if not isinstance(value, list):
        return [], True
    records = [r for r in value if isinstance(r, dict)]
    failed = any("status" in r and "GEOID" not in r for r in records)
    return [r for r in records if "GEOID" in r or "BASENAME" in r], failed


def _cd_code(record: Mapping[str, Any], fips: str = "") -> str | None:
    """The district number of a congressional district record: "0" for at-large states ("00")
    and delegates ("98"), "" for areas in no district ("ZZ"), None when unreadable. ``fips``:
    the state's code when the record has no ``STATE`` field (trimmed answers)."""
    code = ""
    for key, value in record.items():  # CD119, CD118, ...: the field is named after the Congress
        if re.fullmatch(r"CD\d*", str(key)) and _text(value):
            code = _text(value)
    if not code:
        geoid, state = _text(record.get("GEOID")), _text(record.get("STATE")) or fips
        if len(geoid) == 4 and state and geoid.startswith(state):
            code = geoid[2:]
    code = code.upper()
    if code in {"00", "98", "0"}:
        return "0"
    if code == "ZZ":
        return ""
    return str(int(code)) if code.isdigit() else None


def _sld_code(record: Mapping[str, Any], field: str, fips: str = "") -> str:
    code = _text(record.get(field)).upper()
    if not code:
        geoid, state = _text(record.get("GEOID")), _text(record.get("STATE")) or fips
        code = geoid[len(state) :] if state and geoid.startswith(state) else ""
    if not _DISTRICT_CODE.fullmatch(code) or set(code) == {"Z"}:  # ZZZ: no district defined
        return ""
    return code


def _state_fips(geographies: Mapping[str, Any], cd_records: list[dict]) -> str:
    """The state's FIPS code: the ``STATE`` field of the States layer or of the district, else
    the States record's ``GEOID`` (which is that code) or a district ``GEOID``'s first two
    digits (answers trimmed of ``STATE``, as recorded answers of 2026 are)."""
    states, _failed = _layer_records(geographies.get("States"))
    for record in (*states, *cd_records):
        if _text(record.get("STATE")) in _BY_FIPS:
            return _text(record.get("STATE"))
    for record in states:
        if _text(record.get("GEOID")) in _BY_FIPS:
            return _text(record.get("GEOID"))
    for record in cd_records:
        geoid = _text(record.get("GEOID"))
        if len(geoid) == 4 and geoid[:2] in _BY_FIPS:
            return geoid[:2]
    return ""


def _state_of(geographies: Mapping[str, Any], cd_records: list[dict], match: dict) -> str:
    states, _failed = _layer_records(geographies.get("States"))
    for record in states:
        if _text(record.get("STUSAB")) in STATES:
            return _text(record.get("STUSAB"))
    fips = _state_fips(geographies, cd_records)
    if fips:
        return _BY_FIPS[fips]
    components = match.get("addressComponents")
    state = _text(components.get("state")) if isinstance(components, dict) else ""
    return state.upper() if state.upper() in STATES else ""


def parse_match(match: Any) -> Location:
    """One of the geocoder's ``addressMatches`` as a Location (UpstreamUnavailable when its
    congressional district cannot be read)."""
    if not isinstance(match, dict) or not isinstance(match.get("geographies"), dict):
        raise UpstreamUnavailable("Census geocoder: an address match without geographies")
    geographies = match["geographies"]
    layer_errors = tuple(
        name
        for name, value in geographies.items()
        if isinstance(name, str)
        and (_CD_LAYER.fullmatch(name.strip()) or _SLD_LAYER.fullmatch(name.strip()))
        and _layer_records(value)[1]
    )
    cd_layer = _pick_layer(geographies, _CD_LAYER)
    if cd_layer is None:
        raise UpstreamUnavailable(
            "Census geocoder: no congressional district layer in the answer "
            "(check ADVOCACY_US_GEOCODER_LAYERS)"
        )
    cd_records, cd_failed = _layer_records(cd_layer[1])
    if cd_failed and not cd_records:
        raise UpstreamUnavailable(f"Census geocoder: the layer {cd_layer[0]!r} reported an error")
    fips = _state_fips(geographies, cd_records)
    cd = _cd_code(cd_records[0], fips) if cd_records else ""
    if cd is None:
        raise UpstreamUnavailable(f"Census geocoder: unreadable district in {cd_layer[0]!r}")
    state = _state_of(geographies, cd_records, match)
    if not state:
        raise UpstreamUnavailable("Census geocoder: no state in the answer")
    sld = {"upper": "", "lower": ""}
    failed_any = False
    for kind, field in (("upper", "SLDU"), ("lower", "SLDL")):
        layer = _pick_layer(geographies, _SLD_LAYER, kind)
        records, failed = _layer_records(layer[1]) if layer else ([], False)
        failed_any = failed_any or failed
        if records:
            sld[kind] = _sld_code(records[0], field, fips)
    if failed_any:
        # Half a legislature would mislead: list state legislators for both chambers or neither.
        sld = {"upper": "", "lower": ""}
    coordinates = match.get("coordinates") if isinstance(match.get("coordinates"), dict) else {}
    lat, lng = coordinates.get("y"), coordinates.get("x")
    point_ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
    return Location(
        districts=Districts(state=state, cd=cd, sldu=sld["upper"], sldl=sld["lower"]),
        lat=float(lat) if point_ok else None,
        lng=float(lng) if point_ok else None,
        layer_errors=layer_errors,
        congress=_layer_congress(cd_layer[0], cd_records),
        matched_address=_text(match.get("matchedAddress"))[:ADDRESS_MAX],
    )


def _layer_congress(name: str, records: list[dict]) -> int | None:
    """The Congress of a congressional district layer: its records' ``CDSESSN`` ("119"), else
    the number in its name ("120th Congressional Districts"); None when neither says, or
    when they disagree (then nothing can be trusted)."""
    said = set()
    for record in records:
        session = _text(record.get("CDSESSN"))
        if session.isdigit():
            said.add(int(session))
    match = _CD_LAYER.fullmatch(name.strip())
    if match and match.group(1):
        said.add(int(match.group(1)))
    return said.pop() if len(said) == 1 else None


def parse_geocoder(data: Any, postcode: str) -> Location:
    """The Census Geocoder's ``/geographies/onelineaddress`` body as a Location.

    No match: AddressNotFound. Several matches in different districts: AddressNotFound
    (ambiguous), so that the supporter adds their city and state rather than us guessing.
    """
    result = data.get("result") if isinstance(data, dict) else None
    matches = result.get("addressMatches") if isinstance(result, dict) else None
    if not isinstance(matches, list):
        raise UpstreamUnavailable("Census geocoder answered something that is not a geocoding")
    if not matches:
        raise AddressNotFound(postcode)
    locations = [parse_match(match) for match in matches]
    if len({location.districts for location in locations}) > 1:
        raise AddressNotFound(postcode, ambiguous=True)
    return locations[0]


# -- members of Congress ------------------------------------------------------------------------


@dataclass(frozen=True)
class LegislatorRecord:
    """One member of Congress as read from the data set (their last, current term)."""

    bioguide_id: str
    name: str
    chamber: str  # "sen" or "rep"
    state: str
    district: int | None
    state_rank: str = ""
    party: str = ""
    phone: str = ""
    url: str = ""
    contact_form: str = ""
    term_end: str = ""
    address: str = ""  # the Washington office, for a letter by post


def _full_name(name: Any) -> str:
    if not isinstance(name, dict):
        return ""
    official = _text(name.get("official_full"))
    if official:
        return official
    parts = [_text(name.get(k)) for k in ("first", "middle", "last")]
    full = " ".join(p for p in parts if p)
    suffix = _text(name.get("suffix"))
    return f"{full}, {suffix}" if full and suffix else full


def parse_legislator(entry: Any) -> LegislatorRecord | None:
    """One entry of ``legislators-current`` (json or yaml), or None when it is not usable."""
    if not isinstance(entry, dict):
        return None
    ids, terms = entry.get("id"), entry.get("terms")
    bioguide = _text(ids.get("bioguide")) if isinstance(ids, dict) else ""
    if not bioguide or len(bioguide) > 16 or not isinstance(terms, list) or not terms:
        return None
    term = terms[-1]  # the data set lists terms oldest first; the last is the current one
    if not isinstance(term, dict):
        return None
    chamber, state = _text(term.get("type")), _text(term.get("state")).upper()
    name = _full_name(entry.get("name"))
    if chamber not in {"sen", "rep"} or state not in STATES or not name:
        return None
    district = term.get("district")
    if chamber == "rep":
        if isinstance(district, bool) or not isinstance(district, int) or district < 0:
            return None
    else:
        district = None
    return LegislatorRecord(
        bioguide_id=bioguide,
        name=name[:200],
        chamber=chamber,
        state=state,
        district=district,
        state_rank=_text(term.get("state_rank"))[:10],
        party=_text(term.get("party"))[:60],
        phone=checks.phone(term.get("phone")),
        url=_web(term.get("url")),
        contact_form=_web(term.get("contact_form")),
        term_end=_text(term.get("end"))[:10],
        address=_text(term.get("address"))[:300],
    )


def _web(value: Any) -> str:
    """An http(s) address (:func:`checks.web_url`) that fits the stored column, else ""."""
    url = checks.web_url(value)
    return url if len(url) <= 300 else ""


def parse_legislators(data: Any) -> tuple[list[LegislatorRecord], int]:
    """Every usable member in a ``legislators-current`` document, and how many were skipped."""
    if not isinstance(data, list):
        raise ValueError("not a congress-legislators file: expected a list of legislators")
    records: dict[str, LegislatorRecord] = {}
    skipped = 0
    for entry in data:
        record = parse_legislator(entry)
        if record is None:
            skipped += 1
        else:
            records[record.bioguide_id] = record
    return list(records.values()), skipped


def read_legislators_source(
    source: str, session: requests.Session | None, timeout: float, max_bytes: int
) -> Any:
    """The parsed data set from a file path, or from an http(s) URL (only when asked to: the
    app never downloads it at request time). YAML needs PyYAML; JSON needs nothing."""
    if source.startswith(("https://", "http://")):
        if session is None:
            raise ValueError("no HTTP session to download with")
        try:
            with session.get(source, timeout=timeout, stream=True) as response:
                if response.status_code != 200:
                    raise ValueError(f"{source} answered {response.status_code}")
                body = b""
                for chunk in response.iter_content(256 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise ValueError(f"{source} is larger than {max_bytes} bytes")
        except requests.RequestException as exc:
            raise ValueError(f"could not download {source}: {exc.__class__.__name__}") from exc
        name = source.split("?", 1)[0]
    else:
        path = Path(source)
        try:
            if path.stat().st_size > max_bytes:
                raise ValueError(f"{source} is larger than {max_bytes} bytes")
            body = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {source}: {exc.strerror or exc}") from exc
        name = path.name
    if name.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError as exc:
            raise ValueError("reading YAML needs PyYAML; use legislators-current.json") from exc
        try:
            return yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise ValueError(f"{source} is not valid YAML: {exc}") from exc
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from exc


def store_legislators(db: Database, records: Iterable[LegislatorRecord]) -> int:
    """Replace the stored members of Congress with ``records``, in one transaction."""
    now = datetime.now(UTC)
    rows = [USLegislator(**asdict(record), updated_at=now) for record in records]
    with db.write() as session:
        session.execute(delete(USLegislator))
        session.add_all(rows)
    return len(rows)


def refresh_legislators(
    db: Database, source: str, session: requests.Session | None, timeout: float, max_bytes: int
) -> tuple[list[LegislatorRecord], int]:
    """Load ``source`` (file or URL) and replace the stored members of Congress with it.
    Returns what was stored and how many entries were skipped; a file with no usable member
    changes nothing (ValueError)."""
    records, skipped = parse_legislators(
        read_legislators_source(source, session, timeout, max_bytes)
    )
    if not records:
        raise ValueError(f"{source}: no member of Congress found in it; nothing was changed")
    store_legislators(db, records)
    return records, skipped


# -- which Congress ------------------------------------------------------------------------------


def today() -> date:
    """Today in UTC (a function, so that tests can name the day)."""
    return datetime.now(UTC).date()


def sitting_congress(day: date) -> int:
    """The Congress sitting on ``day``: each sits two years from noon on 3 January of an odd
    year (20th Amendment); the 119th from 2025-01-03 to 2027-01-03."""
    year = day.year if (day.month, day.day) >= (1, 3) else day.year - 1
    return (year - 1789) // 2 + 1


def term_congress(term_end: str) -> int | None:
    """The Congress a House term belongs to, from its end date ("2027-01-03": the 119th)."""
    match = re.fullmatch(r"(\d{4})-\d{2}-\d{2}", term_end or "")
    if match is None:
        return None
    return (int(match.group(1)) - 1789) // 2


def stored_congress(db: Database) -> int | None:
    """The Congress of the stored members: the one most of the House's current terms belong
    to (senators' six-year terms span three Congresses and say nothing), or None."""
    with db.reader() as session:
        ends = list(
            session.scalars(select(USLegislator.term_end).where(USLegislator.chamber == "rep"))
        )
    counts: dict[int, int] = {}
    for end in ends:
        number = term_congress(end)
        if number is not None:
            counts[number] = counts.get(number, 0) + 1
    return max(counts, key=lambda n: (counts[n], n)) if counts else None


def parse_vintages(value: str) -> dict[int, str]:
    """``"119=ACS2025_Current,120=Current_Current"`` as {119: "ACS2025_Current", ...}: which
    geocoder vintage holds which Congress's map (ValueError for anything else)."""
    vintages: dict[int, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        number, _, vintage = part.partition("=")
        if not number.strip().isdigit() or not re.fullmatch(r"[A-Za-z0-9_]{1,40}", vintage.strip()):
            raise ValueError(f"not CONGRESS=VINTAGE: {part.strip()!r}")
        vintages[int(number)] = vintage.strip()
    return vintages


# -- district offices (issue 11) -----------------------------------------------------------------


@dataclass(frozen=True)
class DistrictOfficeRecord:
    """One office of a member of Congress in their state or district, as the data set's
    ``legislators-district-offices`` lists it."""

    id: str
    bioguide_id: str
    address: str  # one line: street, suite, building, city, state and ZIP code
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if -limit <= value <= limit else None


def parse_district_offices(data: Any) -> tuple[list[DistrictOfficeRecord], int]:
    """Every usable office in a ``legislators-district-offices`` document (json or yaml), and
    how many entries were skipped."""
    if not isinstance(data, list):
        raise ValueError("not a legislators-district-offices file: expected a list")
    records: dict[str, DistrictOfficeRecord] = {}
    skipped = 0
    for entry in data:
        ids = entry.get("id") if isinstance(entry, dict) else None
        offices = entry.get("offices") if isinstance(entry, dict) else None
        bioguide = _text(ids.get("bioguide")) if isinstance(ids, dict) else ""
        if not bioguide or len(bioguide) > 16 or not isinstance(offices, list):
            skipped += 1
            continue
        for office in offices:
            if not isinstance(office, dict):
                skipped += 1
                continue
            office_id = _text(office.get("id"))[:80]
            street = ", ".join(
                part
                for part in (_text(office.get(k)) for k in ("address", "suite", "building"))
                if part
            )
            city, state = _text(office.get("city")), _text(office.get("state")).upper()
            zip_code = _text(office.get("zip"))
            if not office_id or not street or not city or state not in STATES:
                skipped += 1
                continue
            records[office_id] = DistrictOfficeRecord(
                id=office_id,
                bioguide_id=bioguide,
                address=f"{street}, {city}, {state} {zip_code}".strip()[:300],
                phone=checks.phone(office.get("phone")),
                latitude=_coordinate(office.get("latitude"), 90),
                longitude=_coordinate(office.get("longitude"), 180),
            )
    return list(records.values()), skipped


def refresh_district_offices(
    db: Database, source: str, session: requests.Session | None, timeout: float, max_bytes: int
) -> tuple[list[DistrictOfficeRecord], int]:
    """Replace the stored district offices with those of ``source`` (file or URL), in one
    transaction; a file with no usable office changes nothing (ValueError)."""
    records, skipped = parse_district_offices(
        read_legislators_source(source, session, timeout, max_bytes)
    )
    if not records:
        raise ValueError(f"{source}: no district office found in it; nothing was changed")
    now = datetime.now(UTC)
    with db.write() as write:
        write.execute(delete(USDistrictOffice))
        write.add_all(USDistrictOffice(**asdict(r), updated_at=now) for r in records)
    return records, skipped


def _nearest_office(
    offices: list[USDistrictOffice], point: tuple[float, float] | None
) -> USDistrictOffice | None:
    """The office nearest the address's point (by a flat-earth distance, enough to choose
    between a member's offices), else the first by id."""
    if not offices:
        return None
    located = [o for o in offices if o.latitude is not None and o.longitude is not None]
    if point is None or not located:
        return min(offices, key=lambda o: o.id)
    lat, lng = point
    return min(located, key=lambda o: ((o.latitude - lat) ** 2 + (o.longitude - lng) ** 2, o.id))


def district_label(state: str, district: int) -> str:
    name = STATES[state][1] if state in STATES else state
    return f"{name} (at large)" if district == 0 else f"{name} {district}"


def congress_officials(
    db: Database, districts: Districts, point: tuple[float, float] | None = None
) -> list[Official]:
    """The two senators of the state (none for DC and the territories) and the House member
    for the district (district 0 for at-large states and delegates), from the stored table
    (checked again on the way out, as rows stored before the checks existed may be dirty).
    Their postal address: the district (or state) office nearest ``point`` when district
    offices are loaded (issue 11), else the Washington office."""
    with db.reader() as session:
        rows = list(
            session.scalars(select(USLegislator).where(USLegislator.state == districts.state))
        )
        offices: dict[str, list[USDistrictOffice]] = {}
        for office in session.scalars(
            select(USDistrictOffice).where(
                USDistrictOffice.bioguide_id.in_([r.bioguide_id for r in rows])
            )
        ):
            offices.setdefault(office.bioguide_id, []).append(office)

    def post_to(row: USLegislator) -> str:
        office = _nearest_office(offices.get(row.bioguide_id, []), point)
        return office.address if office is not None else row.address

    rank = {"senior": 0, "junior": 1}
    senators = sorted(
        (r for r in rows if r.chamber == "sen"), key=lambda r: (rank.get(r.state_rank, 2), r.name)
    )
    house = [
        r
        for r in rows
        if r.chamber == "rep" and districts.cd != "" and r.district == int(districts.cd)
    ]
    state_name = STATES[districts.state][1]
    officials = [
        Official.checked(
            name=r.name,
            elected_office="Senator",
            level="federal",
            body=SENATE,
            district_name=state_name,
            district_id=r.state,
            party=r.party,
            phone=r.phone,
            # Members of Congress publish a web contact form rather than an email address.
            web_url=r.contact_form or r.url,
            postal_address=post_to(r),
            source=NAME,
        )
        for r in senators
    ]
    officials += [
        Official.checked(
            name=r.name,
            elected_office="Representative",
            level="federal",
            body=HOUSE,
            district_name=district_label(r.state, r.district or 0),
            district_id=f"{r.state}-{'AL' if not r.district else f'{r.district:02d}'}",
            party=r.party,
            phone=r.phone,
            web_url=r.contact_form or r.url,
            postal_address=post_to(r),
            source=NAME,
        )
        for r in house
    ]
    return officials


def has_legislators(db: Database) -> bool:
    with db.reader() as session:
        return session.scalar(select(USLegislator.bioguide_id).limit(1)) is not None


# -- state legislators (Open States) ------------------------------------------------------------


def _phone(offices: Any) -> str:
    """The district office's phone (where constituents call) if there is one, else any."""
    if not isinstance(offices, list):
        return ""
    phones = [
        (_text(o.get("name")).casefold() != "district office", checks.phone(o.get("voice")))
        for o in offices
        if isinstance(o, dict) and checks.phone(o.get("voice"))
    ]
    return min(phones)[1] if phones else ""


def parse_person(person: Any) -> Official | None:
    """One Open States ``Person`` who sits in a state legislature, else None (members of
    Congress are in people.geo's answer too: ours come from congress-legislators). Every value
    is checked (:meth:`Official.checked`)."""
    if not isinstance(person, dict):
        return None
    jurisdiction = (
        person.get("jurisdiction") if isinstance(person.get("jurisdiction"), dict) else {}
    )
    role = person.get("current_role") if isinstance(person.get("current_role"), dict) else {}
    chamber = _text(role.get("org_classification"))
    if _text(jurisdiction.get("classification")) != "state":
        return None
    if chamber not in {"upper", "lower", "legislature"}:
        return None
    name, title = _text(person.get("name")), _text(role.get("title"))
    if not name or not title:
        return None
    state_name = _text(jurisdiction.get("name"))
    district = role.get("district")
    district = str(district).strip() if isinstance(district, str | int) else ""
    links = person.get("links") if isinstance(person.get("links"), list) else []
    web = next((_web(link.get("url")) for link in links if isinstance(link, dict)), "")
    return Official.checked(
        name=name,
        # "State Senator" rather than "Senator": a campaign chooses offices by name, and
        # writing to a state senator is not writing to a US senator.
        elected_office=title if title.casefold().startswith("state ") else f"State {title}",
        level="state",
        body=f"{state_name} Legislature".strip(),
        district_name=f"{state_name} {district}".strip(),
        district_id=_text(role.get("division_id"))[:100],
        party=_text(person.get("party")),
        email=person.get("email"),
        phone=_phone(person.get("offices")),
        web_url=web or _web(person.get("openstates_url")),
        photo_url=_web(person.get("image")),
        source=NAME,
    )


def parse_people(data: Any) -> list[Official]:
    """Open States' ``/people.geo`` body (``{"results": [Person], "pagination": ...}``) as the
    state legislators it lists."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise UpstreamUnavailable("Open States answered something that is not a list of people")
    return [o for o in (parse_person(p) for p in results) if o is not None]


class _StateLegislatorsAt:
    """The state legislators of one place, as a provider for the one lookup cache: keyed by
    the place's districts (public), fetched with the point of the address when there is one
    (only during the lookup that geocoded it; later pages are answered from the cache)."""

    name = "us-state"
    country = "US"
    needs_address = False
    exact_by_address = False
    offices = ("State Senator", "State Representative")

    def __init__(self, provider: USProvider, location: Location | None) -> None:
        self.provider = provider
        self.location = location

    def normalize(self, raw: str) -> str:
        return raw

    def lookup(self, postcode: str, **kwargs: Any) -> LookupResult:
        if self.location is None or self.location.lat is None or self.location.lng is None:
            raise UpstreamUnavailable("no point to ask Open States about (address not known)")
        officials = self.provider.people_geo(self.location.lat, self.location.lng)
        return LookupResult(postcode=postcode, officials=tuple(officials), source="openstates")


# -- privacy: the address is in the geocoder's query string -------------------------------------

_ADDRESS_PARAM = re.compile(r"(address=)[^&\s'\"]*")


class RedactAddress(logging.Filter):
    """Removes the address from urllib3's log lines (request lines at DEBUG, retries at
    WARNING), which print the URL with its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        if "address=" in message:
            record.msg, record.args = _ADDRESS_PARAM.sub(r"\1[redacted]", message), ()
        return True


def _redact_urllib3_logs() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactAddress) for f in logger.filters):
            logger.addFilter(RedactAddress())


# -- the provider -------------------------------------------------------------------------------


class USProvider:
    """The United States provider: ZIP code plus street address, members of Congress and,
    with an Open States key, state legislators."""

    name = NAME
    country = "US"
    needs_address = True
    exact_by_address = False  # the address is asked for at once: there is nothing to settle
    offices = ("Senator", "Representative", "State Senator", "State Representative")

    def __init__(
        self,
        geocoder_url: str,
        session: requests.Session,
        timeout: float,
        deadline: float,
        *,
        db: Database,
        benchmark: str = "Public_AR_Current",
        vintage: str = "Current_Current",
        layers: str = "all",
        vintages: str = "",
        openstates_url: str = "https://v3.openstates.org",
        openstates_key: str = "",
        ttl: float = 86400,
        stale_max: float = 30 * 86400,
    ) -> None:
        self.geocoder_url = geocoder_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.deadline = deadline
        self.db = db  # where the members of Congress are stored (and state legislators cached)
        self.benchmark = benchmark
        self.vintage = vintage
        self.layers = layers
        # Which vintage has which Congress's map: the lookup asks for the sitting Congress's.
        self.vintages = parse_vintages(vintages)
        self.openstates_url = openstates_url.rstrip("/")
        self.openstates_key = openstates_key
        self.ttl = ttl
        self.stale_max = stale_max
        _redact_urllib3_logs()

    def normalize(self, raw: str) -> str:
        return normalize_us(raw)

    def lookup(
        self,
        postcode: str,
        address: str | None = None,
        *,
        districts: Districts | Mapping[str, Any] | None = None,
    ) -> LookupResult:
        """The officials for a ZIP code and street address, or for districts found earlier.

        With ``address``, the address is geocoded (never cached or stored). Without it,
        ``districts`` (as found then: a Districts or its ``to_dict()``, e.g. from the session)
        are used. With neither, or unreadable districts: AddressNotFound.
        """
        location: Location | None = None
        if districts is not None and not isinstance(districts, Districts):
            districts = Districts.from_dict(districts)
        with http.deadline(self.deadline, self.timeout):
            if address is not None and address.strip():
                if not has_legislators(self.db):
                    raise UpstreamUnavailable(
                        "no members of Congress stored: run `advocacy refresh-us-legislators`"
                    )
                sitting = self.congress_in_session()
                location = self.locate(postcode, address, self.vintages.get(sitting))
                if location.congress != sitting:
                    # The map of another Congress (the next one's, published before it sits):
                    # its district numbers would name the wrong member.
                    log.error(
                        "US lookup refused: the geocoder's congressional districts are of "
                        "Congress %s, the members sitting of Congress %s (set "
                        "ADVOCACY_US_GEOCODER_VINTAGES to the vintage with Congress %s's map)",
                        location.congress,
                        sitting,
                        sitting,
                    )
                    raise CongressMismatch(location.congress, sitting, sitting)
                districts = location.districts
                if location.layer_errors:
                    log.warning(
                        "Census geocoder layer errors: %s", ", ".join(location.layer_errors)
                    )
            elif districts is None:
                raise AddressNotFound(postcode)
            if not has_legislators(self.db):
                raise UpstreamUnavailable(
                    "no members of Congress stored: run `advocacy refresh-us-legislators`"
                )
            point = (location.lat, location.lng) if location and location.lat is not None else None
            officials = congress_officials(self.db, districts, point)
            state, status = self._state_legislators(districts, location)
        extra = {"districts": districts.to_dict(), "state_legislators": status}
        if location is not None and location.matched_address:
            # For this request's page only: the lookup step leaves it out of what it stores.
            extra["matched_address"] = location.matched_address
        return LookupResult(
            postcode=postcode,
            officials=tuple(officials + state),
            province=districts.state,
            source=NAME,
            extra=extra,
        )

    def congress_in_session(self) -> int:
        """The Congress sitting today, when the stored members are of it; else
        CongressMismatch (and a log line): members not refreshed since a new Congress was
        sworn in, or a file of another Congress loaded."""
        sitting = sitting_congress(today())
        members = stored_congress(self.db)
        if members != sitting:
            log.error(
                "US lookup refused: the stored members of Congress are of Congress %s, "
                "Congress %s is sitting (run `advocacy refresh-us-legislators`)",
                members,
                sitting,
            )
            raise CongressMismatch(None, members, sitting)
        return sitting

    def locate(self, postcode: str, address: str, vintage: str | None = None) -> Location:
        """The districts of a street address (in the ZIP code's area), from the geocoder."""
        line = " ".join(address.split())[:ADDRESS_MAX]
        if postcode[:5] not in line:
            line = f"{line}, {postcode[:5]}"
        params = {
            "address": line,
            "benchmark": self.benchmark,
            "vintage": vintage or self.vintage,
            "layers": self.layers,
            "format": "json",
        }
        url = f"{self.geocoder_url}/geographies/onelineaddress"
        response = http.get_json(self.session, url, self.timeout, params=params)
        if response.status_code != 200:
            # The reason names the status only: the URL holds the address.
            raise UpstreamUnavailable(
                f"Census geocoder answered {response.status_code}",
                retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise UpstreamUnavailable("Census geocoder answered malformed JSON") from exc
        return parse_geocoder(data, postcode)

    def people_geo(self, lat: float, lng: float) -> list[Official]:
        """State legislators for a point, from Open States (needs OPENSTATES_KEY)."""
        response = http.get_json(
            self.session,
            f"{self.openstates_url}/people.geo",
            self.timeout,
            params=[
                ("lat", f"{lat:.6f}"),
                ("lng", f"{lng:.6f}"),
                ("include", "offices"),
                ("include", "links"),
            ],
            headers={"X-API-KEY": self.openstates_key},
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"Open States answered {response.status_code}",
                retry_after=http.parse_retry_after(response.headers.get("Retry-After")),
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise UpstreamUnavailable("Open States answered malformed JSON") from exc
        return parse_people(data)

    def _state_legislators(
        self, districts: Districts, location: Location | None
    ) -> tuple[list[Official], str]:
        """State legislators and how they were found: "listed", "no_key" (not configured),
        "unknown_districts" (the geocoder gave no state legislative district) or
        "unavailable" (Open States failed and nothing is cached)."""
        if not self.openstates_key:
            return [], "no_key"
        key = districts.legislature_key
        if key is None:
            return [], "unknown_districts"
        try:
            result = cached_lookup(
                self.db, _StateLegislatorsAt(self, location), key, self.ttl, self.stale_max
            )
        except UpstreamUnavailable as exc:
            log.warning("state legislators not listed: %s", exc.reason)
            return [], "unavailable"
        return list(result.officials), "listed"
