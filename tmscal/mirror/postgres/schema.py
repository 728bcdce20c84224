"""The PostgreSQL mirror schema and its migrations, applied when a store opens.

The tables and columns are the SQLite mirror's (:mod:`tmscal.mirror.sqlite.schema`), so
``tmscal mirror copy`` moves rows one to one, and versions count alike: ``SCHEMA`` creates
version :data:`SCHEMA_VERSION` in an empty database, ``MIGRATIONS[n]`` brings version ``n - 1``
to ``n`` (PostgreSQL's history starts at version 4). Keys and hrefs use the ``C`` collation:
the same order as SQLite's, whatever the database's locale. Times are POSIX seconds (double
precision).

Several nodes may start at once: :func:`apply_schema` holds a session advisory lock
(:data:`MIGRATION_LOCK`) while it creates or migrates, so one process migrates and the others
wait, then find the current version.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

#: The first version of this back end's schema; older databases are SQLite only.
FIRST_VERSION = 4
SCHEMA_VERSION = 6

#: Advisory lock (one bigint key) held while the schema is created or migrated.
MIGRATION_LOCK = 7300

SCHEMA = """
CREATE TABLE IF NOT EXISTS mirror_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE IF NOT EXISTS rooms (
    system_id   bigint PRIMARY KEY,
    name        text NOT NULL,
    zone        text NOT NULL DEFAULT '',
    site        text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    address     text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS calendars (
    calendar_id text COLLATE "C" PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT 0,
    purged_seq  bigint NOT NULL DEFAULT 0,
    live_count  bigint NOT NULL DEFAULT 0,
    modified    double precision NOT NULL,
    max_span    bigint NOT NULL DEFAULT 0,
    kind        text NOT NULL DEFAULT 'room'
);

CREATE TABLE IF NOT EXISTS conferences (
    uid        text COLLATE "C" PRIMARY KEY,
    href       text COLLATE "C" NOT NULL,
    series_id  bigint NOT NULL,
    version    bigint NOT NULL DEFAULT 0,
    room_ids   text NOT NULL,
    ext_source text NOT NULL DEFAULT '',
    ext_key    text NOT NULL DEFAULT '',
    ical       text NOT NULL,
    etag       text NOT NULL,
    start_ts   bigint NOT NULL,
    end_ts     bigint NOT NULL,
    title      text NOT NULL DEFAULT '',
    shape      text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS conference_ids (
    conference_id bigint PRIMARY KEY,
    uid           text COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_ids_uid ON conference_ids (uid);

CREATE TABLE IF NOT EXISTS entries (
    calendar_id text COLLATE "C" NOT NULL,
    href        text COLLATE "C" NOT NULL,
    uid         text COLLATE "C" NOT NULL,
    etag        text NOT NULL,
    seq         bigint NOT NULL,
    deleted     integer NOT NULL DEFAULT 0,
    modified    double precision NOT NULL,
    PRIMARY KEY (calendar_id, href)
);
CREATE INDEX IF NOT EXISTS entries_seq ON entries (calendar_id, seq);
CREATE INDEX IF NOT EXISTS entries_uid ON entries (uid);

CREATE TABLE IF NOT EXISTS occurrences (
    calendar_id text COLLATE "C" NOT NULL,
    href        text COLLATE "C" NOT NULL,
    start_ts    bigint NOT NULL,
    end_ts      bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS occurrences_start ON occurrences (calendar_id, start_ts);
CREATE INDEX IF NOT EXISTS occurrences_href ON occurrences (calendar_id, href);

CREATE TABLE IF NOT EXISTS leases (
    name    text COLLATE "C" PRIMARY KEY,
    owner   text NOT NULL,
    expires double precision NOT NULL
);

CREATE TABLE IF NOT EXISTS personal_objects (
    calendar_id text COLLATE "C" NOT NULL,
    href        text COLLATE "C" NOT NULL,
    uid         text COLLATE "C" NOT NULL,
    ical        text NOT NULL,
    start_ts    bigint NOT NULL,
    end_ts      bigint NOT NULL,
    rooms       text NOT NULL DEFAULT '[]',
    booking_etag text NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, href)
);
CREATE INDEX IF NOT EXISTS personal_objects_uid ON personal_objects (uid);

CREATE TABLE IF NOT EXISTS calendar_preferences (
    "user"      text COLLATE "C" NOT NULL,
    calendar_id text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    value       text NOT NULL,
    PRIMARY KEY ("user", calendar_id, name)
);

CREATE TABLE IF NOT EXISTS client_hrefs (
    uid         text COLLATE "C" NOT NULL,
    calendar_id text COLLATE "C" NOT NULL,
    href        text COLLATE "C" NOT NULL,
    PRIMARY KEY (uid, calendar_id)
);
CREATE INDEX IF NOT EXISTS client_hrefs_href ON client_hrefs (href);

CREATE TABLE IF NOT EXISTS pending_writes (
    uid        text COLLATE "C" PRIMARY KEY,
    ext_source text NOT NULL,
    ext_key    text NOT NULL,
    since      double precision NOT NULL
);

CREATE TABLE IF NOT EXISTS feed_tokens (
    token_id     text COLLATE "C" PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    scope        text NOT NULL,
    target       text NOT NULL DEFAULT '',
    privacy      text NOT NULL,
    label        text NOT NULL DEFAULT '',
    created      double precision NOT NULL,
    revoked      double precision,
    replaced_by  text NOT NULL DEFAULT ''
);

-- Conferences an import stored from its list scan only, still to be fetched in full;
-- preliminary = 1 while the stored text is the one rendered from the list. Ordered by marked.
CREATE TABLE IF NOT EXISTS awaiting_details (
    uid         text COLLATE "C" PRIMARY KEY,
    preliminary integer NOT NULL,
    marked      bigint GENERATED BY DEFAULT AS IDENTITY
);
"""

def _series_shapes(db: psycopg.Connection) -> None:
    """Version 5: each series' shape as data (as :mod:`tmscal.mirror.sqlite.schema` says)."""
    db.execute("ALTER TABLE conferences ADD COLUMN IF NOT EXISTS shape text NOT NULL DEFAULT ''")


def _booking_etags(db: psycopg.Connection) -> None:
    """Version 6: each personal object remembers the ETag of the conference it booked."""
    db.execute("ALTER TABLE personal_objects ADD COLUMN IF NOT EXISTS booking_etag text "
               "NOT NULL DEFAULT ''")


MIGRATIONS: dict[int, Callable[[psycopg.Connection], None]] = {
    5: _series_shapes,
    6: _booking_etags,
}


def schema_version(db: psycopg.Connection) -> int | None:
    """The version recorded in the database (None: no mirror there yet)."""
    exists = db.execute("SELECT to_regclass('mirror_meta')").fetchone()[0]
    if exists is None:
        return None
    row = db.execute("SELECT value FROM mirror_meta WHERE key='schema_version'").fetchone()
    return None if row is None else int(row[0])


def apply_schema(db: psycopg.Connection) -> None:
    """Create or migrate the schema (``db`` in autocommit mode, its own connection) to
    :data:`SCHEMA_VERSION`, one transaction, under :data:`MIGRATION_LOCK`."""
    db.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        with db.transaction():
            version = schema_version(db)
            if version is not None and version > SCHEMA_VERSION:
                raise RuntimeError(f"the mirror's schema is version {version}, newer than this "
                                   f"tmscal ({SCHEMA_VERSION}): upgrade tmscal")
            if version is None:
                db.execute(SCHEMA)
            else:
                for step in range(max(version, FIRST_VERSION) + 1, SCHEMA_VERSION + 1):
                    MIGRATIONS[step](db)
            db.execute("INSERT INTO mirror_meta VALUES ('schema_version', %s) ON CONFLICT (key) "
                       "DO UPDATE SET value=excluded.value", (str(SCHEMA_VERSION),))
    finally:
        db.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
