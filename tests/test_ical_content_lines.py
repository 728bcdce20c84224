"""The text fast paths of tmscal.ical.content_lines give exactly icalendar's bytes."""

from __future__ import annotations

import pytest
from icalendar import Calendar, Event, vText

from tmscal.ical.content_lines import calendar_text, folded, text_line

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


def test_calendar_text_splices_tails_before_each_end():
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    for uid in ("a", "b"):
        event = Event()
        event.add("UID", uid)
        calendar.add_component(event)
    text = calendar_text(calendar, [["X-A:1"], ["X-B:2", "X-C:3"]])
    assert text == ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nX-A:1\r\n"
                    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nX-B:2\r\nX-C:3\r\nEND:VEVENT\r\n"
                    "END:VCALENDAR\r\n")
    assert calendar_text(calendar) == calendar.to_ical(sorted=False).decode()


def test_folded_matches_icalendar_on_random_ascii_with_escapes():
    import random

    from icalendar.parser import Contentline

    rng = random.Random(5)
    for _ in range(2000):
        line = "".join(rng.choice("ab\\^;,: ") for _ in range(rng.randint(0, 400)))
        assert folded(line) == Contentline(line).to_ical().decode(), line
