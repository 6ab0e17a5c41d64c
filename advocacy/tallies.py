"""Counting contact actions: totals and counts by district, official, level, day and source,
over a date range, for the organizers' dashboard, its CSV exports and ``advocacy tally``.

Tallies read the counter tables (counters.py: per campaign, UTC day and value, updated with
each contact), so a table costs a few hundred rows however many contacts there are; date
ranges are whole UTC days, so they are exact on counters. ``recount`` counts the same tables
from the contacts themselves (tests compare the two). Every query is plain SQLAlchemy and runs
unchanged on SQLite and PostgreSQL. Nothing here reads or writes personal data: contact
actions hold none.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain

from sqlalchemy import func, select

from . import counters
from .counters import utc_day
from .db import Database
from .models import Campaign, ContactAction, LetterVersion, TallyCounter

# What a tally can be grouped by, and the columns (before the count) each table has.
COLUMNS: dict[str, tuple[str, ...]] = {
    "district": ("district", "district_id", "level"),
    "official": ("official", "office", "district"),
    "level": ("level",),
    "day": ("day",),
    "source": ("source",),
    "method": ("method",),
    "wording": ("wording",),
}
BY = tuple(COLUMNS)
# Whether supporters changed the campaign's text (ContactAction.personalized).
WORDING = {True: "own words", False: "campaign's text", None: "not known"}
COUNT_COLUMN = "contacts"
# Contacts that came without a ?source= code (or with ?source=direct) are counted as this.
DIRECT = "direct"
RAW_COLUMNS = (
    "time_utc",
    "campaign",
    "template_id",
    "template_version",
    "official",
    "office",
    "district",
    "district_id",
    "level",
    "provider",
    "method",
    "postcode_prefix",
    "source",
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# -- date ranges ---------------------------------------------------------------------------------


class InvalidPeriod(ValueError):
    """A date range that cannot be used: ``problem`` is "from", "to" (not a YYYY-MM-DD date)
    or "order" (the start is after the end)."""

    def __init__(self, problem: str, raw: str = "") -> None:
        super().__init__(problem, raw)
        self.problem = problem
        self.raw = raw

    def __str__(self) -> str:  # worded for the command line (the pages say it their way)
        if self.problem == "order":
            return "the start date is after the end date"
        return f"--{self.problem} must be a date written YYYY-MM-DD, not {self.raw!r}"


@dataclass(frozen=True)
class Period:
    """Whole UTC days from ``start`` to ``end``, both included; None leaves that side open."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The first instant included and the first instant after the period, in UTC."""
        low = datetime.combine(self.start, time(), UTC) if self.start else None
        high = None
        if self.end is not None and self.end < date.max:
            high = datetime.combine(self.end + timedelta(days=1), time(), UTC)
        return low, high

    def arguments(self) -> dict[str, str]:
        """The period as URL query arguments (``from``, ``to``), empty sides left out."""
        args = {}
        if self.start:
            args["from"] = self.start.isoformat()
        if self.end:
            args["to"] = self.end.isoformat()
        return args


def parse_day(raw: str | None, problem: str = "from") -> date | None:
    """A YYYY-MM-DD date, or None for an empty value; anything else raises InvalidPeriod."""
    text = (raw or "").strip()
    if not text:
        return None
    if not _DAY.fullmatch(text):
        raise InvalidPeriod(problem, text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(problem, text) from None


def parse_period(raw_from: str | None, raw_to: str | None) -> Period:
    period = Period(parse_day(raw_from, "from"), parse_day(raw_to, "to"))
    if period.start and period.end and period.start > period.end:
        raise InvalidPeriod("order")
    return period


# -- sorting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    """How a table is ordered: by its ``count`` or by its ``name`` (the row's columns)."""

    key: str = "count"
    descending: bool = True

    @property
    def token(self) -> str:
        """The sort as written in URLs and on the command line: "count-desc", "name-asc"..."""
        return f"{self.key}-{'desc' if self.descending else 'asc'}"

    def toggled(self, key: str) -> Sort:
        """The sort a column header links to: the other direction if the table is sorted by
        ``key`` already, else ``key`` in its natural direction."""
        if key == self.key:
            return Sort(key, not self.descending)
        return Sort(key, key == "count")


SORTS = ("count-desc", "count-asc", "name-asc", "name-desc")


def default_sort(by: str) -> Sort:
    """Days read in order; everything else largest first."""
    return Sort("name", False) if by == "day" else Sort("count", True)


def parse_sort(raw: str | None, by: str) -> Sort:
    """A sort token ("count-desc", "name-asc"...); anything else gives the table's default."""
    key, _, direction = (raw or "").partition("-")
    if key not in ("count", "name") or direction not in ("asc", "desc"):
        return default_sort(by)
    return Sort(key, direction == "desc")


@lru_cache(maxsize=65536)
def _name_key(text: str) -> tuple[str, str]:
    """Sort names the way a reader expects: case and accents do not matter first. Cached:
    the same district names are sorted on every page."""
    if text.isascii():
        return (text.casefold(), text)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()
    return (plain, text)


# -- tallies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TallyRow:
    """One line of a table: its column values (see COLUMNS) and how many contacts."""

    values: tuple[str, ...]
    count: int

    @property
    def label(self) -> str:
        return self.values[0]


@dataclass(frozen=True)
class Tally:
    by: str
    rows: list[TallyRow]
    sort: Sort

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.by]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


