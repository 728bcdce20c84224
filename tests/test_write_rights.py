"""Rights follow the booking, not only the calendar written to: raw HTTP against ``tmscal
serve`` and the simulator (service booking model). Every refused attack leaves TMS exactly as
it was (same rooms, same version), checked through the TMS client."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tests.bridge_harness import serving_bridge
from tests.test_caldav_e2e import SOURCE, event_text, slot
from tmscal.model import TmsError
from tmscal.tms import TmsClient

#: alice books 101-102 and sees 110; bob books 106-107 and only sees 101; carol shares 101.
RIGHTS = {"alice": "book=101,102 see=110", "bob": "book=106,107 see=101",
          "carol": "book=101,106"}


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob", "carol")) as running:
        yield running


def write(bridge, user: str, calendar: str, uid: str, text: str,
          name: str | None = None) -> requests.Response:
    return requests.put(f"{bridge.url}{user}/{calendar}/{name or uid}.ics", data=text.encode(),
                        auth=(user, user), headers={"Content-Type": "text/calendar"},
                        timeout=60)


def delete(bridge, user: str, calendar: str, uid: str) -> requests.Response:
    return requests.delete(f"{bridge.url}{user}/{calendar}/{uid}.ics", auth=(user, user),
                           timeout=60)


def room(system_id: int, name: str = "") -> str:
    cn = f";CN={name}" if name else ""
    return f"ATTENDEE;CUTYPE=ROOM{cn}:urn:x-tms:system:{system_id}\r\n"


def held(admin: TmsClient, uid: str):
    """(rooms, version, title) TMS holds for ``uid``, or None."""
    try:
        conference = admin.get_conference_by_id(
            admin.get_conference_id_by_external_id(SOURCE, uid))
    except TmsError:
        return None
    return sorted(conference.system_ids), conference.version, conference.title


def booked(bridge, admin, user: str, system_id: int, title: str = "Mine") -> tuple[str, tuple]:
    uid = str(uuid.uuid4())
    response = write(bridge, user, f"room-{system_id}", uid, event_text(uid, slot(4), title))
    assert response.status_code == 201, response.text
    return uid, held(admin, uid)


def test_a_room_attendee_the_user_may_not_book_is_refused(bridge, admin):
    uid = str(uuid.uuid4())
    for other in (107, 114):  # bookable by bob only; not even visible to alice
        text = event_text(uid, slot(3), "Sneaky", extra=room(other, f"Room {other}"))
        response = write(bridge, "alice", "room-101", uid, text)
        assert response.status_code == 403, response.text
        assert f"room {other}" in response.text
        assert held(admin, uid) is None
    hidden = bridge.runtime.store.get_room(114).name
    assert hidden not in response.text  # a room alice cannot see is not named


def test_another_users_booking_cannot_be_moved_or_cancelled_from_a_room_calendar(bridge, admin):
    uid, before = booked(bridge, admin, "alice", 101)
    moved = event_text(uid, slot(4), "Mine")
    cancelled = event_text(uid, slot(4), "Mine", extra="STATUS:CANCELLED\r\n")
    for text in (moved, cancelled):  # bob, into his own room (101 is read-only to him)
        response = write(bridge, "bob", "room-106", uid, text)
        assert response.status_code in (403, 409), response.text
        assert held(admin, uid) == before
    # carol may book room 101 too, but the booking is alice's
    for text in (event_text(uid, slot(4), "Taken over"), cancelled):
        response = write(bridge, "carol", "room-101", uid, text)
        assert response.status_code == 403 and "owner" in response.text, response.text
        assert held(admin, uid) == before
    assert delete(bridge, "carol", "room-101", uid).status_code == 403
    assert delete(bridge, "bob", "room-101", uid).status_code == 403
    assert held(admin, uid) == before


def test_another_users_booking_cannot_be_moved_or_cancelled_from_a_meetings_calendar(
        bridge, admin):
    uid, before = booked(bridge, admin, "alice", 101)
    first = write(bridge, "bob", "meetings", uid,
                  event_text(uid, slot(4), "Mine", extra=room(106, "Room 106")))
    assert first.status_code == 201 and held(admin, uid) == before
    stored = requests.get(f"{bridge.url}bob/meetings/{uid}.ics",
                          auth=("bob", "bob")).text.replace("\r\n ", "")
    assert "SCHEDULE-STATUS=3.8" in stored and "You may not book room Oslo Fjord" in stored
    for text in (event_text(uid, slot(4), "Mine", extra=room(106, "Room 106")),
                 event_text(uid, slot(4), "Mine", extra=room(106) + "STATUS:CANCELLED\r\n"),
                 event_text(uid, slot(4), "Mine")):
        answer = write(bridge, "bob", "meetings", uid, text)
        assert answer.status_code in (201, 204), answer.text
        assert held(admin, uid) == before
    stored = requests.get(f"{bridge.url}bob/meetings/{uid}.ics", auth=("bob", "bob")).text
    assert "SCHEDULE-STATUS=3.8" not in stored  # the last copy names no room
    delete(bridge, "bob", "meetings", uid)
    assert held(admin, uid) == before


def test_bookings_in_rooms_the_user_may_only_see_or_not_see_stay(bridge, admin):
    hidden_uid, hidden = booked(bridge, admin, "bob", 107)      # alice cannot see 107
    seen_uid, seen = booked(bridge, admin, "carol", 101)       # alice may book 101; carol's
    for uid in (hidden_uid, seen_uid):
        for text in (event_text(uid, slot(5), "Moved"),
                     event_text(uid, slot(4), "Mine", extra="STATUS:CANCELLED\r\n")):
            response = write(bridge, "alice", "room-102", uid, text)
            assert response.status_code in (403, 409), response.text
    response = write(bridge, "alice", "room-101", seen_uid, event_text(seen_uid, slot(5), "M"))
    assert response.status_code == 403
    assert held(admin, hidden_uid) == hidden and held(admin, seen_uid) == seen


def test_a_uid_booked_in_one_room_is_refused_in_another_rooms_calendar(bridge, admin):
    uid, before = booked(bridge, admin, "alice", 101)
    response = write(bridge, "alice", "room-102", uid, event_text(uid, slot(4), "Mine"))
    assert response.status_code == 403 and "no-uid-conflict" in response.text
    assert held(admin, uid) == before
    # the booking's rooms change through its ATTENDEEs, in the calendar of one of its rooms
    text = event_text(uid, slot(4), "Mine", extra=room(102, "Room 102"))
    assert write(bridge, "alice", "room-101", uid, text).status_code == 204
    assert held(admin, uid)[0] == [101, 102]


def test_one_new_uid_written_into_two_rooms_at_once_is_acknowledged_once(bridge, admin):
    uid = str(uuid.uuid4())
    answers: dict[int, int] = {}

    def put_into(system_id: int) -> None:
        answers[system_id] = write(bridge, "alice", f"room-{system_id}", uid,
                                   event_text(uid, slot(6), "Twice")).status_code

    threads = [threading.Thread(target=put_into, args=(i,)) for i in (101, 102)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    acknowledged = sorted(i for i, status in answers.items() if status in (201, 204))
    assert len(acknowledged) == 1 and sorted(answers.values()) == [201, 403]
    assert held(admin, uid)[0] == acknowledged
