"""Conference → VEVENT: small examples, one mapping each."""

from __future__ import annotations

from datetime import datetime

import pytest
from icalendar import Calendar

from tmscal.ical import RoomInfo, RoomTable, parse_event, render_conference
from tmscal.ical.zones import time_zone_rule
from tmscal.model import (
    UTC, Bandwidth, Conference, ConferenceStatus, ConferenceType, DayOfWeek, ExceptionType,
    Participant, ParticipantCallType, RecurrenceEndType, RecurrenceException, RecurrencePattern,
    RecurringFrequency,
)

OSLO = RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "mailto:room-12@rooms.example.org")
NEW_YORK = RoomInfo(30, "Hudson", "America/New_York", "mailto:hudson@rooms.example.org")
ROOMS = RoomTable([OSLO, NEW_YORK])
INFO = "Weekly sync\nVideo: dial 991234@video.example.org\nPIN: 9817\nConference ID: 501"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def meeting(**changes) -> Conference:
    base = Conference(
        conference_id=501, title="Weekly sync", start_utc=utc(2025, 3, 10, 8), end_utc=utc(
            2025, 3, 10, 9), external_primary_key="66e51a0e-1", owner_first_name="Jane",
        owner_last_name="Doe", owner_email_address="jane@example.org",
        participants=[Participant(ParticipantCallType.TMS, 12, "Oslo Fjord"),
                      Participant(ParticipantCallType.SIP_OUT, 1, "bob@video.example.com")],
        time_zone_rules=[time_zone_rule("Europe/Oslo", 2025)], version=49435060,
        password="9817", conference_info_text=INFO, bandwidth=Bandwidth.B30_1920,
        conference_type=ConferenceType.AUTOMATIC_CALL_LAUNCH)
    return base.copy(**changes)


def lines(conference: Conference, **options) -> list[str]:
    rendered = render_conference(conference, ROOMS, **options)
    unfolded = rendered.ical.replace("\r\n ", "")
    return unfolded.split("\r\n")


def event(conference: Conference, **options):
    return Calendar.from_ical(render_conference(conference, ROOMS, **options).ical).walk(
        "VEVENT")


def test_single_meeting_in_the_conference_zone():
    text = lines(meeting())
    assert "UID:66e51a0e-1" in text
    assert "SUMMARY:Weekly sync" in text
    assert "DTSTART;TZID=Europe/Oslo:20250310T090000" in text
    assert "DTEND;TZID=Europe/Oslo:20250310T100000" in text
    assert "TZID:Europe/Oslo" in text  # the VTIMEZONE
    assert "PRODID:-//tmscal//tmscal//EN" in text
    assert not any(line.startswith("METHOD") for line in text)


def test_windows_zone_is_shown_as_the_rooms_iana_zone_and_else_cldrs():
    assert "DTSTART;TZID=Europe/Oslo:20250310T090000" in lines(meeting())
    other_room = meeting(participants=[Participant(ParticipantCallType.TMS, 30)])
    assert "DTSTART;TZID=Europe/Berlin:20250310T090000" in lines(other_room)


def test_without_zone_rules_the_rooms_zone_is_used():
    text = lines(meeting(time_zone_rules=[],
                         participants=[Participant(ParticipantCallType.TMS, 30)]))
    assert "DTSTART;TZID=America/New_York:20250310T040000" in text


def test_utc_zone_is_written_with_z_and_no_vtimezone():
    text = lines(meeting(time_zone_rules=[], participants=[]))
    assert "DTSTART:20250310T080000Z" in text
    assert not any(line == "BEGIN:VTIMEZONE" for line in text)


def test_weekly_days_in_utc_are_shifted_to_the_local_weekday():
    # Tuesday 00:30 in Oslo is Monday 23:30 UTC: TMS says Monday, the calendar Tuesday.
    series = meeting(start_utc=utc(2025, 3, 17, 23, 30), end_utc=utc(2025, 3, 18, 0, 30),
                     recurrence=RecurrencePattern(RecurringFrequency.WEEKLY, 1,
                                                  [DayOfWeek.MONDAY], instances=6))
    assert "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=TU;WKST=MO" in lines(series)


