"""Typed refusals of the calendar-format layer.

Every error carries ``reason``: one line a person can act on, naming what TMS (or tmscal) cannot
store and what would work instead. The web layer maps the classes to HTTP statuses.
"""

from __future__ import annotations


class IcalError(ValueError):
    """Base class: the iCalendar text cannot become a TMS conference."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedCalendar(IcalError):
    """The text is not valid iCalendar, or misses what every event needs (UID, DTSTART)."""


class CalendarTooLarge(IcalError):
    """The text exceeds a size, component, override or attendee limit."""


class UnsupportedRecurrence(IcalError):
    """The recurrence (RRULE, RDATE, RECURRENCE-ID range ...) has no TMS RecurrencePattern."""


class UnsupportedTimeZone(IcalError):
    """A TZID names a zone that matches no zone TMS knows."""


class UnsupportedEvent(IcalError):
    """The calendar holds something other than one event (tasks, journals, several UIDs)."""
