"""Invite a room with the plugin inside a stock ``radicale`` process (no tmscal web layer):
the meeting is booked and the answer written back; the PUT answer carries an ETag that is not
the stored meeting's, so the client fetches the changed meeting."""

from __future__ import annotations

import uuid

import requests
from icalendar import Calendar

from tests.test_invitations_e2e import SOURCE, address, meeting, room_params, slot
from tests.test_plugin_stock_radicale import radicale  # noqa: F401  (the fixture)
from tmscal.tms import TmsClient


def test_stock_radicale_books_invited_rooms(radicale, empty_simulator):  # noqa: F811
    uid = str(uuid.uuid4())
    created = requests.put(f"{radicale}alice/meetings/{uid}.ics", auth=("alice", "alice"),
                           data=meeting(uid, slot(5), "Stock meeting", (101,)))
    assert created.status_code == 201
    stored = requests.get(f"{radicale}alice/meetings/{uid}.ics", auth=("alice", "alice"))
    assert stored.headers["ETag"] != created.headers.get("ETag")
    event = Calendar.from_ical(stored.text).walk("VEVENT")[0]
    assert room_params(event)[address(101)]["PARTSTAT"] == "ACCEPTED"
    with TmsClient(empty_simulator.url, "admin", "admin") as admin:
        assert admin.get_conference_id_by_external_id(SOURCE, uid) > 0
