"""VEVENT → Conference: what real clients send, as small examples."""

from __future__ import annotations

from datetime import datetime

import pytest

from tmscal.ical import RoomInfo, RoomTable, parse_event, render_conference
from tmscal.model import (
    UTC, DayOfWeek, ExceptionType, ParticipantCallType, RecurrenceEndType, RecurringFrequency,
)

OSLO = RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "mailto:room-12@rooms.example.org")
ADELAIDE = RoomInfo(40, "Torrens", "Australia/Adelaide", "mailto:torrens@rooms.example.org")
ROOMS = RoomTable([OSLO, ADELAIDE])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def calendar(*lines: str, head: tuple[str, ...] = ()) -> str:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", *head,
            "BEGIN:VEVENT", "UID:evt-1", "DTSTAMP:20250101T000000Z", *lines, "END:VEVENT",
            "END:VCALENDAR"]
    return "\r\n".join(body) + "\r\n"


def parse(*lines: str, head: tuple[str, ...] = (), room: RoomInfo | None = OSLO):
    return parse_event(calendar(*lines, head=head), ROOMS, target_room=room)


def test_thunderbird_event_with_iana_tzid():
    parsed = parse("SUMMARY:Planning", "DTSTART;TZID=Europe/Oslo:20250310T090000",
                   "DTEND;TZID=Europe/Oslo:20250310T100000")
    conference = parsed.conference
    assert parsed.uid == conference.external_primary_key == "evt-1"
    assert conference.title == "Planning"
    assert (conference.start_utc, conference.end_utc) == (utc(2025, 3, 10, 8), utc(2025, 3, 10, 9))
    assert conference.time_zone_rules[0].id == "W. Europe Standard Time"
    assert conference.system_ids == [12]


OUTLOOK_ZONE = ("BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time", "BEGIN:STANDARD",
                "DTSTART:16010101T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
                "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD", "BEGIN:DAYLIGHT",
                "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
                "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT", "END:VTIMEZONE")


def test_outlook_windows_tzid_with_vtimezone():
    parsed = parse("DTSTART;TZID=W. Europe Standard Time:20250710T090000",
                   "DTEND;TZID=W. Europe Standard Time:20250710T100000", head=OUTLOOK_ZONE)
    assert parsed.conference.start_utc == utc(2025, 7, 10, 7)
    assert parsed.conference.time_zone_rules[0].id == "W. Europe Standard Time"


def test_custom_vtimezone_equal_to_a_known_zone():
    head = tuple(line.replace("W. Europe Standard Time", "Customized Time Zone")
                 for line in OUTLOOK_ZONE)
    parsed = parse("DTSTART;TZID=Customized Time Zone:20250710T090000",
                   "DTEND;TZID=Customized Time Zone:20250710T100000", head=head)
    assert parsed.conference.start_utc == utc(2025, 7, 10, 7)


@pytest.mark.filterwarnings("ignore:Timezone")
def test_known_tzid_without_vtimezone_and_vendor_prefix():
    parsed = parse("DTSTART;TZID=/mozilla.org/20070129_1/Europe/Oslo:20250110T090000",
                   "DTEND;TZID=/mozilla.org/20070129_1/Europe/Oslo:20250110T100000")
    assert parsed.conference.start_utc == utc(2025, 1, 10, 8)


def test_google_utc_series_repeats_in_x_wr_timezone():
    # Weekly at 09:00 Oslo, written in UTC; after the DST change it is 07:00 UTC.
    parsed = parse("DTSTART:20250320T080000Z", "DTEND:20250320T090000Z",
                   "RRULE:FREQ=WEEKLY;COUNT=3", head=("X-WR-TIMEZONE:Europe/Oslo",))
    rendered = render_conference(parsed.conference, ROOMS)
    assert [s for s, _ in rendered.occurrences] == [
        utc(2025, 3, 20, 8), utc(2025, 3, 27, 8), utc(2025, 4, 3, 7)]


def test_floating_time_is_in_the_rooms_zone():
    parsed = parse("DTSTART:20250310T090000", "DTEND:20250310T100000", room=ADELAIDE)
    assert parsed.conference.start_utc == utc(2025, 3, 9, 22, 30)
    assert parsed.conference.time_zone_rules[0].id == "Cen. Australia Standard Time"


