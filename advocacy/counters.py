"""The counter tables behind the tallies (``TallyCounter``).

A contact adds one to twelve counters (one per dimension: district, official, level, source,
method, wording, for its campaign and UTC day, and the same for all time), in the transaction
that logs it (``actions.record_contact``). Counts by day and totals are sums of the "level"
counters. ``rebuild`` recounts them from ``contact_actions`` (after a bulk import or a purge);
``advocacy rebuild-tallies`` runs it. tallies.py reads them.

Below actions.py and tallies.py: it imports only the models and the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Date, delete, func, insert, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from .db import Database
from .models import ContactAction, TallyCounter

# The dimensions counted, each with the names of the (up to three) values its counters hold.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "district": ("district_name", "district_id", "level"),
    "official": ("official_name", "official_office", "district_name"),
    "level": ("level",),
    "source": ("source",),
    "method": ("method",),
    "wording": ("personalized",),
}
# The dimension whose counters, summed, give counts by day and totals.
DAY_DIMENSION = "level"
# Each dimension is also counted for all time (dimension "district:all"...), on this day, so
# that an all-time table reads one row per value instead of one per value and day.
ALL_TIME = ":all"
ALL_TIME_DAY = date(1, 1, 1)
_KEY = ("campaign_id", "dimension", "day", "value1", "value2", "value3")


# -- the UTC day of a timestamp, per dialect -----------------------------------------------------


class utc_day(FunctionElement):
    """The calendar day, in UTC, of a UTC timestamp column (a ``date``)."""

    type = Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw) -> str:
    # UTCDateTime stores SQLite timestamps as UTC text, "YYYY-MM-DD HH:MM:SS.ffffff".
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw) -> str:
    # A timestamptz cast to date uses the session's TimeZone; convert to UTC first. 'UTC' is a
    # literal, not a bound parameter, so GROUP BY matches the selected expression.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_day)
def _utc_day_default(element, compiler, **kw) -> str:
    # Other databases store the UTC timestamp without a zone (see models.UTCDateTime).
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


# -- one contact ---------------------------------------------------------------------------------


def wording_value(personalized: bool | None) -> str:
    """How a counter stores ContactAction.personalized: "1", "0", or "" (not known)."""
    return "" if personalized is None else ("1" if personalized else "0")


def _value(name: str, fields: Mapping[str, object]) -> str:
    if name == "personalized":
        return wording_value(fields.get("personalized"))  # type: ignore[arg-type]
    value = fields.get(name)
    return "" if value is None else str(value)


def counter_rows(campaign_id: int, day: date, fields: Mapping[str, object]) -> list[dict]:
    """The counters one contact adds to, from its ContactAction column values."""
    rows = []
    for dimension, names in DIMENSIONS.items():
        values = [_value(name, fields) for name in names] + ["", ""]
        for name, on in ((dimension, day), (dimension + ALL_TIME, ALL_TIME_DAY)):
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "dimension": name,
                    "day": on,
                    "value1": values[0],
                    "value2": values[1],
                    "value3": values[2],
                    "count": 1,
                }
            )
    return rows


def _upsert(dialect: str):
    """The counters' upsert for ``dialect``, made once: executed with one parameter set per
    counter, it adds each row's count to its counter (or starts it)."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:  # pragma: no cover - the app runs on SQLite and PostgreSQL only
            raise RuntimeError(f"no counter upsert for {dialect}")
        statement = dialect_insert(TallyCounter)
        statement = _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={"count": TallyCounter.count + statement.excluded["count"]},
        )
    return statement


_UPSERTS: dict[str, object] = {}


def add(target: Session | Connection, rows: list[dict]) -> None:
    """Add each row's count to its counter, inside the caller's transaction (a session's or
    a connection's)."""
    if not rows:
        return
    connection = target.connection() if isinstance(target, Session) else target
    if connection.dialect.name != "sqlite":
        connection.execute(_upsert(connection.dialect.name), rows)
        return
    upsert = sqlite_statement(connection, _upsert("sqlite"), list(rows[0]))
    connection.connection.driver_connection.executemany(
        upsert.sql, [upsert.args(row) for row in rows]
    )


