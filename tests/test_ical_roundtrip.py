"""Property: VEVENT → Conference → VEVENT keeps the occurrence set and the exceptions.

Occurrences are expanded by an independent implementation (recurring-ical-events) on both the
client's text and tmscal's rendering, over DST transitions and meetings crossing midnight UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from tmscal.ical import RoomInfo, RoomTable, parse_event, render_conference
from tmscal.model import UTC, RecurringFrequency

ZONES = ["Europe/Oslo", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "UTC",
         "Pacific/Chatham", "America/Sao_Paulo"]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WINDOW = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2060, 1, 1, tzinfo=UTC))  # past any series


def occurrences(text: str, zone: str) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of every occurrence: starts by recurring-ical-events, timed ends by the
    exact DTSTART–DTEND duration of the master or of the overriding component (RFC 5545
    §3.8.5.3; the expander keeps the wall-clock end, which differs across a DST change)."""
    calendar = Calendar.from_ical(text)
    exact = {}
    for component in calendar.walk("VEVENT"):
        start, end = component["DTSTART"].dt, component["DTEND"].dt
        if isinstance(start, datetime):
            key = component["RECURRENCE-ID"].dt.astimezone(UTC) if (
                "RECURRENCE-ID" in component) else None
            exact[key] = end.astimezone(UTC) - start.astimezone(UTC)
    found = []
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        if not isinstance(start, datetime):
            start = datetime.combine(start, datetime.min.time(), ZoneInfo(zone))
            end = datetime.combine(end, datetime.min.time(), ZoneInfo(zone))
        else:  # add exact durations in UTC: aware local arithmetic would be wall-clock
            start = start.astimezone(UTC)
            recurrence_id = (event["RECURRENCE-ID"].dt.astimezone(UTC)
                             if "RECURRENCE-ID" in event else None)
            end = start + exact.get(recurrence_id, exact[None])
        found.append((start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(found)


def exceptions(text: str) -> tuple[set[datetime], set[datetime]]:
    """(EXDATE instants, RECURRENCE-ID instants) of a calendar object, in UTC."""
    calendar = Calendar.from_ical(text)
    excluded, overridden = set(), set()
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            overridden.add(_utc(event["RECURRENCE-ID"].dt))
        entries = event.get("EXDATE", [])
        for entry in entries if isinstance(entries, list) else [entries]:
            excluded.update(_utc(item.dt) for item in entry.dts)
    return excluded, overridden


def _utc(value):
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _local(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


@st.composite
def series(draw):
    """(zone, VCALENDAR text) of a storable series with EXDATEs and overrides."""
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone) if zone != "UTC" else UTC
    day = draw(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
    hour = draw(st.sampled_from([0, 1, 2, 3, 5, 8, 9, 13, 17, 19, 21, 22, 23]))
    minute = draw(st.sampled_from([0, 15, 30, 45]))
    shape = draw(st.sampled_from(["daily", "weekday", "weekly", "monthday", "position"]))
    interval = draw(st.integers(1, 3))
    parts: list[str]
    if shape == "daily":
        parts = ["FREQ=DAILY"] + ([f"INTERVAL={interval}"] if interval > 1 else [])
    elif shape == "weekday":
        while day.weekday() > 4:
            day += timedelta(days=1)
        parts = ["FREQ=WEEKLY", "BYDAY=MO,TU,WE,TH,FR"]
    elif shape == "weekly":
        days = set(draw(st.sets(st.integers(0, 6), max_size=3))) | {day.weekday()}
        parts = ["FREQ=WEEKLY", "BYDAY=" + ",".join(CODES[d] for d in sorted(days))]
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
        parts.append(f"WKST={draw(st.sampled_from(['MO', 'SU']))}")
    elif shape == "monthday":
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={day.day}"]
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
    else:
        last = (day + timedelta(days=7)).month != day.month
        position = -1 if last and draw(st.booleans()) else (day.day - 1) // 7 + 1
        parts = ["FREQ=MONTHLY", f"BYDAY={position}{CODES[day.weekday()]}"]
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    assume(start.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == start.replace(tzinfo=None))
    duration = timedelta(minutes=draw(st.sampled_from([15, 30, 60, 90, 180])))
    count = draw(st.integers(1, 25))
    parts.append(f"COUNT={count}")
    text = _calendar(zone, start, duration, ";".join(parts), [], [])
    expanded = occurrences(text, zone)
    assume(expanded and expanded[0][0] == start.astimezone(UTC))
    if draw(st.booleans()):  # end by UNTIL instead: the start of a drawn occurrence
        last = draw(st.integers(0, len(expanded) - 1))
        until = expanded[last][0].strftime("%Y%m%dT%H%M%SZ")
        parts[-1] = f"UNTIL={until}"
        expanded = expanded[:last + 1]
    starts = [s for s, _ in expanded]
    picked = draw(st.lists(st.sampled_from(starts), max_size=4, unique=True)) if starts else []
    cut = draw(st.integers(0, len(picked)))
    exdates = [p for p in picked[:cut] if p != starts[0] or len(starts) > 1]
    moves = [(p, timedelta(minutes=draw(st.sampled_from([-90, 30, 60, 24 * 60]))))
             for p in picked[cut:]]
    written = [start + duration] + [o + m + d for o, m in moves for d in (timedelta(0), duration)]
    assume(all(_unambiguous(instant, tz) for instant in written))
    return zone, _calendar(zone, start, duration, ";".join(parts), exdates, moves)


def _unambiguous(instant: datetime, tz) -> bool:
    """Whether ``instant`` written as local wall-clock time in ``tz`` reads back as itself: the
    time exists and is not repeated by a DST change (clients write such times only by
    mistake; the parser refuses skipped ones, and repeated ones mean the first)."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    readings = {local.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return readings == {instant.astimezone(UTC)}


def _calendar(zone, start, duration, rrule, exdates, moves) -> str:
    tz = start.tzinfo

    def when(name, instant):
        if zone == "UTC":
            return f"{name}:{instant.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
        return f"{name};TZID={zone}:{_local(instant.astimezone(tz))}"

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", "BEGIN:VEVENT",
             "UID:prop-1", "DTSTAMP:20250101T000000Z", when("DTSTART", start),
             when("DTEND", start + duration), f"RRULE:{rrule}", "SUMMARY:Series"]
    lines += [when("EXDATE", instant) for instant in exdates]
    lines.append("END:VEVENT")
    for original, move in moves:
        lines += ["BEGIN:VEVENT", "UID:prop-1", "DTSTAMP:20250101T000000Z",
                  when("RECURRENCE-ID", original), when("DTSTART", original + move),
                  when("DTEND", original + move + duration), "SUMMARY:Moved", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


ROOMS = RoomTable([RoomInfo(7, "Board room", "Europe/Oslo", "mailto:board@rooms.example.org")])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(series())
def test_series_survive_the_round_trip(case):
    zone, text = case
    parsed = parse_event(text, ROOMS, default_zone=zone)
    rendered = render_conference(parsed.conference, ROOMS, default_zone=zone)
    assert rendered is not None
    expected = occurrences(text, zone)
    assert occurrences(rendered.ical, zone) == expected
    assert rendered.occurrences == expected
    assert exceptions(rendered.ical) == exceptions(text)
    if expected:
        assert rendered.start_utc == min(s for s, _ in expected)
        assert rendered.end_utc == max(e for _, e in expected)
    again = parse_event(rendered.ical, ROOMS, default_zone=zone)
    assert again.conference.recurrence == parsed.conference.recurrence


@settings(max_examples=40, deadline=None)
@given(series(), st.sampled_from(["full", "title", "busy"]))
def test_rendering_is_deterministic_at_every_level(case, privacy):
    zone, text = case
    parsed = parse_event(text, ROOMS, default_zone=zone)
    first = render_conference(parsed.conference, ROOMS, privacy=privacy)
    second = render_conference(parsed.conference.copy(), ROOMS, privacy=privacy)
    assert first.ical == second.ical
    assert occurrences(first.ical, zone) == occurrences(text, zone)


@st.composite
def tms_series(draw):
    """(zone, Conference) as TMS returns a series: UTC weekdays, TimeZoneRules of the zone."""
    from tmscal.ical.zones import time_zone_rule
    from tmscal.model import (
        Conference, DayOfWeek, ExceptionType, RecurrenceEndType, RecurrenceException,
        RecurrencePattern,
    )
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone) if zone != "UTC" else UTC
    day = draw(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
    all_day = draw(st.integers(0, 5)) == 0
    local = datetime(day.year, day.month, day.day, tzinfo=tz) if all_day else datetime(
        day.year, day.month, day.day, draw(st.sampled_from([0, 1, 7, 9, 18, 22, 23])),
        draw(st.sampled_from([0, 30, 45])), tzinfo=tz)
    assume(local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None))
    start = local.astimezone(UTC)
    shift = (start.date() - local.date()).days
    utc_day = DayOfWeek.from_python_weekday(start.weekday())
    frequency = draw(st.sampled_from([RecurringFrequency.DAILY, RecurringFrequency.WEEKLY,
                                      RecurringFrequency.DAILY_WEEKDAY,
                                      RecurringFrequency.MONTHLY]))
    pattern = RecurrencePattern(frequency, draw(st.integers(1, 3)),
                                first_day_of_week=draw(st.sampled_from(list(DayOfWeek))))
    if frequency == RecurringFrequency.DAILY_WEEKDAY:
        assume(start.weekday() < 5)
        pattern.interval = 1
    elif frequency == RecurringFrequency.WEEKLY:
        extra = draw(st.sets(st.sampled_from(list(DayOfWeek)), max_size=2))
        pattern.days_of_week = sorted({utc_day} | extra, key=lambda d: d.python_weekday)
    elif frequency == RecurringFrequency.MONTHLY:
        if draw(st.booleans()):
            pattern.by_month_day = local.day
        else:
            pattern.by_set_position = (local.day - 1) // 7 + 1
            pattern.days_of_week = [utc_day]
    if draw(st.booleans()):
        pattern.instances = draw(st.integers(1, 20))
    else:
        pattern.end_type = RecurrenceEndType.END_BY_DATE
        pattern.end_date_utc = start + timedelta(days=draw(st.integers(0, 150)))
    pattern.first_occurrence_utc = start
    if all_day:  # TMS holds an all-day booking as local midnight to the next local midnight
        next_day = day + timedelta(days=1)
        end = datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz).astimezone(UTC)
    else:
        end = start + timedelta(minutes=draw(st.sampled_from([30, 90])))
    conference = Conference(conference_id=9, title="TMS series", start_utc=start,
                            end_utc=end, external_primary_key="tms-9",
                            time_zone_rules=[time_zone_rule(zone, day.year)],
                            recurrence=pattern)
    rendered = render_conference(conference, ROOMS)
    assume(2 <= len(rendered.occurrences) <= 100)
    originals = [s for s, _ in rendered.occurrences]
    deleted = draw(st.sets(st.sampled_from(originals[1:]), max_size=2))
    pattern.exceptions = [RecurrenceException(ExceptionType.DELETE, d) for d in sorted(deleted)]
    del shift
    return zone, conference


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(tms_series())
def test_tms_series_render_what_an_independent_expander_sees(case):
    zone, conference = case
    rendered = render_conference(conference, ROOMS)
    assert rendered.occurrences == occurrences(rendered.ical, zone)
    parsed = parse_event(rendered.ical, ROOMS, default_zone=zone).conference
    again = render_conference(parsed, ROOMS)
    assert again.occurrences == rendered.occurrences
    before, after = conference.recurrence, parsed.recurrence
    if after.frequency == before.frequency != RecurringFrequency.DAILY_WEEKDAY:
        assert set(after.days_of_week) == set(before.days_of_week)
        assert (after.by_month_day, after.by_set_position) == (
            before.by_month_day, before.by_set_position)
    assert [e.recurrence_id_utc for e in parsed.recurrence.exceptions] == [
        e.recurrence_id_utc for e in conference.recurrence.exceptions]
