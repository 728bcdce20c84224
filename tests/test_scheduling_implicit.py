"""Implicit scheduling of rooms (RFC 6638), end to end: the ``caldav`` library and raw requests
against ``tmscal serve`` backed by the TMS simulator over HTTP. The organizer's meeting carries
each room's SCHEDULE-STATUS and PARTSTAT, the rooms' answers and TMS's later changes reach the
meeting and the schedule inbox (as the rooms' REPLYs), SCHEDULE-AGENT=CLIENT leaves a room
alone, and only the owner reads an inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import requests
from icalendar import Calendar

from tests.bridge_harness import serving_bridge, wait_until
from tests.test_caldav_e2e import SOURCE, slot, tms_conference
from tests.test_invitations_e2e import (
    RIGHTS, address, book_directly, meeting, put, read_back, room_params,
)
from tmscal.model import ConferenceNotFound, Participant, ParticipantCallType, TmsError

STAMP = "%Y%m%dT%H%M%SZ"
PROPFIND_TYPE = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/>'
                 '</D:prop></D:propfind>')


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        yield running


def inbox(bridge, user: str = "alice") -> list[Calendar]:
    """The messages of ``user``'s schedule inbox, through the caldav library."""
    calendar = bridge.client(user).calendar(url=f"{bridge.url}{user}/inbox/")
    return [Calendar.from_ical(event.data) for event in calendar.events()]


def messages(bridge, uid: str, method: str, user: str = "alice") -> list:
    """The VEVENTs of ``user``'s inbox messages about ``uid`` with ``method``."""
    return [message.walk("VEVENT")[0] for message in inbox(bridge, user)
            if str(message["METHOD"]) == method
            and str(message.walk("VEVENT")[0]["UID"]) == uid]


def replies(bridge, uid: str) -> list[tuple[str, str, str]]:
    """``(room address, PARTSTAT, REQUEST-STATUS code)`` of the REPLYs about ``uid``."""
    found = []
    for event in messages(bridge, uid, "REPLY"):
        attendee = event["ATTENDEE"]
        found.append((str(attendee), str(attendee.params["PARTSTAT"]),
                      str(event["REQUEST-STATUS"]).split(";")[0]))
    return sorted(found)


def changes(bridge, uid: str) -> list:
    """The rooms' REPLYs about ``uid`` telling that TMS changed the booking."""
    return [event for event in messages(bridge, uid, "REPLY")
            if "changed in TMS" in str(event.get("COMMENT", ""))]


def meeting_text(bridge, uid: str) -> str:
    return requests.get(f"{bridge.url}alice/meetings/{uid}.ics", auth=("alice", "alice")).text


# ---- the inbox -----------------------------------------------------------------------------


def test_inbox_is_a_schedule_inbox_only_its_owner_reads(bridge):
    response = requests.request("PROPFIND", f"{bridge.url}alice/inbox/", data=PROPFIND_TYPE,
                                auth=("alice", "alice"), headers={"Depth": "0"})
    assert response.status_code == 207
    kinds = [child.tag for child in next(ElementTree.fromstring(response.content).iter(
        "{DAV:}resourcetype"))]
    assert kinds == ["{urn:ietf:params:xml:ns:caldav}schedule-inbox", "{DAV:}collection"]
    for method in ("PROPFIND", "GET", "REPORT"):
        assert requests.request(method, f"{bridge.url}alice/inbox/", auth=("bob", "bob"),
                                headers={"Depth": "1"}).status_code in (403, 404)
    urls = [str(c.url) for c in bridge.client("alice").principal().calendars()]
    assert f"{bridge.url}alice/inbox/" not in urls  # not offered as a calendar
    uid = str(uuid.uuid4())
    text = meeting(uid, slot(3), "Forged", (101,)).replace("VERSION:2.0", "VERSION:2.0\r\n"
                                                           "METHOD:REPLY")
    refused = requests.put(f"{bridge.url}alice/inbox/{uid}.ics", data=text.encode(),
                           auth=("alice", "alice"), headers={"Content-Type": "text/calendar"})
    assert refused.status_code == 403 and "inbox" in refused.text
    assert inbox(bridge) == []
    assert requests.delete(f"{bridge.url}alice/inbox/", auth=("alice", "alice")
                           ).status_code == 403


