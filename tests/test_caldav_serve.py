"""``tmscal serve`` and ``tmscal demo`` as commands: a real process that answers CalDAV and
/health and stops cleanly on SIGTERM; logs without secrets; the demo's generated setup."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import uuid

import requests

from tests.bridge_harness import start_bridge, write_bridge_config
from tests.bridge_harness import wait_until
from tests.test_caldav_e2e import RIGHTS, event_text, put, slot


def test_serve_command_answers_and_stops_on_sigterm(empty_simulator, tmp_path, free_port,
                                                   bridge_workers):
    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                                 users=("alice",))
    process = subprocess.Popen([sys.executable, "-m", "tmscal.cli", "serve", "--config",
                                str(config), "--port", str(free_port),
                                "--workers", str(bridge_workers)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{free_port}/"
    try:
        def healthy():
            try:
                return requests.get(url + "health", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # not up, or workers starting
                assert process.poll() is None, process.stdout.read().decode()
                return False

        wait_until(healthy, timeout=30, step=0.2)
        listing = requests.request("PROPFIND", url + "alice/", auth=("alice", "alice"),
                                   headers={"Depth": "1"})
        assert listing.status_code == 207 and "room-110" in listing.text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    output = process.stdout.read().decode()
    assert "password" not in output.lower()


def test_logs_carry_no_secrets(empty_simulator, tmp_path, caplog):
    config = write_bridge_config(tmp_path, tms_url=empty_simulator.url,
                                 booking_model="per-user", room_visibility="tms",
                                 tms_user="tmscal-svc")
    caplog.set_level(logging.DEBUG)
    bridge = start_bridge(config)
    try:
        wait_until(lambda: bridge.runtime.store.get_cursor() is not None)
        uid = str(uuid.uuid4())
        put(bridge, "alice", 101, uid, event_text(uid, slot(3), "Secretive"))
        requests.get(bridge.url + "alice/", auth=("alice", "wrong-secret-pw"))
    finally:
        bridge.stop()
    text = caplog.text
    assert "wrong-secret-pw" not in text and "Basic " not in text
    assert "YWxpY2U6YWxpY2U" not in text  # base64 of alice:alice


def test_demo_setup_gives_each_user_their_simulator_rooms(simulator_factory, tmp_path):
    from tmscal.settings import load_settings
    from tmscal.cli.demo import prepare_demo

    tms = simulator_factory(seed="empty")
    settings = load_settings(prepare_demo(tms.url, tmp_path, 5232))
    assert settings.room_rights.grant_for("alice").book == frozenset({101, 102, 103, 104, 105, 106})
    assert settings.room_rights.grant_for("carol").may_see(101)
    assert (tmp_path / "users").read_text().splitlines() == ["alice:alice", "bob:bob",
                                                             "carol:carol"]
