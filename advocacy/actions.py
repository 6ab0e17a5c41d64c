"""Recording contact actions (idempotently); tallies.py counts them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .civic.officials import Official
from .civic.postcodes import prefix
from .constants import ContactMethod
from .db import Database
from .models import Campaign, ContactAction, LetterTemplate

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


def record_contact(
    db: Database,
    campaign: Campaign,
    template: LetterTemplate | None,
    official: Official,
    postcode: str,
    method: str,
    token: str,
    source: str = "",
    personalized: bool | None = None,
    fingerprint: str | None = None,
    repeat_window: timedelta = timedelta(days=1),
) -> Recorded:
    """Log that a supporter contacted ``official``, once per token, and once per
    ``fingerprint`` (the same letter from the same client) within ``repeat_window``.
    Returns after the commit."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise InvalidToken(token)
    if method not in METHODS:
        raise ValueError(f"unknown contact method {method!r}")
    try:
        with db.write() as session:
            existing = session.scalar(
                select(ContactAction.id).where(ContactAction.idempotency_token == token)
            )
            if existing is None and fingerprint and repeat_window > timedelta(0):
                existing = session.scalar(
                    select(ContactAction.id).where(
                        ContactAction.fingerprint == fingerprint,
                        ContactAction.created_at > datetime.now(UTC) - repeat_window,
                    )
                )
            if existing is not None:
                return Recorded(existing, created=False)
            action = ContactAction(
                campaign_id=campaign.id,
                template_id=template.id if template else None,
                official_name=official.name,
                official_office=official.elected_office,
                district_name=official.district_name,
                district_id=official.district_id,
                level=official.level,
                provider=official.source,
                method=method,
                postcode_prefix=prefix(postcode),
                idempotency_token=token,
                source=clean_source(source),
                personalized=personalized,
                fingerprint=fingerprint,
            )
            session.add(action)
            session.flush()
            action_id = action.id
        return Recorded(action_id, created=True)
    except IntegrityError:
        # Two submissions of one token raced (possible on PostgreSQL): the other one won.
        with db.reader() as session:
            existing = session.scalar(
                select(ContactAction.id).where(ContactAction.idempotency_token == token)
            )
        if existing is None:
            raise
        return Recorded(existing, created=False)