def _filtered(statement, campaign_id: int, period: Period):
    statement = statement.where(ContactAction.campaign_id == campaign_id)
    low, high = period.bounds()
    if low is not None:
        statement = statement.where(ContactAction.created_at >= low)
    if high is not None:
        statement = statement.where(ContactAction.created_at < high)
    return statement


def _group_columns(by: str) -> list:
    if by == "district":
        return [ContactAction.district_name, ContactAction.district_id, ContactAction.level]
    if by == "official":
        return [
            ContactAction.official_name,
            ContactAction.official_office,
            ContactAction.district_name,
        ]
    if by == "level":
        return [ContactAction.level]
    if by == "day":
        return [utc_day(ContactAction.created_at)]
    if by == "source":
        return [ContactAction.source]
    if by == "method":
        return [ContactAction.method]
    if by == "wording":
        return [ContactAction.personalized]
    raise ValueError(f"cannot tally by {by!r}; choose one of {', '.join(BY)}")


def _values(by: str, raw: tuple) -> tuple[str, ...]:
    if by == "day":
        day = raw[0]
        return ((day if isinstance(day, date) else date.fromisoformat(str(day))).isoformat(),)
    if by == "source":
        return (raw[0] or DIRECT,)
    if by == "wording":
        return (WORDING[None if raw[0] is None else bool(raw[0])],)
    return tuple("" if value is None else str(value) for value in raw)


def sort_rows(rows: Iterable[TallyRow], sort: Sort) -> list[TallyRow]:
    """Rows ordered by ``sort``; ties by name, so the order is the same on every database."""
    by_name = sorted(rows, key=lambda row: tuple(_name_key(v) for v in row.values))
    if sort.key == "name":
        return by_name[::-1] if sort.descending else by_name
    return sorted(by_name, key=lambda row: -row.count if sort.descending else row.count)


def _counted(statement, campaign_id: int, period: Period):
    statement = statement.where(TallyCounter.campaign_id == campaign_id)
    if period.start is not None:
        statement = statement.where(TallyCounter.day >= period.start)
    if period.end is not None:
        statement = statement.where(TallyCounter.day <= period.end)
    return statement


def _dimension(by: str, period: Period) -> str:
    """The counters to read: all-time ones when the period is open on both sides."""
    if period.start is None and period.end is None:
        return by + counters.ALL_TIME
    return by


def _counter_values(by: str, raw: tuple) -> tuple[str, ...]:
    if by == "wording":
        return (WORDING[{"1": True, "0": False}.get(raw[0])],)
    return _values(by, raw)


def _tally(session, campaign_id: int, by: str, period: Period, sort: Sort) -> Tally:
    if by not in COLUMNS:
        raise ValueError(f"cannot tally by {by!r}; choose one of {', '.join(BY)}")
    if by == "day":
        group = [TallyCounter.day]
        dimension = counters.DAY_DIMENSION
    else:
        group = [TallyCounter.value1, TallyCounter.value2, TallyCounter.value3][
            : len(counters.DIMENSIONS[by])
        ]
        dimension = _dimension(by, period)
    statement = _counted(
        select(*group, func.sum(TallyCounter.count))
        .where(TallyCounter.dimension == dimension)
        .group_by(*group),
        campaign_id,
        period,
    )
    counts: Counter[tuple[str, ...]] = Counter()
    for *raw, count in session.execute(statement):
        # Summed, not assigned: "" and "direct" are one source.
        counts[_counter_values(by, tuple(raw))] += int(count)
    rows = [TallyRow(values, count) for values, count in counts.items() if count]
    return Tally(by, sort_rows(rows, sort), sort)


def tally(
    db: Database,
    campaign_id: int,
    by: str,
    period: Period | None = None,
    sort: Sort | None = None,
) -> Tally:
    """Contacts for one campaign within ``period``, counted by ``by`` (one of BY)."""
    with db.reader() as session:
        return _tally(session, campaign_id, by, period or Period(), sort or default_sort(by))


def tallies(
    db: Database,
    campaign_id: int,
    period: Period | None = None,
    sorts: dict[str, Sort] | None = None,
) -> dict[str, Tally]:
    """Every table of the dashboard, read in one session."""
    sorts = sorts or {}
    with db.reader() as session:
        return {
            by: _tally(
                session, campaign_id, by, period or Period(), sorts.get(by, default_sort(by))
            )
            for by in BY
        }


def total(db: Database, campaign_id: int, period: Period | None = None) -> int:
    """How many contacts a campaign has within ``period`` (all time by default)."""
    with db.reader() as session:
        statement = _counted(
            select(func.sum(TallyCounter.count)).where(
                TallyCounter.dimension == _dimension(counters.DAY_DIMENSION, period or Period())
            ),
            campaign_id,
            period or Period(),
        )
        return int(session.scalar(statement) or 0)