# ---- booking from the organizer's calendar ----------------------------------------------------


def test_implicit_booking_writes_schedule_status_and_replies_to_the_inbox(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(4)
    book_directly(admin, 102, start, "Board")
    text = meeting(uid, start, "Planning", (101, 102)).replace(  # a client's own value
        "RSVP=TRUE:mailto:room-101@", "RSVP=TRUE;SCHEDULE-STATUS=5.3:mailto:room-101@")
    assert "SCHEDULE-STATUS=5.3" in text
    assert put(bridge, uid, text).status_code == 201
    assert tms_conference(admin, uid).system_ids == [101]
    params = room_params(read_back(bridge, uid))
    assert (params[address(101)]["PARTSTAT"], params[address(101)]["SCHEDULE-STATUS"]) == \
        ("ACCEPTED", "1.2")  # the server's value, not the client's
    assert (params[address(102)]["PARTSTAT"], params[address(102)]["SCHEDULE-STATUS"]) == \
        ("DECLINED", "1.2")
    assert "already booked" in params[address(102)]["X-TMSCAL-REASON"]
    assert replies(bridge, uid) == [(address(101), "ACCEPTED", "2.0"),
                                    (address(102), "DECLINED", "4.0")]
    [declined] = [e for e in messages(bridge, uid, "REPLY")
                  if str(e["ATTENDEE"]) == address(102)]
    assert "already booked" in str(declined["COMMENT"])
    assert "SCHEDULE-STATUS" not in declined["ATTENDEE"].params  # never in a message

    # saving again tries the busy room again; the answers did not change: no new message
    assert put(bridge, uid, meeting_text(bridge, uid)).status_code == 204
    assert len(messages(bridge, uid, "REPLY")) == 2

    # the owner deletes a processed message
    calendar = bridge.client("alice").calendar(url=f"{bridge.url}alice/inbox/")
    first = list(calendar.events())[0]
    assert requests.delete(str(first.url), auth=("alice", "alice")).status_code in (200, 204)
    assert len(inbox(bridge)) == 1


def test_schedule_agent_client_leaves_the_room_alone(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(5)
    text = meeting(uid, start, "Client schedules", (101, 103)).replace(
        "ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:room-103@",
        "ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;SCHEDULE-AGENT=CLIENT;"
        "SCHEDULE-STATUS=1.1:mailto:room-103@")
    assert put(bridge, uid, text).status_code == 201
    assert tms_conference(admin, uid).system_ids == [101]  # room 103 not booked
    params = room_params(read_back(bridge, uid))
    assert params[address(103)]["SCHEDULE-STATUS"] == "1.1"  # the client's, kept
    assert params[address(103)]["PARTSTAT"] == "NEEDS-ACTION"
    assert params[address(101)]["SCHEDULE-STATUS"] == "1.2"
    assert [r[0] for r in replies(bridge, uid)] == [address(101)]

    only_client = str(uuid.uuid4())
    calls = bridge.runtime.booking.counters["tms_calls"]
    text = meeting(only_client, slot(6), "Nobody schedules", (104,)).replace(
        "RSVP=TRUE:mailto:room-104@", "RSVP=TRUE;SCHEDULE-AGENT=NONE:mailto:room-104@")
    assert put(bridge, only_client, text).status_code == 201
    assert bridge.runtime.booking.counters["tms_calls"] == calls  # no TMS call at all
    with pytest.raises((TmsError, ConferenceNotFound)):
        admin.get_conference_id_by_external_id(SOURCE, only_client)
    assert "SCHEDULE-STATUS" not in room_params(read_back(bridge, only_client))[address(104)]


# ---- the room's answer changes afterwards ------------------------------------------------------


def test_booking_moved_and_retitled_in_tms_moves_the_meeting(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(7, hour=10)
    assert put(bridge, uid, meeting(uid, start, "Weekly sync", (101,))).status_code == 201
    conference = tms_conference(admin, uid)
    moved = start + timedelta(hours=2)
    conference.start_utc, conference.end_utc = moved, moved + timedelta(minutes=30)
    conference.title = "Weekly sync (short)"
    admin.save_conference(conference)  # someone moves, shortens and retitles it in TMS

    def followed():
        event = read_back(bridge, uid)
        return event if event["DTSTART"].dt == moved else None

    event = wait_until(followed)
    assert event["DTEND"].dt == moved + timedelta(minutes=30)
    assert str(event["SUMMARY"]) == "Weekly sync (short)"
    assert int(event["SEQUENCE"]) == 1
    assert room_params(event)[address(101)]["PARTSTAT"] == "ACCEPTED"
    [change] = changes(bridge, uid)  # the room's REPLY with the new time
    assert change["DTSTART"].dt == moved and str(change["SUMMARY"]) == "Weekly sync (short)"
    assert str(change["ATTENDEE"]) == address(101) and int(change["SEQUENCE"]) == 1
    assert "SCHEDULE-STATUS" not in change["ATTENDEE"].params
    # a time-range query finds the meeting at its new time, not at the old one
    calendar = bridge.client("alice").calendar(url=f"{bridge.url}alice/meetings/")
    found = calendar.search(start=moved, end=moved + timedelta(minutes=30), event=True)
    assert [str(e.icalendar_component["UID"]) for e in found] == [uid]
    assert calendar.search(start=start, end=start + timedelta(minutes=59), event=True) == []
    # the client saves the followed meeting back: nothing more is sent to TMS
    version = tms_conference(admin, uid).version
    assert put(bridge, uid, meeting_text(bridge, uid)).status_code == 204
    assert tms_conference(admin, uid).version == version


def test_booking_cancelled_in_tms_declines_the_room_with_a_reply(bridge, admin):
    uid = str(uuid.uuid4())
    assert put(bridge, uid, meeting(uid, slot(8), "Doomed", (101,))).status_code == 201
    admin.delete_conference_by_id(tms_conference(admin, uid).conference_id)
    wait_until(lambda: bridge.runtime.store.find_by_uid(uid) is None)
    wait_until(lambda: room_params(read_back(bridge, uid))[address(101)]["PARTSTAT"]
               == "DECLINED")
    params = room_params(read_back(bridge, uid))[address(101)]
    assert params["SCHEDULE-STATUS"] == "1.2" and "cancelled in TMS" in \
        params["X-TMSCAL-REASON"]
    # the room's newer answer replaced the one not yet processed
    assert replies(bridge, uid) == [(address(101), "DECLINED", "2.0")]
    assert requests.delete(f"{bridge.url}alice/meetings/{uid}.ics",
                           auth=("alice", "alice")).status_code in (200, 204)
    assert replies(bridge, uid) == []  # the meeting's messages go with it


def test_room_added_in_tms_joins_the_meeting_as_accepted(bridge, admin):
    uid = str(uuid.uuid4())
    assert put(bridge, uid, meeting(uid, slot(11), "Growing", (101,))).status_code == 201
    conference = tms_conference(admin, uid)
    conference.participants.append(Participant(ParticipantCallType.TMS, 103))
    admin.save_conference(conference)  # someone adds room 103 in TMS
    wait_until(lambda: sorted(bridge.runtime.store.find_by_uid(uid).room_ids) == [101, 103])
    params = wait_until(lambda: (lambda found: found if address(103) in found else None)(
        room_params(read_back(bridge, uid))))
    assert (params[address(103)]["PARTSTAT"], params[address(103)]["SCHEDULE-STATUS"],
            params[address(103)]["CN"]) == ("ACCEPTED", "1.2", "Oslo Vigeland")
    assert params[address(101)]["PARTSTAT"] == "ACCEPTED"
    assert replies(bridge, uid) == [(address(101), "ACCEPTED", "2.0"),
                                    (address(103), "ACCEPTED", "2.0")]
    # the client saves the meeting back: both rooms stay booked, nothing else changes in TMS
    version = tms_conference(admin, uid).version
    assert put(bridge, uid, meeting_text(bridge, uid)).status_code == 204
    assert sorted(tms_conference(admin, uid).system_ids) == [101, 103]
    assert tms_conference(admin, uid).version == version


def test_booking_moved_through_the_room_calendar_moves_the_meeting(bridge, admin):
    """The issue's example: booked from a meeting at 10:00, moved to 12:00 in the room
    calendar; the meeting says 12:00 as soon as the room calendar's PUT is answered."""
    uid = str(uuid.uuid4())
    start = slot(9, hour=10)
    assert put(bridge, uid, meeting(uid, start, "Moved by hand", (101,))).status_code == 201
    room_url = f"{bridge.url}alice/room-101/{uid}.ics"
    booking = requests.get(room_url, auth=("alice", "alice")).text
    noon = start.replace(hour=12)
    moved = booking.replace(f"DTSTART:{start.strftime(STAMP)}",
                            f"DTSTART:{noon.strftime(STAMP)}").replace(
        f"DTEND:{(start + timedelta(hours=1)).strftime(STAMP)}",
        f"DTEND:{(noon + timedelta(hours=1)).strftime(STAMP)}")
    if moved == booking:  # rendered in the room's zone: move it through the parsed event
        calendar = Calendar.from_ical(booking)
        event = calendar.walk("VEVENT")[0]
        event.pop("DTSTART")
        event.pop("DTEND")
        event.add("DTSTART", noon)
        event.add("DTEND", noon + timedelta(hours=1))
        moved = calendar.to_ical().decode()
    assert requests.put(room_url, data=moved.encode(), auth=("alice", "alice"),
                        headers={"Content-Type": "text/calendar"}).status_code in (201, 204)
    assert tms_conference(admin, uid).start_utc == noon
    event = read_back(bridge, uid)  # at once: no wait for the syncer
    assert event["DTSTART"].dt == noon
    assert room_params(event)[address(101)]["PARTSTAT"] == "ACCEPTED"
    assert [e["DTSTART"].dt for e in changes(bridge, uid)] == [noon]


def test_occurrence_moved_through_the_room_calendar_becomes_an_override(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(10, hour=9)
    rule = "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
    assert put(bridge, uid, meeting(uid, start, "Weekly", (105,), extra=rule)).status_code \
        == 201
    second = start + timedelta(days=7)
    moved = second + timedelta(hours=3)
    room_url = f"{bridge.url}alice/room-105/{uid}.ics"
    booking = Calendar.from_ical(requests.get(room_url, auth=("alice", "alice")).text)
    series = booking.walk("VEVENT")[0]
    override = Calendar.from_ical(series.to_ical())  # one occurrence moved by hand
    override.pop("RRULE")
    for name in ("DTSTART", "DTEND"):
        override.pop(name)
    override.add("RECURRENCE-ID", second)
    override.add("DTSTART", moved)
    override.add("DTEND", moved + timedelta(hours=1))
    booking.add_component(override)
    assert requests.put(room_url, data=booking.to_ical(), auth=("alice", "alice"),
                        headers={"Content-Type": "text/calendar"}).status_code in (201, 204)
    occurrence = admin.get_conference_by_id(
        admin.get_conference_id_by_external_id(SOURCE, uid, second))
    assert occurrence.start_utc == moved

    events = Calendar.from_ical(meeting_text(bridge, uid)).walk("VEVENT")  # at once
    assert len(events) == 2
    master, changed = events
    assert "RRULE" in master and master["DTSTART"].dt == start
    assert changed["RECURRENCE-ID"].dt == second and changed["DTSTART"].dt == moved
    assert str(changed["SUMMARY"]) == "Weekly"
    assert "mailto:bob@example.org" in [str(a) for a in changed["ATTENDEE"]]  # the meeting's
    assert room_params(changed)[address(105)]["PARTSTAT"] == "ACCEPTED"
    version = tms_conference(admin, uid).version
    assert put(bridge, uid, meeting_text(bridge, uid)).status_code == 204
    assert tms_conference(admin, uid).version == version  # nothing more to tell TMS
