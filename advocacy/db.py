"""Database engine and sessions: SQLite by default, PostgreSQL with the same code.

SQLite is set up so that an acknowledged write is on disk: WAL journal, synchronous=FULL, and
writes in ``BEGIN IMMEDIATE`` transactions (a deferred read-then-write would fail at once with
"database is locked" under concurrency instead of waiting for the busy timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Connection, Engine, create_engine, event
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

    def write_grouped(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in a write transaction, returning what it returns once that
        transaction is committed (its exception, if it raised, after the others' commit).

        On SQLite, the threads of this process that call this while another one's write is
        under way are committed together, in one transaction and one fsync (group commit),
        and none returns before the commit that holds its rows. When one ``work`` raises,
        the transaction is rolled back and the others run again without it, so ``work``
        may run more than once (only its last run counts; it must do the same each time).
        A commit that fails fails every ``work`` of the group. Later works of a group see
        the rows of earlier ones. ``work`` uses Core statements on the connection (no ORM
        session: memo.py does not see these changes, so they must not touch the tables it
        watches), and waits for nothing but the database. Elsewhere (PostgreSQL, or inside
        a write of this thread), one transaction of its own."""
        group = _groups.get(self)
        if group is None or _owned(self._write_lock):
            with self._write_engine().begin() as connection:
                return work(connection)
        return group.run(work)

    def _write_engine(self) -> Engine:
        engine = self.__dict__.get("_grouped_engine")
        if engine is None:
            # On SQLite, connections of this engine begin with BEGIN IMMEDIATE.
            engine = self.__dict__["_grouped_engine"] = self.engine.execution_options(
                **{_WRITE: True}
            )
        return engine


def database() -> Database:
    """The current app's database."""
    return current_app.extensions["advocacy_db"]


# -- group commit (Database.write_grouped) ----------------------------------------------------

T = TypeVar("T")
# At most this many works in one transaction (a bound on how long the first one waits).
GROUP_MAX = 64


def _owned(lock: object) -> bool:
    """Whether this thread holds ``lock`` (an RLock; a nullcontext is never held)."""
    is_owned = getattr(lock, "_is_owned", None)
    return bool(is_owned and is_owned())


class _Work:
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[Connection], Any]) -> None:
        self.work = work
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class _Group:
    """The write queue of one SQLite database in this process. The first thread to find
    nobody leading leads: once it holds the database's write lock (this process's, then
    SQLite's, ``BEGIN IMMEDIATE``), it takes every work queued by then, its own included,
    runs them in that transaction, commits, and wakes their threads; a thread whose work
    was not taken leads the next group. What queues while a group is being written or
    waits for the lock goes in the next one, so the busier the database, the larger the
    groups."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.condition = threading.Condition(threading.Lock())
        self.queue: list[_Work] = []
        self.leading = False

    def run(self, work: Callable[[Connection], T]) -> T:
        mine = _Work(work)
        with self.condition:
            self.queue.append(mine)
            while not mine.done:
                if self.leading:
                    self.condition.wait()
                    continue
                self.leading = True
                group: list[_Work] = []
                self.condition.release()
                try:
                    self._lead(group)
                finally:
                    self.condition.acquire()
                    for each in group:
                        each.done = True
                    self.leading = False
                    self.condition.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _take(self) -> list[_Work]:
        with self.condition:
            group, self.queue = self.queue[:GROUP_MAX], self.queue[GROUP_MAX:]
        return group

    def _lead(self, group: list[_Work]) -> None:
        """Write one group (put in ``group``, which its caller marks done)."""
        try:
            with self.db._write_lock:
                todo: list[_Work] | None = None
                while todo is None or todo:
                    try:
                        with self.db._write_engine().begin() as connection:
                            if todo is None:
                                group.extend(self._take())
                                todo = list(group)
                            for index, each in enumerate(todo):
                                try:
                                    each.result = each.work(connection)
                                except Exception as exc:
                                    each.error, each.result = exc, None
                                    raise _Redo(index) from exc
                    except _Redo as redo:
                        # Rolled back: the work that failed gets its error, the others are
                        # written again without it (no SAVEPOINT per work: they cost more
                        # than the rare failure's second round).
                        todo = todo[: redo.index] + todo[redo.index + 1 :]
                        continue
                    break
        except BaseException as exc:
            # BEGIN (the database locked past the busy timeout: the works queued would wait
            # for the same lock) or the commit failed: nothing of the group is committed.
            if not group:
                group.extend(self._take())
            for each in group:
                each.error = each.error or exc
                each.result = None
            if not isinstance(exc, Exception):
                raise


class _Redo(Exception):
    """One work of a group failed: roll back, and write the others again without it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _Groups:
    """One write queue per SQLite Database, made on first use and kept on the Database (no
    registry that would keep a Database, its engine and its connections alive)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def get(self, db: Database) -> _Group | None:
        if not db.url.startswith("sqlite"):
            return None
        group = db.__dict__.get("_group")
        if group is None:
            with self._lock:
                group = db.__dict__.setdefault("_group", _Group(db))
        return group


_groups = _Groups()
