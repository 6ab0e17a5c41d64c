"""The rate limits' in-memory storage (used when ``ADVOCACY_REDIS_URL`` is not set), safe
under threads.

``limits``' ``MemoryStorage`` (5.8.0, the newest release) starts a fresh expiry timer when the
last one has ended, without a lock: two request threads of one gthread worker can both replace
it, and one then starts the other's timer a second time ("threads can only be started once"),
a 500 for that supporter (seen once in 10,000 lookups under ``bench.upstream``; the fix, limits
pull request 352, is merged but not released). This subclass takes a lock around that step.
``register_extensions`` selects it with the URI scheme ``advocacy-memory://``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from limits.storage import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    STORAGE_SCHEME: ClassVar[list[str]] = ["advocacy-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._expiry_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._expiry_lock = threading.Lock()
        super().__setstate__(state)

    # MemoryStorage's private method, by its mangled name: the one step that needs the lock.
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._expiry_lock:
            super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]
