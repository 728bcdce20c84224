"""Occurrences of a room calendar in a time range, read from the mirror's occurrence index.

:class:`~tmscal.mirror.store.MirrorStore` answers "which objects overlap a range" but not
"which of their occurrences do": expanded feeds and display pages need the latter. Until the
store offers it, this module reads the SQLite mirror's ``occurrences`` and ``calendars``
tables (schema version 1, read only) in the same database file.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True, order=True)
class OccurrenceSpan:
    """One occurrence of the object ``href`` in a room calendar, in UTC."""

    start: datetime
    end: datetime
    href: str


class OccurrenceIndex:
    """Read-only access to the mirror's occurrence index (one connection per thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                                 check_same_thread=False)
            self._local.db = db
        return db

    def spans(self, calendar_id: str, start: datetime, end: datetime) -> list[OccurrenceSpan]:
        """Occurrences overlapping ``[start, end)`` (zero-length ones starting inside count),
        sorted by start. Empty for an unknown calendar."""
        db = self._db()
        row = db.execute("SELECT max_span FROM calendars WHERE calendar_id=?",
                         (calendar_id,)).fetchone()
        if row is None:
            return []
        low, high = int(start.timestamp()), int(end.timestamp())
        rows = db.execute(
            "SELECT start_ts, end_ts, href FROM occurrences WHERE calendar_id=? AND start_ts < ? "
            "AND start_ts >= ? AND (end_ts > ? OR start_ts >= ?) ORDER BY start_ts, href",
            (calendar_id, high, low - int(row[0]), low, low)).fetchall()
        return [OccurrenceSpan(datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC), h)
                for s, e, h in rows]
