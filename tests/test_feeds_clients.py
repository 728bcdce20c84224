"""Feeds of a room synchronized from the TMS simulator, read by independent parsers:

* ical.js (Mozilla's parser, Thunderbird's) parses every variant (series and expanded, each
  privacy level, a site feed) and expands it to exactly the occurrences TMS holds;
* ``icalendar`` parses every variant without errors;
* vdirsyncer's ``http`` storage pulls the feed into a filesystem vdir.

The demo seed's Oslo rooms hold weekly/daily series with moved and deleted occurrences in
Europe/Oslo (TMS zone "W. Europe Standard Time").
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from icalendar import Calendar

from tests.bridge_harness import start_bridge, write_bridge_config
from tests.calendar_parsers import ical_js_program
from tmscal.feeds.tokens import open_token_store
from tmscal.mirror import open_store
from tmscal.model import ConferenceStatus

ROOM = 101  # Oslo Fjord
PAST, FUTURE = 20, 120  # inside the mirror's horizon (30 back, 400 ahead)
VARIANTS = [(privacy, expand) for privacy in ("busy", "title", "full") for expand in (0, 1)]


@pytest.fixture(scope="module")
def synced(tmp_path_factory, bridge_workers):
    """A demo simulator, a bridge whose mirror has imported it, and a token store."""
    from tmscal.simulator.server import SimulatorServer

    directory = tmp_path_factory.mktemp("feeds-clients")
    tms = SimulatorServer(seed="demo")
    tms.start()
    config = write_bridge_config(directory, tms_url=tms.url, users=("alice",),
                                 rights={"alice": "book=*"})
    bridge = start_bridge(config)
    deadline = time.monotonic() + 60
    while bridge.runtime.store.get_cursor() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert bridge.runtime.store.get_cursor() is not None, "the mirror never imported TMS"
    bridge.tokens = open_token_store(open_store(directory / "mirror.sqlite3"))
    bridge.tms = tms
    yield bridge
    bridge.stop()
    tms.stop()


@pytest.fixture(scope="session")
def ical_js() -> Path:
    """tests/js with ical.js installed (``npm ci`` once); skips without node/npm."""
    return ical_js_program().parent


def window() -> tuple[datetime, datetime]:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=PAST), day + timedelta(days=FUTURE + 1)


def feed_text(bridge, privacy: str, expand: int, scope: str = "room",
              target: str = str(ROOM)) -> str:
    secret = bridge.tokens.create(scope, target, privacy).secret
    response = requests.get(f"{bridge.url}feeds/{secret}.ics",
                            params={"past": PAST, "future": FUTURE, "expand": expand})
    assert response.status_code == 200
    return response.text


def tms_occurrences(bridge, system_ids: list[int]) -> list[tuple[int, int]]:
    """(start, end) Unix seconds of every live occurrence TMS holds in the window."""
    start, end = window()
    engine = bridge.tms.engine
    listed = engine.get_conferences_for_systems(engine.user("admin"), system_ids, start, end,
                                                ConferenceStatus.ALL_EXCEPT_DELETED)
    return sorted((int(c.start_utc.timestamp()), int(c.end_utc.timestamp())) for c in listed)


def parse_with_ical_js(js_dir: Path, text: str, tmp_path: Path) -> dict:
    start, end = window()
    path = tmp_path / "feed.ics"
    path.write_text(text, encoding="utf-8", newline="")
    result = subprocess.run(["node", str(js_dir / "expand.cjs"), str(path),
                             str(int(start.timestamp())), str(int(end.timestamp()))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_room_has_a_series_with_moved_and_deleted_occurrences_in_oslo_time(synced):
    text = feed_text(synced, "full", 0).replace("\r\n ", "")
    assert "RECURRENCE-ID;TZID=Europe/" in text and "EXDATE;TZID=Europe/" in text
    assert "RRULE:" in text


@pytest.mark.parametrize("privacy,expand", VARIANTS)
def test_ical_js_expands_every_variant_to_what_tms_holds(synced, ical_js, tmp_path, privacy,
                                                         expand):
    parsed = parse_with_ical_js(ical_js, feed_text(synced, privacy, expand), tmp_path)
    assert parsed["missing_zones"] == []
    assert parsed["name"] == "Oslo Fjord"
    found = sorted((o["start"], o["end"]) for o in parsed["occurrences"])
    expected = tms_occurrences(synced, [ROOM])
    assert len(expected) > 10
    assert found == expected
    if privacy == "busy":
        assert {o["summary"] for o in parsed["occurrences"]} == {"Busy"}


def test_ical_js_expands_a_site_feed_to_what_tms_holds(synced, ical_js, tmp_path):
    oslo = [room.system_id for room in synced.runtime.store.list_rooms()
            if room.site == "Oslo HQ"]
    parsed = parse_with_ical_js(ical_js, feed_text(synced, "title", 0, "site", "Oslo HQ"),
                                tmp_path)
    found = sorted((o["start"], o["end"]) for o in parsed["occurrences"])
    listed = tms_occurrences(synced, oslo)
    # a multi-room meeting is one event in the feed but listed once per room by TMS
    assert sorted(set(found)) == sorted(set(listed)) and parsed["missing_zones"] == []


@pytest.mark.parametrize("privacy,expand", VARIANTS)
def test_icalendar_parses_every_variant(synced, privacy, expand):
    calendar = Calendar.from_ical(feed_text(synced, privacy, expand))
    events = calendar.walk("VEVENT")
    assert events and all("UID" in e and "DTSTART" in e for e in events)
    defined = {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")}
    used = {e["DTSTART"].params.get("TZID") for e in events} - {None}
    assert used <= defined


def test_vdirsyncer_http_storage_pulls_the_feed(synced, tmp_path):
    vdirsyncer = shutil.which("vdirsyncer") or str(Path(__import__("sys").executable).parent
                                                   / "vdirsyncer")
    if not Path(vdirsyncer).exists():
        pytest.skip("vdirsyncer is not installed (pip install '.[test]')")
    secret = synced.tokens.create("room", str(ROOM), "title").secret
    url = f"{synced.url}feeds/{secret}.ics"
    events = Calendar.from_ical(requests.get(url).text).walk("VEVENT")
    uids = {str(e["UID"]) for e in events}
    target = tmp_path / "vdir"
    (tmp_path / "status").mkdir()
    target.mkdir()
    config = tmp_path / "config"
    config.write_text(f"""[general]
status_path = "{tmp_path / 'status'}"

[pair room]
a = "room_feed"
b = "room_local"
collections = null
conflict_resolution = "a wins"

[storage room_feed]
type = "http"
url = "{url}"

[storage room_local]
type = "filesystem"
path = "{target}"
fileext = ".ics"
""")
    env = {"VDIRSYNCER_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for command in (["discover"], ["sync"]):
        result = subprocess.run([vdirsyncer, *command], env=env, capture_output=True,
                                text=True, timeout=120, input="y\n")
        assert result.returncode == 0, result.stdout + result.stderr
    items = list(target.glob("*.ics"))
    assert len(items) == len(uids) > 10
    # vdirsyncer's http storage replaces UIDs by content hashes (it cannot trust feeds' UIDs),
    # so compare what the events say
    pulled = [e for item in items for e in Calendar.from_ical(item.read_text()).walk("VEVENT")]
    assert sorted(map(signature, pulled)) == sorted(map(signature, events))


def signature(event) -> tuple[str, ...]:
    return tuple(event[name].to_ical().decode() if name in event else ""
                 for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "RRULE", "SUMMARY"))
