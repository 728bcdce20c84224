"""The text fast paths of tmscal.ical.content_lines give exactly icalendar's bytes."""

from __future__ import annotations

import pytest
from icalendar import Event, vText

from tmscal.ical.content_lines import folded
from tmscal.ical.render_lines import property_lines, text_line

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

    from tmscal.ical.render_lines import time_line

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


# ---- the content-line text every other module uses ---------------------------------------

def test_escape_text_escapes_backslash_separators_and_every_line_end():
    from tmscal.ical.content_lines import escape_text

    assert escape_text("C:\\new, plan; a\r\nb\nc\rd") == r"C:\\new\, plan\; a\nb\nc\nd"
    assert escape_text(r"\N stays") == r"\\N stays"  # only text_line keeps icalendar's quirk


@pytest.mark.parametrize("value,text", [
    (r"C:\\new\, plan", "C:\\new, plan"),  # a 409/403 reason once showed "C:\ ew, plan"
    (r"a\;b\,c\\d", "a;b,c\\d"),
    (r"one\ntwo\Nthree", "one\ntwo\nthree"),
    (r"\\\\n", "\\\\n"),
    ("trailing\\", "trailing"),
])
def test_unescape_text_reads_escapes_left_to_right(value, text):
    from tmscal.ical.content_lines import unescape_text

    assert unescape_text(value) == text


@pytest.mark.parametrize("text", TEXTS)
def test_unescape_text_inverts_escape_text(text):
    from tmscal.ical.content_lines import escape_text, unescape_text

    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert unescape_text(escape_text(text)) == expected


@pytest.mark.parametrize("line", ["S:" + "x" * 73, "S:" + "x" * 74, "S:" + "x" * 300,
                                  "S:" + "Ø" * 80, "S:" + "é" * 36 + "x", "S:short"])
def test_fold_keeps_every_physical_line_within_75_octets_and_unfolds_back(line):
    from tmscal.ical.content_lines import fold, unfold

    text = fold(line)
    assert all(len(piece.encode()) <= 75 for piece in text.split("\r\n"))
    assert text.split("\r\n")[0] == line[:len(text.split("\r\n")[0])]
    assert unfold(text + "\r\n") == [line]


def test_unfold_joins_space_and_tab_continuations_and_drops_empty_lines():
    from tmscal.ical.content_lines import unfold

    assert unfold("A:1\r\n 2\r\n\r\nB:3\n\t4\nC:5") == ["A:12", "B:34", "C:5"]


def test_parse_line_keeps_quoted_parameters_and_the_raw_value():
    from tmscal.ical.content_lines import ContentLine, parse_line, property_name

    raw = 'attendee;CN="Room: A; B";cutype=ROOM:mailto:a@x;b'
    line = parse_line(raw)
    assert line == ContentLine("ATTENDEE", (("CN", '"Room: A; B"'), ("CUTYPE", "ROOM")),
                               "mailto:a@x;b")
    assert line.param("CN") == "Room: A; B" and line.param("ROLE") is None
    assert line.text() == 'ATTENDEE;CN="Room: A; B";CUTYPE=ROOM:mailto:a@x;b'
    assert property_name(raw) == "ATTENDEE"
    assert parse_line("NOCOLON") == ContentLine("NOCOLON", (), "")


def test_without_control_characters_keeps_tab_and_line_ends():
    from tmscal.ical.content_lines import without_control_characters

    assert without_control_characters("Board\x1b[1m\x7f\x85 \t\r\nmeeting") == \
        "Board[1m \t\r\nmeeting"