def recount(
    db: Database,
    campaign_id: int,
    by: str,
    period: Period | None = None,
    sort: Sort | None = None,
) -> Tally:
    """The same table as ``tally``, counted from the contacts themselves (slow: it reads every
    contact in the period). For checks; the pages and commands use ``tally``."""
    group = _group_columns(by)
    statement = _filtered(
        select(*group, func.count(ContactAction.id)).group_by(*group),
        campaign_id,
        period or Period(),
    )
    counts: Counter[tuple[str, ...]] = Counter()
    with db.reader() as session:
        for *raw, count in session.execute(statement):
            counts[_values(by, tuple(raw))] += count
    rows = [TallyRow(values, count) for values, count in counts.items()]
    sort = sort or default_sort(by)
    return Tally(by, sort_rows(rows, sort), sort)


def rebuild(db: Database, campaign_id: int | None = None) -> int:
    """Recount the counters from the contacts (``advocacy rebuild-tallies``)."""
    return counters.rebuild(db, campaign_id)


def days_with_gaps(rows: Iterable[TallyRow]) -> list[tuple[date, int]]:
    """Counts per day from the first day with a contact to the last, days without one as 0."""
    counts = {date.fromisoformat(row.values[0]): row.count for row in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
        for n in range((last - first).days + 1)
    ]


# -- raw actions ---------------------------------------------------------------------------------


def iter_actions(
    db: Database, campaign: Campaign, period: Period | None = None, batch: int = 1000
) -> Iterator[tuple]:
    """One tuple per contact action (see RAW_COLUMNS), oldest first, read in batches. The
    session stays open while the caller iterates (a CSV download streams)."""
    statement = _filtered(
        select(
            ContactAction.created_at,
            LetterVersion.id,
            LetterVersion.version,
            ContactAction.official_name,
            ContactAction.official_office,
            ContactAction.district_name,
            ContactAction.district_id,
            ContactAction.level,
            ContactAction.provider,
            ContactAction.method,
            ContactAction.postcode_prefix,
            ContactAction.source,
        )
        .outerjoin(LetterVersion, ContactAction.template_id == LetterVersion.id)
        .order_by(ContactAction.created_at, ContactAction.id),
        campaign.id,
        period or Period(),
    ).execution_options(yield_per=batch)
    with db.reader() as session:
        for created_at, template_id, version, *rest in session.execute(statement):
            when = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            yield (
                when,
                campaign.slug,
                "" if template_id is None else template_id,
                "" if version is None else version,
                *rest,
            )


# -- output: CSV (formula-safe), JSON and a text table -------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: text starting like a formula gets a '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def header(by: str) -> tuple[str, ...]:
    return (*COLUMNS[by], COUNT_COLUMN)


def table_rows(result: Tally) -> Iterator[tuple]:
    for row in result.rows:
        yield (*row.values, row.count)


def csv_lines(header_row: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV text, one line at a time (for streaming), every cell passed through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in chain([header_row], rows):
        writer.writerow([safe_cell(cell) for cell in line])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def tally_csv(result: Tally) -> str:
    return "".join(csv_lines(header(result.by), table_rows(result)))


def tally_json(result: Tally, campaign: Campaign, period: Period) -> str:
    return json.dumps(
        {
            "campaign": campaign.slug,
            "by": result.by,
            "from": period.start.isoformat() if period.start else None,
            "to": period.end.isoformat() if period.end else None,
            "total": result.total,
            "rows": [
                dict(zip(header(result.by), line, strict=True)) for line in table_rows(result)
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def tally_table(result: Tally) -> str:
    """A plain-text table with a total line, for the terminal."""
    total_line = ("total", *[""] * (len(result.columns) - 1), result.total)
    lines = [header(result.by), *table_rows(result), total_line]
    cells = [[str(cell) for cell in line] for line in lines]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    out = []
    for n, line in enumerate(cells):
        *names, count = line
        text = "  ".join(cell.ljust(width) for cell, width in zip(names, widths, strict=False))
        out.append(f"{text}  {count.rjust(widths[-1])}".rstrip())
        if n == 0 or n == len(cells) - 2:
            out.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    return "\n".join(out)


def describe(period: Period) -> str:
    """The period in words, for the terminal."""
    if period.start and period.end:
        return f"from {period.start.isoformat()} to {period.end.isoformat()} (UTC, included)"
    if period.start:
        return f"from {period.start.isoformat()} (UTC)"
    if period.end:
        return f"up to {period.end.isoformat()} (UTC, included)"
    return "all dates"


FORMATS = ("table", "csv", "json")


def render(result: Tally, campaign: Campaign, period: Period, output: str) -> str:
    """A tally as ``output`` (one of FORMATS) for ``advocacy tally``."""
    if output == "csv":
        return tally_csv(result)
    if output == "json":
        return tally_json(result, campaign, period)
    if output == "table":
        title = f"{campaign.slug}: contacts by {result.by}, {describe(period)}"
        return f"{title}\n\n{tally_table(result)}"
    raise ValueError(f"unknown format {output!r}; choose one of {', '.join(FORMATS)}")
