"""Every command reads the configuration file with the same rules: ``tmscal sync`` and the
bridge ``tmscal serve`` runs, given one file with ``[bridge] privacy = busy``, store the same
objects (against the simulator's demo seed over HTTP)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from tests.bridge_harness import start_bridge, wait_until, write_bridge_config
from tmscal.settings import SettingsError, load_settings

#: Stamps say when the mirror saw a change, which differs between two imports.
_STAMPS = re.compile(r"^(DTSTAMP|LAST-MODIFIED):.*\r\n", re.MULTILINE)


def stored_objects(path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT uid, room_ids, ical FROM conferences").fetchall()
    return {(uid, rooms): _STAMPS.sub("", text) for uid, rooms, text in rows}


@pytest.fixture
def busy_config(simulator, tmp_path):
    path = write_bridge_config(tmp_path, tms_url=simulator.url, users=("alice",),
                               rights={"alice": "book=* see=*"})
    path.write_text(path.read_text().replace("[bridge]\n", "[bridge]\nprivacy = busy\n"))
    return path


def test_sync_and_serve_store_the_same_objects(busy_config, tmp_path, simulator):
    mirror = tmp_path / "mirror.sqlite3"
    done = subprocess.run([sys.executable, "-m", "tmscal.cli", "sync", "--config",
                           str(busy_config), "--full", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    by_sync = stored_objects(mirror)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"mirror.sqlite3{suffix}").unlink(missing_ok=True)

    bridge = start_bridge(busy_config)
    try:
        wait_until(lambda: bridge.runtime.store.get_cursor() is not None, timeout=120)
    finally:
        bridge.stop()
    by_serve = stored_objects(mirror)

    assert by_sync and by_sync == by_serve
    summaries = set(re.findall(r"^SUMMARY:(.*)\r$", "".join(by_sync.values()), re.MULTILINE))
    assert summaries == {"Busy"}


def test_an_unknown_privacy_level_is_refused_naming_the_key(tmp_path):
    path = write_bridge_config(tmp_path)
    path.write_text(path.read_text().replace("[bridge]\n", "[bridge]\nprivacy = secret\n"))
    with pytest.raises(SettingsError, match=r"\[bridge\] privacy"):
        load_settings(path)
    done = subprocess.run([sys.executable, "-m", "tmscal.cli", "sync", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "[bridge] privacy" in done.stderr
