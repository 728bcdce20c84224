"""The text of a whole room calendar (GET of the collection), built from stored texts.

Concatenates the components of every object, keeps one VTIMEZONE per TZID (generated to cover
every object that uses it, :mod:`tmscal.ical.calendar_zones`), and wraps them in a VCALENDAR
with ``X-WR-CALNAME``/``X-WR-CALDESC``. Never parses the texts; results are cached per calendar
and ctag, so an unchanged calendar is served without touching the objects again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from tmscal.ical.calendar_zones import MergedZones
from tmscal.mirror.store import StoredObject

_CACHE_SIZE = 32


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _components(text: str) -> str:
    """The components of one VCALENDAR text other than its VTIMEZONEs."""
    begin = text.find("\r\nBEGIN:V", text.find("BEGIN:VCALENDAR") + 15)
    end = text.rfind("END:VCALENDAR")
    if begin < 0 or end < 0:
        return ""
    body = text[begin + 2:end]
    while body.startswith("BEGIN:VTIMEZONE"):
        stop = body.find("END:VTIMEZONE\r\n")
        if stop < 0:
            break
        body = body[stop + len("END:VTIMEZONE\r\n"):]
    return body


def render_calendar(objects: Iterable[StoredObject], name: str, description: str) -> str:
    """One VCALENDAR holding the components of every object in ``objects``."""
    zones = MergedZones()
    bodies: list[str] = []
    for stored in objects:
        zones.add(stored.ical, stored.start_utc, stored.end_utc)
        bodies.append(_components(stored.ical))
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tmscal//room calendar//EN"]
    if name:
        head.append("X-WR-CALNAME:" + _escape(name))
    if description:
        head.append("X-WR-CALDESC:" + _escape(description))
    return ("\r\n".join(head) + "\r\n" + zones.text() + "".join(bodies)
            + "END:VCALENDAR\r\n")


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