# -- SQLite's hot path (issue 13) ----------------------------------------------------------------
# A confirmation's statements, compiled by SQLAlchemy once and run on the driver's connection
# inside the caller's transaction: SQLAlchemy's execution of each statement (parameters,
# events, result set-up) cost more CPU than SQLite's own work.


@dataclass(frozen=True)
class SQLiteStatement:
    sql: str
    names: tuple[str, ...]  # of its parameters, in order
    defaults: dict[str, object]  # the values the statement itself binds

    def args(self, params: Mapping[str, object]) -> list[object]:
        """The parameters in order, as SQLAlchemy would store them (``sqlite_value``)."""
        return [
            sqlite_value(params[name] if name in params else self.defaults[name])
            for name in self.names
        ]


_SQLITE: dict[tuple[int, tuple[str, ...] | None], SQLiteStatement] = {}


def sqlite_statement(
    connection: Connection, statement, columns: list[str] | None = None
) -> SQLiteStatement:
    """``statement`` compiled for SQLite, once (``statement`` is a module-level constant: it
    is kept by its id)."""
    key = (id(statement), tuple(columns) if columns else None)
    found = _SQLITE.get(key)
    if found is None:
        compiled = statement.compile(dialect=connection.dialect, column_keys=columns)
        found = _SQLITE[key] = SQLiteStatement(
            compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params)
        )
    return found


def sqlite_value(value: object) -> object:
    """A parameter as SQLAlchemy stores it in SQLite: timestamps as UTC text with
    microseconds (models.UTCDateTime), days as ISO text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- recounting ----------------------------------------------------------------------------------


# The contact columns the counters are made of.
_FIELDS = (
    "district_name",
    "district_id",
    "level",
    "official_name",
    "official_office",
    "source",
    "method",
    "personalized",
)
_BATCH = 10_000


def rebuild(db: Database, campaign_id: int | None = None) -> int:
    """Recount the counters of one campaign (every campaign by default) from the contacts
    logged, in one transaction that new contacts wait for. Returns the counters written.

    One pass over the contacts: the database groups them by day and every counted column,
    and the counters of each dimension are summed from those groups here."""
    day = utc_day(ContactAction.created_at)
    columns = [getattr(ContactAction, name) for name in _FIELDS]
    query = select(ContactAction.campaign_id, day, *columns, func.count()).group_by(
        ContactAction.campaign_id, day, *columns
    )
    if campaign_id is not None:
        query = query.where(ContactAction.campaign_id == campaign_id)
    totals: Counter[tuple] = Counter()
    with db.write() as session:
        if session.get_bind().dialect.name == "postgresql":
            # SHARE mode lets readers in and keeps writers out until the recount commits (on
            # SQLite the write transaction's BEGIN IMMEDIATE does the same).
            session.execute(text("LOCK TABLE contact_actions IN SHARE MODE"))
        cleared = delete(TallyCounter)
        if campaign_id is not None:
            cleared = cleared.where(TallyCounter.campaign_id == campaign_id)
        session.execute(cleared)
        for campaign, on, *values, count in session.execute(
            query.execution_options(yield_per=_BATCH)
        ):
            on = on if isinstance(on, date) else date.fromisoformat(str(on))
            fields = dict(zip(_FIELDS, values, strict=True))
            for row in counter_rows(campaign, on, fields):
                totals[tuple(row[key] for key in _KEY)] += count
        rows = [{**dict(zip(_KEY, key, strict=True)), "count": n} for key, n in totals.items()]
        for start in range(0, len(rows), _BATCH):
            session.execute(insert(TallyCounter), rows[start : start + _BATCH])
    return len(rows)
