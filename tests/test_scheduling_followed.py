"""Units of implicit scheduling: TMS's version carried into a meeting
(:mod:`tmscal.bridge.scheduling.followed_event`), a room's REPLY (:mod:`tmscal.ical.itip`) and
the SCHEDULE-AGENT rule."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tmscal.bridge.scheduling.followed_event import carry
from tmscal.bridge.scheduling.implicit import server_schedules
from tmscal.ical.itip import reply
from tmscal.model import UTC

MEETING = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:m1\r\n"
    "DTSTAMP:20300101T000000Z\r\nDTSTART:20300304T090000Z\r\nDTEND:20300304T100000Z\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly\r\nDESCRIPTION:Bring slides\r\nSEQUENCE:2\r\n"
    "ORGANIZER;SCHEDULE-STATUS=1.2:mailto:alice@example.org\r\n"
    "ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=1.2;X-TMSCAL-REASON=x:"
    "mailto:room-101@rooms.example.org\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Soon\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID:20300318T090000Z\r\n"
    "DTSTART:20300318T130000Z\r\nDTEND:20300318T140000Z\r\nSUMMARY:Weekly (moved)\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n")

TMS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal//tmscal//EN\r\n"
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Oslo\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20300102T000000Z\r\n"
    "DTSTART;TZID=Europe/Oslo:20300304T120000\r\nDTEND;TZID=Europe/Oslo:20300304T123000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Oslo:20300311T120000\r\n"
    "SUMMARY:Weekly (TMS)\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:m1\r\nDTSTAMP:20300102T000000Z\r\n"
    "RECURRENCE-ID;TZID=Europe/Oslo:20300325T120000\r\n"
    "DTSTART;TZID=Europe/Oslo:20300325T150000\r\nDTEND;TZID=Europe/Oslo:20300325T153000\r\n"
    "SUMMARY:Weekly (TMS)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

OSLO = ZoneInfo("Europe/Oslo")


def test_carry_takes_tms_time_recurrence_and_title_and_keeps_the_rest():
    carried = Calendar.from_ical(carry(MEETING, TMS, with_titles=True))
    assert [str(z["TZID"]) for z in carried.walk("VTIMEZONE")] == ["Europe/Oslo"]
    master, override = carried.walk("VEVENT")
    assert master["DTSTART"].dt == datetime(2030, 3, 4, 12, tzinfo=OSLO)
    assert master["DTEND"].dt == datetime(2030, 3, 4, 12, 30, tzinfo=OSLO)
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2030, 3, 11, 12, tzinfo=OSLO)]
    assert str(master["SUMMARY"]) == "Weekly (TMS)"
    assert int(master["SEQUENCE"]) == 3 and int(override["SEQUENCE"]) == 3
    # the meeting's own things stay: description, alarm, attendees with their answers
    assert str(master["DESCRIPTION"]) == "Bring slides" and master.walk("VALARM")
    assert master["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    # TMS's override replaces the meeting's (the 18th is back to the pattern in TMS)
    assert override["RECURRENCE-ID"].dt == datetime(2030, 3, 25, 12, tzinfo=OSLO)
    assert override["DTSTART"].dt == datetime(2030, 3, 25, 15, tzinfo=OSLO)
    assert "RRULE" not in override and str(override["DESCRIPTION"]) == "Bring slides"


def test_carry_without_titles_keeps_the_meetings_titles():
    master = Calendar.from_ical(carry(MEETING, TMS, with_titles=False)).walk("VEVENT")[0]
    assert str(master["SUMMARY"]) == "Weekly"
    assert master["DTSTART"].dt == datetime(2030, 3, 4, 12, tzinfo=OSLO)


def test_reply_names_one_room_and_carries_no_server_parameter():
    text = reply(MEETING, "MAILTO:room-101@rooms.example.org", "DECLINED",
                 "4.0;Event conflict. Date-time is busy", "Busy; booked by 'Board', sorry",
                 now=datetime(2030, 1, 2, tzinfo=UTC))
    message = Calendar.from_ical(text)
    assert str(message["METHOD"]) == "REPLY"
    [event] = message.walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("m1", 2)
    assert "RRULE" not in event and "VALARM" not in text
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:room-101@rooms.example.org"
    assert dict(attendee.params) == {"CUTYPE": "ROOM", "PARTSTAT": "DECLINED"}
    assert "SCHEDULE-STATUS" not in event["ORGANIZER"].params
    assert "REQUEST-STATUS:4.0;Event conflict. Date-time is busy;Busy\\; booked by " in text
    assert str(event["COMMENT"]) == "Busy; booked by 'Board', sorry"


def test_schedule_agent_rule():
    assert server_schedules({}) and server_schedules({"SCHEDULE-AGENT": "server"})
    assert not server_schedules({"SCHEDULE-AGENT": "CLIENT"})
    assert not server_schedules({"SCHEDULE-AGENT": "NONE"})
