"""Conference → VCALENDAR text, deterministically.

The same Conference (and ``changed_utc``) always gives the same bytes: properties are added in
a fixed order and serialized unsorted, the VTIMEZONE is built from zoneinfo to cover every
instance of the series (:mod:`.vtimezones`), and nothing reads the clock.

* DTSTAMP and LAST-MODIFIED: ``changed_utc`` when given, otherwise the UTC start of the first
  occurrence (a fixed instant derived from the conference itself). The mirror replaces them by
  the instant it stores the change (:mod:`.stamps`).
* SEQUENCE: TMS ``Version`` (a global counter that grows with every change), else
  ``TransactionId``; an override gets the larger of its own and the series' value.
* No METHOD: these are CalDAV resources, not iTIP messages (RFC 4791 4.1).
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

from icalendar import Event

from tmscal.model import UTC, Conference, ConferenceStatus, Participant, ParticipantCallType

from .content_lines import without_control_characters
from .render_lines import property_lines, text_as_read, text_line, time_line
from .dial_in import conference_uri, dial_in_alias
from .participants import attendee, organizer
from .privacy import BUSY_SUMMARY, Privacy
from .recurrence import rrule_for_local_rule
from .rooms import RoomDirectory, RoomInfo
from .series import SeriesLayout, conference_zone, is_all_day, lay_out, lay_out_listed
from .shape import SeriesShape, shape_of_layout
from .stamps import utc_text
from .tms_fields import event_status, tms_properties
from .vtimezones import vtimezone_text
from .zones import is_utc

PRODID = "-//tmscal//tmscal//EN"
_HEAD = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nCALSCALE:GREGORIAN\r\n"


@dataclass
class RenderedEvent:
    """A rendered calendar object and the index data the mirror keeps beside it."""

    uid: str
    ical: str
    start_utc: datetime
    end_utc: datetime
    occurrences: list[tuple[datetime, datetime]]
    #: the master's SUMMARY as the text shows it (privacy applied)
    title: str = ""
    #: what the write path compares of a series (None for a single meeting)
    shape: SeriesShape | None = None


def event_uid(conference: Conference) -> str:
    """The UID: ExternalPrimaryKey, or a stable stand-in from the ConferenceId."""
    return conference.external_primary_key or f"tms-conference-{conference.conference_id}"


def sequence_of(conference: Conference) -> int:
    return max(conference.version, 0) or max(conference.transaction_id, 0)


class _Writer:
    """Writes the VEVENTs of one conference at one privacy level, as folded content lines.

    Properties of plain TEXT, UTC time or integer value are written as text
    (:mod:`.render_lines`); the others (times with TZID, RRULE, EXDATE, ORGANIZER, ATTENDEE,
    CONFERENCE) go through icalendar, a run of them at a time (ORGANIZER and ATTENDEE lines
    once per distinct value and process). The bytes are icalendar's.
    """

    def __init__(self, conference: Conference, layout: SeriesLayout, rooms: RoomDirectory,
                 level: Privacy, stamp: datetime) -> None:
        self.series = conference
        self.layout = layout
        self.rooms = rooms
        self.level = level
        self.stamp = utc_text(stamp)
        self.local_times: list[datetime] = []
        #: whether any DTSTART, DTEND or RECURRENCE-ID is a date-time (then a VTIMEZONE is due)
        self.timed = False
        #: whether the details (dial-in, DESCRIPTION, X-TMS properties) are known
        self.details = True

    def when(self, instant: datetime, all_day: bool) -> date | datetime:
        local = instant.astimezone(self.layout.zone)
        self.local_times.append(local)
        if all_day:
            return local.date()
        if is_utc(self.layout.zone_name):
            return instant.astimezone(UTC)
        return local

    def _moment(self, instant: datetime, all_day: bool) -> date | datetime:
        value = self.when(instant, all_day)
        self.timed = self.timed or isinstance(value, datetime)
        return value

    def event(self, conference: Conference, original: datetime | None) -> list[str]:
        series, level = self.series, self.level
        lines = ["BEGIN:VEVENT", text_line("UID", event_uid(series)),
                 f"DTSTAMP:{self.stamp}"]
        if level.shows_title:
            lines.append(f"LAST-MODIFIED:{self.stamp}")
            lines.append(f"SEQUENCE:{max(sequence_of(series), sequence_of(conference))}")
        if original is not None:
            lines.append(time_line("RECURRENCE-ID", self._moment(original, self.layout.all_day)))
        start, end = conference.start_utc, conference.end_utc
        all_day = is_all_day(start.astimezone(self.layout.zone), end.astimezone(self.layout.zone))
        lines.append(time_line("DTSTART", self._moment(start, all_day)))
        lines.append(time_line("DTEND", self._moment(end, all_day)))
        if original is None and self.layout.rule is not None:
            rule = Event()
            rule.add("RRULE", rrule_for_local_rule(self.layout.rule, self.layout.all_day,
                                                   self.layout.zone))
            if self.layout.rule.until_utc is not None:
                self.local_times.append(self.layout.rule.until_utc.astimezone(self.layout.zone))
            if self.layout.deleted:
                rule.add("EXDATE", [self.when(d, self.layout.all_day)
                                    for d in self.layout.deleted])
            lines += property_lines(rule)
        if original is None and self.layout.added:
            # RRULE COUNT=1 yields DTSTART alone: ical.js leaves DTSTART out of an event
            # with RDATEs and no RRULE, libical counts it twice when RDATE repeats it
            lines.append("RRULE:FREQ=DAILY;COUNT=1")
            added = Event()
            added.add("RDATE", [self._moment(start, self.layout.all_day)
                                for start in self.layout.added])
            lines += property_lines(added)
        if not level.shows_title:
            lines += [text_line("SUMMARY", BUSY_SUMMARY), "END:VEVENT"]
            return lines
        lines.append(text_line("SUMMARY", conference.title or series.title))
        lines.append(text_line("STATUS", event_status(conference.status) or "CONFIRMED"))
        lines += _organizer_lines(series.owner_first_name, series.owner_last_name,
                                  series.owner_user_name, series.owner_email_address,
                                  series.owner_id, level.shows_details)
        for participant in conference.participants or series.participants:
            room = (self.rooms.room_by_id(participant.participant_id)
                    if participant.call_type.is_system else None)
            lines += _attendee_lines(participant.call_type, participant.participant_id,
                                     participant.name_or_number, participant.email_address,
                                     room, level.shows_details)
        if level.shows_details and self.details:
            lines += self._details(conference)
        lines.append("END:VEVENT")
        return lines

    def _details(self, conference: Conference) -> list[str]:
        lines = []
        info = conference.conference_info_text or self.series.conference_info_text
        alias = dial_in_alias(info)
        if alias:
            lines.append(text_line("LOCATION", alias))
            pin = conference.password or self.series.password
            label = f"Video dial-in, PIN {pin}" if pin else "Video dial-in"
            dial_in = Event()
            dial_in.add("CONFERENCE", conference_uri(alias),
                        parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO", "LABEL": label})
            lines += property_lines(dial_in)
        if info:
            lines.append(text_line("DESCRIPTION", info))
        lines += [text_line(name, text) for name, text in tms_properties(conference, info)]
        return lines


class _OneRoom:
    """The directory :func:`attendee` reads, holding the one room it is asked about."""

    def __init__(self, room: RoomInfo | None) -> None:
        self.room = room

    def room_by_id(self, system_id: int) -> RoomInfo | None:
        return self.room


# ORGANIZER and ATTENDEE lines repeat across a calendar's events (the same rooms and owners):
# icalendar's parameter writing is the costliest part of rendering, so each distinct line is
# written once per process.

@lru_cache(maxsize=16384)
def _organizer_lines(first: str, last: str, user_name: str, email: str, owner_id: int,
                     with_address: bool) -> tuple[str, ...]:
    owner = organizer(Conference(owner_first_name=first, owner_last_name=last,
                                 owner_user_name=user_name, owner_email_address=email,
                                 owner_id=owner_id), with_address=with_address)
    return _address_lines("ORGANIZER", owner)


@lru_cache(maxsize=16384)
def _attendee_lines(call_type: ParticipantCallType, participant_id: int, name: str, email: str,
                    room: RoomInfo | None, with_details: bool) -> tuple[str, ...]:
    value = attendee(Participant(call_type, participant_id, name, email), _OneRoom(room),
                     with_details=with_details)
    return _address_lines("ATTENDEE", value)


def _address_lines(name: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    component = Event()
    component.add(name, value)
    return tuple(property_lines(component))


def render_conference(conference: Conference, rooms: RoomDirectory, *,
                      default_zone: str = "UTC", privacy: str = "full",
                      changed_utc: datetime | None = None) -> RenderedEvent | None:
    """Render a single meeting or a series (with its exceptions); None for a Deleted one.

    ``privacy`` is ``full``, ``title`` or ``busy`` (see :mod:`tmscal.ical.privacy`);
    ``changed_utc`` is the instant of the change, if known.
    """
    level = Privacy.of(privacy)
    if conference.status == ConferenceStatus.DELETED:
        return None
    zone_name = conference_zone(conference, rooms, default_zone)
    layout = lay_out(conference, zone_name)
    series_start = layout.starts[0].astimezone(UTC) if layout.starts else conference.start_utc
    stamp = (changed_utc or series_start).astimezone(UTC).replace(microsecond=0)
    writer = _Writer(conference, layout, rooms, level, stamp)
    # shallow copies: the writer only reads the conferences it is given
    master = replace(conference, start_utc=series_start,
                     end_utc=series_start + (conference.end_utc - conference.start_utc))
    events = writer.event(master, None)
    for original, modified in sorted(layout.modified, key=lambda item: item[0]):
        occurrence = replace(modified, start_utc=modified.start_utc or original,
                             end_utc=modified.end_utc or original + (
                                 conference.end_utc - conference.start_utc))
        events += writer.event(occurrence, original)
    return _calendar(conference, layout, writer, events, shaped=True)


def render_listed(occurrences: list[Conference], room_ids: list[int], rooms: RoomDirectory, *,
                  default_zone: str = "UTC", privacy: str = "full") -> RenderedEvent | None:
    """Render what a list answer (GetConferencesForSystems) tells of one booking: its listed
    occurrences (one for a single meeting; a series' in the listed window), shown in the rooms
    ``room_ids`` it was listed for. A list answer names no participants, no dial-in and no
    recurrence pattern, so the text has the rooms as its only ATTENDEEs and no details (no
    LOCATION, CONFERENCE, DESCRIPTION or X-TMS properties), and a series is its
    first listed occurrence (``RRULE:FREQ=DAILY;COUNT=1``) with the others added one by one
    (RDATE), each at its exact time, overridden where its length, title or state differ. None
    when nothing is live.

    DTSTAMP and LAST-MODIFIED are the first listed start (the mirror stamps them)."""
    live = [o for o in occurrences if o.status != ConferenceStatus.DELETED]
    if not live:
        return None
    level = Privacy.of(privacy)
    master = copy(min(live, key=lambda o: (o.start_utc, o.conference_id)))
    master.recurrence = None
    master.participants = [Participant(ParticipantCallType.TMS, r) for r in room_ids]
    zone_name = conference_zone(master, rooms, default_zone)
    layout = lay_out_listed(live, zone_name)
    writer = _Writer(master, layout, rooms, level, master.start_utc.astimezone(UTC))
    writer.details = False
    events = writer.event(master, None)
    for original, occurrence in layout.modified:
        events += writer.event(occurrence, original)
    return _calendar(master, layout, writer, events, shaped=False)


def _calendar(conference: Conference, layout: SeriesLayout, writer: _Writer,
              events: list[str], *, shaped: bool) -> RenderedEvent:
    """The VCALENDAR around ``events`` (with the VTIMEZONE their local times need); with the
    series' shape when ``shaped`` (a text rendered from a list answer has none: its RDATEs are
    no pattern a client's text is compared with)."""
    zone_name = layout.zone_name
    occurrences = layout.occurrences
    if occurrences:
        first, last = occurrences[0][0], max(end for _, end in occurrences)
    else:
        first, last = conference.start_utc, conference.end_utc
    zone_text = ""
    if not is_utc(zone_name) and writer.timed:
        # every instance of the series, and every local time written (EXDATE, UNTIL)
        years = [t.year for t in writer.local_times]
        years += [first.astimezone(layout.zone).year, last.astimezone(layout.zone).year]
        zone_text = vtimezone_text(zone_name, min(years) - 1, max(years))
    text = without_control_characters(
        "".join((_HEAD, zone_text, "\r\n".join(events), "\r\nEND:VCALENDAR\r\n")))
    shows_title = writer.level.shows_title
    title = text_as_read(conference.title) if shows_title else BUSY_SUMMARY
    shape = shape_of_layout(layout, title, conference.end_utc - conference.start_utc,
                            with_status=shows_title) if shaped else None
    return RenderedEvent(uid=event_uid(conference), ical=text, start_utc=first, end_utc=last,
                         occurrences=list(occurrences), title=title, shape=shape)
