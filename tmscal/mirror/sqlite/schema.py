"""The SQLite mirror schema and its migrations, applied idempotently when a store opens.

``SCHEMA`` creates the current version in an empty database (tables of a later version are
created by it in an older one too, so a migration only changes tables that existed before);
``MIGRATIONS[n]`` brings a database of version ``n - 1`` to ``n``. :func:`apply_schema` does
whichever is needed and records the version in ``mirror_meta``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 6

_CLIENT_HREFS = """
-- The href a calendar client chose for an object of a room calendar (RFC 4791 5.3.2); an
-- object without a row here lives under its deterministic href.
CREATE TABLE IF NOT EXISTS client_hrefs (
    uid         TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    href        TEXT NOT NULL,
    PRIMARY KEY (uid, calendar_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS client_hrefs_href ON client_hrefs (href);
"""

_PENDING_WRITES = """
-- Writes whose outcome in TMS is unknown (TMS did not answer); the syncer settles them first.
CREATE TABLE IF NOT EXISTS pending_writes (
    uid        TEXT PRIMARY KEY,
    ext_source TEXT NOT NULL,
    ext_key    TEXT NOT NULL,
    since      REAL NOT NULL
);
"""

_FEED_TOKENS = """
-- Feed tokens (tmscal.feeds.tokens): only each secret's SHA-256 is stored.
CREATE TABLE IF NOT EXISTS feed_tokens (
    token_id     TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    privacy      TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    created      REAL NOT NULL,
    revoked      REAL,
    replaced_by  TEXT NOT NULL DEFAULT ''
);
"""

_AWAITING_DETAILS = """
-- Conferences an import stored from its list scan only, still to be fetched in full;
-- preliminary = 1 while the stored text is the one rendered from the list (a re-import marks
-- fully stored conferences too, to refresh them). Ordered by rowid (the order marked).
CREATE TABLE IF NOT EXISTS awaiting_details (
    uid         TEXT PRIMARY KEY,
    preliminary INTEGER NOT NULL
);
"""

SCHEMA = """
-- The SQLite mirror schema. Times are POSIX seconds (UTC).
-- mirror_meta: epoch, schema version, TMS cursor, sync status and counters.
CREATE TABLE IF NOT EXISTS mirror_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS rooms (
    system_id   INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    zone        TEXT NOT NULL DEFAULT '',
    site        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT ''
);

-- One row per calendar, of kind 'room' or 'personal'. seq is the change sequence; purged_seq
-- the highest sequence of a purged tombstone (older tokens are unknown); max_span the longest
-- occurrence ever indexed (bounds range scans of the occurrence index).
CREATE TABLE IF NOT EXISTS calendars (
    calendar_id TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL DEFAULT 0,
    purged_seq  INTEGER NOT NULL DEFAULT 0,
    live_count  INTEGER NOT NULL DEFAULT 0,
    modified    REAL NOT NULL,
    max_span    INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL DEFAULT 'room'
);

-- One row per conference (series level), holding the rendered text once for all its rooms.
CREATE TABLE IF NOT EXISTS conferences (
    uid        TEXT PRIMARY KEY,
    href       TEXT NOT NULL,
    series_id  INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    room_ids   TEXT NOT NULL,
    ext_source TEXT NOT NULL DEFAULT '',
    ext_key    TEXT NOT NULL DEFAULT '',
    ical       TEXT NOT NULL,
    etag       TEXT NOT NULL,
    start_ts   INTEGER NOT NULL,
    end_ts     INTEGER NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    shape      TEXT NOT NULL DEFAULT ''
);

-- Every ConferenceId (series and occurrences) known to belong to a conference.
CREATE TABLE IF NOT EXISTS conference_ids (
    conference_id INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_ids_uid ON conference_ids (uid);

-- Membership of an object in a calendar; deleted = 1 is a tombstone. seq is the calendar's
-- sequence number of the last change to this href.
CREATE TABLE IF NOT EXISTS entries (
    calendar_id TEXT NOT NULL,
    href        TEXT NOT NULL,
    uid         TEXT NOT NULL,
    etag        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    modified    REAL NOT NULL,
    PRIMARY KEY (calendar_id, href)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_seq ON entries (calendar_id, seq);
CREATE INDEX IF NOT EXISTS entries_uid ON entries (uid);

-- The occurrence index: one row per occurrence per calendar.
CREATE TABLE IF NOT EXISTS occurrences (
    calendar_id TEXT NOT NULL,
    href        TEXT NOT NULL,
    start_ts    INTEGER NOT NULL,
    end_ts      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS occurrences_start ON occurrences (calendar_id, start_ts);
CREATE INDEX IF NOT EXISTS occurrences_href ON occurrences (calendar_id, href);

CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    expires REAL NOT NULL
);

-- The text of each live object of a personal calendar (membership is in entries); rooms are
-- the SystemIds it holds booked in TMS (a JSON array like conferences.room_ids), booking_etag
-- the etag of that conference when the object was last written.
CREATE TABLE IF NOT EXISTS personal_objects (
    calendar_id TEXT NOT NULL,
    href        TEXT NOT NULL,
    uid         TEXT NOT NULL,
    ical        TEXT NOT NULL,
    start_ts    INTEGER NOT NULL,
    end_ts      INTEGER NOT NULL,
    rooms       TEXT NOT NULL DEFAULT '[]',
    booking_etag TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, href)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS personal_objects_uid ON personal_objects (uid);

-- How each user's client shows a calendar (colour, order, a name of their own).
CREATE TABLE IF NOT EXISTS calendar_preferences (
    user        TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (user, calendar_id, name)
) WITHOUT ROWID;
""" + _CLIENT_HREFS + _PENDING_WRITES + _FEED_TOKENS + _AWAITING_DETAILS


def _calendar_kinds(db: sqlite3.Connection) -> None:
    """Version 4: each calendar's kind as data (room queries no longer read the form of an
    id), each conference's title as data (read once here from the stored texts); personal_objects
    of a database older than its ``rooms`` column get it."""
    if "kind" not in _columns(db, "calendars"):
        db.execute("ALTER TABLE calendars ADD COLUMN kind TEXT NOT NULL DEFAULT 'room'")
    db.execute("UPDATE calendars SET kind='personal' WHERE calendar_id LIKE 'user:%'")
    if "title" not in _columns(db, "conferences"):
        db.execute("ALTER TABLE conferences ADD COLUMN title TEXT NOT NULL DEFAULT ''")
        titles = [(_title_of(ical), uid) for uid, ical in
                  db.execute("SELECT uid, ical FROM conferences").fetchall()]
        db.executemany("UPDATE conferences SET title=? WHERE uid=?", titles)
    if "rooms" not in _columns(db, "personal_objects"):
        db.execute("ALTER TABLE personal_objects ADD COLUMN rooms TEXT NOT NULL DEFAULT '[]'")


def _series_shapes(db: sqlite3.Connection) -> None:
    """Version 5: each series' shape as data (``conferences.shape``, JSON of
    :class:`tmscal.ical.shape.SeriesShape`). Rows stored before it keep '' (not known) until
    their next change; the write path then sends an override as a change of the whole series."""
    if "shape" not in _columns(db, "conferences"):
        db.execute("ALTER TABLE conferences ADD COLUMN shape TEXT NOT NULL DEFAULT ''")


def _booking_etags(db: sqlite3.Connection) -> None:
    """Version 6: each personal object remembers the etag of the conference it booked (its
    meeting follows changes TMS made to the booking's text, not only to its rooms)."""
    if "booking_etag" not in _columns(db, "personal_objects"):
        db.execute("ALTER TABLE personal_objects ADD COLUMN booking_etag TEXT NOT NULL "
                   "DEFAULT ''")


def _title_of(ical: str) -> str:
    """The SUMMARY of the master VEVENT of a stored text ('' when there is none), read as
    text (a whole parse would take minutes on a large mirror)."""
    from tmscal.ical.calendar_text import master_text

    return master_text(ical, "SUMMARY")


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    # 2 (client_hrefs) and 3 (pending_writes) only added tables, which SCHEMA creates; so does
    # feed_tokens, created by the feeds before the schema held it
    4: _calendar_kinds,
    5: _series_shapes,
    6: _booking_etags,
}


def apply_schema(db: sqlite3.Connection) -> None:
    """Create or migrate the schema of ``db`` (in autocommit mode) to :data:`SCHEMA_VERSION`;
    the migration is one ``BEGIN IMMEDIATE`` transaction, so processes opening the same old file
    at once migrate it once."""
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT value FROM mirror_meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else SCHEMA_VERSION
        for step in range(version + 1, SCHEMA_VERSION + 1):
            if step in MIGRATIONS:
                MIGRATIONS[step](db)
        db.execute("INSERT INTO mirror_meta VALUES ('schema_version', ?) ON CONFLICT(key) "
                   "DO UPDATE SET value=excluded.value", (str(max(version, SCHEMA_VERSION)),))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
