"""The local mirror of TMS: the store (:mod:`tmscal.mirror.store`) and the syncer."""

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
    from tmscal.mirror.sqlite_store import open_sqlite_store

    return open_sqlite_store(database)


__all__ = [
    "CalendarState", "ChangeSet", "ConferenceRecord", "ConferenceRef", "MirrorStore", "Room",
    "StoredObject", "StoreOutcome", "SyncStatus", "UnknownCalendar", "UnknownSyncToken",
    "href_for_uid", "open_store", "personal_calendar_id", "room_calendar_id",
]
