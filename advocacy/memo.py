"""Campaign data kept in memory between requests (issue 13): a campaign, its letters and its
custom targets change when an organizer saves, not between two supporters' pages, yet every
page read them from the database (a session, a BEGIN and a query each).

A :class:`Memo` keeps what a loader returned, per key, in this process:
- dropped at once when a session of this process commits a change to one of the watched
  tables (an organizer saving through this worker): ORM flushes and bulk UPDATE/DELETE
  statements are both seen;
- and at most ``ttl`` seconds in any case, which bounds how long another worker or host
  serves the campaign as it was before an organizer saved there.

Values are shared between threads: loaders return objects that nobody changes (detached ORM
rows read with expire_on_commit=False, tuples, value types).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from .db import Database

T = TypeVar("T")


class Memo:
    def __init__(self, db: Database, tables: Iterable[str], ttl: float = 5.0) -> None:
        self.ttl = ttl
        self.tables = frozenset(tables)
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._dirty = f"advocacy_memo_dirty_{id(self)}"  # each memo its own mark
        for factory in (db.reader, db.writer):
            event.listen(factory, "after_flush", self._after_flush)
            event.listen(factory, "do_orm_execute", self._on_execute)
            event.listen(factory, "after_commit", self._after_commit)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value kept for ``key``, or what ``load()`` returns (then kept)."""
        now = time.monotonic()
        kept = self._values.get(key)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        generation = self._generation
        value = load()
        with self._lock:
            # Not kept if a change committed while it loaded: it may predate the change.
            if generation == self._generation:
                self._values[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()

    # -- invalidation -----------------------------------------------------------------------

    def _touches(self, tables: Iterable[Any]) -> bool:
        return any(getattr(table, "name", None) in self.tables for table in tables)

    def _after_flush(self, session: Session, _context) -> None:
        changed = [*session.new, *session.dirty, *session.deleted]
        if self._touches(getattr(obj, "__table__", None) for obj in changed):
            session.info[self._dirty] = True

    def _on_execute(self, state) -> None:
        if (state.is_update or state.is_delete or state.is_insert) and self._touches(
            [getattr(state.statement, "table", None)]
        ):
            state.session.info[self._dirty] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(self._dirty, False):
            self.clear()


class Rendered:
    """Pages rendered once and served again for the same key (issue 13: rendering the officials
    page was the largest share of its time under load, for output that only changes with what
    it shows).

    The key must name everything the page shows: the caller puts in it the objects a memo
    hands out (a campaign reloaded or dropped by the memo is a new object, so a new key) and
    the values that come from the request (language, the browser's own choices). At most
    ``size`` pages, each a few kilobytes; all are dropped when it is full."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._pages: dict[Hashable, str] = {}

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        try:
            page = self._pages.get(key)
        except TypeError:  # a value in the key that cannot be hashed: not kept
            return render()
        if page is None:
            page = render()
            if len(self._pages) >= self.size:
                self._pages.clear()  # atomic, unlike dropping the oldest under threads
            self._pages[key] = page
        return page
