"""The plugin's read side over HTTP, against a mirror filled directly (no TMS at all):
discovery per user, time-range queries, multiget, sync tokens, GET, free-busy, refusals of
collection changes, and zero TMS calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.bridge_harness import start_bridge, write_bridge_config
from tmscal.mirror import ConferenceRecord, Room, open_store

BASE = datetime(2030, 1, 7, 9, tzinfo=timezone.utc)
QUERY = """<?xml version="1.0"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
</C:comp-filter></C:filter></C:calendar-query>"""


def event_record(uid: str, start: datetime, title: str, rooms: list[int]) -> ConferenceRecord:
    end = start + timedelta(hours=1)
    stamp = "%Y%m%dT%H%M%SZ"
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(stamp)}\r\n"
            f"DTEND:{end.strftime(stamp)}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return ConferenceRecord(uid=uid, ical=text, start_utc=start, end_utc=end,
                            occurrences=[(start, end)], room_ids=rooms,
                            series_id=1000 + int(uid.split("-")[-1]))


@pytest.fixture
def bridge(tmp_path):
    config = write_bridge_config(tmp_path, users=("alice", "bob"),
                                 rights={"alice": "book=1,2 see=3", "bob": "book=3"})
    store = open_store(str(tmp_path / "mirror.sqlite3"))
    store.replace_rooms([Room(1, "Fjord", site="Oslo", description="2nd floor"),
                         Room(2, "Harbour", site="Oslo"), Room(3, "Tower", site="London"),
                         Room(4, "Cellar", site="London")])
    store.store_conferences([event_record(f"ev-{i}", BASE + timedelta(days=i), f"Meeting {i}",
                                          [1] if i % 2 else [1, 3]) for i in range(30)])
    store.set_cursor(1)
    running = start_bridge(config, syncer=False)
    yield running
    running.stop()


def _calendars(client) -> dict[str, object]:
    """The room calendars in the user's home (the personal meetings calendar left out)."""
    principal = client.principal()
    names = {str(cal.url).rstrip("/").rsplit("/", 1)[-1]: cal for cal in principal.calendars()}
    return {name: cal for name, cal in names.items() if name.startswith("room-")}


def test_discovery_lists_exactly_the_rooms_each_user_may_see(bridge):
    alice = _calendars(bridge.client("alice"))
    assert sorted(alice) == ["room-1", "room-2", "room-3"]
    assert alice["room-1"].get_display_name() == "Fjord"
    assert sorted(_calendars(bridge.client("bob"))) == ["room-3"]


def test_other_users_home_and_unlisted_rooms_are_hidden(bridge):
    auth = ("alice", "alice")
    assert requests.get(bridge.url + "bob/room-3/", auth=auth).status_code == 403
    assert requests.get(bridge.url + "alice/room-4/", auth=auth).status_code in (403, 404)


def test_time_range_query_answers_from_the_occurrence_index(bridge):
    response = requests.request(
        "REPORT", bridge.url + "alice/room-1/", auth=("alice", "alice"),
        headers={"Depth": "1", "Content-Type": "application/xml"},
        data=QUERY.format(start="20300108T000000Z", end="20300110T000000Z"))
    assert response.status_code == 207
    assert response.text.count("UID:ev-") == 2 and "ev-1.ics" in response.text
    calendar = _calendars(bridge.client("alice"))["room-1"]
    found = calendar.search(start=BASE + timedelta(days=3), end=BASE + timedelta(days=10),
                            event=True, post_filter=False)
    assert sorted(str(e.icalendar_component["UID"]) for e in found) == \
        [f"ev-{i}" for i in range(3, 10)]
    assert bridge.runtime.service_client.call_count == 0 if bridge.runtime._service_client \
        else True


def test_properties_colour_description_and_components(bridge):
    response = requests.request(
        "PROPFIND", bridge.url + "alice/room-1/", auth=("alice", "alice"),
        headers={"Depth": "0"})
    text = response.text
    assert "Oslo — 2nd floor" in text and "calendar-color" in text
    assert 'name="VEVENT"' in text and "VTODO" not in text


def test_sync_token_reports_changes_and_deletions(bridge):
    calendar = _calendars(bridge.client("alice"))["room-1"]
    first = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True)
    assert len(list(first)) == 30
    store = bridge.runtime.store
    store.store_conference(event_record("ev-77", BASE + timedelta(hours=3), "New", [1]))
    store.remove_conference("ev-4")
    second = calendar.objects_by_sync_token(first.sync_token, load_objects=False,
                                            disable_fallback=True)
    assert sorted(str(o.url).rsplit("/", 1)[-1] for o in second) == ["ev-4.ics", "ev-77.ics"]
    third = calendar.objects_by_sync_token(second.sync_token, load_objects=False,
                                           disable_fallback=True)
    assert list(third) == []


