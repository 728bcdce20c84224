"""Invite a room in the per-user booking model: the meeting books with the user's own TMS
credentials (TMS records them as owner), and a room GetSystemsForUser does not grant is
declined with "no right" while the granted one is booked."""

from __future__ import annotations

import uuid

import pytest

from tests.bridge_harness import serving_bridge
from tests.test_invitations_e2e import (
    address,
    meeting,
    put,
    read_back,
    room_params,
    slot,
    tms_conference,
)
from tmscal.tms import TmsClient


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, booking_model="per-user",
                        room_visibility="tms") as running:
        yield running


def test_meeting_books_as_the_user_and_declines_rooms_they_may_not_book(bridge,
                                                                         empty_simulator):
    uid = str(uuid.uuid4())
    response = put(bridge, uid, meeting(uid, slot(3), "Bob's meeting", (107, 113)), user="bob")
    assert response.status_code == 201
    with TmsClient(empty_simulator.url, "admin", "admin") as admin:
        conference = tms_conference(admin, uid)
    assert conference.system_ids == [107]
    assert conference.owner_user_name.lower().endswith("bob")
    params = room_params(read_back(bridge, uid, user="bob"))
    assert params[address(107)]["PARTSTAT"] == "ACCEPTED"
    assert params[address(113)]["PARTSTAT"] == "DECLINED"
    assert params[address(113)]["SCHEDULE-STATUS"] == "3.8"
