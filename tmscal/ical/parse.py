"""VCALENDAR text from a client → a TMS Conference, or a typed refusal before any TMS call.

Accepts what common clients write: TZID with or without VTIMEZONE (IANA, Windows ids,
``/vendor/`` prefixed ids, custom zones equal to a known one), UTC (Google's X-WR-TIMEZONE
names the zone a UTC series repeats in), floating times and all-day dates (both in the room's
zone), DURATION instead of DTEND.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from tmscal.model import (
    UTC, Conference, ExceptionType, Participant, ParticipantCallType, RecurrenceException,
)

from .errors import (
    IcalError, MalformedCalendar, UnsupportedEvent, UnsupportedRecurrence, UnsupportedTimeZone,
)
from .limits import check_attendees, check_counts, check_size
from .participants import read_attendee, read_organizer
from .recurrence import check_storable, expand, local_rule_for_rrule, pattern_for_local_rule
from .rooms import RoomDirectory, RoomInfo
from .tms_fields import INFO_DIGEST, info_digest, read_tms_properties
from .zones import (
    equivalent_zone, iana_for_windows, is_known_zone, is_utc, time_zone_rule, windows_for_iana,
    zone_info,
)


@dataclass
class ParsedEvent:
    """A client's event as TMS would store it."""

    uid: str
    conference: Conference
    cancelled: bool = False
    room_attendees: list[RoomInfo] = field(default_factory=list)


def parse_event(text: str | bytes, rooms: RoomDirectory, *, default_zone: str = "UTC",
                target_room: RoomInfo | None = None) -> ParsedEvent:
    """Parse one calendar object (one VCALENDAR, one UID, master + overrides).

    Raises an :class:`IcalError` subclass with a one-line reason for anything TMS cannot store
    or that is not valid iCalendar; never another exception for bad input.
    """
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    check_size(data)
    try:
        return _Reader(rooms, default_zone, target_room).read(data)
    except IcalError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as error:
        raise MalformedCalendar(f"the calendar object could not be read: {error}") from None


def _text(component: Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value)


