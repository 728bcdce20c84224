"""Everything TMS cannot store is refused before any TMS call, with a reason naming it."""

from __future__ import annotations

import pytest

from tmscal.ical import (
    CalendarTooLarge, IcalError, MalformedCalendar, RoomInfo, RoomTable, UnsupportedEvent,
    UnsupportedRecurrence, UnsupportedTimeZone, parse_event,
)
from tmscal.ical.limits import MAX_BYTES

OSLO = RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "mailto:room-12@rooms.example.org")
ROOMS = RoomTable([OSLO])
START = ("DTSTART;TZID=Europe/Oslo:20250310T090000", "DTEND;TZID=Europe/Oslo:20250310T100000")


def calendar(*lines: str, extra: str = "") -> str:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", "BEGIN:VEVENT",
            "UID:evt-1", "DTSTAMP:20250101T000000Z", *lines, "END:VEVENT"]
    return "\r\n".join(body) + "\r\n" + extra + "END:VCALENDAR\r\n"


def refusal(text: str | bytes, kind: type[IcalError]) -> str:
    with pytest.raises(kind) as caught:
        parse_event(text, ROOMS, target_room=OSLO)
    assert caught.value.reason == str(caught.value)
    assert "\n" not in caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize("rrule, words", [
    ("FREQ=YEARLY;COUNT=3", ["FREQ=YEARLY", "INTERVAL=12"]),
    ("FREQ=HOURLY;COUNT=3", ["FREQ=HOURLY", "at most daily"]),
    ("FREQ=MINUTELY;COUNT=3", ["FREQ=MINUTELY", "FREQ=DAILY"]),
    ("FREQ=WEEKLY", ["no end", "COUNT or UNTIL"]),
    ("FREQ=DAILY;COUNT=101", ["COUNT=101", "100"]),
    ("FREQ=DAILY;UNTIL=20260101T000000Z", ["more than 100", "earlier UNTIL"]),
    ("FREQ=MONTHLY;BYMONTHDAY=10;BYSETPOS=2;COUNT=3", ["BYMONTHDAY together with BYSETPOS"]),
    ("FREQ=MONTHLY;BYDAY=1MO,3MO;COUNT=3", ["several BYDAY positions", "one series per"]),
    ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,3;COUNT=3", ["several BYDAY positions"]),
    ("FREQ=MONTHLY;BYDAY=MO;COUNT=3", ["no position", "FREQ=WEEKLY"]),
    ("FREQ=MONTHLY;BYDAY=-2MO;COUNT=3", ["position -2", "last (-1)"]),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=3", ["BYMONTHDAY=1,15", "one day of the month"]),
    ("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", ["BYMONTHDAY=-1", "day 1–31"]),
    ("FREQ=WEEKLY;BYMONTH=3;COUNT=3", ["BYMONTH", "cannot be stored"]),
    ("FREQ=DAILY;BYHOUR=9,15;COUNT=3", ["BYHOUR"]),
    ("FREQ=WEEKLY;BYDAY=1MO;COUNT=3", ["positions", "FREQ=MONTHLY"]),
    ("FREQ=DAILY;INTERVAL=2;BYDAY=MO;COUNT=3", ["FREQ=DAILY with INTERVAL and BYDAY"]),
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=3", ["DTSTART is not an occurrence", "move DTSTART"]),
])
def test_unstorable_rrules(rrule, words):
    reason = refusal(calendar(*START, f"RRULE:{rrule}"), UnsupportedRecurrence)
    for word in words:
        assert word in reason


def test_rdate_is_refused():
    reason = refusal(calendar(*START, "RRULE:FREQ=DAILY;COUNT=3",
                              "RDATE;TZID=Europe/Oslo:20250320T090000"), UnsupportedRecurrence)
    assert "RDATE" in reason and "separate events" in reason


def test_several_rrules_are_refused():
    reason = refusal(calendar(*START, "RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=WEEKLY;COUNT=3"),
                     UnsupportedRecurrence)
    assert "several RRULEs" in reason


def override(recurrence_id: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", "UID:evt-1", "DTSTAMP:20250101T000000Z",
                        f"RECURRENCE-ID;{recurrence_id}", *lines, "END:VEVENT"]) + "\r\n"


def test_this_and_future_override_is_refused():
    text = calendar(*START, "RRULE:FREQ=DAILY;COUNT=3", extra=override(
        "RANGE=THISANDFUTURE;TZID=Europe/Oslo:20250311T090000", *START))
    assert "THISANDFUTURE" in refusal(text, UnsupportedRecurrence)


def test_override_of_a_date_outside_the_pattern_is_refused():
    text = calendar(*START, "RRULE:FREQ=DAILY;COUNT=3", extra=override(
        "TZID=Europe/Oslo:20250311T100000", *START))
    assert "is not an occurrence of the RRULE" in refusal(text, UnsupportedRecurrence)


def test_override_without_series_is_refused():
    text = calendar(*START, extra=override("TZID=Europe/Oslo:20250311T090000", *START))
    assert "need a master VEVENT with an RRULE" in refusal(text, UnsupportedRecurrence)


