"""The SQLite mirror schema (version 1), applied idempotently when a store opens."""

SCHEMA_VERSION = 1

SCHEMA = """
-- The SQLite mirror schema (version 1). Times are POSIX seconds (UTC).
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

-- One row per calendar (room or, later, personal). seq is the change sequence; purged_seq the
-- highest sequence of a purged tombstone (older tokens are unknown); max_span the longest
-- occurrence ever indexed (bounds range scans of the occurrence index).
CREATE TABLE IF NOT EXISTS calendars (
    calendar_id TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL DEFAULT 0,
    purged_seq  INTEGER NOT NULL DEFAULT 0,
    live_count  INTEGER NOT NULL DEFAULT 0,
    modified    REAL NOT NULL,
    max_span    INTEGER NOT NULL DEFAULT 0
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
    end_ts     INTEGER NOT NULL
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
"""
