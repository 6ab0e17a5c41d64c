"""A report for each office a campaign wrote to: "N constituents of DISTRICT wrote to you about
CAMPAIGN, and M signed its statement", counts by week, and the words of writers who agreed to
be quoted to that office. As a printable page, CSV, from ``advocacy report``, or by email.

Letters are counted by tallies.py and signatures by statement.py; this module only puts their
figures side by side. An office is one elected office in one district ("MP", "Ottawa Centre"):
its report stays the same when the seat changes hands.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select, update

from . import counters, statement, tallies
from .civic.officials import Official
from .db import Database
from .models import Campaign, ReportExcerpt, ReportSend, SignatureDistrict

EXCERPT_MAX = 2000  # characters kept of a quotable letter
EXCERPTS_SHOWN = 30  # newest first
WEEKS_MAX = 104
CSV_COLUMNS = ("week_starting", "letters", "signatures")


def office_id(office: str, district: str) -> str:
    """A short stable id for an office in a district (in URLs and ``--official``)."""
    return hashlib.sha256(f"{office}|{district}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Office:
    id: str
    official_name: str
    office: str
    district: str
    level: str
    letters: int
    signatures: int


def offices(db: Database, campaign: Campaign) -> list[Office]:
    """Every office with letters or signatures in this campaign, the busiest first."""
    found: dict[tuple[str, str], dict] = {}
    for row in tallies.tally(db, campaign.id, "official").rows:
        name, office, district = row.values[:3]
        entry = found.setdefault((office, district), {"name": name, "level": "", "letters": 0})
        entry["letters"] += row.count
    with db.reader() as session:
        signed = session.execute(
            select(
                SignatureDistrict.official_office,
                SignatureDistrict.district_name,
                SignatureDistrict.official_name,
                SignatureDistrict.level,
            )
            .where(SignatureDistrict.campaign_id == campaign.id)
            .distinct()
        ).all()
    for office, district, name, level in signed:
        entry = found.setdefault((office, district), {"name": name, "level": level, "letters": 0})
        entry["level"] = entry["level"] or level
    out = [
        Office(
            office_id(office, district),
            entry["name"],
            office,
            district,
            entry["level"],
            entry["letters"],
            len(statement.for_official(db, campaign.id, office, district)),
        )
        for (office, district), entry in found.items()
    ]
    return sorted(out, key=lambda o: (-(o.letters + o.signatures), o.district, o.office))


def find_office(db: Database, campaign: Campaign, wanted: str) -> Office | None:
    return next((o for o in offices(db, campaign) if o.id == wanted), None)


@dataclass(frozen=True)
class Week:
    start: date
    letters: int
    signatures: int


@dataclass(frozen=True)
class Report:
    campaign: Campaign
    office: Office
    weeks: list[Week]
    excerpts: list[str]
    made_on: date


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def report(db: Database, campaign: Campaign, office: Office) -> Report:
    """The office's report: totals, counts by week (Monday to Sunday, UTC), excerpts."""
    signed_days = [
        when.astimezone(UTC).date()
        for when in statement.for_official(db, campaign.id, office.office, office.district)
    ]
    letter_days = [
        date.fromisoformat(row.values[0]) for row in tallies.tally(db, campaign.id, "day").rows
    ]
    today = datetime.now(UTC).date()
    first = min([*signed_days, *letter_days], default=today)
    first = max(_monday(first), _monday(today) - timedelta(weeks=WEEKS_MAX - 1))
    weeks = []
    start = first
    while start <= today:
        period = tallies.Period(start, start + timedelta(days=6))
        letters = sum(
            row.count
            for row in tallies.tally(db, campaign.id, "official", period).rows
            if tuple(row.values[1:3]) == (office.office, office.district)
        )
        signatures = sum(1 for day in signed_days if start <= day <= period.end)
        if letters or signatures:
            weeks.append(Week(start, letters, signatures))
        start += timedelta(weeks=1)
    with db.reader() as session:
        excerpts = list(
            session.scalars(
                select(ReportExcerpt.text)
                .where(
                    ReportExcerpt.campaign_id == campaign.id,
                    ReportExcerpt.official_office == office.office,
                    ReportExcerpt.district_name == office.district,
                    ReportExcerpt.sent.is_(True),
                )
                .order_by(ReportExcerpt.created_at.desc(), ReportExcerpt.id.desc())
                .limit(EXCERPTS_SHOWN)
            ).all()
        )
    return Report(campaign, office, weeks, excerpts, today)


