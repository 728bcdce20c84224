"""Feeds and display data over HTTP from ``tmscal serve`` (mirror filled directly, no TMS):
headers, 304s, gzip, HEAD without rendering, window caps, tokens (revoked, rotated, unknown),
privacy levels, an empty room, and the ``tmscal feeds`` command."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from icalendar import Calendar

from tests.bridge_harness import start_bridge, write_bridge_config
from tests.feed_fixtures import SECRETS, TITLES, fill_mirror, rich_series, single
from tmscal.feeds.tokens import open_token_store
from tmscal.mirror import open_store

NOW = datetime.now(UTC)
FEEDS_CONFIG = "\n[feeds]\nmax_past_days = 40\nmax_future_days = 60\nrefresh_minutes = 20\n"


@pytest.fixture
def bridge(tmp_path):
    config = write_bridge_config(tmp_path, users=("alice",), rights={"alice": "book=*"},
                                 extra=FEEDS_CONFIG)
    conferences = [
        rich_series(NOW),
        single(NOW, 900, "Quick chat", NOW - timedelta(minutes=10), rooms=(30,)),
        single(NOW, 901, "Far future", NOW + timedelta(days=50), rooms=(30,)),
        single(NOW, 902, "Too far", NOW + timedelta(days=90), rooms=(30,)),
        single(NOW, 903, "Long ago", NOW - timedelta(days=35), rooms=(30,)),
    ]
    store = fill_mirror(tmp_path / "mirror.sqlite3", conferences)
    running = start_bridge(config, syncer=False)
    running.tokens = open_token_store(open_store(tmp_path / "mirror.sqlite3"))
    running.store = store
    yield running
    running.stop()


def issue(bridge, scope: str = "room", target: str = "12", privacy: str = "title") -> str:
    return bridge.tokens.create(scope, target, privacy).secret


def feeds_app(bridge):
    return next(app for prefix, app, _ in bridge.server.application.router._routes
                if prefix == "/feeds")


def test_feed_headers_and_calendar(bridge):
    response = requests.get(f"{bridge.url}feeds/{issue(bridge)}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"') and response.headers["Last-Modified"]
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT20M" in response.text
    assert "X-PUBLISHED-TTL:PT20M" in response.text
    assert len(Calendar.from_ical(response.text).walk("VEVENT")) == 2


def test_if_none_match_and_if_modified_since_give_304_until_the_mirror_changes(bridge):
    url = f"{bridge.url}feeds/{issue(bridge, target='30')}.ics"
    first = requests.get(url, headers={"Accept-Encoding": "identity"})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = requests.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert requests.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    earlier = format_datetime(NOW - timedelta(days=3), usegmt=True)
    assert requests.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    from tests.feed_fixtures import NY_ROOM, ROOMS  # noqa: F401
    from tmscal.mirror.records import MirrorRoomDirectory, record_for

    record = record_for(single(NOW, 950, "New one", NOW + timedelta(days=2)),
                        MirrorRoomDirectory(ROOMS))
    bridge.store.store_conference(record)
    changed = requests.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "New one" in changed.text
    assert changed.headers["ETag"] not in (etag, etag[:-1] + '-gz"')


def test_gzip_when_asked_and_the_same_calendar(bridge):
    url = f"{bridge.url}feeds/{issue(bridge, target='30')}.ics"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"})
    raw = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in raw.headers["Vary"]
    assert gzip.decompress(raw.raw.read()) == plain.content
    assert raw.headers["ETag"] != plain.headers["ETag"]
    assert requests.get(url, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_head_answers_from_validators_without_rendering(bridge):
    url = f"{bridge.url}feeds/{issue(bridge, target='30', privacy='busy')}.ics?future=7"
    app = feeds_app(bridge)
    before = len(app.builder._cache)
    head = requests.head(url)
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"]
    assert len(app.builder._cache) == before
    assert requests.get(url).headers["ETag"] == head.headers["ETag"]


def test_window_parameters_and_caps(bridge):
    url = f"{bridge.url}feeds/{issue(bridge, target='30')}.ics"
    default = requests.get(url).text
    assert "Quick chat" in default and "Far future" in default
    assert "Too far" not in default and "Long ago" not in default
    capped = requests.get(url + "?future=100000&past=100000")
    assert "Too far" not in capped.text and "Long ago" in capped.text
    at_cap = requests.get(url + "?future=60&past=40")
    assert capped.headers["ETag"] == at_cap.headers["ETag"]
    narrow = requests.get(url + "?future=0&past=0").text
    assert "Quick chat" in narrow and "Far future" not in narrow
    for bad in ("?future=-1", "?past=abc", "?future=1e9"):
        assert requests.get(url + bad).status_code == 400


def test_unknown_malformed_revoked_and_rotated_tokens(bridge):
    secret = issue(bridge)
    url = f"{bridge.url}feeds/{secret}.ics"
    assert requests.get(url).status_code == 200
    wrong = secret[:-1] + ("B" if secret.endswith("A") else "A")  # one character off
    assert requests.get(f"{bridge.url}feeds/{wrong}.ics").status_code == 404
    assert requests.get(f"{bridge.url}feeds/short.ics").status_code == 404
    assert requests.get(f"{bridge.url}feeds/{'x' * 32}.ics").status_code == 404
    token_id = bridge.tokens.list()[0].token_id
    rotated = bridge.tokens.rotate(token_id)
    assert requests.get(url).status_code == 404
    new_url = f"{bridge.url}feeds/{rotated.secret}.ics"
    assert requests.get(new_url).status_code == 200
    assert bridge.tokens.revoke(rotated.record.token_id)
    gone = requests.get(new_url)
    assert gone.status_code == 404 and "BEGIN:VCALENDAR" not in gone.text
    assert requests.get(f"{bridge.url}display/{rotated.secret}.json").status_code == 404


def test_privacy_levels_over_http(bridge):
    texts = {level: requests.get(f"{bridge.url}feeds/{issue(bridge, privacy=level)}.ics")
             .text.replace("\r\n ", "") for level in ("busy", "title", "full")}
    expanded = {level: requests.get(
        f"{bridge.url}feeds/{issue(bridge, privacy=level)}.ics?expand=1").text.replace(
        "\r\n ", "") for level in ("busy", "title")}
    for hidden in SECRETS + TITLES:
        assert hidden not in texts["busy"] and hidden not in expanded["busy"]
    for hidden in SECRETS:
        assert hidden not in texts["title"] and hidden not in expanded["title"]
    assert "Board strategy" in texts["title"] and "Jane Doe" in texts["title"]
    assert "9817" in texts["full"] and "jane.doe@example.org" in texts["full"]


def test_room_without_bookings_and_removed_room(bridge):
    response = requests.get(f"{bridge.url}feeds/{issue(bridge, target='40')}.ics")
    assert response.status_code == 200
    assert Calendar.from_ical(response.text).walk("VEVENT") == []
    gone = issue(bridge, target="999")
    assert requests.get(f"{bridge.url}feeds/{gone}.ics").status_code == 404


def test_site_and_all_rooms_feeds(bridge):
    site = requests.get(f"{bridge.url}feeds/{issue(bridge, 'site', 'New York')}.ics").text
    assert "X-WR-CALNAME:New York rooms" in site and "Quick chat" in site
    assert "Board strategy" not in site
    everything = requests.get(f"{bridge.url}feeds/{issue(bridge, 'all', '')}.ics").text
    assert "Quick chat" in everything and "Board strategy" in everything


def test_only_get_and_head(bridge):
    url = f"{bridge.url}feeds/{issue(bridge)}.ics"
    assert requests.put(url, data="x").status_code == 405
    assert requests.delete(url).status_code == 405


def test_display_json_busy_and_free_rooms(bridge):
    busy = requests.get(f"{bridge.url}display/{issue(bridge, target='30')}.json")
    assert busy.status_code == 200 and busy.headers["Cache-Control"] == "no-store"
    data = busy.json()
    assert data["room"] == "NY Hudson" and data["state"] == "busy"
    assert data["current"]["title"] == "Quick chat" and data["zone"] == "America/New_York"
    hidden = requests.get(f"{bridge.url}display/{issue(bridge, target='30', privacy='busy')}"
                          ".json").json()
    assert hidden["current"]["title"] == "Busy" and hidden["current"]["organizer"] == ""
    free = requests.get(f"{bridge.url}display/{issue(bridge, target='40')}.json").json()
    assert free["state"] == "free" and free["current"] is None and free["next"] == []
    page = requests.get(f"{bridge.url}display/{issue(bridge, target='30')}")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "NY Hudson" in page.text and "fetch(" not in page.text
    assert requests.get(f"{bridge.url}display/{issue(bridge, 'all', '')}").status_code == 404


def test_feeds_command_create_list_rotate_revoke(bridge, tmp_path):
    def tmscal(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tmscal.cli", "feeds", "--config",
                               str(bridge.config), *args], capture_output=True, text=True,
                              timeout=60)

    created = tmscal("create", "--room", "12", "--privacy", "busy", "--label", "door panel")
    assert created.returncode == 0, created.stderr
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
             for line in created.stdout.splitlines() if line.startswith("  ") and ":" in line}
    assert lines["webcal"].startswith("webcal://") and lines["webcal"].endswith(".ics")
    secret = lines["https"].rsplit("/", 1)[1][:-4]
    assert len(secret) >= 22
    assert requests.get(f"{bridge.url}feeds/{secret}.ics").status_code == 200
    listing = tmscal("list")
    assert "door panel" in listing.stdout and secret not in listing.stdout
    token_id = listing.stdout.split()[0]
    assert secret not in (tmp_path / "mirror.sqlite3").read_bytes().decode("latin-1")
    rotated = tmscal("rotate", token_id)
    assert rotated.returncode == 0 and "webcal://" in rotated.stdout
    assert requests.get(f"{bridge.url}feeds/{secret}.ics").status_code == 404
    new_id = tmscal("list").stdout.split()[0]
    assert tmscal("revoke", new_id).returncode == 0
    assert tmscal("revoke", new_id).returncode == 1
    assert tmscal("list").stdout.strip() == ""
