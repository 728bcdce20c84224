"""Input limits for calendar objects sent by clients, checked before any real work."""

from __future__ import annotations

from tmscal.model import MAX_OCCURRENCES

from .errors import CalendarTooLarge

#: Largest calendar object accepted, in bytes (a long series with overrides stays far below).
MAX_BYTES = 512 * 1024
#: Most overriding VEVENTs (RECURRENCE-ID) in one object: one per possible TMS occurrence.
MAX_OVERRIDES = MAX_OCCURRENCES
#: Most components of any kind (VEVENT, VTIMEZONE, VALARM, their STANDARD/DAYLIGHT parts).
MAX_COMPONENTS = 600
#: Most ATTENDEE properties on one VEVENT.
MAX_ATTENDEES = 200


def check_size(data: bytes) -> None:
    """Raise :class:`CalendarTooLarge` when ``data`` is over :data:`MAX_BYTES`."""
    if len(data) > MAX_BYTES:
        raise CalendarTooLarge(
            f"the calendar object is {len(data)} bytes; tmscal accepts at most {MAX_BYTES} "
            "bytes per event (drop attachments or split the series)")


def check_counts(components: int, overrides: int) -> None:
    """Raise :class:`CalendarTooLarge` for too many components or overridden occurrences."""
    if components > MAX_COMPONENTS:
        raise CalendarTooLarge(
            f"the calendar object has {components} components; at most {MAX_COMPONENTS} "
            "are accepted")
    if overrides > MAX_OVERRIDES:
        raise CalendarTooLarge(
            f"the series has {overrides} changed occurrences; TMS stores at most "
            f"{MAX_OVERRIDES} occurrences per series")


def check_attendees(count: int) -> None:
    """Raise :class:`CalendarTooLarge` for more than :data:`MAX_ATTENDEES` attendees."""
    if count > MAX_ATTENDEES:
        raise CalendarTooLarge(
            f"the event has {count} attendees; at most {MAX_ATTENDEES} are accepted")