def as_csv(result: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("campaign", result.campaign.slug))
    writer.writerow(("office", result.office.office))
    writer.writerow(("district", tallies.safe_cell(result.office.district)))
    writer.writerow(("letters", result.office.letters))
    writer.writerow(("signatures", result.office.signatures))
    writer.writerow(())
    writer.writerow(CSV_COLUMNS)
    for week in result.weeks:
        writer.writerow((week.start.isoformat(), week.letters, week.signatures))
    if result.excerpts:
        writer.writerow(())
        writer.writerow(("excerpt",))
        for text in result.excerpts:
            writer.writerow((tallies.safe_cell(text),))
    return out.getvalue()


# -- quotable words ------------------------------------------------------------------------------


def hold_excerpt(
    db: Database, campaign: Campaign, official: Official, token: str, text: str
) -> None:
    """Keep a letter's words for its office's report, pending until the letter is confirmed
    sent (a reviewed letter may never be sent). The same form reviewed twice keeps one."""
    text = text.strip()[:EXCERPT_MAX]
    if not text or not token:
        return
    with db.write() as session:
        session.execute(delete(ReportExcerpt).where(ReportExcerpt.token == token))
        session.add(
            ReportExcerpt(
                campaign_id=campaign.id,
                official_office=official.elected_office[:100],
                district_name=official.district_name[:200],
                text=text,
                token=token[:64],
            )
        )


_EXCERPTS = ReportExcerpt.__table__
# Made once: it runs in the transaction of every confirmation (issue 13).
_MARK_SENT = (
    update(_EXCERPTS)
    .where(_EXCERPTS.c.token == bindparam("sent_token"), _EXCERPTS.c.sent.is_(False))
    .values(sent=True, token="")
)


def excerpt_sent(target: Database | Connection, token: str) -> None:
    """The letter was sent: its words may go in the report (the token is forgotten). Given a
    connection, inside its transaction (the confirmation's, see actions.record_contact's
    ``also``); given the database, in a write transaction of its own."""
    if not token:
        return
    if isinstance(target, Connection):
        if target.dialect.name == "sqlite":  # the confirmation's hot path (counters.py)
            mark = counters.sqlite_statement(target, _MARK_SENT)
            target.connection.driver_connection.execute(
                mark.sql, mark.args({"sent_token": token})
            ).close()
        else:
            target.execute(_MARK_SENT, {"sent_token": token})
        return
    with target.write() as session:
        session.connection().execute(_MARK_SENT, {"sent_token": token})


def purge(db: Database, older_than: timedelta, pending_ttl: timedelta) -> int:
    """Delete excerpts past retention, and those of letters never confirmed sent."""
    now = datetime.now(UTC)
    with db.write() as session:
        deleted = session.execute(
            delete(ReportExcerpt).where(
                (ReportExcerpt.created_at < now - older_than)
                | (ReportExcerpt.sent.is_(False) & (ReportExcerpt.created_at < now - pending_ttl))
            )
        ).rowcount
    return deleted or 0


# -- sending to the office ----------------------------------------------------------------------


def log_send(
    db: Database, result: Report, to_address: str, by: str, status: str = "sent"
) -> ReportSend:
    with db.write() as session:
        row = ReportSend(
            campaign_id=result.campaign.id,
            official_office=result.office.office,
            district_name=result.office.district,
            to_address=to_address,
            sent_by=by,
            letters=result.office.letters,
            signatures=result.office.signatures,
            status=status[:40],
        )
        session.add(row)
        session.flush()
        return row


def sends(db: Database, campaign: Campaign) -> list[ReportSend]:
    with db.reader() as session:
        return list(
            session.scalars(
                select(ReportSend)
                .where(ReportSend.campaign_id == campaign.id)
                .order_by(ReportSend.sent_at.desc())
            ).all()
        )
