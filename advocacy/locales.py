"""The language of a page: the browser's Accept-Language against the configured languages.

Languages are configured as BCP 47 tags (``en,fr,zh-Hant``) while Babel parses identifiers
(``zh_Hant``); a tag handed to Babel as is raises ValueError on every page. Chinese is matched
by script, as CLDR does: ``zh-TW`` and ``zh-HK`` are written in Traditional characters (Hant),
``zh-CN`` and plain ``zh`` in Simplified (Hans), and a reader of one script is offered the
other before a different language.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale
from werkzeug.datastructures import LanguageAccept

ACCEPT_MAX = 32  # languages of one header considered: a long junk header costs no more


class Language(NamedTuple):
    identifier: str  # as Babel parses it: "zh_Hant"
    language: str
    script: str | None  # explicit, or the likely one ("zh-TW" -> "Hant")
    territory: str | None


@lru_cache(maxsize=1024)
def _likely_script(language: str, territory: str | None) -> str | None:
    likely = get_global("likely_subtags")
    full = (territory and likely.get(f"{language}_{territory}")) or likely.get(language)
    if not full:
        return None
    try:
        return parse_locale(full)[2]
    except ValueError:
        return None


@lru_cache(maxsize=64)
def configured(tag: str) -> Language | None:
    """A configured language tag as Babel knows it, or None when Babel does not."""
    try:
        locale = Locale.parse(tag.strip(), sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    script = locale.script or _likely_script(locale.language, locale.territory)
    return Language(str(locale), locale.language, script, locale.territory)


def _requested(value: str) -> Language | None:
    """One Accept-Language entry (any string a client sends) as a Language, or None."""
    try:
        language, territory, script, *_ = parse_locale(value, sep="-")
    except (ValueError, TypeError):
        # "en-US-x-private" and other tags Babel does not parse: keep the primary language.
        try:
            language, territory, script = parse_locale(value.split("-")[0], sep="-")[0], None, None
        except (ValueError, TypeError):
            return None
    return Language("", language, script or _likely_script(language, territory), territory)


def negotiate(accept: LanguageAccept, tags: list[str]) -> str:
    """The Babel identifier of the configured language that suits the browser best; the
    first configured one when none does. Never raises, whatever the header holds."""
    available = [lang for lang in map(configured, tags) if lang is not None]
    if not available:
        return "en"
    for value, quality in list(accept)[:ACCEPT_MAX]:  # werkzeug sorts by quality
        if quality <= 0 or value == "*":
            continue
        wanted = _requested(value)
        if wanted is None:
            continue
        same_language = [x for x in available if x.language == wanted.language]
        same_script = [x for x in same_language if x.script == wanted.script]
        candidates = same_script or same_language
        if candidates:
            exact = [x for x in candidates if x.territory == wanted.territory]
            return (exact or candidates)[0].identifier
    return available[0].identifier
