"""Resource names a client chooses (RFC 4791 5.3.2), end to end: the ``caldav`` client library
and raw HTTP against ``tmscal serve`` and the TMS simulator. An event PUT under any safe name is
booked and served under that name in the calendar it was written to (PROPFIND, REPORT, GET,
sync-collection, DELETE); the booking's other rooms show the deterministic ``<uid>.ics``; a
second resource with the same UID in one calendar is refused (``no-uid-conflict``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import caldav
import requests

from tests import test_caldav_e2e as e2e
from tests.bridge_harness import wait_until
from tests.test_caldav_e2e import event_text, room_calendar, slot, tms_conference
from tests.test_invitations_e2e import is_gone, meeting

bridge = e2e.bridge  # the same bridge as the e2e tests (tms, admin: conftest)

HEADERS = {"Content-Type": "text/calendar; charset=utf-8"}


def raw_put(bridge, path: str, text: str, user: str = "alice", **headers):
    return requests.put(f"{bridge.url}{path}", data=text.encode(), auth=(user, user),
                        headers={**HEADERS, **headers}, timeout=60)


def raw_get(bridge, path: str, user: str = "alice"):
    return requests.get(f"{bridge.url}{path}", auth=(user, user), timeout=30)


def names(objects) -> list[str]:
    return sorted(str(o.url).rstrip("/").rsplit("/", 1)[-1] for o in objects)


def test_room_event_saved_under_its_own_name_is_served_under_it(bridge, admin):
    calendar = room_calendar(bridge, "alice", 102)
    start_token = calendar.objects_by_sync_token(load_objects=False,
                                                 disable_fallback=True).sync_token
    uid = str(uuid.uuid4())
    start = slot(3)
    event = caldav.Event(bridge.client("alice"), url=calendar.url.join("Outlook-Item-7.ics"),
                         data=event_text(uid, start, "Own name"), parent=calendar)
    event.save()
    assert tms_conference(admin, uid).title == "Own name"

    assert raw_get(bridge, "alice/room-102/Outlook-Item-7.ics").status_code == 200
    assert raw_get(bridge, f"alice/room-102/{uid}.ics").status_code == 404
    assert names(calendar.events()) == ["Outlook-Item-7.ics"]  # PROPFIND depth 1
    found = calendar.search(start=start - timedelta(hours=1), end=start + timedelta(hours=2),
                            event=True, post_filter=False)  # calendar-query REPORT
    assert names(found) == ["Outlook-Item-7.ics"]
    assert "X-TMS-CONFERENCE-ID" in found[0].data or "PIN" in found[0].data
    changed = calendar.objects_by_sync_token(start_token, load_objects=True,
                                             disable_fallback=True)
    assert names(changed) == ["Outlook-Item-7.ics"]

    # an update under the same name keeps it there (If-Match with the served ETag)
    fetched = raw_get(bridge, "alice/room-102/Outlook-Item-7.ics")
    again = raw_put(bridge, "alice/room-102/Outlook-Item-7.ics",
                    fetched.text.replace("Own name", "Own name 2"),
                    **{"If-Match": fetched.headers["ETag"]})
    assert again.status_code == 204
    conference_id = tms_conference(admin, uid).conference_id
    assert tms_conference(admin, uid).title == "Own name 2"
    assert names(calendar.events()) == ["Outlook-Item-7.ics"]

    # the same UID under a second name in the same calendar: no-uid-conflict
    second = raw_put(bridge, "alice/room-102/copy.ics", event_text(uid, start, "Copy"))
    assert second.status_code in (403, 409) and "no-uid-conflict" in second.text
    assert raw_get(bridge, "alice/room-102/copy.ics").status_code == 404

    token = calendar.objects_by_sync_token(load_objects=False,
                                           disable_fallback=True).sync_token
    assert requests.delete(f"{bridge.url}alice/room-102/Outlook-Item-7.ics",
                           auth=("alice", "alice")).status_code == 200
    assert is_gone(admin, conference_id)
    gone = calendar.objects_by_sync_token(token, load_objects=False, disable_fallback=True)
    assert names(gone) == ["Outlook-Item-7.ics"]
    assert raw_get(bridge, "alice/room-102/Outlook-Item-7.ics").status_code == 404

    # deleted, the UID may come back under yet another name
    back = raw_put(bridge, "alice/room-102/back.ics", event_text(uid, start, "Back"))
    assert back.status_code == 201
    assert names(calendar.events()) == ["back.ics"]


def test_multi_room_booking_other_rooms_show_the_deterministic_href(bridge, admin):
    uid = str(uuid.uuid4())
    attendee = ("ATTENDEE;CUTYPE=ROOM;CN=Oslo Vigeland:mailto:oslo.vigeland@video.example.org"
                "\r\n")
    response = raw_put(bridge, "alice/room-102/some-other-name.ics",
                       event_text(uid, slot(12), "Two rooms", extra=attendee))
    assert response.status_code == 201
    assert sorted(tms_conference(admin, uid).system_ids) == [102, 103]
    assert names(room_calendar(bridge, "alice", 102).events()) == ["some-other-name.ics"]
    assert names(room_calendar(bridge, "alice", 103).events()) == [f"{uid}.ics"]
    assert raw_get(bridge, f"alice/room-103/{uid}.ics").status_code == 200

    # a change made in TMS reaches both rooms through the syncer, each under its own href
    conference = tms_conference(admin, uid)
    conference.title = "Renamed in TMS"
    admin.save_conference(conference)
    wait_until(lambda: "Renamed in TMS" in raw_get(
        bridge, "alice/room-102/some-other-name.ics").text)
    wait_until(lambda: "Renamed in TMS" in raw_get(bridge, f"alice/room-103/{uid}.ics").text)
    assert names(room_calendar(bridge, "alice", 102).events()) == ["some-other-name.ics"]
    assert names(room_calendar(bridge, "alice", 103).events()) == [f"{uid}.ics"]


def test_refused_booking_under_own_name_leaves_nothing(bridge):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    start = slot(6)
    assert raw_put(bridge, "alice/room-101/mine.ics",
                   event_text(first, start, "Board")).status_code == 201
    clash = raw_put(bridge, "bob/room-101/clash.ics", event_text(second, start, "Clash"),
                    user="bob")
    assert clash.status_code == 403 and "already booked" in clash.text
    assert raw_get(bridge, "bob/room-101/clash.ics", user="bob").status_code == 404
    assert names(room_calendar(bridge, "bob", 101).events()) == ["mine.ics"]
    # another event under a name that is taken: the name keeps its UID
    taken = raw_put(bridge, "alice/room-101/mine.ics", event_text(second, slot(7), "Other"))
    assert taken.status_code in (403, 409) and "no-uid-conflict" in taken.text


def test_reserved_names_are_refused(bridge):
    uid = str(uuid.uuid4())
    response = raw_put(bridge, "alice/room-104/tmscal~mine.ics", event_text(uid, slot(4), "X"))
    assert response.status_code == 400 and "tmscal~" in response.text


def test_meetings_calendar_accepts_any_name(bridge, admin):
    uid = str(uuid.uuid4())
    created = raw_put(bridge, "alice/meetings/evolution-0042.ics",
                      meeting(uid, slot(5), "Own name meeting", (104,)))
    assert created.status_code == 201
    assert 104 in tms_conference(admin, uid).system_ids
    calendar = bridge.client("alice").calendar(url=f"{bridge.url}alice/meetings/")
    assert names(calendar.events()) == ["evolution-0042.ics"]
    assert "SCHEDULE-STATUS=1.2" in raw_get(bridge, "alice/meetings/evolution-0042.ics").text
    assert names(room_calendar(bridge, "alice", 104).events()) == [f"{uid}.ics"]
    second = raw_put(bridge, "alice/meetings/again.ics",
                     meeting(uid, slot(5), "Own name meeting", (104,)))
    assert second.status_code == 409 and "no-uid-conflict" in second.text
    reserved = raw_put(bridge, "alice/meetings/tmscal~x.ics", meeting(str(uuid.uuid4()),
                                                                     slot(5), "Reserved"))
    assert reserved.status_code == 400
    assert requests.delete(f"{bridge.url}alice/meetings/evolution-0042.ics",
                           auth=("alice", "alice")).status_code == 200
    assert names(room_calendar(bridge, "alice", 104).events()) == []