def test_two_uids_are_refused():
    text = calendar(*START, extra="BEGIN:VEVENT\r\nUID:other\r\n" + "\r\n".join(START)
                    + "\r\nEND:VEVENT\r\n")
    assert "share one non-empty UID" in refusal(text, UnsupportedEvent)


def test_two_calendars_are_refused():
    text = calendar(*START)
    assert "one VCALENDAR" in refusal(text + text, UnsupportedEvent)


def test_tasks_are_refused():
    text = calendar(*START, extra="BEGIN:VTODO\r\nUID:evt-1\r\nEND:VTODO\r\n")
    assert "VTODO cannot be booked" in refusal(text, UnsupportedEvent)


def test_size_cap():
    text = calendar(*START, "DESCRIPTION:" + "x" * MAX_BYTES)
    assert "at most" in refusal(text, CalendarTooLarge)


def test_override_cap():
    overrides = "".join(override(f"TZID=Europe/Oslo:20250310T0900{i:02d}", *START)
                        for i in range(101))
    text = calendar(*START, "RRULE:FREQ=DAILY;COUNT=3", extra=overrides)
    assert "100" in refusal(text, CalendarTooLarge)


def test_attendee_cap():
    attendees = [f"ATTENDEE:mailto:p{i}@example.org" for i in range(201)]
    assert "attendees" in refusal(calendar(*START, *attendees), CalendarTooLarge)


@pytest.mark.parametrize("text, words", [
    (b"not a calendar at all", "not iCalendar"),
    (b"\xff\xfe\x00garbage", "not iCalendar"),
    (calendar("DTSTART:garbage", "DTEND:20250310T100000Z"), "DTSTART is invalid"),
    (calendar("DTEND:20250310T100000Z"), "no DTSTART"),
    (calendar("DTSTART:20250310T100000Z"), "neither DTEND nor DURATION"),
    (calendar("DTSTART:20250310T100000Z", "DTEND:20250310T090000Z"), "before or when"),
    (calendar("DTSTART;VALUE=DATE:20250310", "DTEND:20250310T090000Z"), "both be dates"),
    ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "no VEVENT"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20250310T100000Z\r\nEND:VEVENT\r\n"
     "END:VCALENDAR\r\n", "non-empty UID"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", "not iCalendar"),
])
def test_malformed_input_gives_a_readable_reason(text, words):
    with pytest.raises(IcalError) as caught:
        parse_event(text, ROOMS, target_room=OSLO)
    assert words in caught.value.reason


def test_unknown_tzid_is_refused():
    reason = refusal(calendar("DTSTART;TZID=Mars/Olympus:20250310T090000",
                              "DTEND;TZID=Mars/Olympus:20250310T100000"), UnsupportedTimeZone)
    assert "'Mars/Olympus'" in reason and "IANA" in reason


def test_custom_zone_matching_nothing_is_refused():
    zone = ("BEGIN:VTIMEZONE\r\nTZID:Odd\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
            "TZOFFSETFROM:+0017\r\nTZOFFSETTO:+0017\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
    text = calendar("DTSTART;TZID=Odd:20250310T090000", "DTEND;TZID=Odd:20250310T100000")
    text = text.replace("BEGIN:VEVENT", zone + "BEGIN:VEVENT", 1)
    assert "matches no zone TMS knows" in refusal(text, UnsupportedTimeZone)


@pytest.mark.parametrize("start, end", [
    ("20250330T023000", "20250330T033000"),   # start skipped: clocks go 02:00 → 03:00
    ("20250330T013000", "20250330T020000"),   # end skipped
])
def test_times_skipped_by_a_dst_change_are_refused(start, end):
    reason = refusal(calendar(f"DTSTART;TZID=Europe/Oslo:{start}",
                              f"DTEND;TZID=Europe/Oslo:{end}"), MalformedCalendar)
    assert "does not exist in Europe/Oslo" in reason
    assert "daylight-saving change" in reason


def test_an_override_of_an_occurrence_in_a_dst_gap_is_accepted():
    """RECURRENCE-ID identifies an occurrence (here one the clocks skip); it books nothing."""
    text = calendar("DTSTART;TZID=Europe/Oslo:20250316T023000",
                    "DTEND;TZID=Europe/Oslo:20250316T033000", "RRULE:FREQ=WEEKLY;COUNT=3",
                    extra="\r\n".join([
                        "BEGIN:VEVENT", "UID:evt-1", "DTSTAMP:20250101T000000Z",
                        "RECURRENCE-ID;TZID=Europe/Oslo:20250330T023000",
                        "DTSTART;TZID=Europe/Oslo:20250330T090000",
                        "DTEND;TZID=Europe/Oslo:20250330T100000", "END:VEVENT", ""]))
    conference = parse_event(text, ROOMS, target_room=OSLO).conference
    [moved] = conference.recurrence.exceptions
    assert moved.modified.start_utc.isoformat() == "2025-03-30T07:00:00+00:00"
