"""vdirsyncer two-way sync of a personal meetings calendar keeps what the bridge writes back.

A meeting created in a local vdir is uploaded by ``vdirsyncer sync`` (caldav storage against
``tmscal serve`` on 127.0.0.1), booked in the TMS simulator, and the next sync brings TMS's
answer (PARTSTAT, SCHEDULE-STATUS) into the local file; a local edit that keeps those
parameters round-trips without losing them, and a sync with nothing to do changes nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.bridge_harness import serving_bridge, wait_until
from tests.test_invitations_e2e import (
    RIGHTS,
    SOURCE,
    address,
    book_directly,
    meeting,
    room_params,
    slot,
)
from tmscal.tms import TmsClient


def vdirsyncer_binary() -> str:
    found = shutil.which("vdirsyncer") or str(Path(sys.executable).parent / "vdirsyncer")
    if not Path(found).exists():
        pytest.skip("vdirsyncer is not installed (pip install '.[test]')")
    return found


@pytest.fixture
def bridge(empty_simulator, tmp_path):
    with serving_bridge(tmp_path / "bridge", tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",)) as running:
        yield running


class Vdir:
    """A vdirsyncer pair: the bridge's meetings calendar of alice ↔ a local directory."""

    def __init__(self, bridge, root: Path) -> None:
        self.binary = vdirsyncer_binary()
        self.local = root / "vdir"
        self.local.mkdir(parents=True)
        (root / "status").mkdir()
        config = root / "config"
        config.write_text(f"""[general]
status_path = "{root / 'status'}"

[pair meetings]
a = "meetings_remote"
b = "meetings_local"
collections = null
conflict_resolution = "a wins"

[storage meetings_remote]
type = "caldav"
url = "{bridge.url}alice/meetings/"
username = "alice"
password = "alice"

[storage meetings_local]
type = "filesystem"
path = "{self.local}"
fileext = ".ics"
""")
        self.env = {"VDIRSYNCER_CONFIG": str(config), "PATH": "/usr/bin:/bin",
                    "HOME": str(root)}
        self.run("discover")

    def run(self, *command: str) -> str:
        result = subprocess.run([self.binary, *command], env=self.env, capture_output=True,
                                text=True, timeout=120, input="y\n", check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    def file(self, uid: str) -> Path:
        found = [p for p in self.local.glob("*.ics") if uid in p.read_text()]
        assert len(found) == 1, found
        return found[0]

    def vevent(self, uid: str):
        return Calendar.from_ical(self.file(uid).read_text()).walk("VEVENT")[0]


def test_two_way_sync_keeps_partstat_and_schedule_status(bridge, empty_simulator, tmp_path):
    vdir = Vdir(bridge, tmp_path / "sync")
    uid = str(uuid.uuid4())
    start = slot(4)
    (vdir.local / f"{uid}.ics").write_text(meeting(uid, start, "Synced", (101,)))
    vdir.run("sync")  # uploads; the bridge books the room and rewrites the meeting
    vdir.run("sync")  # the new ETag brings the bridge's version down
    params = room_params(vdir.vevent(uid))[address(101)]
    assert params["PARTSTAT"] == "ACCEPTED" and params["SCHEDULE-STATUS"] == "1.2"

    with TmsClient(empty_simulator.url, "admin", "admin") as admin:
        conference_id = admin.get_conference_id_by_external_id(SOURCE, uid)
        # a local edit that keeps the parameters: retitle, and invite a busy room
        book_directly(admin, 102, start, "Board")
        wait_until(lambda: bridge.runtime.store.objects_in_range("102", start,
                                                                     start + timedelta(hours=1)))
        path = vdir.file(uid)
        calendar = Calendar.from_ical(path.read_text())
        event = calendar.walk("VEVENT")[0]
        event["SUMMARY"] = "Synced, retitled"
        event.add("ATTENDEE", "mailto:room-102@rooms.example.org",
                  parameters={"CUTYPE": "ROOM", "PARTSTAT": "NEEDS-ACTION"})
        path.write_bytes(calendar.to_ical())
        vdir.run("sync")
        vdir.run("sync")
        assert admin.get_conference_by_id(conference_id).title == "Synced, retitled"
        assert admin.get_conference_by_id(conference_id).system_ids == [101]

    params = room_params(vdir.vevent(uid))
    assert params[address(101)]["PARTSTAT"] == "ACCEPTED"
    assert params[address(101)]["SCHEDULE-STATUS"] == "1.2"
    assert params[address(102)]["PARTSTAT"] == "DECLINED"
    assert params[address(102)]["SCHEDULE-STATUS"] == "1.2"
    assert "already booked" in params[address(102)]["X-TMSCAL-REASON"]

    # nothing left to do: the next sync neither uploads nor downloads, and TMS is not called
    text = vdir.file(uid).read_text()
    calls = bridge.runtime.booking.counters["tms_calls"]
    vdir.run("sync")
    assert vdir.file(uid).read_text() == text
    assert bridge.runtime.booking.counters["tms_calls"] == calls
