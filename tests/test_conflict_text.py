"""How a refusal names the booking a room is busy with (tmscal.bridge.conflict_text), read
from a mirror holding conferences rendered as the syncer stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.feed_fixtures import fill_mirror, single
from tmscal.bridge.conflict_text import busy_with
from tmscal.mirror.records import MirrorRoomDirectory

START = datetime(2026, 12, 9, 9, tzinfo=UTC)


def test_the_busy_title_keeps_backslashes_commas_and_semicolons(tmp_path):
    # icalendar before 7 read "C:\\new" as "C:\" + a line break: "by 'C:\ ew, plan'"
    title = "C:\\new, plan; D:\\data"
    store = fill_mirror(tmp_path / "mirror.db", [single(START, 700, title, START)])
    rooms = MirrorRoomDirectory.of_store(store, "Europe/Oslo")
    reason = busy_with(store, rooms, 30, START + timedelta(minutes=30),
                       START + timedelta(hours=2), uid="another", default_zone="Europe/Oslo")
    assert reason == (f" by '{title}' (Wed 09 Dec 04:00–05:00 America/New_York "
                      "(UTC-05:00))")
    assert busy_with(store, rooms, 30, START, START + timedelta(hours=1), uid="single-700",
                     default_zone="Europe/Oslo") == ""
