"""``tmscal serve`` against the simulator under faults (issue 11 §3–4): a booking TMS cannot
send, hostile request bodies, a hanging or absent TMS, more connections than the limit, and
what /health and the log say meanwhile."""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from tests.bridge_harness import serving_bridge, wait_until
from tests.test_caldav_e2e import RIGHTS, event_text, put, slot
from tmscal.model import Participant

PROPFIND = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
            '<D:getetag/></D:prop></D:propfind>')


def book_in_tms(sim, title: str, hours: int):
    engine = sim.engine
    admin = engine.user("admin")
    start = slot(2) + timedelta(hours=hours)
    template = engine.get_default_conference(admin).copy(
        title=title, start_utc=start, end_utc=start + timedelta(hours=1),
        participants=[Participant(participant_id=101)])
    return engine.book_directly(admin, template, through_api=False)


def room_titles(bridge) -> list[str]:
    answer = requests.get(f"{bridge.url}alice/room-101/", auth=("alice", "alice"), timeout=10)
    return sorted(line[8:] for line in answer.text.split("\r\n") if line.startswith("SUMMARY:"))


def health(bridge) -> tuple[int, dict]:
    answer = requests.get(bridge.url + "health", timeout=10)
    return answer.status_code, answer.json()


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS, users=("alice",),
                        mirror_extra="unreadable_retry = 0\nstale_after = 2",
                        extra="[server]\nconnection_limit = 12\nthreads = 4") as running:
        yield running


def test_a_booking_tms_cannot_send_does_not_stop_the_sync(empty_simulator, bridge):
    poisoned = book_in_tms(empty_simulator, "fine at first", 0)
    wait_until(lambda: room_titles(bridge) == ["fine at first"])
    empty_simulator.engine.edit_directly(poisoned.conference_id, title="bad\x1b[1m title")
    book_in_tms(empty_simulator, "booked later", 2)
    wait_until(lambda: room_titles(bridge) == ["booked later", "fine at first"])
    status, report = wait_until(lambda: (lambda h: h if h[1]["mirror"]["unreadable"] else None)(
        health(bridge)))
    assert status == 200
    assert [e["conference_id"] for e in report["mirror"]["unreadable"]] == \
        [poisoned.conference_id]
    empty_simulator.engine.edit_directly(poisoned.conference_id, title="mended\x85")
    wait_until(lambda: room_titles(bridge) == ["booked later", "mended"])
    wait_until(lambda: not health(bridge)[1]["mirror"]["unreadable"])


@pytest.mark.parametrize("method, body, status, reason", [
    ("PROPFIND", "<a>" * 200_000 + "</a>" * 200_000, 413, "limited to"),
    ("REPORT", '<?xml version="1.0"?>' + "<a>" * 5_000 + "</a>" * 5_000, 400, "deep"),
    ("PROPFIND", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + PROPFIND[38:], 400,
     "DOCTYPE"),
    ("REPORT", "<unclosed>", 400, "well-formed"),
])
def test_hostile_xml_bodies_get_a_clear_4xx_and_the_server_lives_on(bridge, method, body,
                                                                    status, reason):
    answer = requests.request(method, f"{bridge.url}alice/room-101/", data=body.encode(),
                              auth=("alice", "alice"), headers={"Depth": "1"}, timeout=30)
    assert answer.status_code == status and reason in answer.text
    listing = requests.request("PROPFIND", f"{bridge.url}alice/", data=PROPFIND,
                               auth=("alice", "alice"), headers={"Depth": "1"}, timeout=10)
    assert listing.status_code == 207


def test_a_10_kb_tzid_is_refused_with_a_reason(bridge):
    uid = str(uuid.uuid4())
    text = event_text(uid, slot(3), "zone").replace(
        "DTSTART:", f"DTSTART;TZID={'X' * 10_000}:").replace("Z\r\nDTEND", "\r\nDTEND", 1)
    answer = put(bridge, "alice", 101, uid, text)
    assert answer.status_code in (400, 403) and "TZID" in answer.text


def test_writes_waiting_on_a_hanging_tms_never_starve_reads(empty_simulator, bridge):
    slots = bridge.runtime.settings.write_slots(4)
    assert slots == 2
    empty_simulator.faults.timeout = math.inf
    try:
        def write(n: int):
            uid = str(uuid.uuid4())
            return put(bridge, "alice", 101, uid, event_text(uid, slot(4, 8 + n), f"w{n}"))

        with ThreadPoolExecutor(max_workers=slots) as hanging:
            held = [hanging.submit(write, n) for n in range(slots)]
            wait_until(lambda: _writes_running(bridge) == slots)
            # once the held writes have waited longer than a newcomer's patience (1 s), TMS
            # counts as hanging and a newcomer is refused without waiting for a slot
            time.sleep(bridge.server.application._guarded.patience)
            refused = write(9)
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "7"
            for _ in range(5):  # reads keep their threads
                listing = requests.request("PROPFIND", f"{bridge.url}alice/room-101/",
                                           data=PROPFIND, auth=("alice", "alice"),
                                           headers={"Depth": "1"}, timeout=5)
                assert listing.status_code == 207
            empty_simulator.faults.timeout = None
            assert {f.result().status_code for f in held} <= {201, 204, 503}
    finally:
        empty_simulator.faults.timeout = None


def _writes_running(bridge) -> int:
    return bridge.server.application._guarded.running