@pytest.mark.parametrize("pattern, rrule", [
    (RecurrencePattern(RecurringFrequency.DAILY, 2, instances=5),
     "RRULE:FREQ=DAILY;COUNT=5;INTERVAL=2"),
    (RecurrencePattern(RecurringFrequency.DAILY_WEEKDAY, instances=10),
     "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,TU,WE,TH,FR;WKST=SU"),
    (RecurrencePattern(RecurringFrequency.WEEKLY, 2, [DayOfWeek.MONDAY, DayOfWeek.THURSDAY],
                       first_day_of_week=DayOfWeek.MONDAY, instances=8),
     "RRULE:FREQ=WEEKLY;COUNT=8;INTERVAL=2;BYDAY=MO,TH;WKST=MO"),
    (RecurrencePattern(RecurringFrequency.MONTHLY, 1, by_month_day=10, instances=3),
     "RRULE:FREQ=MONTHLY;COUNT=3;BYMONTHDAY=10"),
    (RecurrencePattern(RecurringFrequency.MONTHLY, 1, [DayOfWeek.MONDAY], by_set_position=2,
                       instances=3),
     "RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=2MO"),
    (RecurrencePattern(RecurringFrequency.MONTHLY, 1, [DayOfWeek.MONDAY], by_set_position=-1,
                       end_type=RecurrenceEndType.END_BY_DATE,
                       end_date_utc=utc(2025, 6, 30, 8)),
     "RRULE:FREQ=MONTHLY;UNTIL=20250630T080000Z;BYDAY=-1MO"),
])
def test_recurrence_patterns_become_rrules(pattern, rrule):
    # 2025-03-10 is the 2nd Monday of March; -1MO starts the 31st.
    start = utc(2025, 3, 31, 8) if pattern.by_set_position == -1 else utc(2025, 3, 10, 8)
    series = meeting(start_utc=start, end_utc=start.replace(hour=9), recurrence=pattern)
    assert rrule in lines(series)


def series_with_exceptions() -> Conference:
    moved = Conference(title="Moved", start_utc=utc(2025, 3, 24, 12), end_utc=utc(2025, 3, 24, 13))
    return meeting(recurrence=RecurrencePattern(
        RecurringFrequency.WEEKLY, 1, [DayOfWeek.MONDAY], instances=4, exceptions=[
            RecurrenceException(ExceptionType.DELETE, utc(2025, 3, 17, 8)),
            RecurrenceException(ExceptionType.MODIFY, utc(2025, 3, 24, 8), modified=moved)]))


def test_deleted_occurrences_become_exdate_and_modified_ones_overrides():
    text = lines(series_with_exceptions())
    assert "EXDATE;TZID=Europe/Oslo:20250317T090000" in text
    assert "RECURRENCE-ID;TZID=Europe/Oslo:20250324T090000" in text
    assert "DTSTART;TZID=Europe/Oslo:20250324T130000" in text
    assert "SUMMARY:Moved" in text


def test_occurrence_index_excludes_exdates_and_includes_overrides():
    rendered = render_conference(series_with_exceptions(), ROOMS)
    assert rendered.occurrences == [
        (utc(2025, 3, 10, 8), utc(2025, 3, 10, 9)),
        (utc(2025, 3, 24, 12), utc(2025, 3, 24, 13)),
        (utc(2025, 3, 31, 7), utc(2025, 3, 31, 8)),  # summer time in Oslo: same local 09:00
    ]
    assert (rendered.start_utc, rendered.end_utc) == (utc(2025, 3, 10, 8), utc(2025, 3, 31, 8))


def test_participants_become_attendees_and_owner_the_organizer():
    master = event(meeting())[0]
    room, dial_out = master["ATTENDEE"]
    assert str(room) == "mailto:room-12@rooms.example.org"
    assert room.params["CUTYPE"] == "ROOM" and room.params["CN"] == "Oslo Fjord"
    assert str(dial_out) == "sip:bob@video.example.com"
    assert dial_out.params["X-TMS-CALL-TYPE"] == "SIP ->"
    assert str(master["ORGANIZER"]) == "mailto:jane@example.org"
    assert master["ORGANIZER"].params["CN"] == "Jane Doe"


def test_phone_and_h323_dial_outs_and_dial_ins():
    participants = [Participant(ParticipantCallType.TELEPHONE_OUT, 2, "+47 22 33 44 55"),
                    Participant(ParticipantCallType.IP_VIDEO_OUT, 3, "10.0.0.10"),
                    Participant(ParticipantCallType.IP_VIDEO_IN, 4, "Placeholder for John")]
    attendees = event(meeting(participants=participants))[0]["ATTENDEE"]
    assert [str(a) for a in attendees] == [
        "tel:+47%2022%2033%2044%2055", "h323:10.0.0.10", "urn:x-tms:dial-in:4"]
    assert attendees[2].params["CN"] == "Placeholder for John"


