"""Content lines as icalendar writes them, without its per-call overhead.

icalendar builds a property object, a parameter dictionary and a content line for every
property. For the long, plain tails of our events (the X-TMS properties) and for times, this
module gives the same text directly (escaping and folding from :mod:`.content_lines`):

* :func:`text_line` — ``NAME:value`` for a TEXT value without parameters, as ``icalendar.vText``
  writes it; :func:`text_as_read` — the value a parser reads back from it;
* :func:`time_line` — a DATE, UTC DATE-TIME or zoned DATE-TIME (``TZID``) property;
* :func:`property_lines` — the folded lines of a component's own properties, written by
  icalendar (for the properties whose value types and parameters it knows best).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Component, Event
from icalendar.timezone.tzid import tzid_from_tzinfo

from .content_lines import escape_text, folded, unescape_text, without_control_characters


def text_line(name: str, text: str) -> str:
    r"""The folded content line of TEXT property ``name`` (no parameters), without CRLF, as
    ``icalendar.vText`` writes it: icalendar first reads a literal ``\N`` in the text as a
    line break, so this does too (the stored text, and so the ETag, stays icalendar's)."""
    value = escape_text(text.replace(r"\N", "\n"))
    return folded(f"{name}:{value}")


def text_as_read(text: str) -> str:
    """The value a parser reads from ``text_line(name, text)`` in a rendered text (which has
    its control characters removed as a whole)."""
    return unescape_text(without_control_characters(escape_text(text.replace(r"\N", "\n"))))


def time_line(name: str, value: date | datetime) -> str:
    """The line icalendar writes for ``Event.add(name, value)``: ``;VALUE=DATE`` for a date,
    a ``Z`` time for UTC, ``;TZID=<id>`` (icalendar's id for the zone) for a zoneinfo zone;
    anything else (fractions of a second, UTC-like zones, other tzinfo classes) is written by
    icalendar itself."""
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value.year:04d}{value.month:02d}{value.day:02d}"
    if value.microsecond == 0:
        stamp = (f"{value.year:04d}{value.month:02d}{value.day:02d}T"
                 f"{value.hour:02d}{value.minute:02d}{value.second:02d}")
        if value.tzinfo is UTC:
            return f"{name}:{stamp}Z"
        if type(value.tzinfo) is ZoneInfo:
            tzid = _tzid(value.tzinfo)
            if tzid:
                return folded(f"{name};TZID={tzid}:{stamp}")
    event = Event()
    event.add(name, value)
    return property_lines(event)[0]


_TZIDS: dict[ZoneInfo, str] = {}


def _tzid(zone: ZoneInfo) -> str:
    """icalendar's TZID for ``zone``; '' when it would write UTC or quote the id."""
    tzid = _TZIDS.get(zone)
    if tzid is None:
        found = tzid_from_tzinfo(zone) or ""
        tzid = _TZIDS[zone] = found if _PLAIN_ID.fullmatch(found) and found != "UTC" else ""
    return tzid


_PLAIN_ID = re.compile(r"[A-Za-z0-9/_+\-]+")


def property_lines(component: Component) -> list[str]:
    """The folded content lines of ``component``'s properties (unsorted, without its BEGIN
    and END lines), as icalendar writes them."""
    return [folded(component.content_line(name, value, sorted=False))
            for name, value in component.property_items(recursive=False, sorted=False)
            if name not in ("BEGIN", "END")]
