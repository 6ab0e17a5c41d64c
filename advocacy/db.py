"""Database engine and sessions: SQLite by default, PostgreSQL with the same code.

SQLite is set up so that an acknowledged write is on disk: WAL journal, synchronous=FULL, and
writes in ``BEGIN IMMEDIATE`` transactions (a deferred read-then-write would fail at once with
"database is locked" under concurrency instead of waiting for the busy timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from flask import current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_WRITE = "advocacy_write"


def make_engine(url: str, busy_timeout: float = 10.0) -> Engine:
    """An engine for ``url``; SQLite gets its durability and locking settings."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy, not pysqlite, emit BEGIN (pysqlite's implicit transactions are
        # always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and cleared values (a letter's text, a supporter's address) are overwritten
        # in the file, not left in free pages (some SQLite builds default to off).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(_WRITE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


class Database:
    """The app's engine and session factories, kept in ``app.extensions['advocacy_db']``."""

    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout)
        self.reader = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, sessions from this factory start their transaction with BEGIN IMMEDIATE.
        self.writer = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        self._write_lock: AbstractContextManager = (
            threading.RLock() if url.startswith("sqlite") else nullcontext()
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed when the block ends (rolled back on error).

        On SQLite, the writers of this process queue on a lock before ``BEGIN IMMEDIATE``:
        one database lock at a time, so threads wait in line instead of in SQLite's busy
        handler (which sleeps and retries, and under load wasted most of a worker's time
        there). Re-entrant, so a write inside a write in one thread fails as before instead
        of waiting for itself."""
        with self._write_lock, self.writer() as session, session.begin():
            yield session


def database() -> Database:
    """The current app's database."""
    return current_app.extensions["advocacy_db"]
