"""A whole mirror copied from one database into another (``tmscal mirror copy``): every table,
row for row, so the target serves the same ETags, ctags and sync tokens (the epoch is copied
too), cursor, lease, pending writes, personal calendars, preferences and feed tokens.

The source is read in one snapshot; the target is written in one transaction (all or
nothing). A target that holds anything is refused unless ``replace`` is given, which empties it
first. Both ends must be at the same schema version (opening a store migrates it).
"""

from __future__ import annotations

from collections.abc import Iterable

from tmscal.mirror import open_tables
from tmscal.mirror.store import MirrorStore

#: Every table of the mirror (the same in every back end), parents before children.
TABLES = ("mirror_meta", "rooms", "calendars", "conferences", "conference_ids", "entries",
          "occurrences", "leases", "personal_objects", "calendar_preferences", "client_hrefs",
          "pending_writes", "feed_tokens", "awaiting_details")

#: Tables whose columns differ between back ends: the columns copied.
_COLUMNS = {"awaiting_details": "uid, preliminary"}

#: Rows of ``mirror_meta`` that belong to the database, not to the mirror's content.
_OWN_META = ("schema_version",)

_BATCH = 2000


class TargetNotEmpty(Exception):
    """The target mirror holds data (copy with ``replace`` to overwrite it)."""


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _holds_data(db) -> list[str]:
    """The tables of the target that hold anything of a mirror."""
    found = []
    for table in TABLES:
        where = " WHERE key NOT IN ('schema_version', 'epoch')" if table == "mirror_meta" else ""
        if db.execute(f"SELECT 1 FROM {table}{where} LIMIT 1").fetchone() is not None:
            found.append(table)
    return found


def copy_mirror(source: MirrorStore, target: MirrorStore, *,
                replace: bool = False) -> dict[str, int]:
    """Copy every row of ``source`` into ``target``; the number of rows per table. Raises
    :class:`TargetNotEmpty` (nothing written) when the target holds data and not ``replace``."""
    reading, writing = open_tables(source), open_tables(target)
    mark = writing.placeholder
    counts: dict[str, int] = {}
    with reading.read() as src, writing.write() as dst:
        occupied = _holds_data(dst)
        if occupied and not replace:
            raise TargetNotEmpty(f"the target mirror holds data ({', '.join(occupied)}); "
                                 "copy with --force to replace it")
        for table in reversed(TABLES):
            dst.execute(f"DELETE FROM {table}" + (
                " WHERE key NOT IN ('schema_version')" if table == "mirror_meta" else ""))
        for table in TABLES:
            rows = src.execute(f"SELECT {_COLUMNS.get(table, '*')} FROM {table}")
            columns = [column[0] for column in rows.description]
            insert = (f"INSERT INTO {table} ({_quoted(columns)}) VALUES "
                      f"({', '.join([mark] * len(columns))})")
            if table == "mirror_meta":
                insert += " ON CONFLICT (key) DO NOTHING"
            counts[table] = 0
            while batch := rows.fetchmany(_BATCH):
                if table == "mirror_meta":
                    batch = [row for row in batch if row[0] not in _OWN_META]
                _insert_many(dst, insert, batch)
                counts[table] += len(batch)
    return counts


def _insert_many(db, statement: str, rows: list) -> None:
    """``executemany`` on a connection of either driver (psycopg's is on cursors)."""
    if hasattr(db, "executemany"):
        db.executemany(statement, rows)
    else:
        with db.cursor() as cursor:
            cursor.executemany(statement, rows)
