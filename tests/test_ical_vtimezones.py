"""VTIMEZONEs generated from the IANA zone give zoneinfo's offsets to a parser that reads only
them (dateutil's ``tzical``, what vobject uses), and keep to what every parser reads."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz

from tmscal.ical import RoomInfo, RoomTable, render_conference
from tmscal.ical.calendar_text import MergedZones, zone_blocks
from tmscal.ical.vtimezones import vtimezone_text
from tmscal.ical.zones import time_zone_rule
from tmscal.model import (
    UTC, Conference, DayOfWeek, Participant, ParticipantCallType, RecurrencePattern,
    RecurringFrequency,
)

ZONES = ["Europe/Oslo", "America/New_York", "Australia/Adelaide", "Asia/Kolkata",
         "Europe/Dublin", "Australia/Lord_Howe", "America/Santiago", "Asia/Jerusalem",
         "Africa/Casablanca", "Pacific/Auckland"]


def read(text: str, zone: str) -> tz.tzical:
    return tz.tzical(io.StringIO(text.replace("\r\n", "\n"))).get(zone)


def instants(first_year: int, last_year: int, zone: ZoneInfo):
    """Every 3 days, and an hour either side of every offset change, in the years."""
    at = datetime(first_year, 1, 1, 12, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while at < end:
        yield at
        later = at + timedelta(days=3)
        if later.astimezone(zone).utcoffset() != at.astimezone(zone).utcoffset():
            low, high = at, later
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == at.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            yield high - timedelta(hours=1)
            yield high + timedelta(hours=1)
        at = later


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("years", [(2026, 2028), (2004, 2006)])
def test_offsets_equal_zoneinfo_over_the_years_asked_for(zone, years):
    text = vtimezone_text(zone, *years)
    assert "COMMENT" not in text and "RDATE" not in text
    assert text.startswith(f"BEGIN:VTIMEZONE\r\nTZID:{zone}\r\n")
    read_back, info = read(text, zone), ZoneInfo(zone)
    wrong = [at for at in instants(*years, info)
             if at.astimezone(read_back).utcoffset() != at.astimezone(info).utcoffset()]
    assert wrong == []


@pytest.mark.parametrize("zone", ["Europe/Oslo", "America/New_York", "Australia/Adelaide",
                                  "Asia/Kolkata"])
def test_a_zone_with_a_current_rule_has_one_text_for_every_span(zone):
    text = vtimezone_text(zone, 2026, 2026)
    assert vtimezone_text(zone, 2025, 2040) == text
    if zone != "Asia/Kolkata":
        assert text.count("RRULE:FREQ=YEARLY;BYMONTH=") == 2
    info = ZoneInfo(zone)  # and the rule holds far ahead
    assert all(at.astimezone(read(text, zone)).utcoffset() == at.astimezone(info).utcoffset()
               for at in instants(2035, 2036, info))


def test_a_series_into_the_next_year_carries_a_zone_for_all_of_it():
    """The issue's case: a weekly series from Dec 2026 past the 2027 DST change in Oslo."""
    rooms = RoomTable([RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "")])
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    series = Conference(
        conference_id=1, title="Weekly sync", start_utc=start, end_utc=start + timedelta(hours=1),
        participants=[Participant(ParticipantCallType.TMS, 12)],
        time_zone_rules=[time_zone_rule("Europe/Oslo", 2026)],
        recurrence=RecurrencePattern(RecurringFrequency.WEEKLY, 1, [DayOfWeek.MONDAY],
                                     instances=25))
    rendered = render_conference(series, rooms)
    assert rendered.occurrences[-1][0] == datetime(2027, 5, 24, 7, tzinfo=UTC)  # 09:00 CEST
    zone = read(zone_blocks(rendered.ical)["Europe/Oslo"], "Europe/Oslo")
    assert all(at.astimezone(zone).utcoffset() == at.astimezone(ZoneInfo("Europe/Oslo"))
               .utcoffset() for at, _ in rendered.occurrences)


def test_a_merged_body_keeps_the_own_definition_of_a_zone_zoneinfo_lacks():
    own = ("BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
           "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
    oslo = vtimezone_text("Europe/Oslo", 2026, 2026)
    merged = MergedZones()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    merged.add(f"BEGIN:VCALENDAR\r\n{own}{oslo}BEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
               start, start)
    assert merged.text() == own + oslo
