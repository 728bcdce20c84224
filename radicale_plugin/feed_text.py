"""The text of a whole room calendar (GET of the collection), built from stored texts.

Assembled by :class:`tmscal.ical.calendar_text.CalendarAssembly` (the components of every
object, one VTIMEZONE per TZID covering every object that uses it) with ``X-WR-CALNAME``/
``X-WR-CALDESC``. Never parses the texts; results are cached per calendar and ctag, so an
unchanged calendar is served without touching the objects again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from tmscal.ical.calendar_text import CalendarAssembly
from tmscal.ical.content_lines import escape_text
from tmscal.mirror.store import StoredObject

_CACHE_SIZE = 32


def render_calendar(objects: Iterable[StoredObject], name: str, description: str) -> str:
    """One VCALENDAR holding the components of every object in ``objects``."""
    calendar = CalendarAssembly()
    for stored in objects:
        calendar.add_object(stored.ical, stored.start_utc, stored.end_utc)
    head = ["VERSION:2.0", "PRODID:-//tmscal//room calendar//EN"]
    if name:
        head.append("X-WR-CALNAME:" + escape_text(name))
    if description:
        head.append("X-WR-CALDESC:" + escape_text(description))
    return calendar.text(head)


class CalendarTextCache:
    """Process-wide LRU of rendered calendars, keyed by
    ``(calendar id, ctag, name, description)``."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> str | None:
        with self._lock:
            text = self._entries.get(key)
            if text is not None:
                self._entries.move_to_end(key)
            return text

    def put(self, key: tuple[str, ...], text: str) -> None:
        with self._lock:
            self._entries[key] = text
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