def test_duration_instead_of_dtend():
    parsed = parse("DTSTART;TZID=Europe/Oslo:20250310T090000", "DURATION:PT1H30M")
    assert parsed.conference.end_utc == utc(2025, 3, 10, 9, 30)


def test_all_day_event_is_the_whole_local_day_and_renders_back_all_day():
    parsed = parse("DTSTART;VALUE=DATE:20250310", "DTEND;VALUE=DATE:20250311")
    assert (parsed.conference.start_utc, parsed.conference.end_utc) == (
        utc(2025, 3, 9, 23), utc(2025, 3, 10, 23))
    text = render_conference(parsed.conference, ROOMS).ical
    assert "DTSTART;VALUE=DATE:20250310" in text


def test_all_day_without_end_lasts_one_day():
    parsed = parse("DTSTART;VALUE=DATE:20250310")
    assert parsed.conference.end_utc == utc(2025, 3, 10, 23)


def test_weekly_rrule_on_local_tuesday_after_midnight_is_monday_in_utc():
    parsed = parse("DTSTART;TZID=Europe/Oslo:20250318T003000",
                   "DTEND;TZID=Europe/Oslo:20250318T013000",
                   "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4")
    pattern = parsed.conference.recurrence
    assert pattern.frequency == RecurringFrequency.WEEKLY
    assert pattern.days_of_week == [DayOfWeek.MONDAY]
    assert pattern.first_day_of_week == DayOfWeek.SUNDAY  # WKST=MO shifted to UTC
    assert (pattern.end_type, pattern.instances) == (RecurrenceEndType.END_BY_INSTANCES, 4)
    assert pattern.first_occurrence_utc == parsed.conference.start_utc == utc(2025, 3, 17, 23, 30)


def test_weekday_series_in_adelaide_evening_is_utc_weekdays():
    parsed = parse("DTSTART;TZID=Australia/Adelaide:20250303T180000",
                   "DTEND;TZID=Australia/Adelaide:20250303T190000",
                   "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10", room=ADELAIDE)
    assert parsed.conference.recurrence.frequency == RecurringFrequency.DAILY_WEEKDAY
    morning = parse("DTSTART;TZID=Australia/Adelaide:20250303T080000",
                    "DTEND;TZID=Australia/Adelaide:20250303T090000",
                    "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=10", room=ADELAIDE)
    pattern = morning.conference.recurrence  # 08:00 in Adelaide is the day before in UTC
    assert pattern.frequency == RecurringFrequency.WEEKLY
    assert pattern.days_of_week == [DayOfWeek.SUNDAY, DayOfWeek.MONDAY, DayOfWeek.TUESDAY,
                                    DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY]


def test_monthly_by_day_and_by_position():
    by_day = parse("DTSTART;TZID=Europe/Oslo:20250315T090000",
                   "DTEND;TZID=Europe/Oslo:20250315T100000",
                   "RRULE:FREQ=MONTHLY;BYMONTHDAY=15;INTERVAL=2;COUNT=3").conference.recurrence
    assert (by_day.frequency, by_day.by_month_day, by_day.interval) == (
        RecurringFrequency.MONTHLY, 15, 2)
    last_friday = parse("DTSTART;TZID=Europe/Oslo:20250328T090000",
                        "DTEND;TZID=Europe/Oslo:20250328T100000",
                        "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1;UNTIL=20250731T000000Z"
                        ).conference.recurrence
    assert (last_friday.by_set_position, last_friday.days_of_week) == (-1, [DayOfWeek.FRIDAY])
    assert last_friday.end_type == RecurrenceEndType.END_BY_DATE
    assert last_friday.end_date_utc == utc(2025, 7, 25, 7)  # start of the last occurrence
    second_tuesday = parse("DTSTART;TZID=Europe/Oslo:20250311T090000",
                           "DTEND;TZID=Europe/Oslo:20250311T100000",
                           "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=2").conference.recurrence
    assert (second_tuesday.by_set_position, second_tuesday.days_of_week) == (
        2, [DayOfWeek.TUESDAY])


