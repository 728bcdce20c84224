"""The plugin inside a stock ``radicale`` process (no tmscal web layer): discovery, booking,
and refusals with the nearest status Radicale can give (403 instead of 409)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.bridge_harness import write_bridge_config
from tests.test_caldav_e2e import RIGHTS, SOURCE, event_text, slot
from tmscal.tms import TmsClient


@pytest.fixture
def radicale(empty_simulator, tmp_path, free_port):
    bridge_config = write_bridge_config(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                                        users=("alice", "bob"))
    config = tmp_path / "radicale.conf"
    config.write_text(f"""[server]
hosts = 127.0.0.1:{free_port}
delay_on_error = 0
[storage]
type = radicale_plugin
tmscal_config = {bridge_config}
tmscal_syncer = true
[rights]
type = radicale_plugin.rights
[auth]
type = htpasswd
htpasswd_filename = {tmp_path / 'users'}
htpasswd_encryption = plain
delay = 0.01
[web]
type = none
[logging]
level = warning
""")
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{free_port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            response = requests.request("PROPFIND", url + "alice/", auth=("alice", "alice"),
                                        headers={"Depth": "1"}, timeout=5)
            if response.text.count("room-") >= 7:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(process.stderr.read().decode()[-2000:])
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


def test_stock_radicale_serves_and_books(radicale, empty_simulator):
    calendars = requests.request("PROPFIND", radicale + "bob/", auth=("bob", "bob"),
                                 headers={"Depth": "1"}).text
    assert sorted(set(part.split("/")[0] for part in calendars.split("/bob/room-")[1:])) == \
        ["101", "106", "107", "108", "109"]
    uid, clash = str(uuid.uuid4()), str(uuid.uuid4())
    created = requests.put(f"{radicale}alice/room-101/{uid}.ics", auth=("alice", "alice"),
                           data=event_text(uid, slot(4), "Stock"))
    assert created.status_code == 201
    with TmsClient(empty_simulator.url, "admin", "admin") as admin:
        assert admin.get_conference_id_by_external_id(SOURCE, uid) > 0
    refused = requests.put(f"{radicale}bob/room-101/{clash}.ics", auth=("bob", "bob"),
                           data=event_text(clash, slot(4), "Clash"))
    assert refused.status_code == 403
