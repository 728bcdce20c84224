"""Personal calendars (:class:`~tmscal.mirror.personal.PersonalCalendars`) in the PostgreSQL
mirror: the texts in ``personal_objects``, membership and sequence in the shared ``calendars``
and ``entries`` (:mod:`tmscal.mirror.postgres.calendars`), kept in one transaction that holds
the calendar's row lock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from tmscal.mirror.objects import CalendarState, StoredObject, UnknownCalendar, etag_for_text
from tmscal.mirror.personal import PersonalCalendars, check_personal
from tmscal.mirror.postgres.calendars import (
    PERSONAL,
    bump,
    create_calendar,
    lock_calendars,
    put_entry,
    stored_object,
    tombstone,
)
from tmscal.mirror.postgres.rooms import PostgresMirrorStore
from tmscal.mirror.sqlite.calendars import paged_objects
from tmscal.mirror.sqlite.personal import _REMEMBER_BOOKING as _REMEMBER_BOOKING_SQL
from tmscal.mirror.sqlite.personal import _COLUMNS, clamped, room_list
from tmscal.process_wide import ProcessWide



class PostgresPersonalCalendars(PersonalCalendars):
    """The personal calendars in the database of one :class:`PostgresMirrorStore`."""

    def __init__(self, store: PostgresMirrorStore) -> None:
        self.store = store
        self.database = store.database

    def ensure(self, calendar_id: str) -> CalendarState:
        check_personal(calendar_id)
        try:
            return self.store.calendar_state(calendar_id)
        except UnknownCalendar:
            with self.database.write() as db:
                create_calendar(db, calendar_id, PERSONAL, time.time())
            return self.store.calendar_state(calendar_id)

    # ---- reads -------------------------------------------------------------------------------

    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        wanted = sorted(set(hrefs))
        if not wanted:
            return []
        with self.database.query() as db:
            rows = db.execute(_COLUMNS + "WHERE e.calendar_id=%s AND e.deleted=0 "
                              "AND e.href = ANY(%s) ORDER BY e.href",
                              (calendar_id, wanted)).fetchall()
        return [stored_object(row) for row in rows]

    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        yield from paged_objects(self.database, _COLUMNS, calendar_id)

    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        start = int(start_utc.timestamp()) if start_utc else -(2 ** 62)
        end = int(end_utc.timestamp()) if end_utc else 2 ** 62
        with self.database.query() as db:
            rows = db.execute(_COLUMNS + "WHERE e.calendar_id=%s AND e.deleted=0 "
                              "AND p.start_ts < %s AND (p.end_ts > %s OR p.start_ts >= %s) "
                              "ORDER BY e.href", (calendar_id, end, start, start)).fetchall()
        return [stored_object(row) for row in rows]

    def has_uid(self, calendar_id: str, uid: str) -> bool:
        return self.store.has_uid(calendar_id, uid)

    def booked(self, calendar_id: str, href: str) -> bool:
        with self.database.query() as db:
            row = db.execute("SELECT rooms FROM personal_objects WHERE calendar_id=%s "
                             "AND href=%s", (calendar_id, href)).fetchone()
        return bool(row and json.loads(row[0]))

    def booked_elsewhere(self, calendar_id: str, uid: str) -> str | None:
        with self.database.query() as db:
            row = db.execute("SELECT calendar_id FROM personal_objects WHERE uid=%s "
                             "AND rooms<>'[]' AND calendar_id<>%s ORDER BY calendar_id LIMIT 1",
                             (uid, calendar_id)).fetchone()
        return row[0] if row else None

    def drifted_objects(self, calendar_id: str
                        ) -> list[tuple[StoredObject, list[int], list[int] | None]]:
        with self.database.query() as db:
            rows = db.execute(
                _COLUMNS.replace(" FROM ", ", p.rooms, c.room_ids FROM ", 1)
                + "LEFT JOIN conferences c ON c.uid = p.uid WHERE e.calendar_id=%s "
                "AND e.deleted=0 AND p.rooms<>'[]' AND (c.uid IS NULL OR c.room_ids<>p.rooms "
                "OR c.etag<>p.booking_etag) ORDER BY e.href", (calendar_id,)).fetchall()
        return [(stored_object(row[:8]), json.loads(row[8]),
                 None if row[9] is None else json.loads(row[9])) for row in rows]

    # ---- writes ------------------------------------------------------------------------------

    def put(self, calendar_id: str, href: str, uid: str, ical: str,
            time_range: tuple[int, int], rooms: Iterable[int] = ()) -> StoredObject:
        check_personal(calendar_id)
        self.ensure(calendar_id)
        etag = etag_for_text(ical)
        start, end = clamped(time_range)
        now = time.time()
        with self.database.write() as db:
            lock_calendars(db, [calendar_id])
            old = db.execute("SELECT etag, deleted FROM entries WHERE calendar_id=%s "
                             "AND href=%s", (calendar_id, href)).fetchone()
            if old is None or tuple(old) != (etag, 0):
                live_delta = 0 if old is not None and not old[1] else 1
                seq = bump(db, calendar_id, now, live_delta, 0)
                put_entry(db, calendar_id, href, uid, etag, seq, now)
            db.execute(
                "INSERT INTO personal_objects (calendar_id, href, uid, ical, start_ts, end_ts, "
                "rooms) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (calendar_id, href) DO UPDATE SET uid=excluded.uid, "
                "ical=excluded.ical, start_ts=excluded.start_ts, end_ts=excluded.end_ts, "
                "rooms=excluded.rooms", (calendar_id, href, uid, ical, start, end,
                                         room_list(rooms)))
            db.execute(_REMEMBER_BOOKING, (calendar_id, href))
        return self.get_objects(calendar_id, [href])[0]

    def replace_if_unchanged(self, calendar_id: str, href: str, etag: str, ical: str,
                             rooms: Iterable[int],
                             time_range: tuple[int, int] | None = None) -> bool:
        now = time.time()
        with self.database.write() as db:
            lock_calendars(db, [calendar_id])
            row = db.execute("SELECT etag FROM entries WHERE calendar_id=%s AND href=%s "
                             "AND deleted=0", (calendar_id, href)).fetchone()
            if row is None or row[0] != etag:
                return False
            if etag_for_text(ical) != etag:
                seq = bump(db, calendar_id, now, 0, 0)
                db.execute("UPDATE entries SET etag=%s, seq=%s, modified=%s "
                           "WHERE calendar_id=%s AND href=%s",
                           (etag_for_text(ical), seq, now, calendar_id, href))
            db.execute("UPDATE personal_objects SET ical=%s, rooms=%s WHERE calendar_id=%s "
                       "AND href=%s", (ical, room_list(rooms), calendar_id, href))
            db.execute(_REMEMBER_BOOKING, (calendar_id, href))
            if time_range is not None:
                start, end = clamped(time_range)
                db.execute("UPDATE personal_objects SET start_ts=%s, end_ts=%s WHERE "
                           "calendar_id=%s AND href=%s", (start, end, calendar_id, href))
        return True

    def delete(self, calendar_id: str, href: str) -> bool:
        check_personal(calendar_id)
        with self.database.write() as db:
            lock_calendars(db, [calendar_id])
            row = db.execute("SELECT 1 FROM entries WHERE calendar_id=%s AND href=%s "
                             "AND deleted=0", (calendar_id, href)).fetchone()
            if row is None:
                return False
            tombstone(db, calendar_id, href, time.time())
            db.execute("DELETE FROM personal_objects WHERE calendar_id=%s AND href=%s",
                       (calendar_id, href))
        return True


#: an object remembers the ETag of the mirrored conference with its UID ('' when none)
_REMEMBER_BOOKING = _REMEMBER_BOOKING_SQL.replace("?", "%s")


_OPEN: ProcessWide[PostgresMirrorStore, PostgresPersonalCalendars] = \
    ProcessWide(PostgresPersonalCalendars, weak_keys=True)


def open_postgres_personal(store: PostgresMirrorStore) -> PostgresPersonalCalendars:
    """The process-wide personal calendars of ``store``."""
    return _OPEN.get(store)
