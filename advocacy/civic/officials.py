"""The value types every provider returns: :class:`Official` and :class:`LookupResult`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import checks

LEVELS = ("federal", "national", "provincial", "state", "devolved", "municipal", "other")


@dataclass(frozen=True)
class Official:
    """One elected official, as any provider reports them."""

    name: str
    elected_office: str  # "MP", "MPP", "Mayor", ... as the provider names it
    level: str  # one of LEVELS
    body: str  # the elected body: "House of Commons", "Toronto City Council", ...
    district_name: str
    district_id: str = ""
    party: str = ""
    email: str = ""
    phone: str = ""
    web_url: str = ""  # the official's page or contact form
    photo_url: str = ""
    source: str = ""  # provider name, e.g. "represent"
    # True when the district contains the postal code's centre (Represent's centroid list).
    at_centroid: bool = True
    # How a letter greets them, as their parliament or data set says it ("Ms Abbott",
    # "Jane Smith"); "" when the provider gives nothing better than ``name``.
    salutation: str = ""
    # Where a letter can be posted (one line: the office's address as published), or "".
    postal_address: str = ""
    # Languages they prefer to be written in, as the provider lists them ("English", "French"
    # for Represent's ``extra.preferred_languages``); empty when not said.
    languages: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A short stable identifier for this official within a lookup (used in URLs)."""
        raw = "|".join((self.source, self.body, self.elected_office, self.district_name, self.name))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def checked(cls, **values: Any) -> Official:
        """An Official from untrusted values (a provider's answer, an organizer's CSV, the
        lookup cache), each passed through :mod:`civic.checks`: text cleaned to one printable
        line, a web address, photo, phone or email that is not safe dropped (``""``), an
        unknown level made "other". Every provider builds its officials with this."""
        known = cls.__dataclass_fields__
        fields = {k: v for k, v in values.items() if k in known}
        for name in _TEXT_FIELDS:
            fields[name] = checks.text(fields.get(name, ""))
        fields["email"] = checks.email(fields.get("email"))
        fields["phone"] = checks.phone(fields.get("phone"))
        fields["web_url"] = checks.web_url(fields.get("web_url"))
        fields["photo_url"] = checks.web_url(fields.get("photo_url"))
        if fields.get("level") not in LEVELS:
            fields["level"] = "other"
        if not isinstance(fields.get("at_centroid", True), bool):
            fields["at_centroid"] = True
        fields["languages"] = _languages(fields.get("languages"))
        return cls(**fields)

    @property
    def greeting(self) -> str:
        """Whom a letter's greeting names: the salutation, else the name."""
        return self.salutation or self.name

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Official:
        """An Official from ``to_dict``'s form (the lookup cache), checked like a provider's
        answer: a poisoned cache entry is cleaned the same way."""
        return cls.checked(**data)


_TEXT_FIELDS = (
    "name",
    "elected_office",
    "body",
    "district_name",
    "district_id",
    "party",
    "source",
    "salutation",
    "postal_address",
)
_LANGUAGE = re.compile(r"[^\W\d_][^\W\d_-]{1,30}(?:-[A-Za-z]{2,8})?")


def _languages(value: Any) -> tuple[str, ...]:
    """At most five language names or tags, each one short word (anything else dropped)."""
    if not isinstance(value, list | tuple):
        return ()
    found = [checks.text(v) for v in value if isinstance(v, str)]
    return tuple(dict.fromkeys(v for v in found if _LANGUAGE.fullmatch(v)))[:5]


@dataclass(frozen=True)
class LookupResult:
    """The officials for one postal code, and which offices it is ambiguous for."""

    postcode: str
    officials: tuple[Official, ...]
    city: str = ""
    province: str = ""
    source: str = ""
    # Set by the cache: the answer is older than the TTL and the provider could not be reached.
    stale: bool = False
    fetched_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ambiguous_groups(self) -> list[tuple[str, str]]:
        """(body, office) pairs for which the postal code lies in more than one district."""
        districts: dict[tuple[str, str], set[str]] = {}
        for official in self.officials:
            group = (official.body, official.elected_office)
            districts.setdefault(group, set()).add(official.district_name)
        return [group for group, names in districts.items() if len(names) > 1]

    @property
    def ambiguous(self) -> bool:
        return bool(self.ambiguous_groups)

    def is_ambiguous(self, official: Official) -> bool:
        return (official.body, official.elected_office) in self.ambiguous_groups

    def find(self, key: str) -> Official | None:
        return next((o for o in self.officials if o.key == key), None)

    def by_level(self) -> list[tuple[str, list[Official]]]:
        """Officials grouped by level, in LEVELS order, empty levels left out."""
        groups = []
        for level in LEVELS:
            members = [o for o in self.officials if o.level == level]
            if members:
                groups.append((level, members))
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "postcode": self.postcode,
            "city": self.city,
            "province": self.province,
            "source": self.source,
            "officials": [o.to_dict() for o in self.officials],
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> LookupResult:
        values = {
            "postcode": data["postcode"],
            "source": data.get("source", ""),
            "city": checks.text(data.get("city", "")),
            "province": checks.text(data.get("province", "")),
            "officials": tuple(
                Official.from_dict(o) for o in data.get("officials") or [] if isinstance(o, dict)
            ),
            "extra": data["extra"] if isinstance(data.get("extra"), dict) else {},
        }
        values.update(overrides)
        return cls(**values)
