"""The language of a page: the browser's Accept-Language against the configured languages.

Languages are configured as BCP 47 tags (``en,fr,zh-Hant``) while Babel parses identifiers
(``zh_Hant``); a tag handed to Babel as is raises ValueError on every page. Chinese is matched
by script, as CLDR does: ``zh-TW`` and ``zh-HK`` are written in Traditional characters (Hant),
``zh-CN`` and plain ``zh`` in Simplified (Hans), and a reader of one script is offered the
other before a different language.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException

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


# -- the page's language in the URL ---------------------------------------------------------
# A supporter switches language with a link: /fr/... and /zh-hant/... (and /en/... back to
# English). No cookie and no script: the prefix moves from PATH_INFO into SCRIPT_NAME before
# Flask routes the request, so every url_for (links, form actions, redirects, links in emails)
# keeps it, and the URL map needs no second copy of each route.

ENVIRON_LANGUAGE = "advocacy.language"  # the Babel identifier the prefix chose
ENVIRON_BASE = "advocacy.script_root"  # SCRIPT_NAME as it was before the prefix


def url_prefix(tag: str) -> str:
    """The URL prefix of a configured language tag: ``zh-Hant`` -> ``zh-hant``."""
    return tag.strip().lower()


def bcp47(identifier: str) -> str:
    """A Babel identifier as HTML and letters write it: ``zh_Hant`` -> ``zh-Hant``."""
    return identifier.replace("_", "-")


class LanguagePrefix:
    """WSGI middleware: a first path segment naming a configured language chooses it."""

    def __init__(self, app: Any, tags: list[str]) -> None:
        self.app = app
        self.prefixes = {
            url_prefix(tag): language.identifier
            for tag in tags
            if (language := configured(tag)) is not None
        }

    def __call__(self, environ: dict, start_response: Any) -> Any:
        path = environ.get("PATH_INFO") or ""
        first, _sep, rest = path[1:].partition("/")
        identifier = self.prefixes.get(first.lower()) if path.startswith("/") else None
        if identifier is not None:
            base = environ.get("SCRIPT_NAME", "")
            environ[ENVIRON_BASE] = base
            environ[ENVIRON_LANGUAGE] = identifier
            environ["SCRIPT_NAME"] = f"{base}/{first.lower()}"
            environ["PATH_INFO"] = f"/{rest}"
        return self.app(environ, start_response)


class LanguageLink(NamedTuple):
    tag: str  # BCP 47, for hreflang and lang
    name: str  # in its own language: "Français"
    url: str
    current: bool


# The shipped languages' own names, as Babel gives them (tests/test_memory.py checks): naming
# them from Babel loads each language's whole locale data (about 1 MB each) into every worker
# that shows the language switch, even one that never serves a page in that language.
OWN_NAMES = {"en": "English", "fr": "Français", "zh_Hant": "中文 (繁體)"}


@lru_cache(maxsize=64)
def own_name(identifier: str) -> str:
    """A language's name in that language, capitalised as a menu item: "Français", "中文 (繁體)"."""
    if identifier in OWN_NAMES:
        return OWN_NAMES[identifier]
    name = Locale.parse(identifier).get_display_name(identifier) or identifier
    return name[:1].upper() + name[1:]


def _page_path(request: Any, url_map: Any) -> str:
    """This page's path (without language prefix) for a link to it in another language: the
    same address when it answers GET; a form's answer (POST) links to the campaign's page
    instead, since following a link cannot post the form again."""
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    if request.method in ("GET", "HEAD"):
        query = request.query_string.decode("latin-1")
        return f"{path}?{query}" if query else path
    try:
        url_map.bind("localhost").match(request.path, method="GET")
        return path
    except HTTPException:  # NotFound, MethodNotAllowed; RequestRedirect is one too
        slug = (request.view_args or {}).get("slug")
        return f"/c/{quote(slug, safe='')}/" if isinstance(slug, str) else "/"


def language_links(request: Any, url_map: Any, tags: list[str], current: str) -> list[LanguageLink]:
    """A link to this page in each configured language (the language switch)."""
    base = request.environ.get(ENVIRON_BASE, request.script_root)
    path = _page_path(request, url_map)
    links = []
    for tag in tags:
        language = configured(tag)
        if language is None:
            continue
        links.append(
            LanguageLink(
                bcp47(language.identifier),
                own_name(language.identifier),
                f"{base}/{url_prefix(tag)}{path}",
                language.identifier == current,
            )
        )
    return links


# -- Flask: choosing the language, the switch, Vary --------------------------------------------


def organizer_page(request: Any) -> bool:
    return request.blueprint == "admin" or (request.blueprint or "").startswith("admin.")