def test_tms_down_gives_one_log_line_per_refused_write_and_degraded_health(
        empty_simulator, bridge, caplog):
    empty_simulator.faults.down = True
    try:
        caplog.clear()
        caplog.set_level(logging.INFO)
        uid = str(uuid.uuid4())
        answer = put(bridge, "alice", 101, uid, event_text(uid, slot(5), "down"))
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
        request_lines = [r for r in caplog.records
                         if r.levelno >= logging.WARNING and not r.name.startswith("tmscal.mirror")]
        assert len(request_lines) == 1, [r.getMessage() for r in request_lines]
        assert request_lines[0].levelno == logging.WARNING and not request_lines[0].exc_info
        assert "503" in request_lines[0].getMessage()
        status, report = wait_until(lambda: (lambda h: h if h[0] == 503 else None)(
            health(bridge)))
        assert report["status"] == "degraded"
    finally:
        empty_simulator.faults.down = False
    wait_until(lambda: health(bridge)[0] == 200)


def test_clients_beyond_the_connection_limit_are_answered_at_once(bridge):
    idle = []
    try:
        for _ in range(20):  # keep-alive connections that stay open and idle
            connection = socket.create_connection((bridge.server.host, bridge.server.port))
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            connection.recv(65536)
            idle.append(connection)
        time.sleep(2.1)  # now idle for longer than tmscal.web.listener.MIN_IDLE
        results = []  # each client gives up after 10 s (stock waitress: no answer for 60 s)

        def client():
            results.append(requests.get(bridge.url + "health", timeout=10).status_code)

        threads = [threading.Thread(target=client) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [200] * 10
    finally:
        for connection in idle:
            connection.close()


def test_a_save_answer_the_mirror_cannot_hold_is_a_502_with_a_reason(bridge):
    """A fake only here: no TMS (nor the simulator) sends a ConferenceId below -2**63."""
    real = bridge.runtime.service_client

    class BrokenAnswers:
        def __getattr__(self, name):
            return getattr(real, name)

        def save_conference(self, conference):
            return real.save_conference(conference).copy(conference_id=-10**30)

    bridge.runtime._service_client = BrokenAnswers()
    try:
        uid = str(uuid.uuid4())
        answer = put(bridge, "alice", 101, uid, event_text(uid, slot(6), "broken"))
    finally:
        bridge.runtime._service_client = real
    assert answer.status_code == 502 and "cannot store" in answer.text


def test_huge_participant_ids_and_lists_reach_the_mirror(empty_simulator, bridge):
    from tmscal.model import ParticipantCallType

    booking = book_in_tms(empty_simulator, "crowded", 0)
    crowd = [Participant(participant_id=101), Participant(participant_id=10**30)] + [
        Participant(ParticipantCallType.SIP_OUT, 0, f"sip:guest{n}@example.org")
        for n in range(5_000)]
    empty_simulator.engine.edit_directly(booking.conference_id, participants=crowd,
                                         title="crowded and changed")
    book_in_tms(empty_simulator, "after the crowd", 2)
    wait_until(lambda: room_titles(bridge) == ["after the crowd", "crowded and changed"], 60)
    assert not health(bridge)[1]["mirror"]["unreadable"]


@pytest.mark.single_process
def test_a_restarted_serve_takes_over_the_lease_of_its_killed_predecessor(
        empty_simulator, tmp_path, free_port):
    import signal
    import subprocess
    import sys

    from tests.bridge_harness import write_bridge_config
    from tmscal.mirror.runner import LEASE_NAME
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore

    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                                 users=("alice",), mirror_extra="lease_seconds = 300")

    def serve():
        return subprocess.Popen([sys.executable, "-m", "tmscal.cli", "serve", "--config",
                                 str(config), "--port", str(free_port), "--workers", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    first = serve()
    try:
        holder = wait_until(lambda: store.lease_holder(LEASE_NAME), 30)
        assert f":{first.pid}:" in holder[0]
        first.send_signal(signal.SIGKILL)
        first.wait()
        second = serve()
        try:  # well before the dead holder's 300 s lease runs out
            wait_until(lambda: f":{second.pid}:" in (store.lease_holder(LEASE_NAME) or ("",))[0],
                       30)
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
        store.close()


def test_an_unreachable_store_answers_503_with_a_reason_and_recovers(bridge):
    """The mirror's file gone (to a new connection: unopenable): every worker answers 503 with a
    one-line reason and Retry-After, /health says why; once it is back, answers resume."""
    database = bridge.config.parent / "mirror.sqlite3"
    listing = {"Depth": "1", "Connection": "close"}

    def propfind() -> requests.Response:
        return requests.request("PROPFIND", bridge.url + "alice/", auth=("alice", "alice"),
                                headers=listing, timeout=30)

    assert propfind().status_code == 207
    database.rename(database.with_name("elsewhere.sqlite3"))
    try:
        wait_until(lambda: all(propfind().status_code == 503 for _ in range(4)), 30)
        refused = propfind()
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "7"
        assert refused.text.startswith("Calendar store unavailable: the mirror database ")
        assert refused.text.count("\n") == 1
        status, report = health(bridge)
        assert status == 503 and report["store"]["reachable"] is False
    finally:
        database.with_name("elsewhere.sqlite3").rename(database)
    wait_until(lambda: all(propfind().status_code == 207 for _ in range(4)), 30)
    assert health(bridge)[1]["store"]["reachable"] is True
