"""The change-sequence machinery every PostgreSQL calendar shares, room or personal.

Functions over a connection inside the caller's transaction (:meth:`PostgresDatabase.write
<tmscal.mirror.postgres.database.PostgresDatabase.write>`), as
:mod:`tmscal.mirror.sqlite.calendars` is for SQLite.

Concurrent writers (threads, processes, hosts)
    A calendar's sequence is bumped by ``UPDATE … SET seq = seq + 1 … RETURNING seq``, which
    holds the calendar's row lock until the transaction ends: two writers of one calendar get
    distinct, increasing numbers and commit in that order, so a reader who sees sequence *n*
    sees every change up to *n* (sync tokens, ctags and ETags are the same on every node).
    A transaction that touches several calendars takes their locks up front in calendar-id
    order (:func:`lock_calendars`), after the UID locks of the conferences it writes
    (:func:`lock_uids`, in key order), so two writers never wait for each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from tmscal.mirror.objects import UnknownCalendar

# the kinds, time conversions and row shape are the SQLite back end's, re-exported
from tmscal.mirror.sqlite.calendars import PERSONAL, ROOM, dt, stored_object, ts

__all__ = ["PERSONAL", "ROOM", "bump", "calendar_row", "create_calendar", "dt", "lock_calendars",
           "lock_uids", "put_entry", "stored_object", "tombstone", "ts"]

#: Advisory-lock class of a conference's UID while one transaction writes it.
UID_WRITE_LOCK = 7301


def lock_uids(db: psycopg.Connection, uids: Iterable[str]) -> None:
    """Hold the write lock of each UID until the transaction ends (taken in key order)."""
    keys = sorted({uid for uid in uids})
    if keys:
        db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(u)) "
                   "FROM unnest(%s::text[]) AS u ORDER BY hashtext(u)",
                   (UID_WRITE_LOCK, keys))


def lock_calendars(db: psycopg.Connection, calendar_ids: Iterable[str]) -> None:
    """Hold the row locks of these calendars until the transaction ends (in id order)."""
    wanted = sorted(set(calendar_ids))
    if wanted:
        db.execute("SELECT 1 FROM calendars WHERE calendar_id = ANY(%s) "
                   "ORDER BY calendar_id FOR UPDATE", (wanted,))


def calendar_row(db: psycopg.Connection, calendar_id: str) -> tuple:
    """``(seq, purged_seq, live_count, modified, max_span)``; raises :class:`UnknownCalendar`."""
    row = db.execute("SELECT seq, purged_seq, live_count, modified, max_span FROM calendars "
                     "WHERE calendar_id=%s", (calendar_id,)).fetchone()
    if row is None:
        raise UnknownCalendar(calendar_id)
    return row


def create_calendar(db: psycopg.Connection, calendar_id: str, kind: str, now: float) -> None:
    """An empty calendar of ``kind`` (:data:`ROOM` or :data:`PERSONAL`), unless it exists."""
    db.execute("INSERT INTO calendars (calendar_id, seq, modified, kind) VALUES (%s, 1, %s, %s) "
               "ON CONFLICT (calendar_id) DO NOTHING", (calendar_id, now, kind))


def bump(db: psycopg.Connection, calendar_id: str, now: float, live_delta: int = 0,
         span: int = 0) -> int:
    """Advance the calendar's sequence (and live count, longest span); the new sequence."""
    row = db.execute(
        "UPDATE calendars SET seq = seq + 1, modified = %s, live_count = live_count + %s, "
        "max_span = GREATEST(max_span, %s) WHERE calendar_id=%s RETURNING seq",
        (now, live_delta, span, calendar_id)).fetchone()
    return row[0]


def put_entry(db: psycopg.Connection, calendar_id: str, href: str, uid: str, etag: str,
              seq: int, now: float) -> None:
    """Make ``href`` a live entry of the calendar with ``etag`` at sequence ``seq``."""
    db.execute(
        "INSERT INTO entries (calendar_id, href, uid, etag, seq, deleted, modified) "
        "VALUES (%s, %s, %s, %s, %s, 0, %s) ON CONFLICT (calendar_id, href) "
        "DO UPDATE SET uid=excluded.uid, etag=excluded.etag, seq=excluded.seq, deleted=0, "
        "modified=excluded.modified", (calendar_id, href, uid, etag, seq, now))


def tombstone(db: psycopg.Connection, calendar_id: str, href: str, now: float) -> None:
    """Turn the live entry ``href`` into a tombstone (and drop its occurrences)."""
    seq = bump(db, calendar_id, now, -1)
    db.execute("UPDATE entries SET deleted=1, etag='', seq=%s, modified=%s "
               "WHERE calendar_id=%s AND href=%s", (seq, now, calendar_id, href))
    db.execute("DELETE FROM occurrences WHERE calendar_id=%s AND href=%s", (calendar_id, href))


class LockedSequences:
    """The sequences of some calendars, row-locked for one transaction (in id order), advanced
    here and written back once by :meth:`write`: a batch of stores needs no round trip per
    bump. Calendars that do not exist are left out (:meth:`exists`)."""

    def __init__(self, db: psycopg.Connection, calendar_ids: Iterable[str]) -> None:
        rows = db.execute("SELECT calendar_id, seq, live_count, max_span FROM calendars "
                          "WHERE calendar_id = ANY(%s) ORDER BY calendar_id FOR UPDATE",
                          (sorted(set(calendar_ids)),)).fetchall()
        self._state = {row[0]: list(row[1:]) for row in rows}
        self._touched: set[str] = set()

    def exists(self, calendar_id: str) -> bool:
        return calendar_id in self._state

    def bump(self, calendar_id: str, live_delta: int = 0, span: int = 0) -> int:
        """As :func:`bump`, in memory until :meth:`write`."""
        state = self._state[calendar_id]
        state[0] += 1
        state[1] += live_delta
        state[2] = max(state[2], span)
        self._touched.add(calendar_id)
        return state[0]

    def tombstone(self, db: psycopg.Connection, calendar_id: str, href: str, now: float) -> None:
        """As :func:`tombstone`, with the sequence advanced here."""
        seq = self.bump(calendar_id, -1)
        db.execute("UPDATE entries SET deleted=1, etag='', seq=%s, modified=%s "
                   "WHERE calendar_id=%s AND href=%s", (seq, now, calendar_id, href))
        db.execute("DELETE FROM occurrences WHERE calendar_id=%s AND href=%s",
                   (calendar_id, href))

    def write(self, db: psycopg.Connection, now: float) -> None:
        """Store the advanced sequences (still under the row locks)."""
        if self._touched:
            with db.cursor() as cursor:
                cursor.executemany(
                    "UPDATE calendars SET seq=%s, live_count=%s, max_span=%s, modified=%s "
                    "WHERE calendar_id=%s",
                    [(*self._state[c], now, c) for c in sorted(self._touched)])
