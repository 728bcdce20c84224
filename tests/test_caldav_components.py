"""What calendars hold and how clients show them, against ``tmscal serve`` (127.0.0.1, free
port) and the TMS simulator: events only (a VTODO is refused, and none stored ever breaks a
query), each user's own colour, order and name, one colour per site, CALDAV:expand."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests

from tests.bridge_harness import serving_bridge
from tests.test_caldav_e2e import slot
from tests.test_invitations_e2e import meeting, put
from tmscal.bridge.invitations.meetings import meetings_for

RIGHTS = {"alice": "book=101 see=*", "bob": "book=101 see=*"}
CALDAV = "urn:ietf:params:xml:ns:caldav"
STAMP = "%Y%m%dT%H%M%SZ"


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        yield running


def todo(uid: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal tests//EN\r\nBEGIN:VTODO\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Buy cables\r\n"
            "END:VTODO\r\nEND:VCALENDAR\r\n")


def report(bridge, path: str, body: str, user: str = "alice") -> requests.Response:
    return requests.request("REPORT", f"{bridge.url}{path}", data=body.encode(),
                            auth=(user, user), timeout=30,
                            headers={"Depth": "1", "Content-Type": "application/xml"})


def time_range_query(start, end) -> str:
    return (f'<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">'
            "<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter>"
            '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{start.strftime(STAMP)}" end="{end.strftime(STAMP)}"/>'
            "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>")


def proppatch(bridge, path: str, props: str, user: str = "alice") -> requests.Response:
    body = ('<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
            'xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
            f"{props}</D:prop></D:set></D:propertyupdate>")
    return requests.request("PROPPATCH", f"{bridge.url}{path}", data=body.encode(),
                            auth=(user, user), timeout=30,
                            headers={"Content-Type": "application/xml"})


def colour_of(bridge, path: str, user: str = "alice") -> str:
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
            'xmlns:I="http://apple.com/ns/ical/"><D:prop><I:calendar-color/>'
            "<I:calendar-order/><D:displayname/></D:prop></D:propfind>")
    response = requests.request("PROPFIND", f"{bridge.url}{path}", data=body.encode(),
                                auth=(user, user), headers={"Depth": "0"}, timeout=30)
    assert response.status_code == 207
    return response.text


def test_a_todo_is_refused_with_the_caldav_precondition(bridge):
    for path in ("alice/meetings/", "alice/room-101/"):
        uid = str(uuid.uuid4())
        response = requests.put(f"{bridge.url}{path}{uid}.ics", data=todo(uid).encode(),
                                auth=("alice", "alice"), timeout=30,
                                headers={"Content-Type": "text/calendar"})
        assert response.status_code == 403, path
        assert "supported-calendar-component" in response.text
        assert "VTODO" in response.text


def test_no_stored_object_makes_a_query_fail(bridge):
    """A VTODO stored before calendars refused them is served, and queries still answer."""
    start = slot(3)
    uid = str(uuid.uuid4())
    assert put(bridge, uid, meeting(uid, start, "Planning")).status_code == 201
    meetings = meetings_for(bridge.runtime)
    meetings.calendars.put(meetings.calendar_id("alice"), "old-task.ics", "old-task",
                           todo("old-task"), (0, 2 ** 31))
    response = report(bridge, "alice/meetings/",
                      time_range_query(start - timedelta(days=1), start + timedelta(days=1)))
    assert response.status_code == 207
    assert uid in response.text and "old-task" not in response.text
    free_busy = (f'<?xml version="1.0"?><C:free-busy-query xmlns:C="{CALDAV}">'
                 f'<C:time-range start="{(start - timedelta(days=1)).strftime(STAMP)}" '
                 f'end="{(start + timedelta(days=1)).strftime(STAMP)}"/></C:free-busy-query>')
    response = report(bridge, "alice/meetings/", free_busy)
    assert response.status_code == 200
    assert start.strftime(STAMP) in response.text.replace("\r\n ", "")


def test_expand_with_etag_and_data_works_on_meetings_and_rooms(bridge):
    start = slot(4)
    uid = str(uuid.uuid4())
    text = meeting(uid, start, "Weekly", (101,), extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    assert put(bridge, uid, text).status_code == 201
    window = (start - timedelta(days=1), start + timedelta(days=20))
    body = (f'<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">'
            '<D:prop><D:getetag/><C:calendar-data>'
            f'<C:expand start="{window[0].strftime(STAMP)}" end="{window[1].strftime(STAMP)}"/>'
            '</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
            '<C:comp-filter name="VEVENT">'
            f'<C:time-range start="{window[0].strftime(STAMP)}" '
            f'end="{window[1].strftime(STAMP)}"/>'
            "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>")
    for path in ("alice/meetings/", "alice/room-101/"):
        response = report(bridge, path, body)
        assert response.status_code == 207, (path, response.text)
        unfolded = response.text.replace("\r\n ", "").replace("&#13;", "")
        assert unfolded.count("BEGIN:VEVENT") == 3, path
        assert "RRULE" not in unfolded and "getetag" in unfolded


def test_each_user_sets_their_own_colour_order_and_meetings_name(bridge):
    colour = "<I:calendar-color>#ABCDEFFF</I:calendar-color><I:calendar-order>3</I:calendar-order>"
    for path in ("alice/room-101/", "alice/room-102/", "alice/meetings/"):  # 102: read-only
        assert proppatch(bridge, path, colour).status_code == 207, path
        shown = colour_of(bridge, path)
        assert "#ABCDEFFF" in shown and ">3<" in shown, path
    assert "#ABCDEFFF" not in colour_of(bridge, "bob/room-101/", "bob")
    assert "#ABCDEFFF" not in colour_of(bridge, "bob/meetings/", "bob")

    renamed = proppatch(bridge, "alice/meetings/", "<D:displayname>Rooms I book</D:displayname>")
    assert renamed.status_code == 207 and "Rooms I book" in colour_of(bridge, "alice/meetings/")
    refused = proppatch(bridge, "alice/room-101/", "<D:displayname>Mine</D:displayname>")
    assert refused.status_code == 403
    assert "come from TMS" in refused.text and "D:displayname" in refused.text
    assert "Mine" not in colour_of(bridge, "alice/room-101/")


def test_one_colour_per_site_and_one_for_meetings(bridge):
    colours: dict[str, set[str]] = {}
    for room in bridge.runtime.store.list_rooms():
        text = colour_of(bridge, f"alice/room-{room.system_id}/")
        colours.setdefault(room.site, set()).add(text.split("calendar-color>")[1].split("<")[0])
    assert all(len(found) == 1 for found in colours.values())
    site_colours = [found.pop() for found in colours.values()]
    assert len(site_colours) == len(set(site_colours)) == 4
    meetings = colour_of(bridge, "alice/meetings/").split("calendar-color>")[1].split("<")[0]
    assert meetings.startswith("#") and meetings not in site_colours
