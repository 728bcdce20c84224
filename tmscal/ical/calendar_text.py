"""Calendars assembled from stored calendar objects (a collection GET, a feed).

The mirror keeps one VCALENDAR per conference: the VTIMEZONEs it needs, sized for its own
instances, then its VEVENTs (master and overrides). A merged calendar keeps the components of
every object and one VTIMEZONE per TZID, generated again (:mod:`.vtimezones`) to cover every
object that uses the TZID; an object's own definition is kept only for a zone zoneinfo does
not know. Stored texts are cut by position, never parsed, so assembly stays cheap.

* :class:`CalendarAssembly` — collects objects (or ready components) and writes the VCALENDAR;
* :func:`calendar_chunks` — the same VCALENDAR written piece by piece from two passes over the
  objects (a large collection GET, never whole in memory);
* :func:`components_text` — the components of one stored text other than its VTIMEZONEs;
* :func:`component_name` — which component it holds;
* :func:`event_blocks` — its top-level VEVENTs as unfolded lines (for rewriting them);
* :func:`master_text` — a TEXT property of its master VEVENT, unescaped;
* :class:`MergedZones`, :func:`zone_ids`, :func:`zone_blocks` — the VTIMEZONE side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from .content_lines import CRLF, parse_line, property_name, unescape_text, unfold
from .errors import UnsupportedTimeZone
from .vtimezones import vtimezone_text

_BLOCK = re.compile(r"BEGIN:VTIMEZONE\r?\n.*?END:VTIMEZONE\r?\n", re.DOTALL)
_TZID = re.compile(r"^TZID:(.+?)\r?$", re.MULTILINE)
_ZONE_END = "END:VTIMEZONE\r\n"
#: The first component of a calendar object that is not a VTIMEZONE.
_COMPONENT = re.compile(r"^BEGIN:(?!VCALENDAR|VTIMEZONE|STANDARD|DAYLIGHT)([A-Z-]+)\r?$",
                        re.MULTILINE | re.IGNORECASE)


def _zone_region(ical: str) -> tuple[int, int]:
    """Where the VTIMEZONEs of a stored text are: the renderer writes them before any VEVENT."""
    start = ical.find("BEGIN:VTIMEZONE")
    if start < 0:
        return 0, 0
    stop = ical.find("BEGIN:VEVENT", start)
    return start, stop if stop > 0 else len(ical)


def zone_ids(ical: str) -> list[str]:
    """The TZIDs of the VTIMEZONEs of ``ical``."""
    start, stop = _zone_region(ical)
    return [tzid.strip() for tzid in _TZID.findall(ical, start, stop)]


def zone_blocks(ical: str) -> dict[str, str]:
    """The VTIMEZONE blocks of ``ical`` by TZID (text as stored, CRLF line ends)."""
    blocks: dict[str, str] = {}
    for match in _BLOCK.finditer(ical, *_zone_region(ical)):
        tzid = _TZID.search(match.group(0))
        if tzid:
            blocks.setdefault(tzid.group(1).strip(), match.group(0))
    return blocks


class MergedZones:
    """Collects the zones of the objects of one body; :meth:`text` writes their VTIMEZONEs."""

    def __init__(self) -> None:
        self._years: dict[str, tuple[int, int]] = {}
        self._texts: dict[str, str] = {}  # a stored text defining the TZID, for the fallback

    def add(self, ical: str, start_utc: datetime, end_utc: datetime) -> None:
        """Note the VTIMEZONEs of one object whose instances lie in ``[start_utc, end_utc]``."""
        for tzid in zone_ids(ical):
            # a year of margin: local times may fall in the UTC year before or after
            first, last = start_utc.year - 1, end_utc.year + 1
            known = self._years.get(tzid)
            if known is not None:
                first, last = min(first, known[0]), max(last, known[1])
            self._years[tzid] = (first, last)
            self._texts.setdefault(tzid, ical)

    def text(self) -> str:
        """One VTIMEZONE per TZID, sorted by TZID, covering every object added."""
        parts = []
        for tzid in sorted(self._years):
            try:
                parts.append(vtimezone_text(tzid, *self._years[tzid]))
            except UnsupportedTimeZone:
                parts.append(zone_blocks(self._texts[tzid])[tzid])
        return "".join(parts)


def components_text(ical: str) -> str:
    """The components of one stored VCALENDAR other than its leading VTIMEZONEs, as stored
    (folded), CRLF-terminated; '' when ``ical`` holds no component."""
    if "\r\n" not in ical:
        ical = ical.replace("\n", "\r\n")
    begin = ical.find("\r\nBEGIN:V", ical.find("BEGIN:VCALENDAR") + 15)
    end = ical.rfind("END:VCALENDAR")
    if begin < 0 or end < 0:
        return ""
    begin += 2
    while ical.startswith("BEGIN:VTIMEZONE", begin):
        stop = ical.find(_ZONE_END, begin)
        if stop < 0:
            break
        begin = stop + len(_ZONE_END)
    return ical[begin:end]


def component_name(ical: str) -> str:
    """The component a stored text holds (``VEVENT``, ``VTODO`` …; '' for none): what Radicale's
    filters need, as an item tagged with a component it does not hold makes every filtered
    REPORT fail."""
    match = _COMPONENT.search(ical)
    return match.group(1).upper() if match else ""


def event_blocks(ical: str) -> list[list[str]]:
    """Every top-level VEVENT of ``ical`` as unfolded lines, BEGIN and END lines included."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    depth = 0
    for line in unfold(ical):
        upper = line.upper()
        if current is None:
            if upper == "BEGIN:VEVENT":
                current, depth = [line], 0
            continue
        current.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            if depth == 0:
                blocks.append(current)
                current = None
            else:
                depth -= 1
    return blocks


