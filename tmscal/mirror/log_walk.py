"""Reading the TMS transaction log (GetTransactionsSince) up to its newest entry.

A page ends in a ``ListIncomplete`` entry when more entries follow; the next page is asked
from the newest id of the page before (TMS-API.md §4.6). TMS refuses an id it does not know,
so a walk starts only from an id TMS gave: 0, a stored cursor, or a conference's
``TransactionId``. A log of 100,000 entries is 1,000 pages read one after the other: a
minute when each TMS answer takes 50 ms, which is why a full import walks it beside its list
scan (:class:`LogWalk`) rather than before it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from tmscal.model import Transaction, TransactionType

#: One page of the log after an id (raises when TMS refuses the id).
ReadPage = Callable[[int], list[Transaction]]


def walk_log(read_page: ReadPage, start: int, *, first_page: list[Transaction] | None = None,
             logged: dict[int, bool] | None = None,
             between_pages: Callable[[], None] | None = None,
             stop: threading.Event | None = None) -> int:
    """The newest transaction id in the log, walking it from ``start`` (``first_page``: the
    page after ``start``, when already read). ``logged``, when given, gets every conference
    id the walk passes, mapped to whether its last logged change was a deletion;
    ``between_pages`` runs before each further page is read; a set ``stop`` ends the walk
    there (returning the newest id reached)."""
    cursor, page = start, first_page
    while True:
        if page is None:
            page = read_page(cursor)
        incomplete = False
        for entry in page:
            if entry.trans_type == TransactionType.LIST_INCOMPLETE:
                incomplete = True
            elif logged is not None:
                logged[entry.conference_id] = entry.trans_type == TransactionType.DELETED
        newest = max((entry.transaction_id for entry in page), default=cursor)
        if newest <= cursor or not incomplete:
            return max(cursor, newest)
        cursor, page = newest, None
        if stop is not None and stop.is_set():
            return cursor
        if between_pages is not None:
            between_pages()


class LogWalk:
    """A :func:`walk_log` run in a thread of its own (or already done), noting the conference
    ids it passes. :meth:`result` waits for it."""

    def __init__(self, future: Future, logged: dict[int, bool],
                 stop: threading.Event | None = None) -> None:
        self._future = future
        self._logged = logged
        self._stop = stop

    @classmethod
    def behind(cls, read_page: ReadPage, start: int, first_page: list[Transaction]) -> LogWalk:
        """Walk on from ``start``, whose first page is read, in the background."""
        logged: dict[int, bool] = {}
        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tmscal-log")
        future = pool.submit(walk_log, read_page, start, first_page=first_page, logged=logged,
                             stop=stop)
        pool.shutdown(wait=False)
        return cls(future, logged, stop)

    @classmethod
    def done(cls, head: int) -> LogWalk:
        """A walk already made up to ``head`` (nothing noted: nothing happened since)."""
        future: Future = Future()
        future.set_result(head)
        return cls(future, {})

    def result(self, while_waiting: Callable[[], None] = lambda: None,
               every: float = 5.0) -> tuple[int, dict[int, bool]]:
        """``(head, logged)``: the newest transaction id, and what :func:`walk_log` noted;
        ``while_waiting`` runs every ``every`` seconds until the walk ends. Raises what the
        walk raised."""
        while not wait([self._future], timeout=every).done:
            while_waiting()
        return self._future.result(), self._logged

    def cancel(self) -> None:
        """End the walk at its next page (an import that stopped no longer needs it)."""
        if self._stop is not None:
            self._stop.set()
