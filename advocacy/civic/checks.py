"""Checks for every value that comes from outside (a provider's API, an organizer's CSV, the
lookup cache): officials' data is untrusted and ends up in links, ``tel:`` and ``mailto:``
addresses, email headers and pages.

Each function takes anything and returns a clean string, or ``""`` when the value cannot be
made safe. Text (names, offices, districts, parties, bodies) is cleaned rather than refused:
control and line-separator characters (C0/C1 controls such as CR, LF and NUL, U+2028/U+2029,
U+0085) become a space, invisible formatting characters (bidirectional overrides, zero-width
spaces, lone surrogates) are removed, and runs of whitespace collapse to one space. An official
whose name carries a stray line break is still someone a supporter may write to; what remains
is printable on one line, so it can no longer split an email header or a CSV row. Web
addresses, phone numbers and email addresses are refused whole (``""``) when anything is off:
half of a URL is worse than none.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

TEXT_MAX = 300
URL_MAX = 2000
EMAIL_MAX = 254
PHONE_MAX = 40

# Joiners are formatting characters that names in several scripts need (Persian, Indic, emoji).
_JOINERS = {"\u200c", "\u200d"}
# Spaces and dashes that phone numbers are written with, folded to the ASCII ones.
_PHONE_FOLD = str.maketrans(
    {"\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-",
     "\u2012": "-", "\u2013": "-"}
)  # fmt: skip
# Digits and the visual separators of RFC 3966 (+ - . ( ) and space), then perhaps an extension:
# "ext. 123", "ext 123", "x123", "extension 123", or the French "poste 123".
_PHONE = re.compile(
    r"\+?[0-9().\- ]+?(?: *(?:ext\.?|extension|poste|x) *[0-9]{1,6})?", re.IGNORECASE
)


def _is_line_control(char: str) -> bool:
    """C0/C1 controls (CR, LF, TAB, NUL, ...) and the Unicode line and paragraph separators."""
    return unicodedata.category(char) in {"Cc", "Zl", "Zp"}


def _is_invisible(char: str) -> bool:
    """Formatting characters (bidi overrides, zero-width space, BOM) and lone surrogates."""
    return unicodedata.category(char) in {"Cf", "Cs"} and char not in _JOINERS


def has_controls(value: str) -> bool:
    """Whether ``value`` holds any character that :func:`text` would replace or remove."""
    return any(_is_line_control(c) or _is_invisible(c) for c in value)


def text(value: Any, limit: int = TEXT_MAX) -> str:
    """A name, office, district, party or body as one clean line (see the module docstring);
    anything but a string is ``""``, and what is longer than ``limit`` is cut."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(" " if _is_line_control(c) else "" if _is_invisible(c) else c for c in value)
    return " ".join(cleaned.split())[:limit].strip()


def _plain(value: str) -> bool:
    """No whitespace and no control or formatting character anywhere."""
    return not any(c.isspace() or _is_line_control(c) or _is_invisible(c) for c in value)


def web_url(value: Any) -> str:
    """``value`` if it is an absolute http(s) address with a host and no whitespace or control
    character (it ends up in an ``href`` or is fetched), else ``""``."""
    if not isinstance(value, str):
        return ""
    url = value.strip(" ")  # plain spaces around it only: a line break anywhere refuses it
    if not url or len(url) > URL_MAX or not _plain(url) or "\\" in url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not host:
        return ""
    return url


def phone(value: Any) -> str:
    """A phone number of digits and separators (``+``, space, ``-``, ``.``, parentheses) with
    perhaps an extension, else ``""`` (it ends up in a ``tel:`` link)."""
    if not isinstance(value, str):
        return ""
    number = re.sub(" {2,}", " ", value.translate(_PHONE_FOLD).strip())
    if not number or len(number) > PHONE_MAX or not _PHONE.fullmatch(number):
        return ""
    digits = sum(c.isdigit() for c in number)
    return number if 3 <= digits <= 20 else ""


def email(value: Any) -> str:
    """``value`` if it is one plausible email address (no display name, no list, no whitespace
    or control character), else ``""``. The address is kept as given, not normalised."""
    if not isinstance(value, str):
        return ""
    address = value.strip()
    if not address or len(address) > EMAIL_MAX or not _plain(address):
        return ""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return ""
    return address
