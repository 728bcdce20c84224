"""Whether the mirror's store answers, asked at most once a second however many requests come.

A request of a worker whose store does not answer (SQLite: the file gone, unreadable or locked
for longer than ``[mirror] store_timeout``; PostgreSQL: the server away) gets 503 with the
reason instead of hanging or failing deep inside; the next question after the store is back
clears it, so a worker recovers by itself.
"""

from __future__ import annotations

import logging
import threading
import time

from tmscal.mirror.sync_state import SyncState

log = logging.getLogger(__name__)


class StoreWatch:
    """The store's reachability, probed with ``timeout`` at most every ``interval`` seconds
    (one thread probes; the others take the last answer meanwhile)."""

    def __init__(self, store: SyncState, timeout: float, interval: float = 1.0) -> None:
        self._store = store
        self._timeout = timeout
        self._interval = interval
        self._reason = ""
        self._next = 0.0
        self._probing = threading.Lock()

    def reason(self) -> str:
        """'' while the store answers, else the one-line reason it does not."""
        if time.monotonic() < self._next or not self._probing.acquire(blocking=False):
            return self._reason
        try:
            reason = self._store.reachability(self._timeout)
            if reason != self._reason:
                if reason:
                    log.error("store unreachable: %s", reason)
                else:
                    log.warning("store reachable again")
            self._reason = reason
            self._next = time.monotonic() + self._interval
            return reason
        finally:
            self._probing.release()
