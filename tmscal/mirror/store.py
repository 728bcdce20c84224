"""The mirror store: the one interface the sync and write paths hold for the local mirror.

:class:`MirrorStore` is the room mirror (:mod:`tmscal.mirror.rooms`) plus the syncer's state
(:mod:`tmscal.mirror.sync_state`); a back end implements both over one database, and
:mod:`tmscal.mirror.personal` beside them. The records and identifiers it speaks are those of
:mod:`tmscal.mirror.objects`, re-exported here for the callers of the store. Back ends:
:mod:`tmscal.mirror.sqlite` and :mod:`tmscal.mirror.postgres`;
``tests/test_mirror_contract.py`` is the contract every back end passes.
"""

from __future__ import annotations

from abc import abstractmethod

from tmscal.mirror.objects import (
    CalendarState,
    ChangeSet,
    ConferenceRecord,
    ConferenceRef,
    ImportProgress,
    PendingWrite,
    Room,
    StoreOutcome,
    StoredObject,
    SyncStatus,
    UnknownCalendar,
    UnknownSyncToken,
    client_href_allowed,
    etag_for_text,
    hashed_href,
    href_for_uid,
    personal_calendar_id,
    room_calendar_id,
)
from tmscal.mirror.rooms import RoomMirror
from tmscal.mirror.sync_state import SyncState


class MirrorStore(RoomMirror, SyncState):
    """The mirror. One instance per process and database; every method is thread-safe."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection this instance opened."""


__all__ = [
    "CalendarState",
    "ChangeSet",
    "ConferenceRecord",
    "ConferenceRef",
    "ImportProgress",
    "MirrorStore",
    "PendingWrite",
    "Room",
    "StoreOutcome",
    "StoredObject",
    "SyncStatus",
    "UnknownCalendar",
    "UnknownSyncToken",
    "client_href_allowed",
    "etag_for_text",
    "hashed_href",
    "href_for_uid",
    "personal_calendar_id",
    "room_calendar_id",
]
