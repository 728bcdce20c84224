"""The SQLite (WAL) mirror store: :class:`~tmscal.mirror.store.MirrorStore` in one file.

Connections and transactions are :class:`~tmscal.mirror.sqlite.file.SqliteFile`'s (one
connection per thread; writers serialized in-process by a lock and across processes by
``BEGIN IMMEDIATE``); the store's :attr:`SqliteMirrorStore.file` is shared explicitly with the
personal calendars and preferences of the same database. Every write method is one
transaction. Use :func:`open_sqlite_store` to get the process-wide instance for a path.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

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
    UnknownSyncToken,
    etag_for_text,
    hashed_href,
    href_for_uid,
    room_calendar_id,
)
from tmscal.mirror.sqlite.calendars import (
    ROOM,
    bump,
    calendar_row,
    chunks,
    create_calendar,
    dt,
    paged_objects,
    put_entry,
    stored_object,
    tombstone,
    ts,
)
from tmscal.mirror.sqlite.file import SqliteFile
from tmscal.mirror.sqlite.key_locks import key_locks_for
from tmscal.mirror.sqlite.schema import apply_schema
from tmscal.mirror.meta import MetaBookkeeping, MetaWriter
from tmscal.mirror.store import MirrorStore
from tmscal.process_wide import ProcessWide, path_key


#: The live entries of ``uid`` in room calendars (personal objects with the same UID stay).
_ROOM_ENTRIES_OF_UID = (
    "SELECT e.calendar_id, e.href, e.etag FROM entries e JOIN calendars k "
    "ON k.calendar_id = e.calendar_id WHERE e.uid=? AND e.deleted=0 AND k.kind='room'")

#: An occurrence ``o`` overlaps [start, end) when it begins before end and ends after start (a
#: zero-length one: begins at or after start); parameters ``end, start - max_span, start,
#: start``: the calendar's longest occurrence (max_span) bounds the index scan.
_OVERLAPS = "o.start_ts < ? AND o.start_ts >= ? AND (o.end_ts > ? OR o.start_ts >= ?)"


class _MirrorFile(SqliteFile):
    PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF")


class SqliteMirrorStore(MetaBookkeeping, MirrorStore):
    """The mirror in one SQLite file (``":memory:"`` is not supported: threads need a file).
    :attr:`file` is its connections, for the other concerns kept in the same database."""

    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.file = _MirrorFile(path, busy_timeout)
        self.path = self.file.path
        self._create_schema()
        self.epoch = self._meta_rows(["epoch"]).get("epoch", "")

    def close(self) -> None:
        self.file.close()

    def _create_schema(self) -> None:
        with self.file.write_lock:
            apply_schema(self.file.connection())
            with self.file.write() as db:
                if db.execute("SELECT 1 FROM mirror_meta WHERE key='epoch'").fetchone() is None:
                    db.execute("INSERT INTO mirror_meta VALUES ('epoch', ?)",
                               (secrets.token_hex(4),))

    # ---- meta ----------------------------------------------------------------------------------

    @staticmethod
    def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT INTO mirror_meta VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def _meta_rows(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        sql, args = "SELECT key, value FROM mirror_meta", ()
        if keys is not None:
            args = tuple(keys)
            sql += f" WHERE key IN ({','.join('?' * len(args))})"
        return dict(self.file.connection().execute(sql, args).fetchall())

    @contextmanager
    def _meta_writer(self) -> Iterator[MetaWriter]:
        with self.file.write() as db:
            yield _SqliteMeta(db)

    # ---- rooms -------------------------------------------------------------------------------

    def list_rooms(self) -> list[Room]:
        rows = self.file.connection().execute(
            "SELECT system_id, name, zone, site, description, address FROM rooms "
            "ORDER BY system_id").fetchall()
        return [Room(*row) for row in rows]

    def get_room(self, system_id: int) -> Room | None:
        row = self.file.connection().execute(
            "SELECT system_id, name, zone, site, description, address FROM rooms "
            "WHERE system_id=?", (system_id,)).fetchone()
        return None if row is None else Room(*row)

    def site_names(self) -> list[str]:
        return sorted(row[0] for row in self.file.connection().execute(
            "SELECT DISTINCT site FROM rooms"))

    def replace_rooms(self, rooms: Iterable[Room]) -> list[int]:
        wanted = {room.system_id: room for room in rooms}
        now = time.time()
        with self.file.write() as db:
            current = {row[0]: Room(*row) for row in db.execute(
                "SELECT system_id, name, zone, site, description, address FROM rooms")}
            removed = sorted(set(current) - set(wanted))
            for system_id in removed:
                calendar_id = room_calendar_id(system_id)
                db.execute("DELETE FROM rooms WHERE system_id=?", (system_id,))
                db.execute("DELETE FROM calendars WHERE calendar_id=?", (calendar_id,))
                db.execute("DELETE FROM entries WHERE calendar_id=?", (calendar_id,))
                db.execute("DELETE FROM occurrences WHERE calendar_id=?", (calendar_id,))
                db.execute("DELETE FROM client_hrefs WHERE calendar_id=?", (calendar_id,))
            for system_id, room in wanted.items():
                if current.get(system_id) == room:
                    continue
                db.execute(
                    "INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(system_id) DO UPDATE "
                    "SET name=excluded.name, zone=excluded.zone, site=excluded.site, "
                    "description=excluded.description, address=excluded.address",
                    (room.system_id, room.name, room.zone, room.site, room.description,
                     room.address))
                calendar_id = room.calendar_id
                if system_id in current:
                    bump(db, calendar_id, now)
                else:
                    create_calendar(db, calendar_id, ROOM, now)
        return removed

    # ---- calendars ---------------------------------------------------------------------------

    def _token(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def calendar_state(self, calendar_id: str) -> CalendarState:
        seq, _, live, modified, _ = calendar_row(self.file.connection(), calendar_id)
        return CalendarState(calendar_id=calendar_id, ctag=f'"{self._token(seq)}"',
                             sync_token=self._token(seq), last_modified=dt(modified),
                             object_count=live)

    def list_hrefs(self, calendar_id: str) -> list[tuple[str, str]]:
        with self.file.read() as db:
            calendar_row(db, calendar_id)
            return db.execute("SELECT href, etag FROM entries WHERE calendar_id=? AND deleted=0 "
                              "ORDER BY href", (calendar_id,)).fetchall()

    _OBJECT_COLUMNS = ("SELECT e.calendar_id, e.href, e.uid, e.etag, c.ical, c.start_ts, "
                       "c.end_ts, e.modified FROM entries e JOIN conferences c ON c.uid = e.uid ")

    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        wanted = sorted(set(hrefs))
        found: list[StoredObject] = []
        with self.file.read() as db:
            for chunk in chunks(wanted):
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    self._OBJECT_COLUMNS + f"WHERE e.calendar_id=? AND e.deleted=0 "
                    f"AND e.href IN ({marks})", (calendar_id, *chunk)).fetchall()
                found.extend(stored_object(row) for row in rows)
        return found

    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        with self.file.read() as db:
            calendar_row(db, calendar_id)
        yield from paged_objects(self.file, self._OBJECT_COLUMNS, calendar_id)

    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        with self.file.read() as db:
            max_span = calendar_row(db, calendar_id)[4]
            if start_utc is None and end_utc is None:
                return list(self.iter_objects(calendar_id))
            start = ts(start_utc) if start_utc is not None else -(2 ** 62)
            end = ts(end_utc) if end_utc is not None else 2 ** 62
            rows = db.execute(
                self._OBJECT_COLUMNS + "WHERE e.calendar_id=? AND e.deleted=0 AND e.href IN ("
                "SELECT href FROM occurrences o WHERE o.calendar_id=? AND " + _OVERLAPS
                + ") ORDER BY e.href",
                (calendar_id, calendar_id, end, start - max_span, start, start)).fetchall()
        return [stored_object(row) for row in rows]

    def occurrences_in_range(self, calendar_id: str, start_utc: datetime,
                             end_utc: datetime) -> list[Occurrence]:
        start, end = ts(start_utc), ts(end_utc)
        with self.file.read() as db:
            max_span = calendar_row(db, calendar_id)[4]
            rows = db.execute(
                "SELECT o.start_ts, o.end_ts, o.href, e.uid, c.title FROM occurrences o "
                "JOIN entries e ON e.calendar_id = o.calendar_id AND e.href = o.href "
                "JOIN conferences c ON c.uid = e.uid WHERE o.calendar_id=? AND e.deleted=0 "
                "AND " + _OVERLAPS + " ORDER BY o.start_ts, o.href",
                (calendar_id, end, start - max_span, start, start)).fetchall()
        return [Occurrence(dt(s), dt(e), href, uid, title) for s, e, href, uid, title in rows]

    def changes_since(self, calendar_id: str, token: str) -> ChangeSet:
        with self.file.read() as db:
            seq, purged, *_ = calendar_row(db, calendar_id)
            if not token:
                live = [r[0] for r in db.execute(
                    "SELECT href FROM entries WHERE calendar_id=? AND deleted=0 ORDER BY href",
                    (calendar_id,))]
                return ChangeSet(self._token(seq), live, [])
            epoch, _, number = token.rpartition("-")
            if epoch != self.epoch or not number.isdigit():
                raise UnknownSyncToken(f"sync token {token!r} is not from this mirror")
            old = int(number)
            if old > seq or old < purged:
                raise UnknownSyncToken(f"sync token {token!r} is unknown or expired")
            rows = sorted(db.execute(self.CHANGES_SINCE, (calendar_id, old)))
        changed = [href for href, deleted in rows if not deleted]
        deleted = [href for href, deleted in rows if deleted]
        return ChangeSet(self._token(seq), changed, deleted)

    #: The hrefs changed after a sequence number, from the ``entries_seq`` index: O(changes).
    #: Sorted in Python: an ``ORDER BY href`` makes SQLite walk the whole calendar in primary
    #: key order instead (to skip the sort), O(objects) even when nothing changed.
    CHANGES_SINCE = "SELECT href, deleted FROM entries WHERE calendar_id=? AND seq > ?"

    def has_uid(self, calendar_id: str, uid: str) -> bool:
        row = self.file.connection().execute(
            "SELECT 1 FROM entries WHERE uid=? AND calendar_id=? AND deleted=0",
            (uid, calendar_id)).fetchone()
        return row is not None

    def object_for_uid(self, calendar_id: str, uid: str) -> StoredObject | None:
        row = self.file.connection().execute(
            self._OBJECT_COLUMNS + "WHERE e.uid=? AND e.calendar_id=? AND e.deleted=0",
            (uid, calendar_id)).fetchone()
        return None if row is None else stored_object(row)

    def remember_href(self, calendar_id: str, uid: str, href: str) -> None:
        if href == href_for_uid(uid):
            if self.file.connection().execute(
                    "SELECT 1 FROM client_hrefs WHERE uid=? AND calendar_id=?",
                    (uid, calendar_id)).fetchone() is None:
                return  # the usual case: nothing to forget, no write transaction
            with self.file.write() as db:
                db.execute("DELETE FROM client_hrefs WHERE uid=? AND calendar_id=?",
                           (uid, calendar_id))
            return
        with self.file.write() as db:
            db.execute("INSERT INTO client_hrefs VALUES (?, ?, ?) ON CONFLICT(uid, calendar_id) "
                       "DO UPDATE SET href=excluded.href", (uid, calendar_id, href))

    def drop_unused_href(self, calendar_id: str, uid: str) -> None:
        with self.file.write() as db:
            db.execute("DELETE FROM client_hrefs WHERE uid=? AND calendar_id=? AND NOT EXISTS ("
                       "SELECT 1 FROM entries e WHERE e.calendar_id=client_hrefs.calendar_id "
                       "AND e.href=client_hrefs.href AND e.uid=client_hrefs.uid "
                       "AND e.deleted=0)", (uid, calendar_id))

    def _hrefs_in(self, db: sqlite3.Connection, uid: str, calendars: list[str]) -> dict[str, str]:
        """The href of ``uid`` in each of ``calendars``: the client's choice, else the
        deterministic href, else (held by another UID there) the hashed one.

        Only a client's choice can put another UID under this UID's deterministic href (room
        calendars hold nothing else but deterministic and hashed hrefs), so one look-up in the
        small ``client_hrefs`` table answers both questions.
        """
        default = href_for_uid(uid)
        chosen: dict[str, str] = {}
        taken: set[str] = set()
        for owner, calendar_id, href in db.execute(
                "SELECT uid, calendar_id, href FROM client_hrefs WHERE uid=? OR href=?",
                (uid, default)):
            if owner == uid:
                chosen[calendar_id] = href
            else:
                taken.add(calendar_id)
        return {c: chosen.get(c) or (hashed_href(uid) if c in taken else default)
                for c in calendars}

    # ---- conferences -------------------------------------------------------------------------

    _REF_COLUMNS = ("SELECT uid, href, etag, series_id, version, room_ids, ext_source, ext_key, "
                    "shape FROM conferences ")

    def _ref(self, db: sqlite3.Connection, row: tuple | None) -> ConferenceRef | None:
        if row is None:
            return None
        uid, href, etag, series_id, version, room_ids, source, key, shape = row
        ids = [r[0] for r in db.execute(
            "SELECT conference_id FROM conference_ids WHERE uid=? ORDER BY conference_id",
            (uid,))]
        return ConferenceRef(uid, href, etag, series_id, ids, version, json.loads(room_ids),
                             source, key, SeriesShape.from_text(shape))

    def find_by_uid(self, uid: str) -> ConferenceRef | None:
        with self.file.read() as db:
            return self._ref(db, db.execute(self._REF_COLUMNS + "WHERE uid=?",
                                            (uid,)).fetchone())

    def find_by_conference_id(self, conference_id: int) -> ConferenceRef | None:
        with self.file.read() as db:
            row = db.execute("SELECT uid FROM conference_ids WHERE conference_id=?",
                             (conference_id,)).fetchone()
            if row is None:
                return None
            return self._ref(db, db.execute(self._REF_COLUMNS + "WHERE uid=?",
                                            (row[0],)).fetchone())

    def iter_conference_refs(self) -> Iterator[ConferenceRef]:
        with self.file.read() as db:
            rows = db.execute(self._REF_COLUMNS + "ORDER BY uid").fetchall()
            ids: dict[str, list[int]] = {}
            for conference_id, uid in db.execute(
                    "SELECT conference_id, uid FROM conference_ids ORDER BY conference_id"):
                ids.setdefault(uid, []).append(conference_id)
        for uid, href, etag, series_id, version, room_ids, source, key, shape in rows:
            yield ConferenceRef(uid, href, etag, series_id, ids.get(uid, []), version,
                                json.loads(room_ids), source, key, SeriesShape.from_text(shape))

    def _store_one(self, db: sqlite3.Connection, record: ConferenceRecord,
                   now: float, client_named: bool = True,
                   calendars_known: set[str] | None = None) -> StoreOutcome:
        """Store ``record`` in ``db``'s transaction; ``calendars_known``: the room calendars
        that exist (None: look them up)."""
        stored = db.execute("SELECT version, ical FROM conferences WHERE uid=?",
                            (record.uid,)).fetchone()
        if record.preliminary:
            mark = None if stored is None else db.execute(  # a new one: whatever its mark
                "SELECT preliminary FROM awaiting_details WHERE uid=?", (record.uid,)).fetchone()
            keeps = stored is not None and (record.version < stored[0] or (
                record.version == stored[0] and not (mark and mark[0])))
            db.execute("INSERT INTO awaiting_details VALUES (?, ?) ON CONFLICT(uid) DO UPDATE "
                       "SET preliminary=excluded.preliminary",
                       (record.uid, int(bool(mark and mark[0]) if keeps else 1)))
            if keeps:  # the stored text is as new and fuller (or newer): it stays
                return StoreOutcome([], [])
        else:
            db.execute("DELETE FROM awaiting_details WHERE uid=?", (record.uid,))
        if stored is not None and record.version < stored[0]:
            return StoreOutcome([], [])  # an older answer than the one stored: never step back
        record.ical = stamped(record.ical, stored[1] if stored else None, dt(now))
        etag = etag_for_text(record.ical)
        room_ids = sorted(set(record.room_ids))
        calendars = [room_calendar_id(r) for r in room_ids]
        if calendars_known is None:
            calendars_known = {row[0] for row in db.execute(
                f"SELECT calendar_id FROM calendars WHERE calendar_id IN "
                f"({','.join('?' * len(calendars))})", calendars)} if calendars else set()
        targets = [c for c in calendars if c in calendars_known]
        present = {row[0]: (row[1], row[2])
                   for row in db.execute(_ROOM_ENTRIES_OF_UID, (record.uid,))}
        hrefs = self._hrefs_in(db, record.uid, targets) if client_named else \
            dict.fromkeys(targets, record.href)
        span = max((ts(e) - ts(s) for s, e in record.occurrences), default=0)
        changed: list[str] = []
        for calendar_id in targets:
            href, old = hrefs[calendar_id], present.get(calendar_id)
            if old == (href, etag):
                continue
            if old is not None and old[0] != href:  # filed under another href now: move it
                tombstone(db, calendar_id, old[0], now)
                old = None
            seq = bump(db, calendar_id, now, 0 if old else 1, span)
            put_entry(db, calendar_id, href, record.uid, etag, seq, now)
            # occurrences belong to live entries only: a deterministic href new in this
            # calendar has none
            if old is not None or client_named:
                db.execute("DELETE FROM occurrences WHERE calendar_id=? AND href=?",
                           (calendar_id, href))
            db.executemany("INSERT INTO occurrences VALUES (?, ?, ?, ?)",
                           [(calendar_id, href, ts(s), ts(e)) for s, e in record.occurrences])
            changed.append(calendar_id)
        removed = [c for c in present if c not in targets]
        for calendar_id in removed:
            tombstone(db, calendar_id, present[calendar_id][0], now)
            db.execute("DELETE FROM client_hrefs WHERE uid=? AND calendar_id=?",
                       (record.uid, calendar_id))
        db.execute(
            "INSERT INTO conferences (uid, href, series_id, version, room_ids, ext_source, "
            "ext_key, ical, etag, start_ts, end_ts, title, shape) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(uid) DO UPDATE SET href=excluded.href, series_id=excluded.series_id, "
            "version=excluded.version, room_ids=excluded.room_ids, "
            "ext_source=excluded.ext_source, ext_key=excluded.ext_key, ical=excluded.ical, "
            "etag=excluded.etag, start_ts=excluded.start_ts, end_ts=excluded.end_ts, "
            "title=excluded.title, shape=excluded.shape",
            (record.uid, record.href, record.series_id, record.version, json.dumps(room_ids),
             record.external_source_id, record.external_primary_key, record.ical, etag,
             ts(record.start_utc), ts(record.end_utc), record.title,
             record.shape.to_text() if record.shape is not None else ""))
        ids = {record.series_id, *record.conference_ids} - {0}
        db.executemany("INSERT OR REPLACE INTO conference_ids VALUES (?, ?)",
                       [(i, record.uid) for i in sorted(ids) if i > 0])
        return StoreOutcome(changed, removed)

    def store_conference(self, record: ConferenceRecord) -> StoreOutcome:
        with self.file.write() as db:
            return self._store_one(db, record, time.time())

    def store_conferences(self, records: Sequence[ConferenceRecord]) -> list[StoreOutcome]:
        now = time.time()
        with self.file.write() as db:
            # while no client named an object anywhere, a batch skips the per-record look-up
            client_named = db.execute("SELECT 1 FROM client_hrefs LIMIT 1").fetchone() is not None
            # and looks the rooms' calendars up once
            rooms = {room_calendar_id(r) for record in records for r in record.room_ids}
            known = {row[0] for row in db.execute("SELECT calendar_id FROM calendars")} & rooms
            return [self._store_one(db, record, now, client_named, known) for record in records]

    def remove_conference(self, uid: str) -> StoreOutcome:
        now = time.time()
        with self.file.write() as db:
            rows = db.execute(_ROOM_ENTRIES_OF_UID, (uid,)).fetchall()
            for calendar_id, href, _ in rows:
                tombstone(db, calendar_id, href, now)
            db.execute("DELETE FROM conferences WHERE uid=?", (uid,))
            db.execute("DELETE FROM conference_ids WHERE uid=?", (uid,))
            db.execute("DELETE FROM client_hrefs WHERE uid=?", (uid,))
            db.execute("DELETE FROM awaiting_details WHERE uid=?", (uid,))
        return StoreOutcome([], [calendar_id for calendar_id, *_ in rows])

    def forget_conference_id(self, conference_id: int) -> None:
        with self.file.write() as db:
            db.execute("DELETE FROM conference_ids WHERE conference_id=?", (conference_id,))

    # ---- writes of unknown outcome ------------------------------------------------------------

    def mark_pending(self, write: PendingWrite) -> None:
        with self.file.write() as db:
            db.execute("INSERT INTO pending_writes VALUES (?, ?, ?, ?) ON CONFLICT(uid) DO "
                       "UPDATE SET ext_source=excluded.ext_source, ext_key=excluded.ext_key",
                       (write.uid, write.external_source_id, write.external_primary_key,
                        time.time()))

    def pending_writes(self) -> list[PendingWrite]:
        rows = self.file.connection().execute(
            "SELECT uid, ext_source, ext_key FROM pending_writes ORDER BY since, uid").fetchall()
        return [PendingWrite(*row) for row in rows]

    def clear_pending(self, uid: str) -> None:
        if self.file.connection().execute("SELECT 1 FROM pending_writes WHERE uid=?",
                              (uid,)).fetchone() is None:
            return  # the usual case: no write transaction
        with self.file.write() as db:
            db.execute("DELETE FROM pending_writes WHERE uid=?", (uid,))

    # ---- sync bookkeeping --------------------------------------------------------------------

    def purge_tombstones(self, older_than: datetime) -> int:
        cutoff = older_than.timestamp()
        with self.file.write() as db:
            rows = db.execute("SELECT calendar_id, max(seq), count(*) FROM entries "
                              "WHERE deleted=1 AND modified < ? GROUP BY calendar_id",
                              (cutoff,)).fetchall()
            for calendar_id, max_seq, _ in rows:
                db.execute("UPDATE calendars SET purged_seq = max(purged_seq, ?) "
                           "WHERE calendar_id=?", (max_seq, calendar_id))
            db.execute("DELETE FROM entries WHERE deleted=1 AND modified < ?", (cutoff,))
        return sum(count for _, _, count in rows)

    # ---- imports ------------------------------------------------------------------------------

    def awaiting_details(self) -> list[int]:
        return [row[0] for row in self.file.connection().execute(
            "SELECT c.series_id FROM awaiting_details a JOIN conferences c ON c.uid = a.uid "
            "ORDER BY a.rowid")]

    def details_pending(self, uid: str) -> bool:
        return self.file.connection().execute(
            "SELECT 1 FROM awaiting_details WHERE uid=?", (uid,)).fetchone() is not None

    # ---- the syncer lease --------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, ttl_seconds: float) -> bool:
        now = time.time()
        with self.file.write() as db:
            row = db.execute("SELECT owner, expires FROM leases WHERE name=?",
                             (name,)).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            db.execute("INSERT INTO leases VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                       "SET owner=excluded.owner, expires=excluded.expires",
                       (name, owner, now + ttl_seconds))
            return True

    def release_lease(self, name: str, owner: str) -> None:
        with self.file.write() as db:
            db.execute("DELETE FROM leases WHERE name=? AND owner=?", (name, owner))

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        row = self.file.connection().execute("SELECT owner, expires FROM leases WHERE name=?",
                                 (name,)).fetchone()
        if row is None or row[1] <= time.time():
            return None
        return row[0], dt(row[1])

    # ---- across processes ---------------------------------------------------------------------

    def booking_lock(self, key: str) -> AbstractContextManager[None]:
        return key_locks_for(self.path).hold(key)

    def reachability(self, timeout: float) -> str:
        """A read on a new connection (the file must exist: it is not created again)."""
        try:
            db = sqlite3.connect(self.file.uri("rw"), uri=True, timeout=timeout,
                                 isolation_level=None)
            try:
                db.execute("SELECT value FROM mirror_meta WHERE key='epoch'").fetchone()
            finally:
                db.close()
        except sqlite3.Error as error:
            return f"the mirror database {Path(self.path).name} does not answer: {error}"
        return ""


class _SqliteMeta:
    """:class:`~tmscal.mirror.meta.MetaWriter` on one SQLite transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set(self, key: str, value: str) -> None:
        SqliteMirrorStore._set_meta(self.db, key, value)

    def add(self, key: str, amount: int) -> None:
        self.db.execute("INSERT INTO mirror_meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT)",
                        (key, str(amount), amount))


_OPEN: ProcessWide[str, SqliteMirrorStore] = ProcessWide(SqliteMirrorStore)


def open_sqlite_store(path: str | Path) -> SqliteMirrorStore:
    """The process-wide store for ``path`` (opened on first use, shared afterwards)."""
    return _OPEN.get(path_key(path))
