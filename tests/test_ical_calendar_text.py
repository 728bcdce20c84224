"""Calendars assembled from stored objects (tmscal.ical.calendar_text): what a collection GET
and a feed serve, cut out of the mirror's texts without parsing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tmscal.ical.calendar_text import (
    CalendarAssembly,
    calendar_chunks,
    components_text,
    event_blocks,
    master_text,
)
from tmscal.ical.vtimezones import vtimezone_text

START = datetime(2026, 6, 1, 9, tzinfo=UTC)


def stored(uid: str, *, zone: str = "", extra: str = "", summary: str = "Meeting",
           override: str = "") -> str:
    zones = vtimezone_text(zone, 2026, 2026) if zone else ""
    start = f"DTSTART;TZID={zone}:20260601T090000" if zone else "DTSTART:20260601T090000Z"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal//tmscal//EN\r\n"
            f"{zones}BEGIN:VEVENT\r\nUID:{uid}\r\n{start}\r\nSUMMARY:{summary}\r\n{extra}"
            f"END:VEVENT\r\n{override}END:VCALENDAR\r\n")


def test_components_text_is_everything_but_the_zones_as_stored():
    text = stored("a", zone="Europe/Oslo", extra="BEGIN:VALARM\r\nACTION:DISPLAY\r\n"
                  "END:VALARM\r\n")
    body = components_text(text)
    assert body.startswith("BEGIN:VEVENT\r\nUID:a\r\n") and body.endswith("END:VEVENT\r\n")
    assert "VTIMEZONE" not in body and "BEGIN:VALARM" in body
    assert components_text(text.replace("\r\n", "\n")) == body
    assert components_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n") == ""


def test_event_blocks_are_top_level_vevents_unfolded():
    override = ("BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20260608T090000Z\r\nSUMMARY:Mo\r\n"
                " ved\r\nEND:VEVENT\r\n")
    blocks = event_blocks(stored("a", extra="BEGIN:VALARM\r\nEND:VALARM\r\n",
                                 override=override))
    assert [block[0] for block in blocks] == ["BEGIN:VEVENT", "BEGIN:VEVENT"]
    assert "BEGIN:VALARM" in blocks[0] and blocks[0][-1] == "END:VEVENT"
    assert "SUMMARY:Moved" in blocks[1]


def test_master_text_is_the_series_value_unescaped():
    override = ("BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20260608T090000Z\r\nSUMMARY:Other\r\n"
                "END:VEVENT\r\n")
    text = stored("a", summary=r"C:\\new\, plan", override=override)
    assert master_text(text, "SUMMARY") == "C:\\new, plan"
    assert master_text(override.join(["BEGIN:VCALENDAR\r\n", "END:VCALENDAR\r\n"]),
                       "SUMMARY") == ""
    assert master_text(text, "LOCATION") == ""


def test_assembly_writes_properties_one_zone_per_tzid_then_components_in_order():
    calendar = CalendarAssembly()
    calendar.add_object(stored("a", zone="Europe/Oslo"), START, START + timedelta(hours=1))
    later = START.replace(year=2029)
    calendar.add_object(stored("b", zone="Europe/Oslo"), later, later + timedelta(hours=1),
                        "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Busy\r\nEND:VEVENT\r\n")
    calendar.add_components(["BEGIN:VEVENT\r\nUID:c\r\nEND:VEVENT\r\n"])
    text = calendar.text(["VERSION:2.0", "X-WR-CALNAME:Room\\, A"])
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Room\\, A\r\n"
                           "BEGIN:VTIMEZONE\r\n")
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert vtimezone_text("Europe/Oslo", 2025, 2030) in text
    assert [line for line in text.split("\r\n") if line.startswith("UID:")] == \
        ["UID:a", "UID:b", "UID:c"]
    assert "SUMMARY:Busy" in text and text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert CalendarAssembly().text([]) == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_component_name_is_the_first_component_that_is_no_zone():
    from tmscal.ical.calendar_text import component_name

    assert component_name(stored("a", zone="Europe/Oslo")) == "VEVENT"
    assert component_name("BEGIN:VCALENDAR\nbegin:vtodo\nEND:VTODO\nEND:VCALENDAR\n") == "VTODO"
    assert component_name("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n") == ""


def test_chunks_are_the_assembly_written_piece_by_piece():
    objects = [(stored(f"u{index}", zone=zone, summary="x" * 300), START + timedelta(days=index),
                START + timedelta(days=index, hours=1))
               for index in range(400) for zone in ("Europe/Oslo", "", "America/New_York")]
    assembly = CalendarAssembly()
    for ical, start, end in objects:
        assembly.add_object(ical, start, end)
    pieces = list(calendar_chunks(["VERSION:2.0", "X-WR-CALNAME:Room"], lambda: iter(objects)))
    assert len(pieces) > 2  # written as it goes, not at once
    assert "".join(pieces) == assembly.text(["VERSION:2.0", "X-WR-CALNAME:Room"])
