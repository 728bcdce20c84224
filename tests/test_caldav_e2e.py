"""End to end: the ``caldav`` client library against ``tmscal serve`` on 127.0.0.1, backed by
the TMS simulator over HTTP. Every write is checked on the TMS side through the TMS client.
Client-side workarounds are off (``post_filter=False``, sync without fallback)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.bridge_harness import serving_bridge, start_bridge, wait_until, write_bridge_config
from tmscal.model import ConferenceNotFound, ConferenceStatus, TmsError
from tmscal.tms import TmsClient

RIGHTS = {"alice": "book=101,102,103,104,105,106 see=110",
          "bob": "book=101,106,107,108,109"}
SOURCE = "tmscal-test"


def slot(days: int = 2, hour: int = 9) -> datetime:
    day = datetime.now(timezone.utc) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def event_text(uid: str, start: datetime, title: str, *, minutes: int = 60,
               extra: str = "", overrides: str = "") -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    end = start + timedelta(minutes=minutes)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal tests//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(stamp)}\r\n"
            f"DTEND:{end.strftime(stamp)}\r\nSUMMARY:{title}\r\n{extra}END:VEVENT\r\n"
            f"{overrides}END:VCALENDAR\r\n")


def put(bridge, user: str, room: int, uid: str, text: str, **headers) -> requests.Response:
    return requests.put(f"{bridge.url}{user}/room-{room}/{uid}.ics", data=text.encode(),
                        auth=(user, user),
                        headers={"Content-Type": "text/calendar; charset=utf-8", **headers},
                        timeout=30)


def tms_conference(admin: TmsClient, uid: str):
    conference_id = admin.get_conference_id_by_external_id(SOURCE, uid)
    return admin.get_conference_by_id(conference_id)


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob", "carol")) as running:
        yield running


def room_calendar(bridge, user: str, room: int):
    return bridge.client(user).calendar(url=f"{bridge.url}{user}/room-{room}/")


def test_discovery_lists_exactly_the_rooms_of_each_user(bridge):
    for user, expected in (("alice", [101, 102, 103, 104, 105, 106, 110]),
                           ("bob", [101, 106, 107, 108, 109]), ("carol", [])):
        names = [str(c.url).rstrip("/").rsplit("/", 1)[-1]
                 for c in bridge.client(user).principal().calendars()]
        assert sorted(int(name[5:]) for name in names if name.startswith("room-")) == expected


def test_create_update_delete_reach_tms(bridge, admin):
    calendar = room_calendar(bridge, "alice", 102)
    uid = str(uuid.uuid4())
    start = slot(3)
    calendar.add_event(event_text(uid, start, "Planning"))
    conference = tms_conference(admin, uid)
    assert conference.title == "Planning" and conference.start_utc == start
    assert 102 in conference.system_ids and conference.owner_user_name.endswith("alice")
    found = calendar.search(start=start - timedelta(hours=1), end=start + timedelta(hours=2),
                            event=True, post_filter=False)
    assert [str(e.icalendar_component["UID"]) for e in found] == [uid]
    assert "PIN" in found[0].data or "X-TMS-CONFERENCE-ID" in found[0].data

    response = put(bridge, "alice", 102, uid, event_text(uid, start + timedelta(hours=1),
                                                         "Planning v2", minutes=30))
    assert response.status_code == 204 and "ETag" not in response.headers
    updated = tms_conference(admin, uid)
    assert updated.conference_id == conference.conference_id
    assert (updated.title, updated.start_utc) == ("Planning v2", start + timedelta(hours=1))

    assert requests.delete(f"{bridge.url}alice/room-102/{uid}.ics",
                           auth=("alice", "alice")).status_code == 200
    with pytest.raises(TmsError):
        after = admin.get_conference_by_id(conference.conference_id)
        assert after.status == ConferenceStatus.DELETED
        raise ConferenceNotFound("deleted")


def test_time_range_search_returns_what_tms_holds(bridge, admin):
    start = slot(5)
    for index, room in enumerate((103, 103, 104)):
        conference = admin.get_default_conference()
        conference.title = f"Direct {index}"
        conference.start_utc = start + timedelta(hours=2 * index)
        conference.end_utc = conference.start_utc + timedelta(hours=1)
        from tmscal.model import Participant, ParticipantCallType
        conference.participants = [Participant(ParticipantCallType.TMS, room)]
        conference.external_source_id = "other"
        conference.external_primary_key = f"direct-{uuid.uuid4()}"
        admin.save_conference(conference)
    calendar = room_calendar(bridge, "alice", 103)

    def titles():
        events = calendar.search(start=start - timedelta(hours=1), end=start + timedelta(days=1),
                                 event=True, post_filter=False)
        return sorted(str(e.icalendar_component["SUMMARY"]) for e in events)

    assert wait_until(lambda: titles() == ["Direct 0", "Direct 1"])
    assert bridge.runtime.booking.counters["tms_calls"] == 0


def test_series_move_and_cancel_one_occurrence(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(7, hour=10)
    stamp = "%Y%m%dT%H%M%SZ"
    series = event_text(uid, start, "Weekly", extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n")
    assert put(bridge, "alice", 104, uid, series).status_code == 201
    first = tms_conference(admin, uid)
    whole = admin.get_recurrent_conference_by_id(first.conference_id)
    assert whole.recurrence is not None and whole.recurrence.instances == 4

    second = start + timedelta(days=7)
    moved = second + timedelta(hours=2)
    override = ("BEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                f"RECURRENCE-ID:{second.strftime(stamp)}\r\nDTSTART:{moved.strftime(stamp)}\r\n"
                f"DTEND:{(moved + timedelta(hours=1)).strftime(stamp)}\r\nSUMMARY:Weekly\r\n"
                "END:VEVENT\r\n")
    assert put(bridge, "alice", 104, uid, event_text(
        uid, start, "Weekly", extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n",
        overrides=override)).status_code == 204
    occurrence_id = admin.get_conference_id_by_external_id(SOURCE, uid, second)
    assert admin.get_conference_by_id(occurrence_id).start_utc == moved
    third_id = admin.get_conference_id_by_external_id(SOURCE, uid, start + timedelta(days=14))
    assert admin.get_conference_by_id(third_id).start_utc == start + timedelta(days=14)

    cancelled = start + timedelta(days=21)
    assert put(bridge, "alice", 104, uid, event_text(
        uid, start, "Weekly",
        extra=f"RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE:{cancelled.strftime(stamp)}\r\n",
        overrides=override)).status_code == 204
    series_after = admin.get_recurrent_conference_by_id(first.conference_id)
    deleted = [e.recurrence_id_utc for e in series_after.recurrence.exceptions
               if e.exception_type.value == "DELETE"]
    assert deleted == [cancelled]
    assert admin.get_conference_by_id(third_id).start_utc == start + timedelta(days=14)
    text = requests.get(f"{bridge.url}alice/room-104/{uid}.ics", auth=("alice", "alice")).text
    assert "EXDATE" in text and "RECURRENCE-ID" in text


def test_sync_token_sees_a_change_made_in_tms(bridge, admin):
    calendar = room_calendar(bridge, "alice", 105)
    first = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True)
    conference = admin.get_default_conference()
    from tmscal.model import Participant, ParticipantCallType
    conference.title = "Made in TMS"
    conference.start_utc = slot(4)
    conference.end_utc = conference.start_utc + timedelta(hours=1)
    conference.participants = [Participant(ParticipantCallType.TMS, 105)]
    conference.external_primary_key = "made-in-tms"
    conference.external_source_id = "TMS"
    admin.save_conference(conference)

    def changed():
        result = calendar.objects_by_sync_token(first.sync_token, load_objects=True,
                                                disable_fallback=True)
        return [o for o in result]

    objects = wait_until(changed)
    assert [str(o.icalendar_component["SUMMARY"]) for o in objects] == ["Made in TMS"]


def test_double_booking_is_403_with_the_other_booking_and_nothing_created(bridge, admin):
    start = slot(6)
    first = str(uuid.uuid4())
    assert put(bridge, "alice", 101, first, event_text(first, start, "Board")).status_code == 201
    second = str(uuid.uuid4())
    response = put(bridge, "bob", 101, second, event_text(second, start + timedelta(minutes=30),
                                                          "Clash"))
    assert response.status_code == 403  # not 409: see tmscal.bridge.refusals.BookingConflict
    assert "Oslo Fjord" in response.text and "Board" in response.text
    with pytest.raises(TmsError):
        admin.get_conference_id_by_external_id(SOURCE, second)
    assert requests.get(f"{bridge.url}bob/room-101/{second}.ics",
                        auth=("bob", "bob")).status_code == 404


def test_read_only_room_is_403(bridge):
    uid = str(uuid.uuid4())
    response = put(bridge, "alice", 110, uid, event_text(uid, slot(3), "Not mine"))
    assert response.status_code == 403 and "Adelaide Torrens" in response.text


def test_stale_etag_is_412(bridge):
    uid = str(uuid.uuid4())
    assert put(bridge, "alice", 103, uid, event_text(uid, slot(8), "One")).status_code == 201
    response = put(bridge, "alice", 103, uid, event_text(uid, slot(8), "Two"),
                   **{"If-Match": '"not-the-etag"'})
    assert response.status_code == 412


def test_retried_put_creates_one_conference(bridge, admin):
    uid = str(uuid.uuid4())
    text = event_text(uid, slot(9), "Retried")
    assert put(bridge, "alice", 106, uid, text).status_code == 201
    bridge.runtime.store.remove_conference(uid)  # the answer was lost before the mirror saw it
    assert put(bridge, "alice", 106, uid, text).status_code == 201
    assert put(bridge, "alice", 106, uid, text).status_code == 204
    found = admin.get_conferences_for_systems([106], slot(9) - timedelta(hours=1),
                                              slot(9) + timedelta(hours=2))
    assert [c.title for c in found] == ["Retried"]


def test_tms_down_reads_200_writes_503(bridge, tms, admin):
    uid = str(uuid.uuid4())
    tms.faults.down = True
    try:
        assert requests.get(f"{bridge.url}alice/room-101/", auth=("alice", "alice")).status_code \
            == 200
        response = put(bridge, "alice", 101, uid, event_text(uid, slot(10), "While down"))
        assert response.status_code == 503 and response.headers["Retry-After"] == "7"
        assert "Oslo Fjord" in response.text
    finally:
        tms.faults.down = False
    with pytest.raises(TmsError):
        admin.get_conference_id_by_external_id(SOURCE, uid)
    assert requests.get(f"{bridge.url}alice/room-101/{uid}.ics",
                        auth=("alice", "alice")).status_code == 404


def test_licence_exhausted_is_403_naming_the_licence(simulator_factory, tmp_path):
    from tmscal.simulator.engine import Tms

    tms = simulator_factory(engine=Tms.seeded("empty", licence_pool=1))
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",)) as bridge:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        assert put(bridge, "alice", 101, first, event_text(first, slot(3), "A")).status_code \
            == 201
        response = put(bridge, "alice", 102, second, event_text(second, slot(3), "B"))
        assert response.status_code == 403
        assert "Allow Remote Bookings" in response.text and "Oslo Holmenkollen" in response.text
        assert bridge.runtime.health()["writes"].get("LicenceDenied") == 1


def test_cancelled_status_cancels_the_booking(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(11)
    assert put(bridge, "alice", 105, uid, event_text(uid, start, "Soon off")).status_code == 201
    conference_id = admin.get_conference_id_by_external_id(SOURCE, uid)
    response = put(bridge, "alice", 105, uid, event_text(uid, start, "Soon off",
                                                         extra="STATUS:CANCELLED\r\n"))
    assert response.status_code == 204 and "ETag" not in response.headers
    with pytest.raises(TmsError):
        conference = admin.get_conference_by_id(conference_id)
        assert conference.status == ConferenceStatus.DELETED
        raise ConferenceNotFound("deleted")
    assert requests.get(f"{bridge.url}alice/room-105/{uid}.ics",
                        auth=("alice", "alice")).status_code == 404


def test_other_rooms_named_as_attendees_join_the_booking(bridge, admin):
    uid = str(uuid.uuid4())
    attendee = ("ATTENDEE;CUTYPE=ROOM;CN=Oslo Vigeland:mailto:oslo.vigeland@video.example.org"
                "\r\n")
    assert put(bridge, "alice", 102, uid, event_text(uid, slot(12), "Two rooms",
                                                     extra=attendee)).status_code == 201
    assert sorted(tms_conference(admin, uid).system_ids) == [102, 103]
    for room in (102, 103):
        assert requests.get(f"{bridge.url}alice/room-{room}/{uid}.ics",
                            auth=("alice", "alice")).status_code == 200


@pytest.mark.parametrize("start,words", [
    (lambda: slot(-2), "past"),
    (lambda: slot(380), "booking window"),
])
def test_outside_the_booking_window_is_403(bridge, start, words):
    uid = str(uuid.uuid4())
    response = put(bridge, "alice", 103, uid, event_text(uid, start(), "Out of window"))
    assert response.status_code == 403 and words in response.text
    assert "Oslo Vigeland" in response.text


def test_recurrence_tms_cannot_store_is_refused_with_the_reason(bridge):
    uid = str(uuid.uuid4())
    response = put(bridge, "alice", 103, uid, event_text(uid, slot(3), "Yearly",
                                                         extra="RRULE:FREQ=YEARLY\r\n"))
    assert response.status_code in (400, 403) and "Oslo Vigeland" in response.text
    assert "year" in response.text.lower()


def test_tms_timing_out_is_503_and_nothing_half_written(empty_simulator, tmp_path):
    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                                 users=("alice",), timeout=1.0)
    bridge = start_bridge(config)
    try:
        wait_until(lambda: bridge.runtime.store.get_cursor() is not None)
        uid = str(uuid.uuid4())
        empty_simulator.faults.timeout = 3.0
        started = time.monotonic()
        response = put(bridge, "alice", 101, uid, event_text(uid, slot(13), "Slow TMS"))
        assert response.status_code == 503 and "Retry-After" in response.headers
        assert time.monotonic() - started < 10
        assert requests.get(f"{bridge.url}alice/room-101/", auth=("alice", "alice")) \
            .status_code == 200
        assert requests.get(f"{bridge.url}alice/room-101/{uid}.ics",
                            auth=("alice", "alice")).status_code == 404
    finally:
        empty_simulator.faults.timeout = None
        bridge.stop()


def test_whole_calendar_get_and_server_side_expansion(bridge):
    from icalendar import Calendar

    uid = str(uuid.uuid4())
    start = slot(15, hour=8)
    assert put(bridge, "alice", 106, uid, event_text(
        uid, start, "Daily", extra="RRULE:FREQ=DAILY;COUNT=3\r\n")).status_code == 201
    single = str(uuid.uuid4())
    assert put(bridge, "alice", 106, single, event_text(single, slot(16, hour=14),
                                                        "Single")).status_code == 201
    text = requests.get(f"{bridge.url}alice/room-106/", auth=("alice", "alice")).text
    calendar = Calendar.from_ical(text)
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert len(zones) == len(set(zones)) >= 1
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Daily", "Single"]
    expanded = room_calendar(bridge, "alice", 106).search(
        start=start - timedelta(hours=1), end=start + timedelta(days=5), event=True,
        expand=True, post_filter=False)
    assert sorted(str(e.icalendar_component["SUMMARY"]) for e in expanded) == \
        ["Daily", "Daily", "Daily", "Single"]


def test_client_refetches_tms_version_and_updates_with_its_etag(bridge, admin):
    uid = str(uuid.uuid4())
    start = slot(17)
    created = put(bridge, "alice", 101, uid, event_text(uid, start, "Etag flow"),
                  **{"If-None-Match": "*"})
    assert created.status_code == 201 and "ETag" not in created.headers
    fetched = requests.get(f"{bridge.url}alice/room-101/{uid}.ics", auth=("alice", "alice"))
    assert "X-TMS-CONFERENCE-ID" in fetched.text
    again = put(bridge, "alice", 101, uid, fetched.text.replace("Etag flow", "Etag flow 2"),
                **{"If-Match": fetched.headers["ETag"]})
    assert again.status_code == 204
    assert tms_conference(admin, uid).title == "Etag flow 2"
    stale = put(bridge, "alice", 101, uid, fetched.text, **{"If-Match": fetched.headers["ETag"]})
    assert stale.status_code == 412
