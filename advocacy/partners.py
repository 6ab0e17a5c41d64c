"""Partner sites: the origins allowed to embed a campaign and to call its API from a browser,
and the organizers' read-only API tokens for a campaign's tallies.

An origin is what browsers send in ``Origin`` and what CSP ``frame-ancestors`` matches: a
scheme, a host and a port, nothing else. A token is shown once, when it is made; only its
SHA-256 is kept (a random 256-bit token needs no slow hash), so a copy of the database gives
nobody a working token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from .db import Database
from .models import ApiToken, PartnerOrigin

ORIGINS_MAX = 20
TOKEN_PREFIX = "adv_"  # noqa: S105 - a prefix, not a secret
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_TOKEN = re.compile(r"^adv_[A-Za-z0-9_-]{43}$")


class InvalidOrigin(ValueError):
    """Not an origin: ``https://host`` or ``http://host:port``, nothing after the host."""

    def __init__(self, raw: str) -> None:
        super().__init__(raw)
        self.raw = raw


def normalize_origin(raw: str) -> str:
    """``raw`` as browsers write an origin (lower case, no default port, no slash), or
    InvalidOrigin. Paths, queries, user names and wildcards are refused: a partner is one
    site."""
    text = (raw or "").strip()
    if text.endswith("/"):
        text = text[:-1]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidOrigin(raw) from None
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
        or "@" in parts.netloc
        or not _HOST.match(host)
    ):
        raise InvalidOrigin(raw)
    default = 443 if parts.scheme == "https" else 80
    origin = f"{parts.scheme}://{host}"
    if port is not None and port != default:
        origin += f":{port}"
    if len(origin) > 200:
        raise InvalidOrigin(raw)
    return origin


def parse_origins(text: str) -> list[str]:
    """One origin per line (or separated by spaces or commas), normalised, without repeats;
    InvalidOrigin names the first bad one."""
    origins: list[str] = []
    for raw in re.split(r"[\s,]+", text or ""):
        if raw:
            origin = normalize_origin(raw)
            if origin not in origins:
                origins.append(origin)
    if len(origins) > ORIGINS_MAX:
        raise InvalidOrigin(f"more than {ORIGINS_MAX} origins")
    return origins


def origins(db: Database, campaign_id: int) -> list[str]:
    """The partner origins of a campaign, in the order they were listed."""
    with db.reader() as session:
        rows = session.scalars(
            select(PartnerOrigin.origin)
            .where(PartnerOrigin.campaign_id == campaign_id)
            .order_by(PartnerOrigin.id)
        )
        return list(rows)


def set_origins(db: Database, campaign_id: int, new: list[str]) -> None:
    """Replace a campaign's partner origins (already normalised, see parse_origins)."""
    with db.write() as session:
        session.execute(delete(PartnerOrigin).where(PartnerOrigin.campaign_id == campaign_id))
        session.add_all(PartnerOrigin(campaign_id=campaign_id, origin=o) for o in new)


def origin_allowed(allowed: list[str], origin: str | None) -> bool:
    """Whether a request's ``Origin`` header names one of ``allowed`` exactly."""
    return bool(origin) and origin in allowed


def frame_ancestors(allowed: list[str]) -> str:
    """The CSP ``frame-ancestors`` value for a campaign's embed: its partners, or nobody."""
    return " ".join(allowed) if allowed else "'none'"


# -- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """What the settings page lists of a token (never the token itself)."""

    id: int
    name: str
    hint: str
    created_at: datetime
    created_by: str | None
    revoked: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, campaign_id: int, name: str, created_by: str | None) -> str:
    """A new read-only token for one campaign's tallies, returned once: only its hash stays."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write() as session:
        session.add(
            ApiToken(
                campaign_id=campaign_id,
                name=name.strip()[:100],
                token_hash=_hash(token),
                hint=token[:10],
                created_by=created_by,
            )
        )
    return token


def tokens(db: Database, campaign_id: int) -> list[TokenInfo]:
    with db.reader() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.campaign_id == campaign_id).order_by(ApiToken.id)
        )
        return [
            TokenInfo(r.id, r.name, r.hint, r.created_at, r.created_by, r.revoked_at is not None)
            for r in rows
        ]


def revoke_token(db: Database, campaign_id: int, token_id: int) -> bool:
    """Revoke one of a campaign's tokens; False when it has no such token."""
    with db.write() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.campaign_id != campaign_id:
            return False
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        return True


def token_campaign(db: Database, token: str | None) -> int | None:
    """The campaign a token may read, or None (unknown, malformed or revoked)."""
    if not token or not _TOKEN.match(token):
        return None
    with db.reader() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
        if row is None or row.revoked_at is not None:
            return None
        return row.campaign_id