def test_unknown_sync_token_is_valid_sync_token_error(bridge):
    body = ('<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>'
            'http://radicale.org/ns/sync/bogus-9</D:sync-token><D:sync-level>1</D:sync-level>'
            '<D:prop><D:getetag/></D:prop></D:sync-collection>')
    response = requests.request("REPORT", bridge.url + "alice/room-1/", auth=("alice", "alice"),
                                data=body, headers={"Content-Type": "application/xml"})
    assert response.status_code == 403 and "valid-sync-token" in response.text


def test_get_whole_calendar_and_one_event(bridge):
    whole = requests.get(bridge.url + "alice/room-1/", auth=("alice", "alice"))
    assert whole.status_code == 200 and whole.text.count("BEGIN:VEVENT") == 30
    assert "X-WR-CALNAME:Fjord" in whole.text and whole.headers["ETag"]
    one = requests.get(bridge.url + "alice/room-1/ev-3.ics", auth=("alice", "alice"))
    assert one.status_code == 200 and "UID:ev-3" in one.text


def test_free_busy_view_and_report(bridge):
    view = requests.get(bridge.url + "alice/room-1/?view=freebusy&start=20300101T000000Z"
                        "&end=20300110T000000Z", auth=("alice", "alice"))
    assert view.status_code == 200 and "FREEBUSY;FBTYPE=BUSY:20300107T090000Z" in view.text
    body = ('<?xml version="1.0"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<C:time-range start="20300101T000000Z" end="20300110T000000Z"/>'
            '</C:free-busy-query>')
    report = requests.request("REPORT", bridge.url + "alice/room-1/", auth=("alice", "alice"),
                              data=body, headers={"Depth": "1"})
    assert report.status_code == 200 and "VFREEBUSY" in report.text


@pytest.mark.parametrize("method,path,status,words", [
    ("MKCALENDAR", "alice/new/", 403, "cannot be created"),
    ("DELETE", "alice/room-1/", 403, "cannot be deleted"),
    ("DELETE", "alice/room-3/", 403, "cannot be deleted"),
    ("PUT", "alice/room-3/x.ics", 403, "not book"),
])
def test_collection_changes_are_refused_with_a_reason(bridge, method, path, status, words):
    data = None
    if method == "PUT":
        data = event_record("ev-99", BASE, "x", [3]).ical
    response = requests.request(method, bridge.url + path, auth=("alice", "alice"), data=data,
                                headers={"Content-Type": "text/calendar"})
    assert response.status_code == status and words in response.text


def test_proppatch_of_a_room_is_refused(bridge):
    body = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            '<D:displayname>Mine</D:displayname></D:prop></D:set></D:propertyupdate>')
    response = requests.request("PROPPATCH", bridge.url + "alice/room-1/",
                                auth=("alice", "alice"), data=body)
    assert response.status_code == 403 and "come from TMS" in response.text


def test_read_only_room_announces_read_privileges_only(bridge):
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>'
            '<D:current-user-privilege-set/></D:prop></D:propfind>')
    read_only = requests.request("PROPFIND", bridge.url + "alice/room-3/",
                                 auth=("alice", "alice"), headers={"Depth": "0"}, data=body)
    writable = requests.request("PROPFIND", bridge.url + "alice/room-1/",
                                auth=("alice", "alice"), headers={"Depth": "0"}, data=body)
    assert "<read />" in read_only.text and "write" not in read_only.text
    assert "<write />" in writable.text


def test_group_grants_from_the_configuration(tmp_path):
    config = write_bridge_config(
        tmp_path, users=("dave",), rights={"@facilities": "book=4 see=1"},
        extra="[room_groups]\nfacilities = dave, erin\n")
    store = open_store(str(tmp_path / "mirror.sqlite3"))
    store.replace_rooms([Room(1, "Fjord"), Room(4, "Cellar"), Room(5, "Attic")])
    store.set_cursor(1)
    running = start_bridge(config, syncer=False)
    try:
        assert sorted(_calendars(running.client("dave"))) == ["room-1", "room-4"]
        uid = "ev-5"
        response = requests.put(running.url + f"dave/room-1/{uid}.ics", auth=("dave", "dave"),
                                data=event_record(uid, BASE, "x", [1]).ical)
        assert response.status_code == 403 and "Fjord" in response.text
    finally:
        running.stop()
