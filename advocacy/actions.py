"""Recording contact actions (idempotently); tallies.py counts them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, insert, literal, select
from sqlalchemy.exc import IntegrityError

from . import counters
from .civic.officials import Official
from .civic.postcodes import prefix
from .constants import ContactMethod
from .db import Database
from .models import Campaign, ContactAction, LetterVersion

METHODS = tuple(ContactMethod)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


def clean_source(raw: str | None) -> str:
    """A campaign link's ``?source=`` code, lower-cased, or "" when absent or malformed."""
    code = (raw or "").strip().lower()
    return code if _SOURCE.fullmatch(code) else ""


class InvalidToken(ValueError):
    """The form's idempotency token is missing or malformed."""


def new_token() -> str:
    """An idempotency token for one letter form: submitting it twice records one action."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Recorded:
    action_id: int
    created: bool  # False when the token had been used already


def _existing(session, token: str, fingerprint: str | None, since: datetime | None) -> int | None:
    """The action already logged for this token, or for this fingerprint since ``since``."""
    existing = session.scalar(
        select(ContactAction.id).where(ContactAction.idempotency_token == token)
    )
    if existing is None and fingerprint and since is not None:
        existing = session.scalar(
            select(ContactAction.id).where(
                ContactAction.fingerprint == fingerprint, ContactAction.created_at > since
            )
        )
    return existing


def record_contact(
    db: Database,
    campaign: Campaign,
    version: LetterVersion | None,
    official: Official,
    postcode: str,
    method: str,
    token: str,
    source: str = "",
    personalized: bool | None = None,
    fingerprint: str | None = None,
    repeat_window: timedelta = timedelta(days=1),
    when: datetime | None = None,
) -> Recorded:
    """Log that a supporter contacted ``official``, once per token, and once per
    ``fingerprint`` (the same letter from the same client) within ``repeat_window``, and
    count it (counters.py) in the same transaction. ``when`` (UTC-aware, default now) is for
    imports. Returns after the commit."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise InvalidToken(token)
    if method not in METHODS:
        raise ValueError(f"unknown contact method {method!r}")
    now = when or datetime.now(UTC)
    since = now - repeat_window if fingerprint and repeat_window > timedelta(0) else None
    # Reads first, outside the write transaction: a repeat costs no write lock at all.
    with db.reader() as session:
        existing = _existing(session, token, fingerprint, since)
    if existing is not None:
        return Recorded(existing, created=False)
    fields = {
        "campaign_id": campaign.id,
        "template_id": version.id if version else None,
        "official_name": official.name,
        "official_office": official.elected_office,
        "district_name": official.district_name,
        "district_id": official.district_id,
        "level": official.level,
        "provider": official.source,
        "method": method,
        "postcode_prefix": prefix(postcode),
        "idempotency_token": token,
        "source": clean_source(source),
        "personalized": personalized,
        "fingerprint": fingerprint,
        "created_at": now,
    }
    rows = counters.counter_rows(campaign.id, now.astimezone(UTC).date(), fields)
    # The write transaction holds the insert and the counters only. The insert is
    # conditional, so a repeat that raced past the reads above is still refused atomically:
    # the token by its unique index, the fingerprint by the NOT EXISTS below.
    values = select(
        *(literal(value, ContactAction.__table__.c[name].type) for name, value in fields.items())
    )
    if since is not None:
        values = values.where(
            ~exists().where(
                ContactAction.fingerprint == fingerprint, ContactAction.created_at > since
            )
        )
    statement = insert(ContactAction).from_select(list(fields), values).returning(ContactAction.id)
    try:
        with db.write() as session:
            action_id = session.scalar(statement)
            if action_id is not None:
                counters.add(session, rows)
    except IntegrityError:
        action_id = None  # the same token, committed by another request meanwhile
    if action_id is not None:
        return Recorded(action_id, created=True)
    with db.reader() as session:
        existing = _existing(session, token, fingerprint, since)
    if existing is None:
        raise RuntimeError("a contact was refused as a repeat but no earlier one is found")
    return Recorded(existing, created=False)
