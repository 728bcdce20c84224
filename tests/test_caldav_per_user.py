"""The per-user booking model: users log in with their TMS credentials (checked against TMS,
cached), see the rooms GetSystemsForUser grants them as writable and the others read-only,
and book with their own credentials."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.bridge_harness import serving_bridge
from tests.test_caldav_e2e import SOURCE, event_text, put, slot
from tmscal.tms import TmsClient


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, booking_model="per-user",
                        room_visibility="tms") as running:
        yield running


def test_login_is_checked_against_tms(bridge):
    assert requests.request("PROPFIND", bridge.url + "alice/", auth=("alice", "wrong"),
                            headers={"Depth": "0"}).status_code == 401
    assert requests.request("PROPFIND", bridge.url + "alice/", auth=("alice", "alice"),
                            headers={"Depth": "0"}).status_code == 207


def test_rooms_and_rights_come_from_get_systems_for_user(bridge, empty_simulator):
    calendars = bridge.client("bob").principal().calendars()
    assert len([c for c in calendars if "/room-" in str(c.url)]) == 14
    uid = str(uuid.uuid4())
    assert put(bridge, "bob", 107, uid, event_text(uid, slot(3), "Bob's")).status_code == 201
    with TmsClient(empty_simulator.url, "admin", "admin") as admin:
        conference = admin.get_conference_by_id(
            admin.get_conference_id_by_external_id(SOURCE, uid))
    assert conference.owner_user_name.lower().endswith("bob")
    other = str(uuid.uuid4())
    refused = put(bridge, "bob", 113, other, event_text(other, slot(3), "Not Bob's"))
    assert refused.status_code == 403 and "Bangalore Cubbon" in refused.text
