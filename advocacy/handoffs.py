"""What a client without a session carries from one step of the supporter's path to the next,
signed by the server: the JSON API's clients, and the embedded page (inside a partner's
iframe the browser does not send the app's SameSite=Lax session cookie).

- a *lookup* token: the campaign and postal code a lookup was made for (and the districts, for
  providers that need a street address), with a random id standing for the browser, so that
  "the same letter from the same browser counts once" works without a cookie;
- a *letter* token (API only): the letter served for one official, version and postal code,
  when it was served (the minimum fill time counts from then) and a digest of its text. The
  API's record step requires it: like the pages' signed proof, it binds official, postal code
  and version, and proves that a lookup (rate-limited) and a letter came first;
- a *form* token (embed only): that a form was served by this app not long ago, in place of
  the session-bound CSRF token.

Tokens are signed, not encrypted: they hold only what their holder already knows (the postal
code they typed), and travel in request bodies and forms, never in URLs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from .supporting import Looked, Resolved

LOOKUP_MAX_AGE = 86_400  # seconds; the lookup cache's answer may be gone after that anyway
FORM_MAX_AGE = 86_400  # a supporter may take a long time over a letter


class HandoffInvalid(ValueError):
    """A token that is forged, expired, or for another campaign."""


@dataclass(frozen=True)
class LookupHandoff:
    looked: Looked
    browser: str  # random, made at the lookup: stands for the browser in fingerprints


@dataclass(frozen=True)
class LetterHandoff:
    looked: Looked
    browser: str
    official: str
    version: int | None
    started: str  # SupporterPath.stamp() when the letter was served
    digest: str  # of the letter as served: the same letter token counts once


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def _load(secret: str, salt: str, raw: Any, max_age: int) -> dict[str, Any]:
    if not isinstance(raw, str) or not raw or len(raw) > 4096:
        raise HandoffInvalid("missing")
    try:
        data = _serializer(secret, salt).loads(raw, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        raise HandoffInvalid("forged or expired") from None
    if not isinstance(data, dict):
        raise HandoffInvalid("unreadable")
    return data


def _looked(data: dict[str, Any], campaign: str) -> Looked:
    code, districts = data.get("p"), data.get("d")
    if data.get("c") != campaign or not isinstance(code, str) or not code:
        raise HandoffInvalid("for another campaign")
    return Looked(campaign, code, districts if isinstance(districts, dict) else None)


def lookup_token(secret: str, looked: Looked, browser: str | None = None) -> str:
    return _serializer(secret, "handoff-lookup").dumps(
        {
            "c": looked.campaign,
            "p": looked.postcode,
            "d": looked.districts,
            "b": browser or secrets.token_urlsafe(16),
        }
    )


def read_lookup(secret: str, raw: Any, campaign: str) -> LookupHandoff:
    data = _load(secret, "handoff-lookup", raw, LOOKUP_MAX_AGE)
    browser = data.get("b")
    return LookupHandoff(_looked(data, campaign), browser if isinstance(browser, str) else "")


def letter_digest(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()


def letter_token(
    secret: str, handoff: LookupHandoff, resolved: Resolved, started: str, digest: str
) -> str:
    return _serializer(secret, "handoff-letter").dumps(
        {
            "c": handoff.looked.campaign,
            "p": resolved.postcode,
            "d": handoff.looked.districts,
            "b": handoff.browser,
            "o": resolved.official.key,
            "v": resolved.version.id if resolved.version else None,
            "s": started,
            "g": digest,
        }
    )


def read_letter(secret: str, raw: Any, campaign: str, max_age: int) -> LetterHandoff:
    data = _load(secret, "handoff-letter", raw, max_age)
    looked = _looked(data, campaign)
    version = data.get("v")
    return LetterHandoff(
        looked=looked,
        browser=str(data.get("b") or ""),
        official=str(data.get("o") or ""),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        started=str(data.get("s") or ""),
        digest=str(data.get("g") or ""),
    )


def form_token(secret: str, campaign: str) -> str:
    return TimestampSigner(secret, salt="handoff-form").sign(campaign.encode()).decode()


def form_token_valid(secret: str, raw: Any, campaign: str) -> bool:
    if not isinstance(raw, str) or len(raw) > 512:
        return False
    try:
        value = TimestampSigner(secret, salt="handoff-form").unsign(raw, max_age=FORM_MAX_AGE)
    except (BadSignature, ValueError):
        return False
    return value == campaign.encode()


# -- the statement (API only) -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementHandoff:
    version: int
    started: str  # SupporterPath.stamp() when the statement was served


def statement_token(secret: str, campaign: str, version: int, started: str) -> str:
    """The statement as served (its version, and when): signing requires it."""
    return _serializer(secret, "handoff-statement").dumps(
        {"c": campaign, "v": version, "s": started}
    )


def read_statement(secret: str, raw: Any, campaign: str) -> StatementHandoff:
    data = _load(secret, "handoff-statement", raw, FORM_MAX_AGE)
    version = data.get("v")
    if data.get("c") != campaign or not isinstance(version, int) or isinstance(version, bool):
        raise HandoffInvalid("for another campaign")
    return StatementHandoff(version, str(data.get("s") or ""))