class _Reader:
    def __init__(self, rooms: RoomDirectory, default_zone: str,
                 target_room: RoomInfo | None) -> None:
        self.rooms = rooms
        self.target_room = target_room
        self.default_zone = default_zone
        self.room_attendees: list[RoomInfo] = []
        self.x_wr_zone: str | None = None

    # -- structure -------------------------------------------------------------------------

    def read(self, data: bytes) -> ParsedEvent:
        try:
            calendars = Calendar.from_ical(data, multiple=True)
        except ValueError as error:
            raise MalformedCalendar(f"the text is not iCalendar: {error}") from None
        except OSError:  # icalendar looks a TZID up as a file name (e.g. one of 10,000 chars)
            raise MalformedCalendar("a TZID is not the name of a time zone") from None
        if not calendars or calendars[0].name != "VCALENDAR":
            raise MalformedCalendar(
                "the text is not iCalendar: it holds no complete BEGIN:VCALENDAR … "
                "END:VCALENDAR")
        if len(calendars) != 1:
            raise UnsupportedEvent(
                f"expected one VCALENDAR, found {len(calendars)}; send one event per request")
        calendar = calendars[0]
        events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
        others = {c.name for c in calendar.subcomponents} - {"VEVENT", "VTIMEZONE"}
        if others:
            raise UnsupportedEvent(
                f"{', '.join(sorted(others))} cannot be booked in TMS; send a VEVENT")
        check_counts(len(list(calendar.walk())), max(len(events) - 1, 0))
        for component in calendar.walk():
            for name, reason in getattr(component, "errors", []) or []:
                raise MalformedCalendar(f"{component.name} property {name} is invalid: {reason}")
        if not events:
            raise MalformedCalendar("the calendar holds no VEVENT")
        uids = {_text(e, "UID") for e in events}
        if len(uids) != 1 or "" in uids:
            raise UnsupportedEvent(
                "all VEVENTs of one calendar object must share one non-empty UID; found "
                f"{len(uids)} distinct UIDs")
        masters = [e for e in events if "RECURRENCE-ID" not in e]
        overrides = [e for e in events if "RECURRENCE-ID" in e]
        if len(masters) != 1:
            raise UnsupportedEvent(
                "the calendar object needs exactly one VEVENT without RECURRENCE-ID (the "
                f"series or the meeting), found {len(masters)}")
        zone_name = _text(calendar, "X-WR-TIMEZONE").strip()
        if zone_name and is_known_zone(zone_name):
            self.x_wr_zone = zone_name
        return self.read_events(uids.pop(), masters[0], overrides)

    # -- zones and times -------------------------------------------------------------------

    def room_zone(self) -> str:
        for room in [self.target_room, *self.room_attendees]:
            if room is not None and room.zone and is_known_zone(room.zone):
                return room.zone
        return self.default_zone

    def zone_of(self, event: Component, recurring: bool) -> str:
        """The IANA zone the event's DTSTART lives (and repeats) in."""
        prop = event["DTSTART"]
        value = prop.dt
        tzid = prop.params.get("TZID")
        if not isinstance(value, datetime) or (value.tzinfo is None and not tzid):
            return self.room_zone()
        if value.tzinfo is None:
            raise UnsupportedTimeZone(
                f"time zone {tzid!r} is unknown and has no VTIMEZONE; use an IANA zone such as "
                "'Europe/Oslo' or include the VTIMEZONE")
        if not tzid and value.utcoffset() == timedelta(0):
            if self.x_wr_zone:
                return self.x_wr_zone
            return "UTC" if recurring else self.room_zone()
        if isinstance(value.tzinfo, ZoneInfo) and is_known_zone(value.tzinfo.key):
            return self.preferring_room(value.tzinfo.key)
        return self.resolve_tzid(str(tzid or ""), value)

    def preferring_room(self, zone: str) -> str:
        """``zone``, or the room's zone when TMS would give both the same Windows id."""
        room_zone = self.room_zone()
        if zone == room_zone or is_utc(zone):
            return zone
        try:
            if windows_for_iana(room_zone) == windows_for_iana(zone):
                return room_zone
        except UnsupportedTimeZone:
            pass
        return zone

    def resolve_tzid(self, tzid: str, value: datetime) -> str:
        mapped = iana_for_windows(tzid)
        if mapped:
            return self.preferring_room(mapped)
        parts = tzid.strip("/").split("/")
        for index in range(1, len(parts)):
            suffix = "/".join(parts[index:])
            if is_known_zone(suffix):
                return self.preferring_room(suffix)
        candidates = [self.room_zone(), *sorted(set(WINDOWS_TO_OLSON.values()))]
        match = equivalent_zone(value.tzinfo, value.year, candidates)
        if match is None:
            raise UnsupportedTimeZone(
                f"time zone {tzid!r} matches no zone TMS knows; use an IANA zone such as "
                "'Europe/Oslo' or a Windows zone id")
        return match

    @staticmethod
    def instant(value: date | datetime, zone: tzinfo) -> datetime:
        """An aware local datetime in ``zone`` for a DATE, floating or zoned value."""
        if not isinstance(value, datetime):
            return datetime.combine(value, time(), zone)
        if value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value.astimezone(zone)

    @staticmethod
    def check_exists(local: datetime, zone: tzinfo) -> None:
        """Refuse a start or end the clocks skip (moving forward): clients do not offer one,
        and TMS would book another hour than the one written. (A RECURRENCE-ID or EXDATE may
        name such a time: it identifies an occurrence, it does not book one.)"""
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(
                tzinfo=None):
            raise MalformedCalendar(
                f"{local.replace(tzinfo=None).isoformat(sep=' ')} does not exist in {zone} "
                "(the clocks move forward then); choose a time outside the daylight-saving "
                "change")

    def span(self, event: Component, zone: tzinfo) -> tuple[datetime, datetime, bool]:
        """Local start, end and whether the event is all-day."""
        start_value = event["DTSTART"].dt
        all_day = not isinstance(start_value, datetime)
        start = self.instant(start_value, zone)
        if "DTEND" in event:
            end_value = event["DTEND"].dt
            if isinstance(end_value, datetime) == all_day:
                raise MalformedCalendar("DTSTART and DTEND must both be dates or both date-times")
            end = self.instant(end_value, zone)
        elif "DURATION" in event:
            duration = event["DURATION"].dt
            if not isinstance(duration, timedelta):
                raise MalformedCalendar("DURATION is not a duration")
            days = (start.replace(tzinfo=None) + timedelta(days=duration.days)).replace(
                tzinfo=zone)
            end = (days.astimezone(UTC) + timedelta(seconds=duration.seconds)).astimezone(zone)
        elif all_day:
            end = self.instant(start_value + timedelta(days=1), zone)
        else:
            raise MalformedCalendar(
                "the event has neither DTEND nor DURATION; TMS bookings need an end time")
        if not all_day:
            self.check_exists(start, zone)
            self.check_exists(end, zone)
        if end <= start:
            raise MalformedCalendar(
                f"the event ends ({end.isoformat()}) before or when it starts "
                f"({start.isoformat()}); TMS needs the end after the start")
        return start, end, all_day

    # -- events ----------------------------------------------------------------------------

    def read_events(self, uid: str, master: Component, overrides: list[Component]
                    ) -> ParsedEvent:
        if "DTSTART" not in master:
            raise MalformedCalendar("the VEVENT has no DTSTART")
        for name in ("RDATE", "EXRULE"):
            if name in master:
                raise UnsupportedRecurrence(
                    f"{name} (extra or excluded dates by rule) cannot be stored in TMS, whose "
                    "series follow one RRULE; book the extra dates as separate events")
        rrules = master.get("RRULE")
        if isinstance(rrules, list):
            raise UnsupportedRecurrence(
                "several RRULEs cannot be stored in TMS; use one RRULE per event")
        recurring = rrules is not None
        if overrides and not recurring:
            raise UnsupportedRecurrence(
                "RECURRENCE-ID overrides need a master VEVENT with an RRULE")
        # Rooms first: a floating or all-day time is in the room's zone.
        conference = Conference(external_primary_key=uid)
        parsed = ParsedEvent(uid=uid, conference=conference)
        self.read_people(master, conference)
        zone_name = self.zone_of(master, recurring)
        zone = zone_info(zone_name)
        start, end, all_day = self.span(master, zone)
        conference.start_utc, conference.end_utc = start.astimezone(UTC), end.astimezone(UTC)
        conference.title = _text(master, "SUMMARY")
        conference.time_zone_rules = [time_zone_rule(zone_name, start.year)]
        self.read_details(master, conference)
        parsed.cancelled = _text(master, "STATUS").upper() == "CANCELLED"
        parsed.room_attendees = list(self.room_attendees)
        if recurring:
            self.read_recurrence(master, overrides, conference, start, zone, all_day)
        return parsed

    def read_people(self, event: Component, conference: Conference) -> None:
        """Participants (target room, room attendees, dial-out) and organizer."""
        attendees = event.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        check_attendees(len(attendees))
        rooms: list[RoomInfo] = []
        others: list[Participant] = []
        for value in attendees:
            reading = read_attendee(str(value), dict(value.params), self.rooms)
            if reading.room is not None:
                if all(r.system_id != reading.room.system_id for r in rooms):
                    rooms.append(reading.room)
            elif reading.participant is not None:
                others.append(reading.participant)
        if not self.room_attendees:
            self.room_attendees = rooms
        booked = [self.target_room] if self.target_room else []
        booked += [r for r in rooms if all(b.system_id != r.system_id for b in booked)]
        conference.participants = [
            Participant(call_type=ParticipantCallType.TMS, participant_id=room.system_id,
                        name_or_number=room.name) for room in booked] + others
        if "ORGANIZER" in event:
            organizer = event["ORGANIZER"]
            read_organizer(str(organizer), dict(organizer.params), conference)

    def read_details(self, event: Component, conference: Conference) -> None:
        """X-TMS properties and the user's message (DESCRIPTION unless it is TMS's text)."""
        properties = {name: str(value) for name, value in event.property_items(recursive=False)
                      if name.startswith("X-TMS-")}
        read_tms_properties(properties, conference)
        description = _text(event, "DESCRIPTION")
        if description and properties.get(INFO_DIGEST) != info_digest(description):
            conference.user_message_text = description

    def read_recurrence(self, master: Component, overrides: list[Component],
                        conference: Conference, start: datetime, zone: tzinfo,
                        all_day: bool) -> None:
        rule = local_rule_for_rrule(dict(master["RRULE"]), start, all_day)
        starts = expand(rule, start)
        check_storable(rule, starts, start)
        pattern = pattern_for_local_rule(rule, starts)
        originals = {s.astimezone(UTC) for s in starts}
        exceptions: dict[datetime, RecurrenceException] = {}
        exdates = master.get("EXDATE", [])
        for entry in exdates if isinstance(exdates, list) else [exdates]:
            for item in entry.dts:
                original = self.instant(item.dt, zone).astimezone(UTC)
                if original in originals:
                    exceptions[original] = RecurrenceException(ExceptionType.DELETE, original)
        for override in overrides:
            exception = self.read_override(override, conference, zone, originals)
            if exception.recurrence_id_utc in exceptions and \
                    exceptions[exception.recurrence_id_utc].exception_type == ExceptionType.MODIFY:
                raise MalformedCalendar(
                    "two overrides share RECURRENCE-ID "
                    f"{exception.recurrence_id_utc.astimezone(zone).isoformat()}")
            exceptions.setdefault(exception.recurrence_id_utc, exception)
        pattern.exceptions = [exceptions[key] for key in sorted(exceptions)]
        conference.recurrence = pattern

    def read_override(self, event: Component, series: Conference, zone: tzinfo,
                      originals: set[datetime]) -> RecurrenceException:
        prop = event["RECURRENCE-ID"]
        if str(prop.params.get("RANGE", "")).upper() == "THISANDFUTURE":
            raise UnsupportedRecurrence(
                "RECURRENCE-ID;RANGE=THISANDFUTURE cannot be stored in TMS; change the series "
                "itself, or end it and start a new one")
        original = self.instant(prop.dt, zone).astimezone(UTC)
        if original not in originals:
            raise UnsupportedRecurrence(
                f"RECURRENCE-ID {self.instant(prop.dt, zone).isoformat()} is not an occurrence "
                "of the RRULE; TMS can only change occurrences the pattern produces")
        if _text(event, "STATUS").upper() == "CANCELLED":
            return RecurrenceException(ExceptionType.DELETE, original)
        if "DTSTART" not in event:
            raise MalformedCalendar("an override VEVENT has no DTSTART")
        start, end, _ = self.span(event, zone)
        modified = Conference(
            title=_text(event, "SUMMARY") or series.title,
            start_utc=start.astimezone(UTC), end_utc=end.astimezone(UTC),
            recurrence_instance_id_utc=original, external_primary_key=series.external_primary_key,
            time_zone_rules=series.time_zone_rules)
        if "ATTENDEE" in event:
            self.read_people(event, modified)
        else:
            modified.participants = list(series.participants)
        self.read_details(event, modified)
        return RecurrenceException(ExceptionType.MODIFY, original, modified=modified)