def select_locale() -> str:
    """The page's language (a Babel identifier): the URL's prefix when it has one, else the
    browser's Accept-Language (and then the response varies on that header)."""
    from flask import current_app, g, request

    if organizer_page(request):
        # Organizer pages are not translated (only supporters' are): English, said so.
        return negotiate(LanguageAccept(), current_app.config["LANGUAGE_LIST"])
    chosen = request.environ.get(ENVIRON_LANGUAGE)
    if chosen:
        return chosen
    g.language_from_header = True
    return negotiate(request.accept_languages, current_app.config["LANGUAGE_LIST"])


# Template variables that are counts: formatted for the locale. Other numbers (a year, hours)
# are left as they are: "2026" must not become "2,026".
COUNTS = frozenset({"num", "count", "total", "goal"})


def _counts(variables: dict[str, Any]) -> dict[str, Any]:
    from flask_babel import format_number

    return {
        key: format_number(value)
        if key in COUNTS and isinstance(value, int) and not isinstance(value, bool)
        else value
        for key, value in variables.items()
    }


def _make_template_gettext() -> tuple[Any, Any]:
    """Jinja's newstyle gettext and ngettext (escaping as they do), with counts formatted."""
    from flask_babel import get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    @pass_context
    def gettext(context: Any, string: str, /, **variables: Any) -> str:
        text = get_translations().ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our own catalogue, as Jinja does; variables escaped
        return text % _counts(variables)

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = get_translations().ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our own catalogue, as Jinja does; variables escaped
        return text % _counts(variables)

    return gettext, ngettext


_template_gettext, _template_ngettext = _make_template_gettext()


def register(app: Any) -> None:
    """The language prefix, the switch's links for templates, and ``Vary: Accept-Language``."""
    from flask import g, request
    from flask_babel import get_locale

    app.wsgi_app = LanguagePrefix(app.wsgi_app, app.config["LANGUAGE_LIST"])

    def switch() -> list[LanguageLink]:
        if len(app.config["LANGUAGE_LIST"]) < 2 or organizer_page(request):
            return []
        current = str(get_locale() or "")
        return language_links(request, app.url_map, app.config["LANGUAGE_LIST"], current)

    app.jinja_env.globals["language_links"] = switch
    # Counts in the locale's digits and separators ("1 000" in French), in every template.
    app.jinja_env.globals.update(gettext=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.globals["language_name"] = lambda tag: language_name(tag, str(get_locale()))

    @app.after_request
    def vary_on_language(response):
        # Set when the locale selector read the header: a shared cache must not give a
        # French page to a browser asking for Chinese.
        if g.get("language_from_header"):
            response.vary.add("Accept-Language")
        return response


# -- the letter's language --------------------------------------------------------------------
# The page's language and the letter's are separate choices: a Chinese reader may send an
# English letter to an English-speaking MP, reading the pages (and the Chinese version of the
# letter, alongside) in Chinese.


def tag_of(name_or_tag: str, tags: list[str]) -> str | None:
    """The configured tag (``fr``) a provider's language means: a tag (``fr-CA``) or a name,
    in English or in the language itself ("French", "Français"). None when none matches."""
    wanted = name_or_tag.strip().casefold()
    for tag in tags:
        language = configured(tag)
        if language is None:
            continue
        locale = Locale.parse(language.identifier)
        names = {
            tag.casefold(),
            language.language,
            (locale.get_language_name("en") or "").casefold(),
            (locale.get_language_name(language.identifier) or "").casefold(),
        }
        if wanted in names or wanted.split("-")[0].split("_")[0] == language.language:
            return tag
    return None


class LetterOffer(NamedTuple):
    """The languages a letter can be written in for one official, in the order to offer
    them, the one chosen, and those the official prefers (known only from some providers)."""

    languages: list[str]
    chosen: str
    preferred: list[str]


def letter_offer(
    available: list[str], page: str, preferred: list[str], asked: str | None
) -> LetterOffer:
    """Which language the letter is in: the one the supporter asked for (``?letter=``) when the
    campaign wrote one; else the page's language, unless the official is known to prefer
    others, then the first of theirs the campaign wrote; else the first letter's. The
    official's preferred languages are offered first, then the page's."""
    preferred = [tag for tag in preferred if tag in available]
    order = [*preferred, *([page] if page in available else []), *available]
    languages = list(dict.fromkeys(order))
    if asked in available:
        chosen = asked
    elif page in available and (not preferred or page in preferred):
        chosen = page
    else:
        chosen = (preferred or languages or [page])[0]
    return LetterOffer(languages, chosen, preferred)


def language_name(tag: str, in_language: str) -> str:
    """A language's name in another (``fr`` in ``zh_Hant``: 法文); the tag when unknown."""
    language = configured(tag)
    if language is None:
        return tag
    try:
        name = Locale.parse(language.identifier).get_display_name(in_language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        name = None
    return name or tag
