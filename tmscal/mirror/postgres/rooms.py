"""The PostgreSQL mirror store: :class:`~tmscal.mirror.store.MirrorStore` in one database
shared by any number of processes and hosts.

Connections and transactions are :class:`~tmscal.mirror.postgres.database.PostgresDatabase`'s
(a pool per process); the store's :attr:`PostgresMirrorStore.database` is shared with the
personal calendars, preferences and feed tokens of the same database. Every write method is one
transaction; writers of one conference serialize on its UID lock and writers of one calendar on
its row (see :mod:`tmscal.mirror.postgres.calendars`). The lease is one atomic statement. Use
:func:`open_postgres_store` for the process-wide instance of a URL.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

import psycopg

from tmscal.ical.shape import SeriesShape
from tmscal.ical.stamps import stamped
from tmscal.mirror.objects import (
    CalendarState,
    ChangeSet,
    ConferenceRecord,
    ConferenceRef,
    Occurrence,
    PendingWrite,
    Room,
    StoredObject,
    StoreOutcome,
    UnknownCalendar,
    UnknownSyncToken,
    etag_for_text,
    hashed_href,
    href_for_uid,
    room_calendar_id,
)
from tmscal.mirror.postgres.calendars import (
    ROOM,
    LockedSequences,
    bump,
    calendar_row,
    create_calendar,
    dt,
    lock_calendars,
    lock_uids,
    put_entry,
    stored_object,
    tombstone,
    ts,
)
from tmscal.mirror.postgres.database import PostgresDatabase
from tmscal.mirror.sqlite.calendars import paged_objects
from tmscal.mirror.sqlite.rooms import _ROOM_ENTRIES_OF_UID as _SQLITE_ROOM_ENTRIES_OF_UID
from tmscal.mirror.postgres.locks import BookingLocks
from tmscal.mirror.postgres.schema import apply_schema
from tmscal.mirror.meta import MetaBookkeeping, MetaWriter
from tmscal.mirror.store import MirrorStore
from tmscal.process_wide import ProcessWide


#: The live entries of ``uid`` in room calendars (the SQLite query, this driver's placeholder).
_ROOM_ENTRIES_OF_UID = _SQLITE_ROOM_ENTRIES_OF_UID.replace("?", "%s")

#: An occurrence ``o`` overlaps [start, end) (see :mod:`tmscal.mirror.sqlite.rooms`);
#: parameters ``end, start, calendar_id, start, start``: the calendar's longest occurrence
#: (max_span, read once by the uncorrelated sub-query) bounds the index scan.
_OVERLAPS = ("o.start_ts < %s AND o.start_ts >= %s - (SELECT max_span FROM calendars "
             "WHERE calendar_id=%s) AND (o.end_ts > %s OR o.start_ts >= %s)")

_OBJECT_COLUMNS = ("SELECT e.calendar_id, e.href, e.uid, e.etag, c.ical, c.start_ts, "
                   "c.end_ts, e.modified FROM entries e JOIN conferences c ON c.uid = e.uid ")

_REF_COLUMNS = ("SELECT uid, href, etag, series_id, version, room_ids, ext_source, ext_key, "
                "shape FROM conferences ")

_ROOM_COLUMNS = "SELECT system_id, name, zone, site, description, address FROM rooms "


class PostgresMirrorStore(MetaBookkeeping, MirrorStore):
    """The mirror in one PostgreSQL database (``url`` as libpq takes it; ``password`` apart,
    never logged). :attr:`database` is its connections, for the other concerns kept there."""

    def __init__(self, url: str, password: str = "", **pool_options) -> None:
        self.database = PostgresDatabase(url, password, **pool_options)
        self.url = self.database.url
        self._booking_locks = BookingLocks(self.database)
        try:
            with self.database.session() as db:
                apply_schema(db)
            with self.database.write() as db:
                db.execute("INSERT INTO mirror_meta VALUES ('epoch', %s) "
                           "ON CONFLICT (key) DO NOTHING", (secrets.token_hex(4),))
            self.epoch = self._meta_rows(["epoch"]).get("epoch", "")
        except BaseException:
            self.database.close()
            raise

    def close(self) -> None:
        self.database.close()

    def booking_lock(self, key: str) -> AbstractContextManager[None]:
        return self._booking_locks.hold(key)

    def reachability(self, timeout: float) -> str:
        """A read on a pooled connection, waiting at most ``timeout`` for one (see
        :meth:`PostgresDatabase.reachability`)."""
        return self.database.reachability(timeout)

    # ---- meta ----------------------------------------------------------------------------------

    @staticmethod
    def _set_meta(db: psycopg.Connection, key: str, value: str) -> None:
        db.execute("INSERT INTO mirror_meta VALUES (%s, %s) "
                   "ON CONFLICT (key) DO UPDATE SET value=excluded.value", (key, value))

    def _meta_rows(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        with self.database.query() as db:
            if keys is None:
                return dict(db.execute("SELECT key, value FROM mirror_meta").fetchall())
            return dict(db.execute("SELECT key, value FROM mirror_meta WHERE key = ANY(%s)",
                                   (list(keys),)).fetchall())

    @contextmanager
    def _meta_writer(self) -> Iterator[MetaWriter]:
        with self.database.write() as db:
            yield _PostgresMeta(db)

    # ---- rooms -------------------------------------------------------------------------------

    def list_rooms(self) -> list[Room]:
        with self.database.query() as db:
            rows = db.execute(_ROOM_COLUMNS + "ORDER BY system_id").fetchall()
        return [Room(*row) for row in rows]

    def get_room(self, system_id: int) -> Room | None:
        with self.database.query() as db:
            row = db.execute(_ROOM_COLUMNS + "WHERE system_id=%s", (system_id,)).fetchone()
        return None if row is None else Room(*row)

    def site_names(self) -> list[str]:
        with self.database.query() as db:
            return sorted(row[0] for row in db.execute("SELECT DISTINCT site FROM rooms"))

    def replace_rooms(self, rooms: Iterable[Room]) -> list[int]:
        wanted = {room.system_id: room for room in rooms}
        now = time.time()
        with self.database.write() as db:
            db.execute("LOCK TABLE rooms IN SHARE ROW EXCLUSIVE MODE")  # one room list writer
            current = {row[0]: Room(*row) for row in db.execute(_ROOM_COLUMNS).fetchall()}
            removed = sorted(set(current) - set(wanted))
            changed = sorted(s for s in wanted if s in current and current[s] != wanted[s])
            lock_calendars(db, [room_calendar_id(s) for s in removed + changed])
            for system_id in removed:
                calendar_id = room_calendar_id(system_id)
                db.execute("DELETE FROM rooms WHERE system_id=%s", (system_id,))
                for table in ("calendars", "entries", "occurrences", "client_hrefs"):
                    db.execute(f"DELETE FROM {table} WHERE calendar_id=%s", (calendar_id,))
            for system_id, room in sorted(wanted.items()):
                if current.get(system_id) == room:
                    continue
                db.execute(
                    "INSERT INTO rooms VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (system_id) "
                    "DO UPDATE SET name=excluded.name, zone=excluded.zone, site=excluded.site, "
                    "description=excluded.description, address=excluded.address",
                    (room.system_id, room.name, room.zone, room.site, room.description,
                     room.address))
                if system_id in current:
                    bump(db, room.calendar_id, now)
                else:
                    create_calendar(db, room.calendar_id, ROOM, now)
        return removed

    # ---- calendars ---------------------------------------------------------------------------

    def _token(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def calendar_state(self, calendar_id: str) -> CalendarState:
        with self.database.query() as db:
            seq, _, live, modified, _ = calendar_row(db, calendar_id)
        return CalendarState(calendar_id=calendar_id, ctag=f'"{self._token(seq)}"',
                             sync_token=self._token(seq), last_modified=dt(modified),
                             object_count=live)

    def list_hrefs(self, calendar_id: str) -> list[tuple[str, str]]:
        with self.database.query() as db:
            rows = db.execute("SELECT href, etag FROM entries WHERE calendar_id=%s "
                              "AND deleted=0 ORDER BY href", (calendar_id,)).fetchall()
            if not rows:
                calendar_row(db, calendar_id)  # an empty calendar, or none
        return [tuple(row) for row in rows]

    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        wanted = sorted(set(hrefs))
        if not wanted:
            return []
        with self.database.query() as db:
            rows = db.execute(_OBJECT_COLUMNS + "WHERE e.calendar_id=%s AND e.deleted=0 "
                              "AND e.href = ANY(%s) ORDER BY e.href",
                              (calendar_id, wanted)).fetchall()
        return [stored_object(row) for row in rows]

    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        with self.database.read() as db:
            calendar_row(db, calendar_id)
        yield from paged_objects(self.database, _OBJECT_COLUMNS, calendar_id)

    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        if start_utc is None and end_utc is None:
            return list(self.iter_objects(calendar_id))
        start = ts(start_utc) if start_utc is not None else -(2 ** 62)
        end = ts(end_utc) if end_utc is not None else 2 ** 62
        with self.database.query() as db:
            rows = db.execute(
                _OBJECT_COLUMNS + "WHERE e.calendar_id=%s AND e.deleted=0 AND e.href IN ("
                "SELECT href FROM occurrences o WHERE o.calendar_id=%s AND " + _OVERLAPS
                + ") ORDER BY e.href",
                (calendar_id, calendar_id, end, start, calendar_id, start, start)).fetchall()
            if not rows:
                calendar_row(db, calendar_id)
        return [stored_object(row) for row in rows]

    def occurrences_in_range(self, calendar_id: str, start_utc: datetime,
                             end_utc: datetime) -> list[Occurrence]:
        start, end = ts(start_utc), ts(end_utc)
        with self.database.query() as db:
            rows = db.execute(
                "SELECT o.start_ts, o.end_ts, o.href, e.uid, c.title FROM occurrences o "
                "JOIN entries e ON e.calendar_id = o.calendar_id AND e.href = o.href "
                "JOIN conferences c ON c.uid = e.uid WHERE o.calendar_id=%s AND e.deleted=0 "
                "AND " + _OVERLAPS + " ORDER BY o.start_ts, o.href",
                (calendar_id, end, start, calendar_id, start, start)).fetchall()
            if not rows:
                calendar_row(db, calendar_id)
        return [Occurrence(dt(s), dt(e), href, uid, title) for s, e, href, uid, title in rows]

    def changes_since(self, calendar_id: str, token: str) -> ChangeSet:
        epoch, _, number = token.rpartition("-")
        if token and (epoch != self.epoch or not number.isdigit()):
            raise UnknownSyncToken(f"sync token {token!r} is not from this mirror")
        old = int(number) if token else 0
        with self.database.query() as db:  # one statement: one consistent snapshot
            rows = db.execute(
                "SELECT c.seq, c.purged_seq, e.href, e.deleted FROM calendars c LEFT JOIN "
                "entries e ON e.calendar_id = c.calendar_id AND e.seq > %s "
                "AND (%s OR e.deleted = 0) WHERE c.calendar_id=%s ORDER BY e.href",
                (old, bool(token), calendar_id)).fetchall()
        if not rows:
            raise UnknownCalendar(calendar_id)
        seq, purged = rows[0][0], rows[0][1]
        if token and (old > seq or old < purged):
            raise UnknownSyncToken(f"sync token {token!r} is unknown or expired")
        hrefs = [(href, deleted) for _, _, href, deleted in rows if href is not None]
        return ChangeSet(self._token(seq), [h for h, deleted in hrefs if not deleted],
                         [h for h, deleted in hrefs if deleted])

    def has_uid(self, calendar_id: str, uid: str) -> bool:
        with self.database.query() as db:
            row = db.execute("SELECT 1 FROM entries WHERE uid=%s AND calendar_id=%s "
                             "AND deleted=0", (uid, calendar_id)).fetchone()
        return row is not None

    def object_for_uid(self, calendar_id: str, uid: str) -> StoredObject | None:
        with self.database.query() as db:
            row = db.execute(_OBJECT_COLUMNS + "WHERE e.uid=%s AND e.calendar_id=%s "
                             "AND e.deleted=0", (uid, calendar_id)).fetchone()
        return None if row is None else stored_object(row)

    def remember_href(self, calendar_id: str, uid: str, href: str) -> None:
        with self.database.write() as db:
            if href == href_for_uid(uid):
                db.execute("DELETE FROM client_hrefs WHERE uid=%s AND calendar_id=%s",
                           (uid, calendar_id))
            else:
                db.execute("INSERT INTO client_hrefs VALUES (%s, %s, %s) "
                           "ON CONFLICT (uid, calendar_id) DO UPDATE SET href=excluded.href",
                           (uid, calendar_id, href))

    def drop_unused_href(self, calendar_id: str, uid: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM client_hrefs h WHERE uid=%s AND calendar_id=%s AND NOT "
                       "EXISTS (SELECT 1 FROM entries e WHERE e.calendar_id=h.calendar_id "
                       "AND e.href=h.href AND e.uid=h.uid AND e.deleted=0)", (uid, calendar_id))

    @staticmethod
    def _hrefs_in(db: psycopg.Connection, uid: str, calendars: list[str]) -> dict[str, str]:
        """The href of ``uid`` in each of ``calendars`` (as the SQLite store decides it)."""
        default = href_for_uid(uid)
        chosen: dict[str, str] = {}
        taken: set[str] = set()
        for owner, calendar_id, href in db.execute(
                "SELECT uid, calendar_id, href FROM client_hrefs WHERE uid=%s OR href=%s",
                (uid, default)).fetchall():
            if owner == uid:
                chosen[calendar_id] = href
            else:
                taken.add(calendar_id)
        return {c: chosen.get(c) or (hashed_href(uid) if c in taken else default)
                for c in calendars}

    # ---- conferences -------------------------------------------------------------------------

    @staticmethod
    def _ref(db: psycopg.Connection, row: tuple | None) -> ConferenceRef | None:
        if row is None:
            return None
        uid, href, etag, series_id, version, room_ids, source, key, shape = row
        ids = [r[0] for r in db.execute(
            "SELECT conference_id FROM conference_ids WHERE uid=%s ORDER BY conference_id",
            (uid,)).fetchall()]
        return ConferenceRef(uid, href, etag, series_id, ids, version, json.loads(room_ids),
                             source, key, SeriesShape.from_text(shape))

    def find_by_uid(self, uid: str) -> ConferenceRef | None:
        with self.database.read() as db:
            return self._ref(db, db.execute(_REF_COLUMNS + "WHERE uid=%s", (uid,)).fetchone())

    def find_by_conference_id(self, conference_id: int) -> ConferenceRef | None:
        with self.database.read() as db:
            row = db.execute(_REF_COLUMNS + "WHERE uid = (SELECT uid FROM conference_ids "
                             "WHERE conference_id=%s)", (conference_id,)).fetchone()
            return self._ref(db, row)

    def iter_conference_refs(self) -> Iterator[ConferenceRef]:
        with self.database.read() as db:
            rows = db.execute(_REF_COLUMNS + "ORDER BY uid").fetchall()
            ids: dict[str, list[int]] = {}
            for conference_id, uid in db.execute(
                    "SELECT conference_id, uid FROM conference_ids ORDER BY conference_id"
            ).fetchall():
                ids.setdefault(uid, []).append(conference_id)
        for uid, href, etag, series_id, version, room_ids, source, key, shape in rows:
            yield ConferenceRef(uid, href, etag, series_id, ids.get(uid, []), version,
                                json.loads(room_ids), source, key, SeriesShape.from_text(shape))

    def _store_batch(self, db: psycopg.Connection, records: Sequence[ConferenceRecord],
                     now: float, client_named: bool) -> list[StoreOutcome]:
        """Store ``records`` in order: the UID locks first, then what they hold and the row
        locks of every calendar they may touch (see the calendars module), read in three
        queries; the writes are pipelined and the sequences written back once."""
        uids = sorted({record.uid for record in records})
        lock_uids(db, uids)
        stored = {uid: (version, ical) for uid, version, ical in db.execute(
            "SELECT uid, version, ical FROM conferences WHERE uid = ANY(%s)", (uids,)
        ).fetchall()}
        marks = dict(db.execute("SELECT uid, preliminary FROM awaiting_details "
                                "WHERE uid = ANY(%s)", (uids,)).fetchall())
        present: dict[str, dict[str, tuple[str, str]]] = {}
        for uid, calendar_id, href, etag in db.execute(
                "SELECT e.uid, e.calendar_id, e.href, e.etag FROM entries e JOIN calendars k "
                "ON k.calendar_id = e.calendar_id WHERE e.uid = ANY(%s) AND e.deleted=0 "
                "AND k.kind='room'", (uids,)).fetchall():
            present.setdefault(uid, {})[calendar_id] = (href, etag)
        sequences = LockedSequences(db, [c for held in present.values() for c in held] + [
            room_calendar_id(r) for record in records for r in record.room_ids])
        with db.pipeline():
            outcomes = [self._store_one(db, sequences, stored, present, marks, record, now,
                                        client_named) for record in records]
            sequences.write(db, now)
        return outcomes

    def _store_one(self, db: psycopg.Connection, sequences: LockedSequences,
                   stored: dict[str, tuple[int, str]],
                   present_by_uid: dict[str, dict[str, tuple[str, str]]],
                   marks: dict[str, int], record: ConferenceRecord, now: float,
                   client_named: bool) -> StoreOutcome:
        """One record of :meth:`_store_batch` (``stored``, ``present_by_uid`` and ``marks``,
        the awaiting-details marks, are kept current for the records after it)."""
        old = stored.get(record.uid)
        if record.preliminary:
            mark = marks.get(record.uid)
            keeps = old is not None and (record.version < old[0] or (
                record.version == old[0] and not mark))
            marks[record.uid] = int(bool(mark)) if keeps else 1
            db.execute("INSERT INTO awaiting_details (uid, preliminary) VALUES (%s, %s) "
                       "ON CONFLICT (uid) DO UPDATE SET preliminary=excluded.preliminary",
                       (record.uid, marks[record.uid]))
            if keeps:  # the stored text is as new and fuller (or newer): it stays
                return StoreOutcome([], [])
        elif marks.pop(record.uid, None) is not None:
            db.execute("DELETE FROM awaiting_details WHERE uid=%s", (record.uid,))
        if old is not None and record.version < old[0]:
            return StoreOutcome([], [])  # an older answer than the one stored: never step back
        record.ical = stamped(record.ical, old[1] if old else None, dt(now))
        etag = etag_for_text(record.ical)
        room_ids = sorted(set(record.room_ids))
        targets = [c for c in map(room_calendar_id, room_ids) if sequences.exists(c)]
        present = present_by_uid.get(record.uid, {})
        hrefs = self._hrefs_in(db, record.uid, targets) if client_named else \
            dict.fromkeys(targets, record.href)
        span = max((ts(e) - ts(s) for s, e in record.occurrences), default=0)
        changed: list[str] = []
        for calendar_id in targets:
            href, held = hrefs[calendar_id], present.get(calendar_id)
            if held == (href, etag):
                continue
            if held is not None and held[0] != href:  # filed under another href now: move it
                sequences.tombstone(db, calendar_id, held[0], now)
                held = None
            seq = sequences.bump(calendar_id, 0 if held else 1, span)
            put_entry(db, calendar_id, href, record.uid, etag, seq, now)
            db.execute("DELETE FROM occurrences WHERE calendar_id=%s AND href=%s",
                       (calendar_id, href))
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO occurrences VALUES (%s, %s, %s, %s)",
                    [(calendar_id, href, ts(s), ts(e)) for s, e in record.occurrences])
            changed.append(calendar_id)
        removed = [c for c in present if c not in targets]
        for calendar_id in removed:
            sequences.tombstone(db, calendar_id, present[calendar_id][0], now)
            db.execute("DELETE FROM client_hrefs WHERE uid=%s AND calendar_id=%s",
                       (record.uid, calendar_id))
        db.execute(
            "INSERT INTO conferences (uid, href, series_id, version, room_ids, ext_source, "
            "ext_key, ical, etag, start_ts, end_ts, title, shape) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (uid) DO UPDATE SET href=excluded.href, series_id=excluded.series_id, "
            "version=excluded.version, room_ids=excluded.room_ids, "
            "ext_source=excluded.ext_source, ext_key=excluded.ext_key, ical=excluded.ical, "
            "etag=excluded.etag, start_ts=excluded.start_ts, end_ts=excluded.end_ts, "
            "title=excluded.title, shape=excluded.shape",
            (record.uid, record.href, record.series_id, record.version, json.dumps(room_ids),
             record.external_source_id, record.external_primary_key, record.ical, etag,
             ts(record.start_utc), ts(record.end_utc), record.title,
             record.shape.to_text() if record.shape is not None else ""))
        ids = sorted(i for i in {record.series_id, *record.conference_ids} if i > 0)
        if ids:
            db.execute("INSERT INTO conference_ids SELECT i, %s FROM unnest(%s::bigint[]) AS i "
                       "ON CONFLICT (conference_id) DO UPDATE SET uid=excluded.uid",
                       (record.uid, ids))
        stored[record.uid] = (record.version, record.ical)
        present_by_uid[record.uid] = {c: (hrefs[c], etag) for c in targets}
        return StoreOutcome(changed, removed)

    def store_conference(self, record: ConferenceRecord) -> StoreOutcome:
        with self.database.write() as db:
            return self._store_batch(db, [record], time.time(), True)[0]

    def store_conferences(self, records: Sequence[ConferenceRecord]) -> list[StoreOutcome]:
        with self.database.write() as db:
            # while no client named an object anywhere, a batch skips the per-record look-up
            client_named = db.execute("SELECT 1 FROM client_hrefs LIMIT 1").fetchone() is not None
            return self._store_batch(db, records, time.time(), client_named)

    def remove_conference(self, uid: str) -> StoreOutcome:
        now = time.time()
        with self.database.write() as db:
            lock_uids(db, [uid])
            rows = db.execute(_ROOM_ENTRIES_OF_UID, (uid,)).fetchall()
            lock_calendars(db, [row[0] for row in rows])
            for calendar_id, href, _ in rows:
                tombstone(db, calendar_id, href, now)
            for table in ("conferences", "conference_ids", "client_hrefs", "awaiting_details"):
                db.execute(f"DELETE FROM {table} WHERE uid=%s", (uid,))
        return StoreOutcome([], [calendar_id for calendar_id, *_ in rows])

    def forget_conference_id(self, conference_id: int) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM conference_ids WHERE conference_id=%s", (conference_id,))

    # ---- writes of unknown outcome ------------------------------------------------------------

    def mark_pending(self, write: PendingWrite) -> None:
        with self.database.write() as db:
            db.execute("INSERT INTO pending_writes VALUES (%s, %s, %s, %s) ON CONFLICT (uid) DO "
                       "UPDATE SET ext_source=excluded.ext_source, ext_key=excluded.ext_key",
                       (write.uid, write.external_source_id, write.external_primary_key,
                        time.time()))

    def pending_writes(self) -> list[PendingWrite]:
        with self.database.query() as db:
            rows = db.execute("SELECT uid, ext_source, ext_key FROM pending_writes "
                              "ORDER BY since, uid").fetchall()
        return [PendingWrite(*row) for row in rows]

    def clear_pending(self, uid: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM pending_writes WHERE uid=%s", (uid,))

    # ---- sync bookkeeping --------------------------------------------------------------------

    def purge_tombstones(self, older_than: datetime) -> int:
        cutoff = older_than.timestamp()
        with self.database.write() as db:
            rows = db.execute("SELECT calendar_id, max(seq), count(*) FROM entries "
                              "WHERE deleted=1 AND modified < %s GROUP BY calendar_id "
                              "ORDER BY calendar_id", (cutoff,)).fetchall()
            for calendar_id, max_seq, _ in rows:
                db.execute("UPDATE calendars SET purged_seq = GREATEST(purged_seq, %s) "
                           "WHERE calendar_id=%s", (max_seq, calendar_id))
            db.execute("DELETE FROM entries WHERE deleted=1 AND modified < %s", (cutoff,))
        return sum(count for _, _, count in rows)

    # ---- imports ------------------------------------------------------------------------------

    def awaiting_details(self) -> list[int]:
        with self.database.query() as db:
            return [row[0] for row in db.execute(
                "SELECT c.series_id FROM awaiting_details a JOIN conferences c ON c.uid = a.uid "
                "ORDER BY a.marked")]

    def details_pending(self, uid: str) -> bool:
        with self.database.query() as db:
            return db.execute("SELECT 1 FROM awaiting_details WHERE uid=%s",
                              (uid,)).fetchone() is not None

    # ---- the syncer lease --------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, ttl_seconds: float) -> bool:
        now = time.time()
        with self.database.write() as db:
            row = db.execute(
                "INSERT INTO leases AS l VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE "
                "SET owner=excluded.owner, expires=excluded.expires "
                "WHERE l.owner = excluded.owner OR l.expires <= %s RETURNING owner",
                (name, owner, now + ttl_seconds, now)).fetchone()
        return row is not None

    def release_lease(self, name: str, owner: str) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM leases WHERE name=%s AND owner=%s", (name, owner))

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        with self.database.query() as db:
            row = db.execute("SELECT owner, expires FROM leases WHERE name=%s",
                             (name,)).fetchone()
        if row is None or row[1] <= time.time():
            return None
        return row[0], dt(row[1])


class _PostgresMeta:
    """:class:`~tmscal.mirror.meta.MetaWriter` on one PostgreSQL transaction."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db

    def set(self, key: str, value: str) -> None:
        PostgresMirrorStore._set_meta(self.db, key, value)

    def add(self, key: str, amount: int) -> None:
        self.db.execute("INSERT INTO mirror_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                        "SET value = (mirror_meta.value::bigint + %s)::text",
                        (key, str(amount), amount))


def _open(key: tuple[str, str]) -> PostgresMirrorStore:
    url, password = key
    return PostgresMirrorStore(url, password)


_OPEN: ProcessWide[tuple[str, str], PostgresMirrorStore] = ProcessWide(_open)


def open_postgres_store(url: str, password: str = "") -> PostgresMirrorStore:
    """The process-wide store for ``url`` (opened on first use, shared afterwards)."""
    return _OPEN.get((url, password))
