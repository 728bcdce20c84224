"""The room display page in headless Chromium: the expected state for a busy and a free room,
recovery after the bridge was away, and screenshots in ``test-artifacts/``.

Needs Debian's ``chromium`` package (``.ci/run`` installs it in CI); skipped with a reason
where it is missing.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.bridge_harness import start_bridge, write_bridge_config
from tests.feed_fixtures import fill_mirror, rich_series, single
from tmscal.feeds.tokens import open_token_store
from tmscal.mirror import open_store

NOW = datetime.now(UTC)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("headless Chromium is not installed: apt-get install chromium "
                    "(.ci/run installs it when CI=true)")
    return found


@pytest.fixture
def bridge(tmp_path):
    config = write_bridge_config(tmp_path, users=("alice",), rights={"alice": "book=*"})
    fill_mirror(tmp_path / "mirror.sqlite3", [
        rich_series(NOW),
        single(NOW, 900, "Quarterly review", NOW - timedelta(minutes=20), rooms=(30,)),
        single(NOW, 901, "Vendor call", NOW + timedelta(minutes=50), rooms=(30,)),
    ])
    running = start_bridge(config, syncer=False)
    running.tokens = open_token_store(open_store(tmp_path / "mirror.sqlite3"))
    yield running
    running.stop()


def run_chromium(chromium: str, url: str, tmp_path: Path, *, screenshot: str | None = None,
                 budget_ms: int = 3000) -> str:
    """The DOM after ``budget_ms`` of virtual time (and a screenshot when asked)."""
    profile = tmp_path / f"profile-{screenshot or 'dom'}"
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=800,1280",
             f"--virtual-time-budget={budget_ms}"]
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = subprocess.run([chromium, *flags, f"--screenshot={ARTIFACTS / screenshot}", url],
                              capture_output=True, text=True, timeout=120)
        assert shot.returncode == 0, shot.stderr[-2000:]
        assert (ARTIFACTS / screenshot).stat().st_size > 1000
    dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    return dom.stdout


def text_of(dom: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', dom, re.DOTALL)
    return html.unescape(match.group(1)).strip() if match else ""


def test_busy_room_shows_in_use_with_the_current_booking(bridge, chromium, tmp_path):
    secret = bridge.tokens.create("room", "30", "title").secret
    dom = run_chromium(chromium, f"{bridge.url}display/{secret}", tmp_path,
                       screenshot="display-busy.png")
    assert 'class="state-busy"' in dom
    assert text_of(dom, "room") == "NY Hudson"
    assert text_of(dom, "state") == "In use"
    assert text_of(dom, "current-title") == "Quarterly review"
    assert "Jane Doe" in dom
    new_york = ZoneInfo("America/New_York")
    if (NOW + timedelta(minutes=50)).astimezone(new_york).date() == NOW.astimezone(
            new_york).date():
        assert "Vendor call" in dom  # "next today" (unless that is already tomorrow there)


def test_busy_room_at_busy_privacy_hides_titles(bridge, chromium, tmp_path):
    secret = bridge.tokens.create("room", "30", "busy").secret
    dom = run_chromium(chromium, f"{bridge.url}display/{secret}", tmp_path)
    assert text_of(dom, "current-title") == "Busy"
    assert "Quarterly review" not in dom and "Vendor call" not in dom and "Jane" not in dom


def test_free_room_shows_available(bridge, chromium, tmp_path):
    secret = bridge.tokens.create("room", "40", "title").secret
    dom = run_chromium(chromium, f"{bridge.url}display/{secret}", tmp_path,
                       screenshot="display-free.png")
    assert 'class="state-free"' in dom
    assert text_of(dom, "state") == "Available"
    assert text_of(dom, "none") == "No more bookings today"


class FlakyBridge(BaseHTTPRequestHandler):
    """Serves a display page whose JSON fails ``failures`` times (the bridge away), then
    answers with ``recovered`` data."""

    page = b""
    recovered = b""
    failures = 1
    calls = 0

    def do_GET(self):
        if self.path == "/display/page":
            body, status, kind = self.page, 200, "text/html; charset=utf-8"
        elif not self.path.startswith("/display/page.json"):
            body, status, kind = b"", 404, "text/plain"
        else:
            FlakyBridge.calls += 1
            if FlakyBridge.calls <= self.failures:
                body, status, kind = b"away", 503, "text/plain"
            else:
                body, status, kind = self.recovered, 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_page_recovers_after_the_bridge_was_away(bridge, chromium, tmp_path):
    free = bridge.tokens.create("room", "40", "title").secret
    busy = bridge.tokens.create("room", "30", "title").secret
    page = requests.get(f"{bridge.url}display/{free}").text
    page = page.replace(f'"{free}.json"', '"page.json"')
    page = page.replace('"refresh_seconds": 30', '"refresh_seconds": 1')  # poll at once
    FlakyBridge.page = page.encode()
    FlakyBridge.recovered = requests.get(f"{bridge.url}display/{busy}.json").content
    FlakyBridge.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyBridge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/display/page"
        dom = run_chromium(chromium, url, tmp_path, budget_ms=20_000)
    finally:
        server.shutdown()
    assert FlakyBridge.calls > FlakyBridge.failures, dom
    assert text_of(dom, "state") == "In use"  # the data that came after recovery
    assert text_of(dom, "status").startswith("Updated")
