"""The text of a whole room calendar (GET of the collection), built from stored texts.

Assembled by :mod:`tmscal.ical.calendar_text` (the components of every object, one VTIMEZONE
per TZID covering every object that uses it) with ``X-WR-CALNAME``/``X-WR-CALDESC``. Never
parses the texts, and is written piece by piece from two passes over the mirror, so a room of
100,000 bookings is never held in memory whole; an unchanged calendar is not rendered at all
(the web layer answers its conditional GET with 304).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tmscal.ical.calendar_text import calendar_chunks
from tmscal.ical.content_lines import escape_text
from tmscal.mirror.store import StoredObject


def _properties(name: str, description: str) -> list[str]:
    head = ["VERSION:2.0", "PRODID:-//tmscal//room calendar//EN"]
    if name:
        head.append("X-WR-CALNAME:" + escape_text(name))
    if description:
        head.append("X-WR-CALDESC:" + escape_text(description))
    return head


def calendar_text_chunks(objects: Callable[[], Iterable[StoredObject]], name: str,
                         description: str) -> Iterator[str]:
    """One VCALENDAR holding the components of every object ``objects()`` yields, in pieces
    (``objects`` is called twice and must give the same objects both times)."""
    def spans():
        return ((stored.ical, stored.start_utc, stored.end_utc) for stored in objects())

    return calendar_chunks(_properties(name, description), spans)


def render_calendar(objects: Iterable[StoredObject], name: str, description: str) -> str:
    """The same VCALENDAR as one string (small calendars, tests)."""
    objects = list(objects)
    return "".join(calendar_text_chunks(lambda: objects, name, description))
