"""The room mirror: what TMS's bookings look like as calendars.

Rooms, one calendar object per conference (at series level) in every room calendar the
conference books, the occurrence index, the change sequence with tombstones of each calendar
(sync tokens) and the hrefs clients chose. Readers (the Radicale plugin, the feeds) never talk
to TMS; they ask this interface, and every question is answered from an index, never by
scanning a calendar. The calendar-level reads (:meth:`RoomMirror.calendar_state`,
:meth:`~RoomMirror.list_hrefs`, :meth:`~RoomMirror.changes_since`, :meth:`~RoomMirror.has_uid`)
answer for personal calendars (:mod:`tmscal.mirror.personal`) too: both kinds share one change
sequence machinery; every other method sees room calendars only.

Consistency
    Every write is one transaction: a crash leaves the previous consistent state. Storing a
    record whose text (apart from its stamps) and rooms did not change is a no-op (no sequence
    bump), so applying the same TMS change twice is harmless. A conference's version never
    steps back: a record older than the stored one (a fetch that raced a newer write) is not
    stored.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from tmscal.mirror.calendar_objects import CalendarObjects
from tmscal.mirror.objects import (
    CalendarState,
    ChangeSet,
    ConferenceRecord,
    ConferenceRef,
    Occurrence,
    Room,
    StoredObject,
    StoreOutcome,
)


class RoomMirror(CalendarObjects):
    """Rooms, their calendars and the conferences in them. Thread-safe."""

    # ---- rooms -------------------------------------------------------------------------------

    @abstractmethod
    def list_rooms(self) -> list[Room]:
        """All rooms, ordered by SystemId."""

    @abstractmethod
    def get_room(self, system_id: int) -> Room | None:
        """One room, or None."""

    @abstractmethod
    def site_names(self) -> list[str]:
        """The distinct sites of the rooms, sorted by code point ('' for rooms without one);
        one small query, read per request where every node must answer alike."""

    @abstractmethod
    def replace_rooms(self, rooms: Iterable[Room]) -> list[int]:
        """Make the room list exactly ``rooms``; return the SystemIds removed.

        A new room gets an empty calendar; a changed room bumps its calendar's sequence; a
        removed room's calendar disappears with its objects (conferences elsewhere stay).
        """

    # ---- calendars ---------------------------------------------------------------------------

    @abstractmethod
    def calendar_state(self, calendar_id: str) -> CalendarState:
        """ctag, sync token, last-modified and object count. Raises
        :class:`~tmscal.mirror.objects.UnknownCalendar`."""

    @abstractmethod
    def list_hrefs(self, calendar_id: str) -> list[tuple[str, str]]:
        """``(href, etag)`` of every live object, sorted by href."""

    @abstractmethod
    def occurrences_in_range(self, calendar_id: str, start_utc: datetime,
                             end_utc: datetime) -> list[Occurrence]:
        """The occurrences overlapping ``[start_utc, end_utc)`` (zero-length ones starting
        inside count), sorted by start then href. Answered from the occurrence index, no text
        read. Raises :class:`~tmscal.mirror.objects.UnknownCalendar`."""

    @abstractmethod
    def changes_since(self, calendar_id: str, token: str) -> ChangeSet:
        """Hrefs changed and deleted since ``token`` (``""`` = everything live now).

        Raises :class:`~tmscal.mirror.objects.UnknownSyncToken` and
        :class:`~tmscal.mirror.objects.UnknownCalendar`. O(changes).
        """

    @abstractmethod
    def object_for_uid(self, calendar_id: str, uid: str) -> StoredObject | None:
        """The live object with this UID in a room calendar (under whichever href), or None."""

    @abstractmethod
    def remember_href(self, calendar_id: str, uid: str, href: str) -> None:
        """File the object ``uid`` of room calendar ``calendar_id`` under the client's ``href``
        from its next store on (a live object under another href moves: tombstone + new);
        the deterministic href forgets the choice. The other calendars are not affected."""

    @abstractmethod
    def drop_unused_href(self, calendar_id: str, uid: str) -> None:
        """Forget the client's href of ``uid`` in ``calendar_id`` unless a live object is
        filed under it (a write TMS refused, or one that stored nothing)."""

    # ---- conferences -------------------------------------------------------------------------

    @abstractmethod
    def find_by_uid(self, uid: str) -> ConferenceRef | None:
        """The mirrored conference with this UID (any calendar), or None."""

    @abstractmethod
    def find_by_conference_id(self, conference_id: int) -> ConferenceRef | None:
        """The conference that a series or occurrence ConferenceId belongs to, or None."""

    @abstractmethod
    def iter_conference_refs(self) -> Iterator[ConferenceRef]:
        """Every live conference, for reconciliation."""

    @abstractmethod
    def store_conference(self, record: ConferenceRecord) -> StoreOutcome:
        """Insert or replace the conference with ``record.uid``, in one transaction; a record
        whose version is below the stored one changes nothing (versions never step back).

        The object is written to every room calendar in ``record.room_ids`` that exists (under
        the href a client chose there, else the deterministic one; when another UID holds that
        href, under :func:`~tmscal.mirror.objects.hashed_href`) and tombstoned in calendars
        that held it but are no longer listed. Calendars whose object text is unchanged are left
        alone (no sequence bump). ``record.ical`` becomes the text stored, stamped as
        :mod:`tmscal.mirror.objects` says. Used by the syncer and by the write path right after
        TMS answered a save (read-your-writes).

        A ``record.preliminary`` one marks the conference as awaiting its details
        (:meth:`~tmscal.mirror.sync_state.SyncState.awaiting_details`) and replaces only a
        preliminary text or an older version: a full text of the same or a newer version stays
        (no sequence bump). A full record settles the mark, also when refused as older;
        :meth:`remove_conference` does too.
        """

    @abstractmethod
    def store_conferences(self, records: Sequence[ConferenceRecord]) -> list[StoreOutcome]:
        """:meth:`store_conference` for many records in one transaction (bulk import)."""

    @abstractmethod
    def remove_conference(self, uid: str) -> StoreOutcome:
        """Tombstone the conference in every calendar and forget its ConferenceIds. Removing
        an unknown UID is a no-op."""

    @abstractmethod
    def forget_conference_id(self, conference_id: int) -> None:
        """Drop one ConferenceId → UID mapping (an occurrence TMS deleted or re-numbered)."""

    # ---- tombstones ---------------------------------------------------------------------------

    @abstractmethod
    def purge_tombstones(self, older_than: datetime) -> int:
        """Drop tombstones older than ``older_than``; tokens from before them become unknown.
        Returns the number purged."""
