"""Conference ↔ iCalendar: exact events, recurrences and time zones.

Public API: :func:`render_conference` (TMS → calendar), :func:`parse_event` (calendar → TMS),
:class:`RoomInfo`/:class:`RoomDirectory` (what the converter needs to know about rooms) and the
:class:`IcalError` family of refusals.
"""

from .errors import (
    CalendarTooLarge, IcalError, MalformedCalendar, UnsupportedEvent, UnsupportedRecurrence,
    UnsupportedTimeZone,
)
from .parse import ParsedEvent, parse_event
from .privacy import Privacy
from .render import PRODID, RenderedEvent, render_conference
from .rooms import RoomDirectory, RoomInfo, RoomTable

__all__ = [
    "CalendarTooLarge", "IcalError", "MalformedCalendar", "ParsedEvent", "PRODID", "Privacy",
    "RenderedEvent", "RoomDirectory", "RoomInfo", "RoomTable", "UnsupportedEvent",
    "UnsupportedRecurrence", "UnsupportedTimeZone", "parse_event", "render_conference",
]
