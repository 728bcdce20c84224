"""The pieces of free/busy and principal search on their own: the VFREEBUSY request reader and
reply writer (:mod:`tmscal.ical.freebusy`), busy periods merged and clipped, search criteria,
the search bodies clients send, and room addresses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tmscal.bridge.invitations.addresses import room_addresses
from tmscal.bridge.scheduling.freebusy import merged_busy
from tmscal.bridge.scheduling.principals import (
    Criterion,
    Field,
    Match,
    RoomPrincipal,
    UserPrincipal,
)
from tmscal.ical.errors import CalendarTooLarge, MalformedCalendar
from tmscal.ical.freebusy import freebusy_reply, read_freebusy_request
from tmscal.mirror.store import Room
from tmscal.web.principal_xml import search_request

T0 = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)


def request_text(*lines: str, attendees: int = 1) -> bytes:
    people = "".join(f"ATTENDEE;CN=Room {n}:mailto:room-{n}@rooms.example.org\r\n"
                     for n in range(attendees))
    body = "".join(f"{line}\r\n" for line in lines)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb-1\r\n"
            "ORGANIZER:mailto:alice@example.org\r\n"
            f"{people}{body}END:VFREEBUSY\r\nEND:VCALENDAR\r\n").encode()


def test_a_request_in_utc_local_time_and_dates():
    utc = read_freebusy_request(request_text("DTSTART:20270327T080000Z",
                                             "DTEND:20270329T080000Z"))
    assert (utc.uid, utc.organizer, utc.start, utc.end) == (
        "fb-1", "mailto:alice@example.org", T0, T0 + timedelta(days=2))
    assert utc.attendees[0].address == "mailto:room-0@rooms.example.org"
    assert utc.attendees[0].params == {"CN": "Room 0"}
    # across Oslo's DST change (28 March 2027): 09:00 CET, then 09:00 CEST
    oslo = read_freebusy_request(request_text("DTSTART;TZID=Europe/Oslo:20270327T090000",
                                              "DTEND;TZID=Europe/Oslo:20270329T090000"))
    assert (oslo.start, oslo.end) == (T0, T0 + timedelta(days=2, hours=-1))
    windows = read_freebusy_request(request_text(
        "DTSTART;TZID=W. Europe Standard Time:20270327T090000", "DTEND;VALUE=DATE:20270330"))
    assert (windows.start, windows.end) == (T0, datetime(2027, 3, 30, tzinfo=UTC))


@pytest.mark.parametrize(("data", "error", "reason"), [
    (request_text("DTSTART:20270327T080000Z", "DTEND:20270327T250000Z"), MalformedCalendar,
     "not a valid date"),
    (request_text("DTSTART:tomorrow", "DTEND:20270327T080000Z"), MalformedCalendar,
     "DTSTART value 'tomorrow' is not a DATE or DATE-TIME"),
    (request_text("DTSTART:20270327T080000Z", "DTEND:20270328T080000Z", attendees=201),
     CalendarTooLarge, "at most 200"),
    (request_text("DTSTART:20270327T080000Z", "DTEND:20270328T080000Z",
                  "END:VEVENT"), MalformedCalendar, "END:VEVENT does not close"),
    (request_text("DTSTART:20270327T080000Z", "DTEND:20270328T080000Z").replace(
        b"END:VCALENDAR", b"BEGIN:VFREEBUSY\r\nEND:VFREEBUSY\r\nEND:VCALENDAR"),
     MalformedCalendar, "one VFREEBUSY, not 2"),
    (request_text("DTSTART:20270327T080000Z", "DTEND:20270328T080000Z").replace(
        b"ORGANIZER:mailto:alice@example.org", b"ORGANIZER:"), MalformedCalendar,
     "has no ORGANIZER"),
])
def test_what_is_no_free_busy_request_is_refused_with_a_reason(data, error, reason):
    with pytest.raises(error) as raised:
        read_freebusy_request(data)
    assert reason in raised.value.reason


def test_the_reply_names_both_sides_and_each_busy_period_in_utc():
    request = read_freebusy_request(request_text("DTSTART:20270327T080000Z",
                                                 "DTEND:20270329T080000Z"))
    busy = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
            (T0 + timedelta(days=1), T0 + timedelta(days=1, hours=1))]
    text = freebusy_reply(request, "urn:x-tms:system:101", busy, T0)
    assert "FREEBUSY;FBTYPE=BUSY:20270327T090000Z/20270327T100000Z\r\n" in text
    vfreebusy = Calendar.from_ical(text).walk("VFREEBUSY")[0]
    assert (str(vfreebusy["UID"]), str(vfreebusy["ATTENDEE"]), vfreebusy["DTSTAMP"].dt) == (
        "fb-1", "urn:x-tms:system:101", T0)
    assert [p.dt for p in vfreebusy["FREEBUSY"]] == busy


def test_busy_periods_are_clipped_merged_and_sorted():
    hour = timedelta(hours=1)
    spans = [(T0 + 5 * hour, T0 + 6 * hour), (T0 - hour, T0 + hour),  # starts before
             (T0 + 2 * hour, T0 + 3 * hour), (T0 + 3 * hour, T0 + 4 * hour),  # touching
             (T0 + 5 * hour, T0 + 5 * hour),  # empty
             (T0 + 9 * hour, T0 + 11 * hour)]  # ends after
    assert merged_busy(spans, T0, T0 + 10 * hour) == [
        (T0, T0 + hour), (T0 + 2 * hour, T0 + 4 * hour), (T0 + 5 * hour, T0 + 6 * hour),
        (T0 + 9 * hour, T0 + 10 * hour)]
    assert merged_busy([(T0, T0 + 3 * hour), (T0 + hour, T0 + 2 * hour)], T0,
                       T0 + 4 * hour) == [(T0, T0 + 3 * hour)]


ROOM = Room(101, "Oslo Fjord", address="mailto:oslo.fjord@video.example.org")
FJORD = RoomPrincipal(ROOM, room_addresses("mailto:room-{id}@rooms.example.org", ROOM))
ALICE = UserPrincipal("alice", ("mailto:alice@example.org",))


def test_a_room_has_its_template_sip_and_urn_addresses():
    assert FJORD.addresses == ("mailto:room-101@rooms.example.org",
                               "mailto:oslo.fjord@video.example.org", "urn:x-tms:system:101")
    assert room_addresses("mailto:{name}@x.org", Room(7, "Lab")) == (
        "mailto:lab@x.org", "urn:x-tms:system:7")


@pytest.mark.parametrize(("criterion", "room", "user"), [
    (Criterion(frozenset({Field.NAME}), "FJO"), True, False),
    (Criterion(frozenset({Field.NAME}), "oslo", Match.STARTS_WITH), True, False),
    (Criterion(frozenset({Field.NAME}), "fjord", Match.STARTS_WITH), False, False),
    (Criterion(frozenset({Field.NAME}), "fjord", Match.ENDS_WITH), True, False),
    (Criterion(frozenset({Field.NAME}), "oslo fjord", Match.EQUALS), True, False),
    (Criterion(frozenset({Field.ADDRESS}), "room-101@rooms", Match.STARTS_WITH), True, False),
    (Criterion(frozenset({Field.ADDRESS}), "mailto:alice@example.org", Match.EQUALS), False,
     True),
    (Criterion(frozenset({Field.CUTYPE}), "room", Match.EQUALS), True, False),
    (Criterion(frozenset({Field.CUTYPE, Field.NAME}), "ali"), False, True),
    (Criterion(frozenset(), "oslo"), False, False),
])
def test_criteria_match_case_insensitively(criterion, room, user):
    assert (criterion.matches(FJORD), criterion.matches(ALICE)) == (room, user)


def test_search_bodies_as_clients_write_them():
    apple = ET.fromstring(
        '<x:principal-property-search xmlns:x="DAV:" xmlns:C="http://calendarserver.org/ns/" '
        'test="anyof"><x:property-search><x:prop><C:first-name/></x:prop>'
        '<x:match match-type="starts-with">fj</x:match></x:property-search>'
        '<x:property-search><x:prop><C:email-address-set/></x:prop><x:match>fj</x:match>'
        '</x:property-search><x:prop><x:displayname/></x:prop></x:principal-property-search>')
    search = search_request(apple, ())
    assert (search.match_all, search.properties, search.cutypes) == (
        False, ("{DAV:}displayname",), None)
    assert [(set(c.fields), c.match) for c in search.criteria] == [
        ({Field.NAME}, Match.STARTS_WITH), ({Field.ADDRESS}, Match.CONTAINS)]
    calendarserver = ET.fromstring(
        '<C:calendarserver-principal-search xmlns:C="http://calendarserver.org/ns/" '
        'xmlns:D="DAV:" context="location"><C:search-token>Oslo</C:search-token>'
        '<C:search-token> </C:search-token><C:limit><C:nresults>5</C:nresults></C:limit>'
        '</C:calendarserver-principal-search>')
    search = search_request(calendarserver, ("{DAV:}displayname",))
    assert (search.match_all, search.cutypes, search.limit, search.properties) == (
        True, frozenset({"ROOM"}), 5, ("{DAV:}displayname",))
    assert [c.text for c in search.criteria] == ["Oslo"]
    assert search_request(ET.fromstring('<D:sync-collection xmlns:D="DAV:"/>'), ()) is None
