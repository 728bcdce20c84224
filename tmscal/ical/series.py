"""A TMS conference laid out in its zone: zone, all-day shape, pattern starts, occurrences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from tmscal.model import UTC, Conference, ExceptionType

from .errors import MalformedCalendar
from .recurrence import LocalRule, expand, local_rule_for_pattern
from .rooms import RoomDirectory
from .zones import is_known_zone, zone_for_rules, zone_info


@dataclass
class SeriesLayout:
    """Where and when a conference happens.

    ``starts`` are the pattern's local starts (a single meeting has one); ``deleted`` and
    ``modified`` the exceptions keyed by local original start; ``added`` local starts given
    one by one (RDATE: a series known only by its listed occurrences); ``occurrences`` the UTC
    (start, end) of what actually happens, sorted.
    """

    zone_name: str
    zone: tzinfo
    all_day: bool
    rule: LocalRule | None
    starts: list[datetime]
    deleted: list[datetime] = field(default_factory=list)
    modified: list[tuple[datetime, Conference]] = field(default_factory=list)
    added: list[datetime] = field(default_factory=list)
    occurrences: list[tuple[datetime, datetime]] = field(default_factory=list)


def room_zone(conference: Conference, rooms: RoomDirectory) -> str | None:
    """The configured zone of the first room taking part, if the directory knows it."""
    for system_id in conference.system_ids:
        room = rooms.room_by_id(system_id)
        if room is not None and room.zone and is_known_zone(room.zone):
            return room.zone
    return None


def conference_zone(conference: Conference, rooms: RoomDirectory, default_zone: str) -> str:
    """The IANA zone a conference is shown in: its TimeZoneRules, else its room's, else
    ``default_zone``."""
    preferred = room_zone(conference, rooms)
    return zone_for_rules(conference.time_zone_rules, preferred) or preferred or default_zone


def is_all_day(start: datetime, end: datetime) -> bool:
    """Whether local ``start``/``end`` are both midnights (whole local days)."""
    return (start.time() == time() and end.time() == time() and end.date() > start.date())


def lay_out(conference: Conference, zone_name: str) -> SeriesLayout:
    """The layout of ``conference`` in ``zone_name``; MalformedCalendar when times are missing."""
    if conference.start_utc is None or conference.end_utc is None:
        raise MalformedCalendar(f"conference {conference.conference_id} has no start or end")
    zone = zone_info(zone_name)
    pattern = conference.recurrence
    first_utc = (pattern.first_occurrence_utc if pattern and pattern.first_occurrence_utc
                 else conference.start_utc)
    first = first_utc.astimezone(zone)
    duration = conference.end_utc - conference.start_utc
    all_day = is_all_day(first, (first_utc + duration).astimezone(zone))
    if pattern is None:
        layout = SeriesLayout(zone_name, zone, all_day, None, [first])
        layout.occurrences = [(conference.start_utc, conference.end_utc)]
        return layout
    rule = local_rule_for_pattern(pattern, first)
    starts = expand(rule, first)
    layout = SeriesLayout(zone_name, zone, all_day, rule, starts)
    by_utc = {start.astimezone(UTC): start for start in starts}
    happening = dict.fromkeys(by_utc)
    for exception in sorted(pattern.exceptions, key=lambda e: e.recurrence_id_utc):
        original_utc = exception.recurrence_id_utc.astimezone(UTC)
        original = by_utc.get(original_utc, original_utc.astimezone(zone))
        if exception.exception_type == ExceptionType.DELETE:
            if original_utc in happening:
                layout.deleted.append(original)
                happening.pop(original_utc)
        elif exception.exception_type == ExceptionType.MODIFY and exception.modified:
            layout.modified.append((original, exception.modified))
            happening.pop(original_utc, None)
    spans = [(start, occurrence_end(by_utc[start], duration, all_day).astimezone(UTC))
             for start in happening]
    for _, modified in layout.modified:
        start = modified.start_utc or None
        end = modified.end_utc or None
        if start is not None and end is not None:
            spans.append((start.astimezone(UTC), end.astimezone(UTC)))
    layout.occurrences = sorted(spans)
    return layout


def occurrence_end(start: datetime, duration: timedelta, all_day: bool) -> datetime:
    """The end of an occurrence starting at local ``start``: whole local days for all-day
    series, else the exact ``duration`` (RFC 5545 3.8.5.3)."""
    if all_day:
        days = round(duration / timedelta(days=1))
        return (start.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=start.tzinfo)
    return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)


def lay_out_listed(occurrences: list[Conference], zone_name: str) -> SeriesLayout:
    """The layout of occurrences known one by one (a list answer names no pattern): the
    first is the master, every other one is added at its own start (RDATE) and, when its
    length, title or state differs from the master's, overridden with its own values.
    MalformedCalendar when times are missing."""
    if any(o.start_utc is None or o.end_utc is None for o in occurrences):
        raise MalformedCalendar("a listed conference has no start or end")
    zone = zone_info(zone_name)
    ordered = sorted(occurrences, key=lambda o: (o.start_utc, o.conference_id))
    master = ordered[0]
    first = master.start_utc.astimezone(zone)
    duration = master.end_utc - master.start_utc
    layout = SeriesLayout(zone_name, zone, is_all_day(first, master.end_utc.astimezone(zone)),
                          None, [o.start_utc.astimezone(zone) for o in ordered])
    layout.added = layout.starts[1:]
    layout.modified = [(start, o) for start, o in zip(layout.starts[1:], ordered[1:])
                       if (o.end_utc - o.start_utc, o.title, o.status)
                       != (duration, master.title, master.status)]
    layout.occurrences = sorted((o.start_utc.astimezone(UTC), o.end_utc.astimezone(UTC))
                                for o in ordered)
    return layout
