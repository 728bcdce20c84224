"""Occurrences of a room calendar in a time range, from the mirror's occurrence index
(:meth:`~tmscal.mirror.rooms.RoomMirror.occurrences_in_range`): expanded feeds and display
pages show occurrences, not whole objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from os import PathLike

from tmscal.mirror import UnknownCalendar, open_store
from tmscal.settings.mirror import MirrorSettings


@dataclass(frozen=True, order=True)
class OccurrenceSpan:
    """One occurrence of the object ``href`` in a room calendar, in UTC."""

    start: datetime
    end: datetime
    href: str


class OccurrenceIndex:
    """The occurrence index of the mirror ``database`` names (its process-wide store)."""

    def __init__(self, database: str | PathLike[str] | MirrorSettings) -> None:
        self.store = open_store(database)

    def spans(self, calendar_id: str, start: datetime, end: datetime) -> list[OccurrenceSpan]:
        """Occurrences overlapping ``[start, end)`` (zero-length ones starting inside count),
        sorted by start. Empty for an unknown calendar."""
        try:
            found = self.store.occurrences_in_range(calendar_id, start, end)
        except UnknownCalendar:
            return []
        return [OccurrenceSpan(o.start_utc, o.end_utc, o.href) for o in found]
