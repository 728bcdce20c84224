"""``BookingLocks``: the PostgreSQL side of ``SyncState.booking_lock`` — the writes of one key
(a booking UID, ``room:<SystemId>``) one after the other, across every process and host on the
database.

``hold(key)`` takes a session advisory lock on the key's hash (class :data:`BOOKING_LOCK`, apart
from the store's own per-transaction UID locks) on a connection of its own, held across the TMS
call and the mirror write, released when the block ends or the connection dies with its
process. Re-entrant within a thread, like an ``RLock``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tmscal.mirror.postgres.database import PostgresDatabase

#: Advisory-lock class of a booking UID held by the bridge across a whole write.
BOOKING_LOCK = 7302


class BookingLocks:
    """Cross-process locks by key on one database."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self._local = threading.local()

    @contextmanager
    def hold(self, uid: str) -> Iterator[None]:
        """Hold the lock of key ``uid`` for the block (waits while another process holds it)."""
        held: dict[str, int] = self._local.__dict__.setdefault("held", {})
        if held.get(uid):
            held[uid] += 1
            try:
                yield
            finally:
                held[uid] -= 1
            return
        with self.database.session() as db:
            db.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (BOOKING_LOCK, uid))
            held[uid] = 1
            try:
                yield
            finally:
                del held[uid]
                db.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (BOOKING_LOCK, uid))
