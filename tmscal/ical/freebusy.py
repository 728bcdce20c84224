"""Free/busy messages (RFC 5546 §3.3, RFC 6638 §5): a VFREEBUSY REQUEST read, a REPLY written.

:func:`read_freebusy_request` reads the body a client POSTs to its schedule outbox line by line
(no object tree is built; size and attendee limits of :mod:`.limits` first) and raises a typed
:class:`~tmscal.ical.errors.IcalError` with a one-line reason for anything else.
:func:`freebusy_reply` writes the VFREEBUSY REPLY of one attendee, times in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from .content_lines import CRLF, ContentLine, fold, parse_line, unfold, without_control_characters
from .errors import MalformedCalendar, UnsupportedEvent, UnsupportedTimeZone
from .limits import MAX_COMPONENTS, check_attendees, check_size

_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
_UTC = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Attendee:
    """An ATTENDEE of the request: its address and parameters (names upper-case, unquoted)."""

    address: str
    params: dict[str, str]


@dataclass(frozen=True)
class FreeBusyRequest:
    """A VFREEBUSY REQUEST: who asks (``organizer``), about whom, for ``[start, end)`` (UTC)."""

    uid: str
    organizer: str
    attendees: tuple[Attendee, ...]
    start: datetime
    end: datetime


def _instant(line: ContentLine) -> datetime:
    """DTSTART/DTEND as an aware UTC datetime (UTC, TZID or floating = UTC; a DATE = 00:00)."""
    match = _DATE_TIME.fullmatch(line.value.strip())
    if match is None:
        raise MalformedCalendar(f"{line.name} value {line.value!r} is not a DATE or DATE-TIME")
    year, month, day, hour, minute, second, utc = match.groups()
    zone = timezone.utc
    tzid = line.param("TZID")
    if tzid and not utc and hour is not None:
        from .zones import iana_for_windows, is_known_zone

        name = tzid if is_known_zone(tzid) else iana_for_windows(tzid)
        if name is None:
            raise UnsupportedTimeZone(f"{line.name} names the unknown time zone {tzid!r}")
        zone = ZoneInfo(name)
    try:
        local = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), tzinfo=zone)
    except ValueError:
        raise MalformedCalendar(f"{line.name} value {line.value!r} is not a valid date") from None
    return local.astimezone(timezone.utc)


def read_freebusy_request(data: bytes) -> FreeBusyRequest:
    """The VFREEBUSY REQUEST in ``data``; raises an :class:`~tmscal.ical.errors.IcalError`
    (too large, not one VFREEBUSY with METHOD:REQUEST, missing ORGANIZER, ATTENDEE, DTSTART or
    DTEND, DTEND not after DTSTART)."""
    check_size(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCalendar("the body is not UTF-8 text") from None
    lines = [parse_line(line) for line in unfold(text)]
    if not lines or lines[0].name != "BEGIN" or lines[0].value.upper() != "VCALENDAR":
        raise MalformedCalendar("the body is not an iCalendar object (BEGIN:VCALENDAR)")
    stack: list[str] = []
    method = ""
    components = 0
    found: dict[str, ContentLine] = {}
    attendees: list[Attendee] = []
    freebusy = 0
    for line in lines:
        if line.name == "BEGIN":
            stack.append(line.value.upper())
            components += 1
            if components > MAX_COMPONENTS:
                raise MalformedCalendar(f"more than {MAX_COMPONENTS} components")
            if len(stack) == 2 and stack[-1] not in ("VFREEBUSY", "VTIMEZONE"):
                raise UnsupportedEvent(
                    f"the outbox answers free/busy requests (VFREEBUSY) only, not {stack[-1]}; "
                    "invite rooms by saving the event in your calendar")
            freebusy += stack == ["VCALENDAR", "VFREEBUSY"]
        elif line.name == "END":
            if not stack or stack.pop() != line.value.upper():
                raise MalformedCalendar(f"END:{line.value} does not close the open component")
        elif stack == ["VCALENDAR"] and line.name == "METHOD":
            method = line.value.strip().upper()
        elif stack == ["VCALENDAR", "VFREEBUSY"]:
            if line.name == "ATTENDEE":
                attendees.append(Attendee(line.value.strip(), {
                    key: line.param(key) or "" for key, _ in line.params}))
                check_attendees(len(attendees))
            elif line.name in ("UID", "ORGANIZER", "DTSTART", "DTEND"):
                found[line.name] = line
    if stack:
        raise MalformedCalendar(f"BEGIN:{stack[-1]} is never closed")
    if freebusy != 1:
        raise MalformedCalendar(f"a free/busy request holds one VFREEBUSY, not {freebusy}")
    if method != "REQUEST":
        raise MalformedCalendar(f"a free/busy request has METHOD:REQUEST, not {method or 'none'}")
    for name in ("ORGANIZER", "DTSTART", "DTEND"):
        if name not in found or not found[name].value.strip():
            raise MalformedCalendar(f"the VFREEBUSY has no {name}")
    if not attendees:
        raise MalformedCalendar("the VFREEBUSY names no ATTENDEE")
    start, end = _instant(found["DTSTART"]), _instant(found["DTEND"])
    if end <= start:
        raise MalformedCalendar("the VFREEBUSY's DTEND is not after its DTSTART")
    uid = found["UID"].value.strip() if "UID" in found else ""
    return FreeBusyRequest(uid=uid, organizer=found["ORGANIZER"].value.strip(),
                           attendees=tuple(attendees), start=start, end=end)


def freebusy_reply(request: FreeBusyRequest, attendee: str,
                   busy: Iterable[tuple[datetime, datetime]], stamp: datetime) -> str:
    """The VCALENDAR (METHOD:REPLY) telling ``request``'s organizer when ``attendee`` is busy:
    one ``FREEBUSY;FBTYPE=BUSY`` line per period (UTC), in the order given."""
    def utc(instant: datetime) -> str:
        return instant.astimezone(timezone.utc).strftime(_UTC)

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tmscal//free-busy//EN",
             "METHOD:REPLY", "BEGIN:VFREEBUSY"]
    if request.uid:
        lines.append(f"UID:{without_control_characters(request.uid)}")
    lines += [f"DTSTAMP:{utc(stamp)}", f"DTSTART:{utc(request.start)}",
              f"DTEND:{utc(request.end)}",
              f"ORGANIZER:{without_control_characters(request.organizer)}",
              f"ATTENDEE:{without_control_characters(attendee)}"]
    lines += [f"FREEBUSY;FBTYPE=BUSY:{utc(start)}/{utc(end)}" for start, end in busy]
    lines += ["END:VFREEBUSY", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)
