"""The local mirror of TMS: its interfaces by concern (:mod:`tmscal.mirror.rooms`,
:mod:`tmscal.mirror.personal`, :mod:`tmscal.mirror.sync_state`, together
:class:`~tmscal.mirror.store.MirrorStore`), the back ends behind them (:mod:`tmscal.mirror.sqlite`,
:mod:`tmscal.mirror.postgres`) and the syncer. :func:`open_store`, :func:`open_personal`,
:func:`open_preferences` and :func:`open_tables` are the entry points; they are the only code
that names a back end. A database is named by the ``[mirror]`` settings, a
``postgresql://`` URL or a SQLite file path.
"""

from __future__ import annotations

from os import PathLike, fspath

from tmscal.mirror.objects import MirrorUnavailable
from tmscal.mirror.personal import CalendarPreferences, PersonalCalendars
from tmscal.mirror.store import (
    CalendarState,
    ChangeSet,
    ConferenceRecord,
    ConferenceRef,
    MirrorStore,
    Room,
    StoredObject,
    StoreOutcome,
    SyncStatus,
    UnknownCalendar,
    UnknownSyncToken,
    href_for_uid,
    personal_calendar_id,
    room_calendar_id,
)
from tmscal.mirror.tables import SqlTables
from tmscal.settings.mirror import POSTGRES_SCHEMES, MirrorSettings


def _postgres(database: str | MirrorSettings) -> tuple[str, str] | None:
    """``(url, password)`` when ``database`` names a PostgreSQL mirror, else None."""
    if isinstance(database, MirrorSettings):
        return (database.url, database.password) if database.url else None
    return (database, "") if database.startswith(POSTGRES_SCHEMES) else None


def open_store(database: str | PathLike[str] | MirrorSettings, *,
               shared: bool = True) -> MirrorStore:
    """The process-wide store of ``database`` (the ``[mirror]`` settings, a PostgreSQL URL or
    a SQLite path), or with ``shared=False`` an instance of the caller's own (to close).
    Raises :class:`MirrorUnavailable` when its server cannot be reached."""
    if not isinstance(database, MirrorSettings):
        database = fspath(database)
    postgres = _postgres(database)
    if postgres is not None:
        from tmscal.mirror.postgres.rooms import PostgresMirrorStore, open_postgres_store

        return open_postgres_store(*postgres) if shared else PostgresMirrorStore(*postgres)
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore, open_sqlite_store

    path = database.path if isinstance(database, MirrorSettings) else database
    return open_sqlite_store(path) if shared else SqliteMirrorStore(path)


def open_personal(store: MirrorStore) -> PersonalCalendars:
    """The process-wide personal calendars kept in ``store``'s database."""
    if _is_sqlite(store):
        from tmscal.mirror.sqlite.personal import open_sqlite_personal

        return open_sqlite_personal(store)
    from tmscal.mirror.postgres.personal import open_postgres_personal

    return open_postgres_personal(store)


def open_preferences(store: MirrorStore) -> CalendarPreferences:
    """The process-wide per-user calendar preferences kept in ``store``'s database."""
    if _is_sqlite(store):
        from tmscal.mirror.sqlite.preferences import open_sqlite_preferences

        return open_sqlite_preferences(store)
    from tmscal.mirror.postgres.preferences import open_postgres_preferences

    return open_postgres_preferences(store)


def open_tables(store: MirrorStore) -> SqlTables:
    """The SQL connections of ``store``'s database, for tables other packages keep beside the
    mirror's (the feed tokens): ``write()``/``read()`` transactions and the ``placeholder``."""
    return store.file if _is_sqlite(store) else store.database


def _is_sqlite(store: MirrorStore) -> bool:
    """Whether ``store`` is the SQLite back end's (asked without importing psycopg, which
    only a PostgreSQL installation needs)."""
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore

    return isinstance(store, SqliteMirrorStore)


__all__ = [
    "CalendarPreferences", "CalendarState", "ChangeSet", "ConferenceRecord", "ConferenceRef",
    "MirrorStore", "MirrorUnavailable", "PersonalCalendars", "Room", "SqlTables",
    "StoredObject", "StoreOutcome", "SyncStatus",
    "UnknownCalendar", "UnknownSyncToken", "href_for_uid", "open_personal", "open_preferences",
    "open_store", "open_tables", "personal_calendar_id", "room_calendar_id",
]
