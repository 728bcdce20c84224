"""The text fast paths of tmscal.ical.content_lines give exactly icalendar's bytes."""

from __future__ import annotations

import pytest
from icalendar import Event, vText

from tmscal.ical.content_lines import folded, property_lines, text_line

TEXTS = ["plain", "a;b,c\\d", "line\r\none\rtwo\nthree", "\\N new", "x" * 73, "x" * 74,
         "x" * 75, "x" * 200, "Ø" * 30, "ab" * 36 + "\\;" + "cd" * 20, "é" * 37 + "^x"]


@pytest.mark.parametrize("text", TEXTS)
def test_text_line_is_icalendars(text):
    event = Event()
    event.add("X-TMS-BILLING-CODE", vText(text))
    expected = event.to_ical(sorted=False).decode().split("\r\n")
    assert "\r\n".join(expected[1:-2]) == text_line("X-TMS-BILLING-CODE", text)


@pytest.mark.parametrize("length", [1, 73, 74, 75, 76, 150])
def test_folded_matches_icalendar(length):
    event = Event()
    event.add("SUMMARY", "s" * length)
    lines = event.to_ical(sorted=False).decode().split("\r\n")
    assert folded("SUMMARY:" + "s" * length) == "\r\n".join(lines[1:-2])


def test_property_lines_are_icalendars_lines_of_the_properties():
    event = Event()
    event.add("UID", "a")
    event.add("ATTENDEE", "mailto:" + "r" * 80, parameters={"CN": "Room, big", "CUTYPE": "ROOM"})
    event.add("ATTENDEE", "mailto:s@example.org")
    lines = event.to_ical(sorted=False).decode().split("\r\n")
    assert len(property_lines(event)) == 3
    assert "\r\n".join(property_lines(event)) == "\r\n".join(lines[1:-2])


def test_folded_matches_icalendar_on_random_ascii_with_escapes():
    import random

    from icalendar.parser import Contentline

    rng = random.Random(5)
    for _ in range(2000):
        line = "".join(rng.choice("ab\\^;,: ") for _ in range(rng.randint(0, 400)))
        assert folded(line) == Contentline(line).to_ical().decode(), line


def test_time_line_is_icalendars_for_every_zone_dates_and_utc():
    from datetime import UTC, date, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo, available_timezones

    from tmscal.ical.content_lines import time_line

    def icalendar_line(name, value):
        event = Event()
        event.add(name, value)
        return event.to_ical(sorted=False).decode().split("\r\n", 1)[1].rsplit("\r\nEND:", 1)[0]

    instant = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    values = [date(2026, 3, 2), instant, instant.replace(microsecond=5),
              instant.astimezone(timezone(timedelta(hours=2)))]
    values += [instant.astimezone(ZoneInfo(key)) for key in sorted(available_timezones())]
    for name in ("DTSTART", "RECURRENCE-ID"):
        for value in values:
            assert time_line(name, value) == icalendar_line(name, value), value
