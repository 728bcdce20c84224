"""The VTIMEZONEs of a body that merges many calendar objects (a collection GET, a feed).

Each stored object carries VTIMEZONEs sized for its own instances. A merged body keeps one
VTIMEZONE per TZID, so it is generated again (:mod:`.vtimezones`) to cover every object that
uses the TZID; an object's own definition is kept only for a zone zoneinfo does not know.
"""

from __future__ import annotations

import re
from datetime import datetime

from .errors import UnsupportedTimeZone
from .vtimezones import vtimezone_text

_BLOCK = re.compile(r"BEGIN:VTIMEZONE\r?\n.*?END:VTIMEZONE\r?\n", re.DOTALL)
_TZID = re.compile(r"^TZID:(.+?)\r?$", re.MULTILINE)


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
