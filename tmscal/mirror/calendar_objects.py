"""The reads every mirrored calendar answers, room or personal (one contract, two stores)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime

from tmscal.mirror.objects import StoredObject


class CalendarObjects(ABC):
    """Live objects of a calendar, by href, in full, by time range and by UID."""

    @abstractmethod
    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        """The live objects among ``hrefs`` (unknown or deleted hrefs are left out), one query."""

    @abstractmethod
    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        """Every live object of the calendar (for a whole-calendar GET), sorted by href, read
        a page at a time: a caller streaming a calendar of any size holds one page."""

    @abstractmethod
    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        """Objects that may overlap ``[start_utc, end_utc)`` (None: unbounded): a room
        calendar answers by occurrence, exactly; a personal one by each object's enclosing
        range, a superset the caller re-filters."""

    @abstractmethod
    def has_uid(self, calendar_id: str, uid: str) -> bool:
        """Whether a live object with this UID is in the calendar (at any href)."""
