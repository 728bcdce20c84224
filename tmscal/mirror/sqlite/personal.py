"""Personal calendars (:class:`~tmscal.mirror.personal.PersonalCalendars`) in the SQLite
mirror: the texts in ``personal_objects``, membership and sequence in the shared ``calendars``
and ``entries`` (:mod:`tmscal.mirror.sqlite.calendars`), kept in one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from tmscal.mirror.objects import CalendarState, StoredObject, UnknownCalendar, etag_for_text
from tmscal.mirror.personal import PersonalCalendars, check_personal
from tmscal.mirror.sqlite.calendars import (
    PERSONAL,
    bump,
    chunks,
    create_calendar,
    paged_objects,
    put_entry,
    stored_object,
    tombstone,
)
from tmscal.mirror.sqlite.file import SqliteFile
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.process_wide import ProcessWide

#: Bounds of a stored range (an endless series ends at the last representable day).
_FIRST = int(datetime(1, 1, 2, tzinfo=UTC).timestamp())
_LAST = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())

_COLUMNS = ("SELECT e.calendar_id, e.href, e.uid, e.etag, p.ical, p.start_ts, p.end_ts, "
            "e.modified FROM entries e JOIN personal_objects p "
            "ON p.calendar_id = e.calendar_id AND p.href = e.href ")


class SqlitePersonalCalendars(PersonalCalendars):
    """The personal calendars in the database of one :class:`SqliteMirrorStore`, through the
    store's :class:`SqliteFile` (its public reads answer for the calendar state)."""

    def __init__(self, store: SqliteMirrorStore) -> None:
        self.store = store
        self.file: SqliteFile = store.file

    # ---- calendars ---------------------------------------------------------------------------

    def ensure(self, calendar_id: str) -> CalendarState:
        check_personal(calendar_id)
        try:
            return self.store.calendar_state(calendar_id)
        except UnknownCalendar:
            with self.file.write() as db:
                create_calendar(db, calendar_id, PERSONAL, time.time())
            return self.store.calendar_state(calendar_id)

    # ---- reads -------------------------------------------------------------------------------

    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        wanted = sorted(set(hrefs))
        if not wanted:
            return []
        found: list[StoredObject] = []
        with self.file.read() as db:
            for chunk in chunks(wanted):
                rows = db.execute(
                    _COLUMNS + f"WHERE e.calendar_id=? AND e.deleted=0 AND e.href IN "
                    f"({','.join('?' * len(chunk))})", (calendar_id, *chunk)).fetchall()
                found.extend(stored_object(row) for row in rows)
        return found

    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        yield from paged_objects(self.file, _COLUMNS, calendar_id)

    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        start = int(start_utc.timestamp()) if start_utc else -(2 ** 62)
        end = int(end_utc.timestamp()) if end_utc else 2 ** 62
        with self.file.read() as db:
            rows = db.execute(_COLUMNS + "WHERE e.calendar_id=? AND e.deleted=0 "
                              "AND p.start_ts < ? AND (p.end_ts > ? OR p.start_ts >= ?) "
                              "ORDER BY e.href", (calendar_id, end, start, start)).fetchall()
        return [stored_object(row) for row in rows]

    def has_uid(self, calendar_id: str, uid: str) -> bool:
        return self.store.has_uid(calendar_id, uid)

    # ---- writes ------------------------------------------------------------------------------

    def booked(self, calendar_id: str, href: str) -> bool:
        row = self.file.connection().execute(
            "SELECT rooms FROM personal_objects WHERE calendar_id=? AND href=?",
            (calendar_id, href)).fetchone()
        return bool(row and json.loads(row[0]))

    def booked_elsewhere(self, calendar_id: str, uid: str) -> str | None:
        row = self.file.connection().execute(
            "SELECT calendar_id FROM personal_objects WHERE uid=? AND rooms<>'[]' "
            "AND calendar_id<>? LIMIT 1", (uid, calendar_id)).fetchone()
        return row[0] if row else None

    def put(self, calendar_id: str, href: str, uid: str, ical: str,
            time_range: tuple[int, int], rooms: Iterable[int] = ()) -> StoredObject:
        check_personal(calendar_id)
        self.ensure(calendar_id)
        etag = etag_for_text(ical)
        start, end = clamped(time_range)
        now = time.time()
        with self.file.write() as db:
            old = db.execute("SELECT etag, deleted FROM entries WHERE calendar_id=? AND href=?",
                             (calendar_id, href)).fetchone()
            if old is None or old != (etag, 0):
                live_delta = 0 if old is not None and not old[1] else 1
                seq = bump(db, calendar_id, now, live_delta, 0)
                put_entry(db, calendar_id, href, uid, etag, seq, now)
            db.execute(
                "INSERT INTO personal_objects (calendar_id, href, uid, ical, start_ts, end_ts, "
                "rooms) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(calendar_id, href) DO UPDATE SET uid=excluded.uid, "
                "ical=excluded.ical, start_ts=excluded.start_ts, end_ts=excluded.end_ts, "
                "rooms=excluded.rooms", (calendar_id, href, uid, ical, start, end,
                                         room_list(rooms)))
            db.execute(_REMEMBER_BOOKING, (calendar_id, href))
        return self.get_objects(calendar_id, [href])[0]

    def drifted_objects(self, calendar_id: str
                        ) -> list[tuple[StoredObject, list[int], list[int] | None]]:
        with self.file.read() as db:
            rows = db.execute(
                _COLUMNS.replace(" FROM ", ", p.rooms, c.room_ids FROM ", 1)
                + "LEFT JOIN conferences c ON c.uid = p.uid WHERE e.calendar_id=? "
                "AND e.deleted=0 AND p.rooms<>'[]' AND (c.uid IS NULL OR c.room_ids<>p.rooms "
                "OR c.etag<>p.booking_etag) ORDER BY e.href", (calendar_id,)).fetchall()
        return [(stored_object(row[:8]), json.loads(row[8]),
                 None if row[9] is None else json.loads(row[9])) for row in rows]

    def replace_if_unchanged(self, calendar_id: str, href: str, etag: str, ical: str,
                             rooms: Iterable[int],
                             time_range: tuple[int, int] | None = None) -> bool:
        now = time.time()
        with self.file.write() as db:
            row = db.execute("SELECT etag FROM entries WHERE calendar_id=? AND href=? "
                             "AND deleted=0", (calendar_id, href)).fetchone()
            if row is None or row[0] != etag:
                return False
            if etag_for_text(ical) != etag:
                seq = bump(db, calendar_id, now, 0, 0)
                db.execute("UPDATE entries SET etag=?, seq=?, modified=? WHERE calendar_id=? "
                           "AND href=?", (etag_for_text(ical), seq, now, calendar_id, href))
            db.execute("UPDATE personal_objects SET ical=?, rooms=? WHERE calendar_id=? "
                       "AND href=?", (ical, room_list(rooms), calendar_id, href))
            db.execute(_REMEMBER_BOOKING, (calendar_id, href))
            if time_range is not None:
                start, end = clamped(time_range)
                db.execute("UPDATE personal_objects SET start_ts=?, end_ts=? WHERE "
                           "calendar_id=? AND href=?", (start, end, calendar_id, href))
        return True

    def delete(self, calendar_id: str, href: str) -> bool:
        check_personal(calendar_id)
        with self.file.write() as db:
            row = db.execute("SELECT 1 FROM entries WHERE calendar_id=? AND href=? AND deleted=0",
                             (calendar_id, href)).fetchone()
            if row is None:
                return False
            tombstone(db, calendar_id, href, time.time())
            db.execute("DELETE FROM personal_objects WHERE calendar_id=? AND href=?",
                       (calendar_id, href))
        return True


#: an object remembers the ETag of the mirrored conference with its UID ('' when none)
_REMEMBER_BOOKING = ("UPDATE personal_objects SET booking_etag=COALESCE((SELECT c.etag FROM "
                     "conferences c WHERE c.uid=personal_objects.uid), '') "
                     "WHERE calendar_id=? AND href=?")


def clamped(time_range: tuple[int, int]) -> tuple[int, int]:
    """An object's enclosing range as stored: clamped to the years 1..9999."""
    start = min(max(int(time_range[0]), _FIRST), _LAST)
    return start, min(max(int(time_range[1]), start), _LAST)


def room_list(rooms: Iterable[int]) -> str:
    """The stored form of a set of rooms, as the mirror stores a conference's ``room_ids``."""
    return json.dumps(sorted({int(r) for r in rooms}))


_OPEN: ProcessWide[SqliteMirrorStore, SqlitePersonalCalendars] = \
    ProcessWide(SqlitePersonalCalendars, weak_keys=True)


def open_sqlite_personal(store: SqliteMirrorStore) -> SqlitePersonalCalendars:
    """The process-wide personal calendars of ``store``."""
    return _OPEN.get(store)
