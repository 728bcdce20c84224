"""The local mirror of TMS: its interfaces by concern (:mod:`tmscal.mirror.rooms`,
:mod:`tmscal.mirror.personal`, :mod:`tmscal.mirror.sync_state`, together
:class:`~tmscal.mirror.store.MirrorStore`), the back ends behind them (:mod:`tmscal.mirror.sqlite`)
and the syncer. :func:`open_store`, :func:`open_personal` and :func:`open_preferences` are the
entry points; they are the only code that names a back end."""

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


def open_store(database: str) -> MirrorStore:
    """The process-wide store for a database setting (today: a SQLite file path)."""
    from tmscal.mirror.sqlite.rooms import open_sqlite_store

    return open_sqlite_store(database)


def open_personal(store: MirrorStore) -> PersonalCalendars:
    """The process-wide personal calendars kept in ``store``'s database."""
    from tmscal.mirror.sqlite.personal import open_sqlite_personal

    return open_sqlite_personal(store)


def open_preferences(store: MirrorStore) -> CalendarPreferences:
    """The process-wide per-user calendar preferences kept in ``store``'s database."""
    from tmscal.mirror.sqlite.preferences import open_sqlite_preferences

    return open_sqlite_preferences(store)


__all__ = [
    "CalendarPreferences", "CalendarState", "ChangeSet", "ConferenceRecord", "ConferenceRef",
    "MirrorStore", "PersonalCalendars", "Room", "StoredObject", "StoreOutcome", "SyncStatus",
    "UnknownCalendar", "UnknownSyncToken", "href_for_uid", "open_personal", "open_preferences",
    "open_store", "personal_calendar_id", "room_calendar_id",
]
