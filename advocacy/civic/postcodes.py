"""Per-country normalisation and validation of postal codes.

Supporters type codes in every spelling: lower case, no space, a hyphen, spaces around, or
full-width characters from an East Asian input method. Each spelling of a valid code
normalises to one canonical form; anything else raises :class:`InvalidPostcode`.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidPostcode

# Canada Post: no D, F, I, O, Q or U anywhere; no W or Z in first position.
_CA = re.compile(r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
MAX_INPUT = 32


def _compact(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS.sub("", text).upper()


def normalize_ca(raw: str) -> str:
    """A Canadian postal code in its canonical form, ``"K1A 0B1"``."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT:
        raise InvalidPostcode(str(raw)[:MAX_INPUT], "CA")
    code = _compact(raw)
    if not code.isascii() or not _CA.fullmatch(code):
        raise InvalidPostcode(raw, "CA")
    return f"{code[:3]} {code[3:]}"


# Royal Mail's format (the outward code, then the inward code: a digit and two letters):
# A9, A99, A9A, AA9, AA99 or AA9A. No Q, V or X first; no I, J or Z second; only
# ABCDEFGHJKPSTUW third in A9A, only ABEHMNPRVWXY fourth in AA9A; never C, I, K, M, O or V
# in the inward code. GIR 0AA is the one code outside these rules.
_GB_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_GB = re.compile(rf"{_GB_OUTWARD}[0-9][ABD-HJLNP-UW-Z]{{2}}|GIR0AA")
_GB_OUTCODE = re.compile(_GB_OUTWARD)


def normalize_gb(raw: str) -> str:
    """A full UK postcode in its canonical form, ``"SW1A 1AA"``."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT:
        raise InvalidPostcode(str(raw)[:MAX_INPUT], "GB")
    code = _compact(raw)
    if not code.isascii() or not _GB.fullmatch(code):
        raise InvalidPostcode(raw, "GB")
    return f"{code[:-3]} {code[-3:]}"


def normalize_gb_outcode(raw: str) -> str:
    """A UK outward code alone (the first half of a postcode), ``"SW1A"``."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT:
        raise InvalidPostcode(str(raw)[:MAX_INPUT], "GB")
    code = _compact(raw)
    if not code.isascii() or not _GB_OUTCODE.fullmatch(code):
        raise InvalidPostcode(raw, "GB")
    return code


# A US ZIP code: five digits, or ZIP+4 ("20500-0003"); spaces and any dash around the hyphen.
_US = re.compile(r"([0-9]{5})(?:[\s\-\u2010-\u2015\u2212]*([0-9]{4}))?")


def normalize_us(raw: str) -> str:
    """A US ZIP code in its canonical form, ``"20500"`` or ``"20500-0003"``."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT:
        raise InvalidPostcode(str(raw)[:MAX_INPUT], "US")
    match = _US.fullmatch(unicodedata.normalize("NFKC", raw).strip())
    if match is None:
        raise InvalidPostcode(raw, "US")
    return f"{match[1]}-{match[2]}" if match[2] else match[1]


NORMALIZERS = {"CA": normalize_ca, "GB": normalize_gb, "US": normalize_us}


def normalize(country: str, raw: str) -> str:
    """The canonical form of ``raw`` for ``country``, or :class:`InvalidPostcode`."""
    try:
        normalizer = NORMALIZERS[country]
    except KeyError:
        raise InvalidPostcode(raw, country) from None
    return normalizer(raw)


def prefix(postcode: str) -> str:
    """The part of a normalised postal code that may be stored, which covers thousands of
    households: the first three characters of a Canadian code (its forward sortation area),
    the outward code of a UK postcode (``SW1A`` of ``SW1A 1AA``: its postcode district), the
    first three digits of a US ZIP code (its ZIP3 area, also for ZIP+4)."""
    if _US.fullmatch(postcode):
        return postcode[:3]
    if " " in postcode:  # "K1A 0B1" -> "K1A"; "SW1A 1AA" -> "SW1A"
        return postcode.split(" ", 1)[0]
    if _GB_OUTCODE.fullmatch(postcode):  # an outward code typed alone
        return postcode
    return postcode[:3]
