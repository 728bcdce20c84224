"""Changes TMS made to a booked meeting's time, recurrence or title, carried into the meeting.

TMS's version is the room calendars' text of the conference (the mirror's rendering). A meeting
differs from it when its occurrences (UTC start and end of each) or titles (series and moved
occurrences) are not the same (:func:`booking_shape`). :func:`carry` then writes TMS's
DTSTART, DTEND/DURATION, RRULE, RDATE, EXDATE and SUMMARY into the meeting's series, makes its
overrides those of TMS (an override of the meeting keeps its own properties, takes TMS's time
and title; one TMS does not have goes), adds the VTIMEZONEs TMS's times need and increments
SEQUENCE (RFC 5546: the organizer's copy changed in time). Everything else of the meeting (its
attendees, description, alarms) stays. A room TMS added to the booking becomes an ATTENDEE of
the meeting (:func:`with_rooms`).
"""

from __future__ import annotations

from datetime import date, datetime

from icalendar import Calendar, Component, Event, vCalAddress

from tmscal.ical.series import lay_out
from tmscal.model import UTC, Conference

#: the properties of a VEVENT that say when it happens and what it is called
_TIME = ("DTSTART", "DTEND", "DURATION")
_SERIES = ("RRULE", "RDATE", "EXDATE")
_TITLE = ("SUMMARY",)


def booking_shape(conference: Conference, zone: str, with_titles: bool) -> tuple:
    """What TMS holds of ``conference`` that a meeting shows: its occurrences, and (when
    ``with_titles``) its title and those of its moved occurrences."""
    layout = lay_out(conference, zone)
    titles = (conference.title, sorted((o.astimezone(UTC), c.title) for o, c in layout.modified)
              ) if with_titles else ()
    return tuple(layout.occurrences), titles


def carry(meeting_text: str, tms_text: str, with_titles: bool) -> str:
    """``meeting_text`` with TMS's times, recurrence and (when ``with_titles``) titles from
    ``tms_text`` (see the module docstring)."""
    meeting = Calendar.from_ical(meeting_text)
    tms = Calendar.from_ical(tms_text)
    names = _TIME + _SERIES + (_TITLE if with_titles else ())
    own = {_key(e): e for e in meeting.walk("VEVENT")}
    theirs = {_key(e): e for e in tms.walk("VEVENT")}
    master = own[None]
    sequence = int(master.get("SEQUENCE", 0)) + 1
    _take(master, theirs[None], names)
    events = [master]
    for key, event in theirs.items():
        if key is None:
            continue
        override = own.get(key) or _override_of(master)
        override.pop("RECURRENCE-ID", None)
        override.add("RECURRENCE-ID", event["RECURRENCE-ID"], encode=0)
        _take(override, event, _TIME + (_TITLE if with_titles else ()))
        events.append(override)
    for event in events:
        event.pop("SEQUENCE", None)
        event.add("SEQUENCE", sequence)
    zones = {str(z.get("TZID")): z for z in meeting.walk("VTIMEZONE")}
    for zone in tms.walk("VTIMEZONE"):
        zones.setdefault(str(zone.get("TZID")), zone)
    result = Calendar()
    for name, value in meeting.items():
        result.add(name, value, encode=0)
    for component in [*zones.values(), *events]:
        result.add_component(component)
    for component in meeting.subcomponents:  # anything else the client keeps there
        if component.name not in ("VEVENT", "VTIMEZONE"):
            result.add_component(component)
    return result.to_ical(sorted=False).decode("utf-8")


def with_rooms(meeting_text: str, rooms: list[tuple[str, str]]) -> str:
    """``meeting_text`` with each ``(address, name)`` of ``rooms`` as a room ATTENDEE of every
    VEVENT (its answer is written by :func:`~tmscal.bridge.invitations.writeback.write_answer`)."""
    meeting = Calendar.from_ical(meeting_text)
    for event in meeting.walk("VEVENT"):
        for address, name in rooms:
            attendee = vCalAddress(address)
            attendee.params.update({"CUTYPE": "ROOM", "CN": name, "ROLE": "REQ-PARTICIPANT"})
            event.add("ATTENDEE", attendee, encode=0)
    return meeting.to_ical(sorted=False).decode("utf-8")


def _key(event: Component) -> datetime | date | None:
    """An event's RECURRENCE-ID as a comparable instant (None for the series)."""
    if "RECURRENCE-ID" not in event:
        return None
    value = event["RECURRENCE-ID"].dt
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def _take(target: Component, source: Component, names: tuple[str, ...]) -> None:
    for name in names:
        target.pop(name, None)
        if name in source:
            values = source[name]
            for value in values if isinstance(values, list) else [values]:
                target.add(name, value, encode=0)


def _override_of(master: Component) -> Component:
    """A new override with the series' properties (not its recurrence)."""
    override = Event.from_ical(master.to_ical())
    for name in _SERIES:
        override.pop(name, None)
    return override
