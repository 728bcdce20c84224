"""Content lines as text, byte-for-byte what icalendar writes, without its per-call overhead.

icalendar builds a property object, a parameter dictionary and a content line for every
property, and folds every line character by character. For the long, plain tails of our events
(the X-TMS properties) and for the common short line that needs no folding, this module gives
the same text directly:

* :func:`folded` — a content line folded as icalendar folds it (short ASCII lines as they are,
  others by icalendar itself);
* :func:`text_line` — ``NAME:value`` for a TEXT value without parameters, escaped as
  ``icalendar.vText`` escapes;
* :func:`time_line` — a DATE, UTC DATE-TIME or zoned DATE-TIME (``TZID``) property;
* :func:`property_lines` — the folded lines of a component's own properties, written by
  icalendar (for the properties whose value types and parameters it knows best).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Component, Event
from icalendar.parser import Contentline
from icalendar.timezone.tzid import tzid_from_tzinfo

#: icalendar writes at most this many octets per physical line (before the CRLF + space).
_WIDTH = 74
#: icalendar never ends a folded piece with one of these (it would split an escape).
_ESCAPES = "\\^"


def folded(line: str) -> str:
    r"""``line`` folded (CRLF + space) exactly as ``icalendar.Contentline.to_ical`` folds it:
    pieces of 74 octets, where a piece that would end in ``\`` or ``^`` leaves that character
    to the next. ASCII lines are cut here by position; others are folded by icalendar."""
    if not line.isascii():
        return Contentline(line).to_ical().decode("utf-8")
    if len(line) <= _WIDTH:
        return line
    pieces, start = [], 0
    while len(line) - start > _WIDTH:
        end = start + _WIDTH
        if line[end - 1] in _ESCAPES:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces)


#: Control characters (C0 but TAB, LF and CR; DEL; C1): RFC 5545 TEXT may not hold them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    """``text`` with the control characters iCalendar forbids removed (a TMS title such as
    ``"Board\x1b[1m meeting"`` then still shows, as ``"Board[1m meeting"``)."""
    return _CONTROL.sub("", text)


def escaped_text(text: str) -> str:
    """RFC 5545 TEXT escaping, in ``icalendar.vText``'s order (line ends normalised to \\n)."""
    return (text.replace(r"\N", "\n").replace("\\", "\\\\").replace(";", r"\;")
            .replace(",", r"\,").replace("\r\n", r"\n").replace("\n", r"\n")
            .replace("\r", r"\n"))


def text_line(name: str, text: str) -> str:
    """The folded content line of TEXT property ``name`` (no parameters), without CRLF."""
    return folded(f"{name}:{escaped_text(text)}")


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
