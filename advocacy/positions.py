"""What officials answer: supporters' reports of replies (with excerpts an organizer moderates),
organizers' sourced positions, and the public scorecard that puts both side by side.

A report holds no supporter identity: one per browser and official, by a keyed hash. The
scorecard shows counts, positions and approved excerpts only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from .civic.officials import Official
from .constants import ExcerptStatus, Position
from .db import Database
from .models import Campaign, OfficialPosition, ReplyReport

POSITIONS = tuple(Position)
EXCERPT_MAX = 1500


class PositionError(ValueError):
    """A position or report that cannot be recorded."""


# -- who may report on which official --------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The official a reply report is about, as the supporter's lookup named them."""

    name: str
    office: str
    district: str
    level: str
    region: str
    reporter: str  # keyed hash of (browser, official): one report per browser and official


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="reply-report")


def report_token(
    secret_key: str, campaign: Campaign, official: Official, region: str, browser: str
) -> str:
    """The signed part of a "tell us what they answered" link for this browser's letter."""
    material = f"{campaign.id}|{official.key}|{browser}".encode()
    reporter = hmac.new(secret_key.encode(), material, hashlib.sha256).hexdigest()
    return _signer(secret_key).dumps(
        {
            "c": campaign.id,
            "n": official.name,
            "o": official.elected_office,
            "d": official.district_name,
            "l": official.level,
            "r": region,
            "k": reporter,
        }
    )


def read_report_token(secret_key: str, campaign: Campaign, token: str) -> Subject | None:
    try:
        data = _signer(secret_key).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != campaign.id:
        return None
    values = [str(data.get(k, "")) for k in ("n", "o", "d", "l", "r", "k")]
    return Subject(*values)


def record_report(
    db: Database,
    campaign: Campaign,
    subject: Subject,
    *,
    replied: bool,
    position: str,
    excerpt: str,
) -> ReplyReport:
    """Record (or replace) this browser's report on this official."""
    if position not in POSITIONS:
        raise PositionError(position)
    excerpt = excerpt.strip()[:EXCERPT_MAX]
    with db.write() as session:
        row = session.scalar(
            select(ReplyReport).where(
                ReplyReport.campaign_id == campaign.id,
                ReplyReport.reporter_key == subject.reporter,
            )
        )
        if row is None:
            row = ReplyReport(campaign_id=campaign.id, reporter_key=subject.reporter)
            session.add(row)
        row.official_name = subject.name[:200]
        row.official_office = subject.office[:100]
        row.district_name = subject.district[:200]
        row.level = subject.level[:20]
        row.region = subject.region[:40]
        row.replied = replied
        row.position = position
        row.excerpt = excerpt
        row.excerpt_status = ExcerptStatus.PENDING if excerpt else ""
        row.created_at = datetime.now(UTC)
        session.flush()
        return row


# -- moderation -----------------------------------------------------------------------------------


def pending_excerpts(db: Database, campaign: Campaign) -> list[ReplyReport]:
    with db.reader() as session:
        return list(
            session.scalars(
                select(ReplyReport)
                .where(
                    ReplyReport.campaign_id == campaign.id,
                    ReplyReport.excerpt_status == ExcerptStatus.PENDING,
                )
                .order_by(ReplyReport.created_at)
            ).all()
        )


def moderate(db: Database, campaign: Campaign, report_id: int, approve: bool) -> bool:
    """Approve or reject a pending excerpt; a rejected one is deleted at once."""
    with db.write() as session:
        row = session.get(ReplyReport, report_id)
        if row is None or row.campaign_id != campaign.id:
            return False
        if row.excerpt_status != ExcerptStatus.PENDING:
            return False
        if approve:
            row.excerpt_status = ExcerptStatus.APPROVED
        else:
            row.excerpt_status = ExcerptStatus.REJECTED
            row.excerpt = ""
        return True


# -- organizers' sourced positions ----------------------------------------------------------------


def check_source(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PositionError("the source must be an http(s) link")
    return url


def record_position(
    db: Database,
    campaign: Campaign,
    *,
    name: str,
    office: str,
    district: str,
    level: str,
    position: str,
    source_url: str,
    note: str,
    by: str,
) -> OfficialPosition:
    if position not in POSITIONS:
        raise PositionError(position)
    with db.write() as session:
        row = OfficialPosition(
            campaign_id=campaign.id,
            official_name=name[:200],
            official_office=office[:100],
            district_name=district[:200],
            level=level[:20],
            position=position,
            source_url=check_source(source_url)[:500],
            note=note.strip()[:500],
            recorded_by=by,
        )
        session.add(row)
        session.flush()
        return row


# -- the scorecard ------------------------------------------------------------------------------


@dataclass
class Card:
    name: str
    office: str
    district: str
    level: str
    region: str
    reports: int = 0
    replied: int = 0
    positions: Counter = field(default_factory=Counter)
    excerpts: list[str] = field(default_factory=list)
    sourced: OfficialPosition | None = None

    @property
    def reply_rate(self) -> int | None:
        """Percent of reports that say the official replied (None without reports)."""
        return round(100 * self.replied / self.reports) if self.reports else None

    @property
    def reported_position(self) -> tuple[str, int] | None:
        """The position most reports give, and how many give it."""
        return self.positions.most_common(1)[0] if self.positions else None


def scorecard(
    db: Database, campaign: Campaign, level: str = "", region: str = ""
) -> tuple[list[Card], list[str], list[str]]:
    """Cards per office (reports and sourced positions), filtered by level and region; and
    the levels and regions to filter by."""
    cards: dict[tuple[str, str], Card] = {}
    with db.reader() as session:
        reports = session.scalars(
            select(ReplyReport).where(ReplyReport.campaign_id == campaign.id)
        ).all()
        sourced = session.scalars(
            select(OfficialPosition)
            .where(OfficialPosition.campaign_id == campaign.id)
            .order_by(OfficialPosition.created_at, OfficialPosition.id)
        ).all()
    for row in reports:
        card = cards.setdefault(
            (row.official_office, row.district_name),
            Card(row.official_name, row.official_office, row.district_name, row.level, row.region),
        )
        card.reports += 1
        card.replied += 1 if row.replied else 0
        card.positions[row.position] += 1
        if row.excerpt_status == ExcerptStatus.APPROVED and row.excerpt:
            card.excerpts.append(row.excerpt)
    for row in sourced:  # newest last: it wins
        card = cards.setdefault(
            (row.official_office, row.district_name),
            Card(row.official_name, row.official_office, row.district_name, row.level, ""),
        )
        card.sourced = row
    levels = sorted({c.level for c in cards.values() if c.level})
    regions = sorted({c.region for c in cards.values() if c.region})
    shown = [
        c
        for c in cards.values()
        if (not level or c.level == level) and (not region or c.region == region)
    ]
    shown.sort(key=lambda c: (c.level, c.region, c.district, c.office))
    return shown, levels, regions


def purge(db: Database, older_than: timedelta) -> int:
    """Clear excerpts never published (waiting or rejected) past retention; reports stay."""
    now = datetime.now(UTC)
    with db.write() as session:
        cleared = session.execute(
            update(ReplyReport)
            .where(
                ReplyReport.excerpt != "",
                ReplyReport.excerpt_status != ExcerptStatus.APPROVED,
                ReplyReport.created_at < now - older_than,
            )
            .values(excerpt="", excerpt_status="")
        ).rowcount
    return cleared or 0
