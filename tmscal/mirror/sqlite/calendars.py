"""The change-sequence machinery every SQLite calendar shares, room or personal.

Functions over a connection inside the caller's transaction (:meth:`SqliteFile.write
<tmscal.mirror.sqlite.file.SqliteFile.write>`): a calendar row (``calendars``), its sequence
bump, entries (membership, ETag, tombstones) and the row shape of a stored object. The room
mirror and the personal calendars both use them; neither reaches into the other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

from tmscal.mirror.objects import StoredObject, UnknownCalendar

UTC = timezone.utc
ROOM = "room"
PERSONAL = "personal"
_CHUNK = 400  # parameters per IN (...) list, well under SQLite's limit
_PAGE = 500  # objects per read of a whole calendar


def ts(instant: datetime) -> int:
    """POSIX seconds of an aware instant."""
    return int(instant.timestamp())


def dt(seconds: float | None) -> datetime | None:
    """The UTC instant of POSIX seconds (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    """``items`` in slices short enough for one ``IN (...)`` list."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def stored_object(row: tuple) -> StoredObject:
    """A :class:`StoredObject` from ``calendar_id, href, uid, etag, ical, start_ts, end_ts,
    modified``."""
    calendar_id, href, uid, etag, ical, start, end, modified = row
    return StoredObject(calendar_id, href, uid, etag, ical, dt(start), dt(end), dt(modified))


def paged_objects(file, columns: str, calendar_id: str,
                  page: int = _PAGE) -> Iterator[StoredObject]:
    """The live objects of a calendar sorted by href, read ``page`` at a time (one short read
    each, keyed on the last href), so a large calendar is never in memory whole. ``columns``
    selects the :func:`stored_object` row from ``entries e`` joined to the texts; ``file`` is a
    back end's connections (``read()`` and its parameter ``placeholder``)."""
    after, mark = "", file.placeholder
    while True:
        with file.read() as db:
            rows = db.execute(columns + f"WHERE e.calendar_id={mark} AND e.deleted=0 "
                              f"AND e.href > {mark} ORDER BY e.href LIMIT {mark}",
                              (calendar_id, after, page)).fetchall()
        for row in rows:
            yield stored_object(row)
        if len(rows) < page:
            return
        after = rows[-1][1]


def calendar_row(db: sqlite3.Connection, calendar_id: str) -> tuple:
    """``(seq, purged_seq, live_count, modified, max_span)``; raises :class:`UnknownCalendar`."""
    row = db.execute("SELECT seq, purged_seq, live_count, modified, max_span FROM calendars "
                     "WHERE calendar_id=?", (calendar_id,)).fetchone()
    if row is None:
        raise UnknownCalendar(calendar_id)
    return row


def create_calendar(db: sqlite3.Connection, calendar_id: str, kind: str, now: float) -> None:
    """An empty calendar of ``kind`` (:data:`ROOM` or :data:`PERSONAL`), unless it exists."""
    db.execute("INSERT OR IGNORE INTO calendars (calendar_id, seq, modified, kind) "
               "VALUES (?, 1, ?, ?)", (calendar_id, now, kind))


def bump(db: sqlite3.Connection, calendar_id: str, now: float, live_delta: int = 0,
         span: int = 0) -> int:
    """Advance the calendar's sequence (and live count, longest span); the new sequence."""
    row = db.execute(
        "UPDATE calendars SET seq = seq + 1, modified = ?, live_count = live_count + ?, "
        "max_span = max(max_span, ?) WHERE calendar_id=? RETURNING seq",
        (now, live_delta, span, calendar_id)).fetchone()
    return row[0]


def put_entry(db: sqlite3.Connection, calendar_id: str, href: str, uid: str, etag: str,
              seq: int, now: float) -> None:
    """Make ``href`` a live entry of the calendar with ``etag`` at sequence ``seq``."""
    db.execute(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT(calendar_id, href) "
        "DO UPDATE SET uid=excluded.uid, etag=excluded.etag, seq=excluded.seq, deleted=0, "
        "modified=excluded.modified", (calendar_id, href, uid, etag, seq, now))


def tombstone(db: sqlite3.Connection, calendar_id: str, href: str, now: float) -> None:
    """Turn the live entry ``href`` into a tombstone (and drop its occurrences)."""
    seq = bump(db, calendar_id, now, -1)
    db.execute("UPDATE entries SET deleted=1, etag='', seq=?, modified=? "
               "WHERE calendar_id=? AND href=?", (seq, now, calendar_id, href))
    db.execute("DELETE FROM occurrences WHERE calendar_id=? AND href=?", (calendar_id, href))
