"""iTIP messages (RFC 5546) about a meeting, as a schedule inbox holds them.

:func:`reply` is a room's answer (METHOD:REPLY: the meeting's UID, SEQUENCE, time, title and
ORGANIZER, the room as the only ATTENDEE with its PARTSTAT, REQUEST-STATUS). It carries no
SCHEDULE-STATUS or other parameter of the server's (RFC 6638 §7.3: servers never put
SCHEDULE-STATUS into scheduling messages).
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress
from icalendar.prop import vInline

from tmscal.model import UTC

from .content_lines import escape_text

#: ATTENDEE/ORGANIZER parameters that never leave the server in a message
_SERVER_PARAMS = ("SCHEDULE-STATUS", "SCHEDULE-AGENT", "SCHEDULE-FORCE-SEND", "X-TMSCAL-REASON")
#: what a REPLY copies of the meeting (RFC 5546 §3.2.3), besides its ATTENDEE
_REPLY_COPIES = ("UID", "SEQUENCE", "RECURRENCE-ID", "DTSTART", "DTEND", "DURATION", "SUMMARY",
                 "ORGANIZER")
_PRODID = "-//tmscal//TMS rooms//EN"


def _message(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", _PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("METHOD", method)
    return calendar


def _clean(value: vCalAddress) -> vCalAddress:
    copied = vCalAddress(str(value))
    copied.params.update({k: v for k, v in value.params.items() if k not in _SERVER_PARAMS})
    return copied


def _attendees(event) -> list:
    values = event.get("ATTENDEE", [])
    return values if isinstance(values, list) else [values]


def reply(meeting_text: str, attendee: str, partstat: str, request_status: str,
          reason: str = "", now: datetime | None = None) -> str:
    """A REPLY of ``attendee`` (its address as in the meeting) with ``partstat`` to the master
    VEVENT of ``meeting_text``; ``request_status`` is ``code;description``, ``reason`` a
    readable line (REQUEST-STATUS extra data and COMMENT)."""
    source = Calendar.from_ical(meeting_text)
    master = next(e for e in source.walk("VEVENT") if "RECURRENCE-ID" not in e)
    message = _message("REPLY")
    for zone in source.walk("VTIMEZONE"):
        message.add_component(zone)
    event = Event()
    for name in _REPLY_COPIES:
        if name in master:
            value = master[name]
            event.add(name, _clean(value) if name == "ORGANIZER" else value, encode=0)
    event.add("DTSTAMP", now or datetime.now(UTC))
    found = next((v for v in _attendees(master) if str(v).lower() == attendee.lower()), None)
    value = _clean(found) if found is not None else vCalAddress(attendee)
    value.params["PARTSTAT"] = partstat
    value.params.pop("RSVP", None)
    event.add("ATTENDEE", value, encode=0)
    status = f"{request_status};{escape_text(reason)}" if reason else request_status
    event.add("REQUEST-STATUS", vInline(status), encode=0)
    if reason:
        event.add("COMMENT", reason)
    message.add_component(event)
    return message.to_ical(sorted=False).decode("utf-8")
