"""Personal calendars (``user:<name>/<calendar>``) and each user's calendar preferences.

A personal object is stored as its owner wrote it (plus what the invitation path wrote back
into it), so it survives restarts. Its membership, ETag, change sequence and tombstones are the
mirror's own: the ctag, sync token, ``changes_since``, ``list_hrefs`` and ``has_uid`` of
:class:`~tmscal.mirror.rooms.RoomMirror` answer for personal calendars exactly as for room
calendars, and a room calendar's writes never touch a personal object with the same UID.

An object's ``rooms`` are the rooms (SystemIds) it holds booked in TMS: non-empty only for the
meeting that booked them (the organizer's copy; another user's copy of it, same UID, is a plain
object). The object also remembers the mirrored conference's ETag when it was last written;
comparing rooms and ETag with the mirrored conference tells when TMS changed the booking
afterwards (:meth:`PersonalCalendars.drifted_objects`).

Each object is indexed by one enclosing range ``[start, end)`` (all its occurrences), so a
time-range query returns a superset that the caller re-filters.

Preferences (:class:`CalendarPreferences`) are how each user's client shows a calendar
(colour, order, a name of their own), set with PROPPATCH (Apple Calendar and Thunderbird set
``calendar-color`` and ``calendar-order``). They belong to the user, not to the calendar: one
user's colour never shows in another user's client, and nothing of them reaches TMS.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

from tmscal.mirror.calendar_objects import CalendarObjects
from tmscal.mirror.objects import PERSONAL_PREFIX, CalendarState, StoredObject


def check_personal(calendar_id: str) -> None:
    """Raise ``ValueError`` unless ``calendar_id`` is a personal calendar id."""
    if not calendar_id.startswith(PERSONAL_PREFIX):
        raise ValueError(f"{calendar_id!r} is not a personal calendar id")


class PersonalCalendars(CalendarObjects):
    """The personal calendars of one mirror. Thread-safe; every write is one transaction."""

    @abstractmethod
    def ensure(self, calendar_id: str) -> CalendarState:
        """Create the (empty) calendar if it does not exist; return its state."""

    # ---- reads -------------------------------------------------------------------------------

    @abstractmethod
    def booked(self, calendar_id: str, href: str) -> bool:
        """Whether the live object at ``href`` holds rooms booked in TMS."""

    @abstractmethod
    def booked_elsewhere(self, calendar_id: str, uid: str) -> str | None:
        """The other personal calendar whose object with ``uid`` booked rooms, or None."""

    @abstractmethod
    def drifted_objects(self, calendar_id: str
                        ) -> list[tuple[StoredObject, list[int], list[int] | None]]:
        """``(object, rooms it holds, rooms of the mirrored conference or None when it is
        gone)`` for every object holding rooms whose mirrored conference no longer has those
        rooms or changed (another ETag) since the object was last written (one indexed query;
        usually empty)."""

    # ---- writes ------------------------------------------------------------------------------

    @abstractmethod
    def put(self, calendar_id: str, href: str, uid: str, ical: str,
            time_range: tuple[int, int], rooms: Iterable[int] = ()) -> StoredObject:
        """Store ``ical`` at ``href`` (create or replace) and bump the calendar's sequence;
        storing the same text again is a no-op. ``time_range`` encloses all occurrences (POSIX
        seconds, clamped to years 1..9999); ``rooms`` are the rooms it holds booked in TMS (it
        then remembers the ETag of the mirrored conference with its UID)."""

    @abstractmethod
    def replace_if_unchanged(self, calendar_id: str, href: str, etag: str, ical: str,
                             rooms: Iterable[int],
                             time_range: tuple[int, int] | None = None) -> bool:
        """Replace the text and rooms of the object at ``href`` (and its time range, when
        given) only while its ETag is still ``etag``; False when it changed meanwhile or is
        gone (nothing written). It remembers the mirrored conference's ETag as :meth:`put`
        does. The same text changes no ETag and no sync token."""

    @abstractmethod
    def delete(self, calendar_id: str, href: str) -> bool:
        """Tombstone the object at ``href``; False when there was none."""


class CalendarPreferences(ABC):
    """Per-user WebDAV properties of calendars (see the module docstring). Thread-safe."""

    @abstractmethod
    def get(self, user: str, calendar_id: str) -> dict[str, str]:
        """``{property: value}`` that ``user`` set on ``calendar_id`` (empty when none)."""

    @abstractmethod
    def replace(self, user: str, calendar_id: str, values: Mapping[str, str]) -> None:
        """Make ``values`` the whole set ``user`` has on ``calendar_id`` (one transaction)."""