def master_text(ical: str, name: str) -> str:
    """The TEXT property ``name`` of the first VEVENT of ``ical`` without RECURRENCE-ID (the
    series or the meeting), unescaped by :func:`~.content_lines.unescape_text`; '' when
    absent."""
    for block in event_blocks(ical):
        names = [property_name(line) for line in block]
        if "RECURRENCE-ID" in names:
            continue
        if name in names:
            return unescape_text(parse_line(block[names.index(name)]).value)
        return ""
    return ""


_END = "END:VCALENDAR" + CRLF


def _head(properties: Iterable[str]) -> str:
    return CRLF.join(["BEGIN:VCALENDAR", *properties]) + CRLF


class CalendarAssembly:
    """One VCALENDAR built from stored objects: calendar properties, one VTIMEZONE per TZID
    covering every object added, then the components in the order added. Deterministic: the
    same objects in the same order give the same bytes."""

    def __init__(self) -> None:
        self._zones = MergedZones()
        self._components: list[str] = []

    def add_object(self, ical: str, start_utc: datetime, end_utc: datetime,
                   components: str | None = None) -> None:
        """Add a stored object whose instances lie in ``[start_utc, end_utc]``: its zones, and
        ``components`` (CRLF-terminated; by default its own, :func:`components_text`)."""
        self._zones.add(ical, start_utc, end_utc)
        self._components.append(components_text(ical) if components is None else components)

    def add_components(self, texts: Iterable[str]) -> None:
        """Add ready components (CRLF-terminated) that name no TZID (UTC times only)."""
        self._components.extend(texts)

    def text(self, properties: Iterable[str]) -> str:
        """The VCALENDAR: ``properties`` (content lines as they are to be written, without
        BEGIN/END), the VTIMEZONEs, the components."""
        return "".join([_head(properties), self._zones.text(), *self._components, _END])


#: A stored object as :func:`calendar_chunks` reads it: ``(text, start_utc, end_utc)``.
ObjectSpan = tuple[str, datetime, datetime]
_CHUNK_CHARS = 1 << 16


def calendar_chunks(properties: Iterable[str],
                    objects: Callable[[], Iterable[ObjectSpan]]) -> Iterator[str]:
    """The text :class:`CalendarAssembly` writes for the objects ``objects()`` yields, in
    pieces of about 64 KiB. ``objects`` is called twice (zones first, then components) and
    must yield the same objects in the same order both times; nothing but one object and
    the zones is held at a time."""
    zones = MergedZones()
    for ical, start_utc, end_utc in objects():
        zones.add(ical, start_utc, end_utc)
    pending = [_head(properties), zones.text()]
    size = 0
    for ical, _start, _end in objects():
        text = components_text(ical)
        pending.append(text)
        size += len(text)
        if size >= _CHUNK_CHARS:
            yield "".join(pending)
            pending, size = [], 0
    pending.append(_END)
    yield "".join(pending)
