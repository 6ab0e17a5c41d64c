"""Recording contact actions (idempotently); tallies.py counts them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, exists, insert, select
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


_TABLE = ContactAction.__table__
_FIELDS = (
    "campaign_id",
    "template_id",
    "official_name",
    "official_office",
    "district_name",
    "district_id",
    "level",
    "provider",
    "method",
    "postcode_prefix",
    "idempotency_token",
    "source",
    "personalized",
    "fingerprint",
    "created_at",
)
_PARAMS = {name: bindparam(name, type_=_TABLE.c[name].type) for name in _FIELDS}
_SINCE = bindparam("since", type_=_TABLE.c.created_at.type)
_TOKEN_USED = exists().where(_TABLE.c.idempotency_token == _PARAMS["idempotency_token"])
# With a NULL fingerprint or since, this matches nothing.
_REPEATED = exists().where(
    _TABLE.c.fingerprint == _PARAMS["fingerprint"], _TABLE.c.created_at > _SINCE
)
# Issue 13: the statements of the hot path, made once (SQLAlchemy compiles each once, too).
# The insert is conditional, so a repeat is refused atomically inside the write: the same
# token, or the same fingerprint since ``since``, already logged (by an earlier transaction
# or by an earlier confirmation of the same group commit).
_INSERT = (
    insert(_TABLE)
    .from_select(
        list(_FIELDS),
        select(*(_PARAMS[name] for name in _FIELDS)).where(~_TOKEN_USED, ~_REPEATED),
    )
    .returning(_TABLE.c.id)
)
_BY_TOKEN = select(_TABLE.c.id).where(_TABLE.c.idempotency_token == _PARAMS["idempotency_token"])
_BY_FINGERPRINT = (
    select(_TABLE.c.id)
    .where(_TABLE.c.fingerprint == _PARAMS["fingerprint"], _TABLE.c.created_at > _SINCE)
    .limit(1)
)


def _existing(connection: Connection, params: dict) -> int | None:
    """The action already logged for this token, or for this fingerprint since ``since``."""
    existing = connection.scalar(_BY_TOKEN, params)
    if existing is None and params["fingerprint"] and params["since"] is not None:
        existing = connection.scalar(_BY_FINGERPRINT, params)
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
    also: Callable[[Connection], object] | None = None,
) -> Recorded:
    """Log that a supporter contacted ``official``, once per token, and once per
    ``fingerprint`` (the same letter from the same client) within ``repeat_window``, and
    count it (counters.py) in the same transaction. ``when`` (UTC-aware, default now) is for
    imports. ``also(connection)``, when given, runs in that transaction too (new contact or
    repeat). Returns after the commit.

    The write goes through ``Database.write_grouped``: on SQLite, confirmations arriving
    together in one worker share one transaction and one fsync (issue 13)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise InvalidToken(token)
    if method not in METHODS:
        raise ValueError(f"unknown contact method {method!r}")
    now = when or datetime.now(UTC)
    since = now - repeat_window if fingerprint and repeat_window > timedelta(0) else None
    params = {
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
        "since": since,
    }
    rows = counters.counter_rows(campaign.id, now.astimezone(UTC).date(), params)

    def write(connection: Connection) -> Recorded:
        if connection.dialect.name == "sqlite":
            insert_ = counters.sqlite_statement(connection, _INSERT)
            cursor = connection.connection.driver_connection.execute(
                insert_.sql, insert_.args(params)
            )
            found = cursor.fetchone()
            cursor.close()
            action_id = found[0] if found else None
        else:
            action_id = connection.scalar(_INSERT, params)
        if action_id is not None:
            counters.add(connection, rows)
            recorded = Recorded(action_id, created=True)
        else:
            existing = _existing(connection, params)
            if existing is None:
                raise RuntimeError("a contact was refused as a repeat but no earlier one is found")
            recorded = Recorded(existing, created=False)
        if also is not None:
            also(connection)
        return recorded

    try:
        return db.write_grouped(write)
    except IntegrityError:
        pass  # PostgreSQL: the same token, committed by another request meanwhile
    with db.engine.connect() as connection:
        existing = _existing(connection, params)
    if existing is None:
        raise RuntimeError("a contact was refused as a repeat but no earlier one is found")
    return Recorded(existing, created=False)