def test_dial_in_alias_pin_description_and_tms_properties():
    master = event(meeting())[0]
    assert str(master["LOCATION"]) == "991234@video.example.org"
    assert str(master["CONFERENCE"]) == "sip:991234@video.example.org"
    assert master["CONFERENCE"].params["LABEL"] == "Video dial-in, PIN 9817"
    assert str(master["DESCRIPTION"]) == INFO
    assert str(master["X-TMS-CONFERENCE-ID"]) == "501"
    assert str(master["X-TMS-BANDWIDTH"]) == "30b/1920kbps"
    assert str(master["X-TMS-CONFERENCE-TYPE"]) == "Automatic Call Launch"
    assert str(master["X-TMS-PIN"]) == "9817"


@pytest.mark.parametrize("state, status", [
    (ConferenceStatus.PENDING, "CONFIRMED"), (ConferenceStatus.ONGOING, "CONFIRMED"),
    (ConferenceStatus.FINISHED, "CONFIRMED"), (ConferenceStatus.DEFECTIVE, "TENTATIVE"),
    (ConferenceStatus.MEETING_REQUEST, "TENTATIVE")])
def test_conference_state_becomes_status(state, status):
    assert f"STATUS:{status}" in lines(meeting(status=state))


def test_deleted_conferences_are_not_rendered():
    assert render_conference(meeting(status=ConferenceStatus.DELETED), ROOMS) is None


def test_rendering_is_deterministic_and_sequence_follows_version():
    first = render_conference(meeting(), ROOMS).ical
    assert first == render_conference(meeting(), ROOMS).ical
    text = lines(meeting())
    assert "SEQUENCE:49435060" in text
    assert "DTSTAMP:20250310T080000Z" in text and "LAST-MODIFIED:20250310T080000Z" in text
    assert "SEQUENCE:49435061" in lines(meeting(version=49435061))
    assert "SEQUENCE:77" in lines(meeting(version=0, transaction_id=77))


def test_changed_utc_sets_dtstamp_and_last_modified():
    text = lines(meeting(), changed_utc=utc(2025, 2, 1, 10, 0, 5))
    assert "DTSTAMP:20250201T100005Z" in text and "LAST-MODIFIED:20250201T100005Z" in text


def test_all_day_bookings_render_as_dates():
    day = meeting(start_utc=utc(2025, 3, 9, 23), end_utc=utc(2025, 3, 10, 23))
    text = lines(day)
    assert "DTSTART;VALUE=DATE:20250310" in text and "DTEND;VALUE=DATE:20250311" in text
    assert "BEGIN:VTIMEZONE" not in text


SECRETS = ["jane@example.org", "991234", "9817", "bob@video", "X-TMS-", "DESCRIPTION",
           "CONFERENCE", "LOCATION"]


def test_title_privacy_keeps_title_organizer_name_times_and_rooms_only():
    text = render_conference(series_with_exceptions(), ROOMS, privacy="title").ical
    unfolded = text.replace("\r\n ", "")
    for secret in SECRETS:
        assert secret not in unfolded, secret
    assert "SUMMARY:Weekly sync" in unfolded and "SUMMARY:Moved" in unfolded
    assert 'CN="Jane Doe"' in unfolded and "room-12@rooms.example.org" in unfolded


def test_busy_privacy_shows_only_busy_and_times():
    text = render_conference(series_with_exceptions(), ROOMS, privacy="busy").ical
    unfolded = text.replace("\r\n ", "")
    for secret in SECRETS + ["Weekly sync", "Moved", "Jane", "Oslo Fjord", "ATTENDEE",
                             "ORGANIZER", "SEQUENCE"]:
        assert secret not in unfolded, secret
    assert unfolded.count("SUMMARY:Busy") == 2
    assert "RRULE:" in unfolded and "EXDATE" in unfolded


def test_unknown_privacy_level_is_refused():
    with pytest.raises(ValueError, match="privacy"):
        render_conference(meeting(), ROOMS, privacy="secret")


def test_rendered_events_parse_back_to_the_same_booking():
    parsed = parse_event(render_conference(series_with_exceptions(), ROOMS).ical, ROOMS)
    conference = parsed.conference
    assert conference.title == "Weekly sync"
    assert conference.recurrence.days_of_week == [DayOfWeek.MONDAY]
    assert conference.bandwidth == Bandwidth.B30_1920
    assert conference.conference_type == ConferenceType.AUTOMATIC_CALL_LAUNCH
    assert conference.system_ids == [12]
    assert conference.user_message_text == ""  # TMS's own invitation text is not a message
    assert [e.exception_type for e in conference.recurrence.exceptions] == [
        ExceptionType.DELETE, ExceptionType.MODIFY]
    assert conference.conference_id == -1  # X-TMS-CONFERENCE-ID:501 is not trusted
