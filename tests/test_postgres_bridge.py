"""The whole bridge on a PostgreSQL mirror (``[mirror] url``) against the simulator, through the
caldav library and raw WebDAV: discovery, PUT, REPORT (time range and sync-collection), and a
SQLite installation moved with ``tmscal mirror copy`` serving the same ETags and sync tokens."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import requests

from postgres_server import postgres_server, postgres_url  # noqa: F401
from tests.bridge_harness import serving_bridge, start_bridge, write_bridge_config
from tests.test_caldav_e2e import RIGHTS, event_text, slot, tms_conference
from tmscal.mirror.postgres.rooms import PostgresMirrorStore

_DAV = "{DAV:}"


def listing(url: str, user: str) -> dict[str, str]:
    """``{href: etag}`` of a collection's members (PROPFIND depth 1)."""
    answer = requests.request("PROPFIND", url, auth=(user, user), headers={"Depth": "1"},
                              data='<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
                              timeout=30)
    assert answer.status_code == 207, answer.text
    found = {}
    for response in ET.fromstring(answer.content).iter(_DAV + "response"):
        etag = response.find(f".//{_DAV}getetag")
        href = response.findtext(_DAV + "href")
        if etag is not None and etag.text and href.endswith(".ics"):
            found[href.rsplit("/", 1)[1]] = etag.text
    return found


def test_bridge_on_postgres_books_lists_and_syncs(tms, admin, tmp_path, postgres_url):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",),
                        mirror_extra=f"url = {postgres_url}") as bridge:
        assert isinstance(bridge.runtime.store, PostgresMirrorStore)
        client = bridge.client("alice")
        names = sorted(str(c.url).rstrip("/").rsplit("/", 1)[-1]
                       for c in client.principal().calendars())
        assert "room-102" in names and "room-110" in names
        calendar = client.calendar(url=f"{bridge.url}alice/room-102/")
        first = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True)
        uid, start = str(uuid.uuid4()), slot(3)
        calendar.add_event(event_text(uid, start, "On PostgreSQL"))
        assert tms_conference(admin, uid).title == "On PostgreSQL"
        found = calendar.search(start=start - timedelta(hours=1), end=start + timedelta(hours=2),
                                event=True, post_filter=False)
        assert [str(e.icalendar_component["UID"]) for e in found] == [uid]
        changed = calendar.objects_by_sync_token(first.sync_token, load_objects=True,
                                                 disable_fallback=True)
        assert [str(o.icalendar_component["UID"]) for o in changed] == [uid]
        assert list(listing(f"{bridge.url}alice/room-102/", "alice")) == [f"{uid}.ics"]
    assert not (tmp_path / "mirror.sqlite3").exists()  # nothing went to the SQLite default


def test_a_copied_mirror_serves_the_same_etags_and_sync_tokens(tms, tmp_path, postgres_url):
    from tmscal.cli import main

    before: dict[str, dict[str, str]] = {}
    with serving_bridge(tmp_path / "sqlite", tms_url=tms.url, rights=RIGHTS,
                        users=("alice",)) as bridge:
        calendar = bridge.client("alice").calendar(url=f"{bridge.url}alice/room-103/")
        uid = str(uuid.uuid4())
        calendar.add_event(event_text(uid, slot(4), "Moved along"))
        token = calendar.objects_by_sync_token(load_objects=False,
                                               disable_fallback=True).sync_token
        for room in (101, 103, 110):
            before[room] = listing(f"{bridge.url}alice/room-{room}/", "alice")
        bridge.runtime.stop_syncer()
    assert before[103]
    source = f"sqlite:{tmp_path / 'sqlite' / 'mirror.sqlite3'}"
    assert main(["mirror", "copy", "--from", source, "--to", postgres_url]) == 0

    config = write_bridge_config(tmp_path / "pg", tms_url=tms.url, rights=RIGHTS,
                                 users=("alice",), mirror_extra=f"url = {postgres_url}")
    bridge = start_bridge(config, syncer=False)
    try:
        for room in (101, 103, 110):
            assert listing(f"{bridge.url}alice/room-{room}/", "alice") == before[room]
        calendar = bridge.client("alice").calendar(url=f"{bridge.url}alice/room-103/")
        unchanged = calendar.objects_by_sync_token(token, load_objects=False,
                                                   disable_fallback=True)
        assert unchanged.sync_token == token and list(unchanged) == []
    finally:
        bridge.stop()
