"""Invite a room, end to end: the ``caldav`` client library writes meetings into a user's own
calendar on ``tmscal serve`` (127.0.0.1, free port) backed by the TMS simulator over HTTP; every
outcome is checked on the TMS side through :class:`tmscal.tms.TmsClient` and in the meeting
the client reads back."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import requests
from icalendar import Calendar

from tests.bridge_harness import serving_bridge, start_bridge, wait_until
from tests.test_caldav_e2e import SOURCE, slot, tms_conference
from tmscal.model import (
    ConferenceNotFound,
    ConferenceStatus,
    Participant,
    ParticipantCallType,
    TmsError,
)
from tmscal.bridge.reason_time import local_span
from tmscal.tms import TmsClient

RIGHTS = {"alice": "book=101,102,103,104,105,106 see=110", "bob": "book=101,106"}
STAMP = "%Y%m%dT%H%M%SZ"


def room_attendee(system_id: int) -> str:
    return (f"ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:"
            f"mailto:room-{system_id}@rooms.example.org\r\n")


def meeting(uid: str, start: datetime, title: str, rooms: tuple[int, ...] = (), *,
            minutes: int = 60, extra: str = "", overrides: str = "") -> str:
    end = start + timedelta(minutes=minutes)
    people = "".join(room_attendee(r) for r in rooms)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal tests//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(STAMP)}\r\n"
            f"DTEND:{end.strftime(STAMP)}\r\nSUMMARY:{title}\r\n"
            "ORGANIZER;CN=Alice:mailto:alice@example.org\r\n"
            "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\r\n"
            f"{people}{extra}END:VEVENT\r\n{overrides}END:VCALENDAR\r\n")


def put(bridge, uid: str, text: str, user: str = "alice", **headers) -> requests.Response:
    return requests.put(f"{bridge.url}{user}/meetings/{uid}.ics", data=text.encode(),
                        auth=(user, user),
                        headers={"Content-Type": "text/calendar; charset=utf-8", **headers},
                        timeout=60)


def meetings_calendar(bridge, user: str = "alice"):
    return bridge.client(user).calendar(url=f"{bridge.url}{user}/meetings/")


def read_back(bridge, uid: str, user: str = "alice"):
    """The VEVENT (master) the client reads back, through the caldav library."""
    event = meetings_calendar(bridge, user).event_by_url(
        f"{bridge.url}{user}/meetings/{uid}.ics")
    event.load()
    return Calendar.from_ical(event.data).walk("VEVENT")[0]


def room_params(vevent) -> dict[str, dict]:
    """``{mailto address: params}`` of the room ATTENDEEs."""
    values = vevent.get("ATTENDEE", [])
    values = values if isinstance(values, list) else [values]
    return {str(v): dict(v.params) for v in values if str(v.params.get("CUTYPE")) == "ROOM"}


def address(system_id: int) -> str:
    return f"mailto:room-{system_id}@rooms.example.org"


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        yield running


def is_gone(admin: TmsClient, conference_id: int) -> bool:
    try:
        return admin.get_conference_by_id(conference_id).status == ConferenceStatus.DELETED
    except (TmsError, ConferenceNotFound):
        return True


def book_directly(admin: TmsClient, room: int, start: datetime, title: str) -> None:
    conference = admin.get_default_conference()
    conference.title = title
    conference.start_utc, conference.end_utc = start, start + timedelta(hours=1)
    conference.participants = [Participant(ParticipantCallType.TMS, room)]
    conference.external_source_id = "other"
    conference.external_primary_key = f"direct-{uuid.uuid4()}"
    admin.save_conference(conference)


# ---- tests ---------------------------------------------------------------------------------


def test_meetings_calendar_is_in_every_home(bridge):
    for user in ("alice", "bob"):
        urls = [str(c.url) for c in bridge.client(user).principal().calendars()]
        assert f"{bridge.url}{user}/meetings/" in urls
    assert requests.request("PROPFIND", f"{bridge.url}bob/meetings/", auth=("alice", "alice"),
                            headers={"Depth": "0"}).status_code in (403, 404)


def test_invite_one_room_books_it_and_writes_the_answer_back(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(3)
    calendar = meetings_calendar(bridge)
    response = put(bridge, uid, meeting(uid, start, "Planning", (101,)))
    assert response.status_code == 201 and "ETag" not in response.headers

    conference = tms_conference(admin, uid)
    assert conference.title == "Planning" and conference.start_utc == start
    assert conference.system_ids == [101]
    assert conference.external_primary_key == uid
    assert conference.owner_user_name.endswith("alice")

    event = read_back(bridge, uid)
    params = room_params(event)[address(101)]
    assert params["PARTSTAT"] == "ACCEPTED" and params["SCHEDULE-STATUS"] == "1.2"
    assert "Oslo Fjord" in str(event["LOCATION"])
    description = str(event["DESCRIPTION"])
    assert conference.conference_info_text.strip().splitlines()[0] in description
    people = [str(v) for v in event["ATTENDEE"]]
    assert "mailto:bob@example.org" in people  # other attendees untouched
    # the booking appears in the room calendar too, with the same UID
    room = bridge.client("alice").calendar(url=f"{bridge.url}alice/room-101/")
    found = room.search(start=start - timedelta(hours=1), end=start + timedelta(hours=2),
                        event=True, post_filter=False)
    assert [str(e.icalendar_component["UID"]) for e in found] == [uid]
    assert len(list(calendar.events())) == 1


def test_two_rooms_one_busy_keeps_the_other_and_says_why(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(4)
    book_directly(admin, 102, start + timedelta(minutes=30), "Board meeting")
    wait_until(lambda: bridge.runtime.store.objects_in_range("102", start, start
                                                             + timedelta(hours=2)))
    response = put(bridge, uid, meeting(uid, start, "Two rooms", (101, 102)))
    assert response.status_code == 201

    conference = tms_conference(admin, uid)
    assert conference.system_ids == [101]
    params = room_params(read_back(bridge, uid))
    assert params[address(101)]["PARTSTAT"] == "ACCEPTED"
    declined = params[address(102)]
    assert declined["PARTSTAT"] == "DECLINED" and declined["SCHEDULE-STATUS"] == "1.2"
    reason = declined["X-TMSCAL-REASON"]
    assert "Oslo Holmenkollen" in reason and "already booked" in reason
    assert "Board meeting" in reason


def test_move_drop_a_room_and_cancel(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(5)
    assert put(bridge, uid, meeting(uid, start, "Moving", (101, 103))).status_code == 201
    first = tms_conference(admin, uid)
    assert sorted(first.system_ids) == [101, 103]

    later = start + timedelta(hours=2)
    assert put(bridge, uid, meeting(uid, later, "Moving", (101, 103))).status_code == 204
    moved = tms_conference(admin, uid)
    assert moved.conference_id == first.conference_id and moved.start_utc == later

    assert put(bridge, uid, meeting(uid, later, "Moving", (101,))).status_code == 204
    assert tms_conference(admin, uid).system_ids == [101]
    assert not bridge.runtime.store.has_uid("103", uid)
    assert address(103) not in room_params(read_back(bridge, uid))

    response = put(bridge, uid, meeting(uid, later, "Moving", (101,),
                                        extra="STATUS:CANCELLED\r\n"))
    assert response.status_code == 204
    assert is_gone(admin, first.conference_id)
    assert not bridge.runtime.store.has_uid("101", uid)
    assert str(read_back(bridge, uid)["STATUS"]) == "CANCELLED"  # the meeting is kept


def test_deleting_the_meeting_cancels_the_conference(bridge, admin):
    uid = str(uuid.uuid4())
    assert put(bridge, uid, meeting(uid, slot(6), "Short-lived", (104,))).status_code == 201
    conference_id = tms_conference(admin, uid).conference_id
    event = meetings_calendar(bridge).event_by_url(f"{bridge.url}alice/meetings/{uid}.ics")
    event.delete()
    assert is_gone(admin, conference_id)
    assert requests.get(f"{bridge.url}alice/meetings/{uid}.ics",
                        auth=("alice", "alice")).status_code == 404


def test_recurring_meeting_with_one_moved_occurrence(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(7, hour=10)
    rule = "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
    assert put(bridge, uid, meeting(uid, start, "Weekly", (105,), extra=rule)).status_code \
        == 201
    series = admin.get_recurrent_conference_by_id(tms_conference(admin, uid).conference_id)
    assert series.recurrence is not None and series.recurrence.instances == 4

    second = start + timedelta(days=7)
    moved = second + timedelta(hours=2)
    override = ("BEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                f"RECURRENCE-ID:{second.strftime(STAMP)}\r\nDTSTART:{moved.strftime(STAMP)}\r\n"
                f"DTEND:{(moved + timedelta(hours=1)).strftime(STAMP)}\r\nSUMMARY:Weekly\r\n"
                f"{room_attendee(105)}END:VEVENT\r\n")
    assert put(bridge, uid, meeting(uid, start, "Weekly", (105,), extra=rule,
                                    overrides=override)).status_code == 204
    occurrence = admin.get_conference_by_id(
        admin.get_conference_id_by_external_id(SOURCE, uid, second))
    assert occurrence.start_utc == moved
    third = admin.get_conference_by_id(
        admin.get_conference_id_by_external_id(SOURCE, uid, start + timedelta(days=14)))
    assert third.start_utc == start + timedelta(days=14)
    event = meetings_calendar(bridge).event_by_url(f"{bridge.url}alice/meetings/{uid}.ics")
    event.load()
    for vevent in Calendar.from_ical(event.data).walk("VEVENT"):
        assert room_params(vevent)[address(105)]["PARTSTAT"] == "ACCEPTED"


def test_meeting_without_rooms_is_stored_and_nothing_sent(bridge, admin):
    uid = str(uuid.uuid4())
    calls = bridge.runtime.booking.counters["tms_calls"]
    text = meeting(uid, slot(8), "Just people")
    response = put(bridge, uid, text)
    assert response.status_code == 201 and response.headers.get("ETag")
    assert bridge.runtime.booking.counters["tms_calls"] == calls
    with pytest.raises(TmsError):
        admin.get_conference_id_by_external_id(SOURCE, uid)
    event = read_back(bridge, uid)
    assert str(event["SUMMARY"]) == "Just people" and not room_params(event)


def test_retried_put_books_one_conference(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(9)
    text = meeting(uid, start, "Retried", (106,))
    assert put(bridge, uid, text).status_code == 201
    assert put(bridge, uid, text).status_code == 204
    assert put(bridge, uid, text).status_code == 204
    found = admin.get_conferences_for_systems([106], start - timedelta(hours=1),
                                              start + timedelta(hours=2))
    assert [c.title for c in found] == ["Retried"]


def test_room_without_booking_right_is_declined_and_meeting_kept(bridge, admin):
    uid = str(uuid.uuid4())
    response = put(bridge, uid, meeting(uid, slot(10), "Not my room", (110,)))
    assert response.status_code == 201
    params = room_params(read_back(bridge, uid))[address(110)]
    assert params["PARTSTAT"] == "DECLINED" and params["SCHEDULE-STATUS"] == "3.8"
    with pytest.raises(TmsError):
        admin.get_conference_id_by_external_id(SOURCE, uid)


def test_invalid_icalendar_is_refused(bridge):
    uid = str(uuid.uuid4())
    text = meeting(uid, slot(3), "Broken", (101,)).replace("DTEND", "X-NO-END")
    response = put(bridge, uid, text)
    assert response.status_code in (400, 403)


def test_series_with_one_busy_occurrence_keeps_the_free_room(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(12, hour=13)
    third = start + timedelta(days=14)
    book_directly(admin, 104, third, "Town hall")
    wait_until(lambda: bridge.runtime.store.objects_in_range("104", third,
                                                             third + timedelta(hours=1)))
    rule = "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
    assert put(bridge, uid, meeting(uid, start, "Weekly two rooms", (103, 104),
                                    extra=rule)).status_code == 201
    assert tms_conference(admin, uid).system_ids == [103]
    params = room_params(read_back(bridge, uid))
    assert params[address(103)]["PARTSTAT"] == "ACCEPTED"
    declined = params[address(104)]
    assert declined["PARTSTAT"] == "DECLINED" and declined["SCHEDULE-STATUS"] == "1.2"
    # the occurrence is named in the room's zone, with its offset
    zone = bridge.runtime.store.get_room(104).zone
    assert local_span(third, third + timedelta(hours=1), zone) in declined["X-TMSCAL-REASON"]
    assert "(UTC+0" in declined["X-TMSCAL-REASON"]
    assert "Town hall" in declined["X-TMSCAL-REASON"]


def test_recurrence_tms_cannot_store_declines_the_room_and_keeps_the_meeting(bridge, admin):
    uid = str(uuid.uuid4())
    response = put(bridge, uid, meeting(uid, slot(3), "Forever", (101,),
                                        extra="RRULE:FREQ=DAILY\r\n"))
    assert response.status_code == 201
    params = room_params(read_back(bridge, uid))[address(101)]
    assert params["PARTSTAT"] == "DECLINED" and params["SCHEDULE-STATUS"] == "1.2"
    assert params["X-TMSCAL-REASON"]
    with pytest.raises(TmsError):
        admin.get_conference_id_by_external_id(SOURCE, uid)


def test_tms_down_keeps_the_meeting_and_leaves_the_room_open(bridge, tms, admin):
    uid = str(uuid.uuid4())
    tms.faults.down = True
    try:
        response = put(bridge, uid, meeting(uid, slot(3), "While down", (101,)))
    finally:
        tms.faults.down = False
    assert response.status_code == 201
    params = room_params(read_back(bridge, uid))[address(101)]
    assert params["PARTSTAT"] == "NEEDS-ACTION" and params["SCHEDULE-STATUS"] == "5.1"
    # saving it again once TMS is back books the room
    assert put(bridge, uid, meeting(uid, slot(3), "While down", (101,))).status_code == 204
    assert tms_conference(admin, uid).system_ids == [101]


def test_room_without_licence_is_declined(simulator_factory, tmp_path):
    from tmscal.simulator.engine import Tms

    tms = simulator_factory(engine=Tms.seeded("empty", licence_pool=1))
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",)) as bridge:
        uid = str(uuid.uuid4())
        assert put(bridge, uid, meeting(uid, slot(3), "Two", (101, 102))).status_code == 201
        params = room_params(read_back(bridge, uid))
        assert params[address(101)]["PARTSTAT"] == "ACCEPTED"
        declined = params[address(102)]
        assert declined["PARTSTAT"] == "DECLINED" and declined["SCHEDULE-STATUS"] == "5.3"
        assert "Allow Remote Bookings" in declined["X-TMSCAL-REASON"]
        with TmsClient(tms.url, "admin", "admin") as admin:
            assert tms_conference(admin, uid).system_ids == [101]


def test_room_invited_by_name_and_cutype_is_booked(bridge, admin):
    uid = str(uuid.uuid4())
    text = meeting(uid, slot(13), "By name", extra=(
        "ATTENDEE;CUTYPE=ROOM;CN=Oslo Munch;PARTSTAT=NEEDS-ACTION:mailto:munch@example.org\r\n"))
    assert put(bridge, uid, text).status_code == 201
    assert tms_conference(admin, uid).system_ids == [104]
    assert room_params(read_back(bridge, uid))["mailto:munch@example.org"]["PARTSTAT"] \
        == "ACCEPTED"


def test_meetings_survive_a_restart_and_sync_tokens_report_changes(bridge, admin):
    calendar = meetings_calendar(bridge)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert put(bridge, first, meeting(first, slot(14), "Kept", (101,))).status_code == 201
    token = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True).sync_token
    assert put(bridge, second, meeting(second, slot(15), "No rooms")).status_code == 201
    changed = calendar.objects_by_sync_token(token, load_objects=False, disable_fallback=True)
    assert [str(o.url).rsplit("/", 1)[-1] for o in changed] == [f"{second}.ics"]
    before = requests.get(f"{bridge.url}alice/meetings/{first}.ics", auth=("alice", "alice"))

    bridge.stop()
    again = start_bridge(bridge.config)
    try:
        after = requests.get(f"{again.url}alice/meetings/{first}.ics", auth=("alice", "alice"))
        assert after.status_code == 200 and after.text == before.text
        assert after.headers["ETag"] == before.headers["ETag"]
        calendar = again.client("alice").calendar(url=f"{again.url}alice/meetings/")
        unchanged = calendar.objects_by_sync_token(changed.sync_token, load_objects=False,
                                                   disable_fallback=True)
        assert list(unchanged) == []
        assert tms_conference(admin, first).system_ids == [101]
    finally:
        again.stop()


def test_adding_a_busy_room_keeps_the_booked_ones(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(16)
    assert put(bridge, uid, meeting(uid, start, "Grow", (101, 103))).status_code == 201
    conference_id = tms_conference(admin, uid).conference_id
    book_directly(admin, 104, start, "Taken")
    wait_until(lambda: bridge.runtime.store.objects_in_range("104", start,
                                                             start + timedelta(hours=1)))
    assert put(bridge, uid, meeting(uid, start, "Grow", (101, 103, 104))).status_code == 204
    after = tms_conference(admin, uid)
    assert after.conference_id == conference_id and sorted(after.system_ids) == [101, 103]
    params = room_params(read_back(bridge, uid))
    assert [params[address(r)]["PARTSTAT"] for r in (101, 103, 104)] == \
        ["ACCEPTED", "ACCEPTED", "DECLINED"]


def test_moving_onto_a_busy_slot_declines_and_releases_the_old_booking(bridge, admin):
    uid = str(uuid.uuid4())
    start, busy = slot(17), slot(17, hour=14)
    assert put(bridge, uid, meeting(uid, start, "Move me", (105,))).status_code == 201
    conference_id = tms_conference(admin, uid).conference_id
    book_directly(admin, 105, busy, "Already there")
    wait_until(lambda: bridge.runtime.store.objects_in_range("105", busy,
                                                             busy + timedelta(hours=1)))
    assert put(bridge, uid, meeting(uid, busy, "Move me", (105,))).status_code == 204
    assert is_gone(admin, conference_id)
    params = room_params(read_back(bridge, uid))[address(105)]
    assert params["PARTSTAT"] == "DECLINED" and "Already there" in params["X-TMSCAL-REASON"]


def test_another_users_copy_of_the_meeting_books_nothing(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(18)
    assert put(bridge, uid, meeting(uid, start, "Alice's", (101,))).status_code == 201
    conference = tms_conference(admin, uid)
    copy = requests.get(f"{bridge.url}alice/meetings/{uid}.ics", auth=("alice", "alice")).text
    calls = bridge.runtime.booking.counters["tms_calls"]
    response = put(bridge, uid, copy.replace("Alice's", "Alice's (Bob's copy)"), user="bob")
    assert response.status_code == 201 and response.headers.get("ETag")
    assert requests.delete(f"{bridge.url}bob/meetings/{uid}.ics",
                           auth=("bob", "bob")).status_code == 200
    assert bridge.runtime.booking.counters["tms_calls"] == calls
    after = tms_conference(admin, uid)
    assert (after.title, after.owner_user_name, after.version) == \
        ("Alice's", conference.owner_user_name, conference.version)


def test_meeting_follows_its_booking_changed_and_cancelled_in_tms(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(19)
    calendar = meetings_calendar(bridge)
    assert put(bridge, uid, meeting(uid, start, "Followed", (101, 103))).status_code == 201
    token = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True).sync_token
    conference = tms_conference(admin, uid)
    conference.participants = [p for p in conference.participants
                               if p.participant_id != 103 or not p.call_type.is_system]
    admin.save_conference(conference)  # someone takes room 103 out in TMS
    wait_until(lambda: bridge.runtime.store.find_by_uid(uid).room_ids == [101])

    def changed():
        return list(calendar.objects_by_sync_token(token, load_objects=False,
                                                   disable_fallback=True))

    assert [str(o.url).rsplit("/", 1)[-1] for o in wait_until(changed)] == [f"{uid}.ics"]
    params = room_params(read_back(bridge, uid))
    assert params[address(101)]["PARTSTAT"] == "ACCEPTED"
    assert params[address(103)]["PARTSTAT"] == "DECLINED"
    assert params[address(103)]["SCHEDULE-STATUS"] == "1.2"
    assert "taken out of the booking in TMS" in params[address(103)]["X-TMSCAL-REASON"]

    admin.delete_conference_by_id(conference.conference_id)  # and then cancels it in TMS
    wait_until(lambda: bridge.runtime.store.find_by_uid(uid) is None)
    wait_until(lambda: room_params(read_back(bridge, uid))[address(101)]["PARTSTAT"]
               == "DECLINED")
    assert "cancelled in TMS" in room_params(read_back(bridge, uid))[address(101)][
        "X-TMSCAL-REASON"]

    # saving the meeting again books the rooms again
    text = requests.get(f"{bridge.url}alice/meetings/{uid}.ics", auth=("alice", "alice")).text
    assert put(bridge, uid, text).status_code == 204
    assert sorted(tms_conference(admin, uid).system_ids) == [101, 103]
    params = room_params(read_back(bridge, uid))
    assert [params[address(r)]["PARTSTAT"] for r in (101, 103)] == ["ACCEPTED", "ACCEPTED"]


def test_saving_without_a_booking_change_calls_no_tms(bridge, admin):
    uid = str(uuid.uuid4())
    assert put(bridge, uid, meeting(uid, slot(20), "Alarmed", (101, 102))).status_code == 201
    version = tms_conference(admin, uid).version
    stored = requests.get(f"{bridge.url}alice/meetings/{uid}.ics", auth=("alice", "alice")).text
    calls = bridge.runtime.booking.counters["tms_calls"]
    alarm = ("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Soon\r\nTRIGGER:-PT10M\r\n"
             "END:VALARM\r\n")
    with_alarm = stored.replace("END:VEVENT", alarm + "END:VEVENT")
    response = put(bridge, uid, with_alarm)
    assert response.status_code == 204
    assert bridge.runtime.booking.counters["tms_calls"] == calls
    assert tms_conference(admin, uid).version == version
    again = requests.get(f"{bridge.url}alice/meetings/{uid}.ics", auth=("alice", "alice")).text
    event = Calendar.from_ical(again).walk("VEVENT")[0]
    assert event.walk("VALARM") and str(event["DESCRIPTION"]) == str(
        Calendar.from_ical(stored).walk("VEVENT")[0]["DESCRIPTION"])
    assert [p["PARTSTAT"] for p in room_params(event).values()] == ["ACCEPTED", "ACCEPTED"]
    # a real change (the title) goes to TMS again
    assert put(bridge, uid, again.replace("SUMMARY:Alarmed", "SUMMARY:Renamed")).status_code \
        == 204
    assert tms_conference(admin, uid).title == "Renamed"


def test_room_calendar_shows_its_calendar_user_address(bridge):
    from xml.etree import ElementTree

    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-user-address-set/>'
            '<D:displayname/></D:prop></D:propfind>')
    response = requests.request("PROPFIND", f"{bridge.url}alice/room-102/", data=body,
                                auth=("alice", "alice"), headers={"Depth": "0"})
    assert response.status_code == 207
    tree = ElementTree.fromstring(response.content)
    prop = next(tree.iter("{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"))
    hrefs = [e.text for e in prop.iter("{DAV:}href")]
    assert hrefs == [address(102)]
    assert [e.text for e in tree.iter("{DAV:}displayname")] == ["Oslo Holmenkollen"]
