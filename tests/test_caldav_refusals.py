"""Refusals a person can read, against ``tmscal serve`` and the simulator on 127.0.0.1: every
4xx carries a one-line reason (malformed iCalendar names the line and property; a stale
If-Match says what to do), and only a failed login waits."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.bridge_harness import serving_bridge
from tests.test_caldav_e2e import event_text, put, slot

RIGHTS = {"alice": "book=101 see=110"}


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",), extra="") as running:
        yield running


@pytest.mark.parametrize("path", ["alice/room-101/", "alice/meetings/"])
@pytest.mark.parametrize("broken,words", [
    (lambda text: text.replace("DTEND:", "DTEND:2026-13-01T"),
     ["line 8", "DTEND"]),
    (lambda text: text.replace("END:VEVENT\r\n", ""), ["BEGIN:VEVENT", "line 4"]),
    (lambda text: text.replace("SUMMARY:", "SUMMARY "), ["line 9", "SUMMARY"]),
])
def test_malformed_icalendar_says_what_is_wrong(bridge, path, broken, words):
    uid = str(uuid.uuid4())
    response = requests.put(f"{bridge.url}{path}{uid}.ics",
                            data=broken(event_text(uid, slot(3), "Broken")).encode(),
                            auth=("alice", "alice"), timeout=30,
                            headers={"Content-Type": "text/calendar"})
    assert response.status_code == 400
    reason = response.text.strip()
    assert "\n" not in reason and reason.startswith("Malformed iCalendar: ")
    assert all(word in reason for word in words), reason


def test_every_refusal_carries_a_one_line_reason(bridge):
    uid = str(uuid.uuid4())
    assert put(bridge, "alice", 101, uid, event_text(uid, slot(4), "One")).status_code == 201
    answers = [
        put(bridge, "alice", 101, uid, event_text(uid, slot(4), "Two"),
            **{"If-Match": '"not-the-etag"'}),
        put(bridge, "alice", 101, uid, event_text(uid, slot(4), "Two"),
            **{"If-None-Match": "*"}),
        put(bridge, "alice", 110, uid, event_text(uid, slot(4), "Not mine")),
        requests.request("MKCALENDAR", f"{bridge.url}alice/mine/", auth=("alice", "alice")),
        requests.put(f"{bridge.url}alice/room-101/copy.ics", auth=("alice", "alice"),
                     data=event_text(uid, slot(4), "Copy").encode(), timeout=30,
                     headers={"Content-Type": "text/calendar"}),
    ]
    assert [answer.status_code for answer in answers] == [412, 412, 403, 403, 409]
    for answer in answers:
        reason = answer.text.strip()
        assert len(reason) > 20 and "Precondition failed." not in reason
    assert "fetch it again" in answers[0].text and "If-None-Match" in answers[1].text
    assert "no-uid-conflict" in answers[4].text and "already has this UID" in answers[4].text


def test_only_a_failed_login_waits(bridge):
    pauses: list[float] = []
    login_delay = bridge.server.application.login_delay
    login_delay.pause = pauses.append
    uid = str(uuid.uuid4())
    assert put(bridge, "alice", 110, uid, event_text(uid, slot(5), "Not mine")).status_code \
        == 403
    assert requests.get(f"{bridge.url}alice/room-101/nothing.ics",
                        auth=("alice", "alice")).status_code == 404
    assert pauses == []
    assert requests.get(f"{bridge.url}alice/", auth=("alice", "wrong")).status_code == 401
    assert len(pauses) == 1 and 0.5 * login_delay.delay <= pauses[0] <= 1.5 * login_delay.delay