def test_exdate_and_overrides_become_exceptions():
    text = calendar("SUMMARY:Sync", "DTSTART;TZID=Europe/Oslo:20250310T090000",
                    "DTEND;TZID=Europe/Oslo:20250310T100000", "RRULE:FREQ=WEEKLY;COUNT=4",
                    "EXDATE;TZID=Europe/Oslo:20250317T090000")
    override = ("BEGIN:VEVENT\r\nUID:evt-1\r\nDTSTAMP:20250101T000000Z\r\n"
                "RECURRENCE-ID;TZID=Europe/Oslo:20250324T090000\r\n"
                "DTSTART;TZID=Europe/Oslo:20250324T140000\r\n"
                "DTEND;TZID=Europe/Oslo:20250324T150000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
                "BEGIN:VEVENT\r\nUID:evt-1\r\nDTSTAMP:20250101T000000Z\r\n"
                "RECURRENCE-ID;TZID=Europe/Oslo:20250331T090000\r\nSTATUS:CANCELLED\r\n"
                "DTSTART;TZID=Europe/Oslo:20250331T090000\r\n"
                "DTEND;TZID=Europe/Oslo:20250331T100000\r\nEND:VEVENT\r\n")
    text = text.replace("END:VCALENDAR", override + "END:VCALENDAR")
    parsed = parse_event(text, ROOMS, target_room=OSLO)
    exceptions = parsed.conference.recurrence.exceptions
    assert [(e.exception_type, e.recurrence_id_utc) for e in exceptions] == [
        (ExceptionType.DELETE, utc(2025, 3, 17, 8)),
        (ExceptionType.MODIFY, utc(2025, 3, 24, 8)),
        (ExceptionType.DELETE, utc(2025, 3, 31, 7))]
    modified = exceptions[1].modified
    assert (modified.title, modified.start_utc, modified.end_utc) == (
        "Moved", utc(2025, 3, 24, 13), utc(2025, 3, 24, 14))
    assert modified.recurrence_instance_id_utc == utc(2025, 3, 24, 8)
    assert modified.system_ids == [12]


def test_room_and_dial_out_attendees():
    parsed = parse("DTSTART:20250310T090000Z", "DTEND:20250310T100000Z",
                   "ORGANIZER;CN=Jane Doe:mailto:jane@example.org",
                   "ATTENDEE;CN=Jane Doe:mailto:jane@example.org",
                   "ATTENDEE;CUTYPE=ROOM;CN=Torrens:mailto:TORRENS@rooms.example.org",
                   "ATTENDEE;CN=Oslo Fjord:mailto:someone-else@example.org",
                   "ATTENDEE:sip:bob@video.example.com",
                   "ATTENDEE:tel:+4722334455",
                   "ATTENDEE:h323:10.0.0.10", room=None)
    assert [r.system_id for r in parsed.room_attendees] == [40, 12]
    participants = [(p.call_type, p.participant_id, p.name_or_number)
                    for p in parsed.conference.participants]
    assert participants == [
        (ParticipantCallType.TMS, 40, "Torrens"), (ParticipantCallType.TMS, 12, "Oslo Fjord"),
        (ParticipantCallType.SIP_OUT, 0, "bob@video.example.com"),
        (ParticipantCallType.TELEPHONE_OUT, 0, "+4722334455"),
        (ParticipantCallType.IP_VIDEO_OUT, 0, "10.0.0.10")]
    conference = parsed.conference
    assert (conference.owner_first_name, conference.owner_last_name,
            conference.owner_email_address) == ("Jane", "Doe", "jane@example.org")


def test_target_room_comes_first_and_is_not_repeated():
    parsed = parse("DTSTART:20250310T090000Z", "DTEND:20250310T100000Z",
                   "ATTENDEE;CUTYPE=ROOM:mailto:room-12@rooms.example.org")
    assert parsed.conference.system_ids == [12]
    assert parsed.room_attendees == [OSLO]


def test_cancelled_status_and_user_description():
    parsed = parse("DTSTART:20250310T090000Z", "DTEND:20250310T100000Z", "STATUS:CANCELLED",
                   "DESCRIPTION:Bring the budget")
    assert parsed.cancelled
    assert parsed.conference.user_message_text == "Bring the budget"


def test_x_tms_ids_sent_by_a_client_are_not_read():
    parsed = parse("DTSTART:20250310T090000Z", "DTEND:20250310T100000Z",
                   "X-TMS-CONFERENCE-ID:999", "X-TMS-VERSION:5", "X-TMS-BANDWIDTH:bogus")
    assert parsed.conference.conference_id == -1 and parsed.conference.version == 0
