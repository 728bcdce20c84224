"""Thunderbird books rooms from its own calendar: the Debian package (153 ESR) under Xvfb,
driven through Marionette (chrome-context JavaScript on Thunderbird's calendar API, the calls
its dialogs make) against ``tmscal serve`` and the TMS simulator on 127.0.0.1, with a local
SMTP sink as its outgoing server.

Checked: the rooms' answers (ACCEPTED / DECLINED, SCHEDULE-STATUS) are shown after saving, and
TMS holds the booking; the booking moved in TMS moves the event in Thunderbird; no invitation
e-mail reaches a room (needs ``calendar-auto-schedule``);
the attendee dialog's free/busy of rooms (needs the schedule outbox). Without Thunderbird, Xvfb
or ``marionette-driver`` the tests skip with the reason. Screenshots go to the directory named
by ``TMSCAL_SCREENSHOTS`` (else the test's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import socket
import socketserver
import subprocess
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tests.bridge_harness import serving_bridge, wait_until
from tests.test_caldav_e2e import slot, tms_conference
from tests.test_invitations_e2e import RIGHTS, address, book_directly

if not shutil.which("thunderbird") or not shutil.which("Xvfb"):
    pytest.skip("Thunderbird or Xvfb is not installed (apt-get install thunderbird xvfb)",
                allow_module_level=True)
marionette = pytest.importorskip("marionette_driver.marionette",
                                 reason="marionette-driver is not installed (the test extra)")

SCRIPTS = Path(__file__).parent / "thunderbird"
STAMP = "%Y%m%dT%H%M%SZ"
PREFERENCES = {  # no first-run dialogs, no network beyond the test's servers
    "mail.shell.checkDefaultClient": False,
    "mail.provider.suppress_dialog_on_startup": True,
    "mailnews.start_page.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "mail.rights.version": 1,
    "calendar.timezone.useSystemTimezone": False,
    "calendar.timezone.local": "UTC",
}


# ---- an SMTP sink ------------------------------------------------------------------------------


class SmtpSink(socketserver.ThreadingTCPServer):
    """Accepts every message on 127.0.0.1 (free port) and keeps its envelope recipients."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.recipients: list[list[str]] = []  # per message
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def all_recipients(self) -> list[str]:
        return [r for message in self.recipients for r in message]


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            if verb == b"RCPT":
                recipients.append(line.split(b":", 1)[1].strip(b" <>\r\n").decode().lower())
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.server.recipients.append(recipients)  # type: ignore[attr-defined]
                recipients = []
            self.wfile.write(b"250 ok\r\n")


# ---- Thunderbird under Xvfb --------------------------------------------------------------------


class Thunderbird:
    """One Thunderbird with a fresh profile on its own X display, and its Marionette session."""

    def __init__(self, directory: Path) -> None:
        # on the real clock: under ``make test-at`` libfaketime (LD_PRELOAD) stalls Thunderbird's
        # start; its events carry absolute times, so the moved clock of the rest does not matter
        env = {k: v for k, v in os.environ.items()
               if k not in ("MOZ_HEADLESS", "LD_PRELOAD") and not k.startswith("FAKETIME")}
        read, write = os.pipe()
        self._xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                                       "1280x1024x24", "-nolisten", "tcp"], pass_fds=(write,),
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as lines:
            display = lines.readline().strip()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        profile = directory / "profile"
        profile.mkdir()
        prefs = {**PREFERENCES, "marionette.port": port}
        (profile / "user.js").write_text("".join(
            f"user_pref({_js(k)}, {_js(v)});\n" for k, v in prefs.items()))
        env["DISPLAY"] = f":{display}"
        self.log = directory / "thunderbird.log"
        self._process = subprocess.Popen(
            ["thunderbird", "--marionette", "-remote-allow-system-access", "--no-remote",
             "-profile", str(profile)], env=env, stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT)
        wait_until(lambda: _listening(port), timeout=90, step=0.5)
        self.client = marionette.Marionette(host="127.0.0.1", port=port)
        self.client.start_session()
        self.client.set_context("chrome")
        self.client.timeout.script = 60

    def run(self, script: str, *args):
        """Run ``tests/thunderbird/<script>`` (an async function body over ``args``) in the
        chrome context; its result, or AssertionError with Thunderbird's error."""
        body = (SCRIPTS / script).read_text()
        result = self.client.execute_async_script(
            "const resolve = arguments[arguments.length - 1];\n"
            "const args = Array.from(arguments).slice(0, -1);\n"
            f"(async () => {{\n{body}\n}})().then(resolve, "
            "error => resolve({error: `${error}\\n${error.stack}`}));",
            script_args=list(args))
        if isinstance(result, dict) and "error" in result:
            raise AssertionError(f"{script}: {result['error']}")
        return result

    def screenshot(self, path: Path, window_title: str = "") -> None:
        """A PNG of the main window, or of the window whose title contains ``window_title``."""
        main = self.client.current_chrome_window_handle
        target = main
        if window_title:
            def found():
                for handle in self.client.chrome_window_handles:
                    self.client.switch_to_window(handle)
                    if window_title in (self.client.title or ""):
                        return handle
                return None
            target = wait_until(found, timeout=20, step=0.5)
        self.client.switch_to_window(target)
        path.write_bytes(self.client.screenshot(format="binary"))
        self.client.switch_to_window(main)

    def stop(self) -> None:
        try:
            self.client.delete_session()
        except Exception:  # Thunderbird may be gone already
            pass
        for process in (self._process, self._xvfb):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _js(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from tmscal.simulator.server import SimulatorServer
    from tmscal.tms import TmsClient

    tms = SimulatorServer(seed="empty")
    tms.start()
    try:
        with serving_bridge(tmp_path_factory.mktemp("bridge"), tms_url=tms.url, rights=RIGHTS,
                            users=("alice", "bob")) as bridge, \
                TmsClient(tms.url, "admin", "admin") as admin:
            yield bridge, admin
    finally:
        tms.stop()


@pytest.fixture(scope="module")
def sink():
    server = SmtpSink()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def thunderbird(servers, sink, tmp_path_factory):
    bridge, _admin = servers
    client = Thunderbird(tmp_path_factory.mktemp("thunderbird"))
    try:
        client.calendar_id = client.run("setup.js", bridge.url, sink.port, "alice")
        yield client
    finally:
        client.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    target = os.environ.get("TMSCAL_SCREENSHOTS")
    directory = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def booked(servers, thunderbird, sink):
    """A meeting saved in Thunderbird inviting a free room (101), a busy one (102) and a
    person scheduled by the client (its e-mail is the sign that Thunderbird has sent what it
    sends)."""
    bridge, admin = servers
    start = slot(12, hour=9)
    book_directly(admin, 102, start, "Board")
    uid = f"tb-{uuid.uuid4()}"
    thunderbird.run("book.js", thunderbird.calendar_id, uid, "Planning with rooms",
                    start.strftime(STAMP), (start + timedelta(hours=1)).strftime(STAMP),
                    [address(101), address(102)])
    return uid, start


def _scheduling(bridge) -> set[str]:
    answer = requests.options(f"{bridge.url}alice/meetings/", auth=("alice", "alice"))
    return {f.strip() for f in answer.headers.get("DAV", "").split(",")}


# ---- tests ---------------------------------------------------------------------------------------


def _event(thunderbird, uid: str, ready) -> dict:
    """Thunderbird's view of ``uid`` once ``ready(view)`` holds (it refreshes meanwhile)."""
    def seen():
        view = thunderbird.run("item.js", thunderbird.calendar_id, uid)
        return view if view and ready(view) else None
    return wait_until(seen, timeout=60, step=1)


def test_rooms_answers_are_shown_after_saving(servers, thunderbird, booked, shots):
    bridge, admin = servers
    uid, _start = booked
    view = _event(thunderbird, uid, lambda v: all(r[1] != "NEEDS-ACTION" for r in v["rooms"]))
    assert sorted(map(tuple, view["rooms"])) == [(address(101), "ACCEPTED", "1.2"),
                                                 (address(102), "DECLINED", "1.2")]
    assert tms_conference(admin, uid).system_ids == [101]
    thunderbird.run("show.js", thunderbird.calendar_id, uid)
    thunderbird.screenshot(shots / "thunderbird-event-summary.png", "Planning with rooms")
    thunderbird.screenshot(shots / "thunderbird-calendar-week.png")


def test_booking_moved_in_tms_moves_the_event_in_thunderbird(servers, thunderbird, booked):
    _bridge, admin = servers
    uid, start = booked
    _event(thunderbird, uid, lambda v: all(r[1] != "NEEDS-ACTION" for r in v["rooms"]))
    conference = tms_conference(admin, uid)
    moved = start + timedelta(hours=2)
    conference.start_utc, conference.end_utc = moved, moved + timedelta(minutes=30)
    admin.save_conference(conference)  # moved and shortened in TMS
    view = _event(thunderbird, uid, lambda v: v["start"] == moved.strftime(STAMP))
    assert view["end"] == (moved + timedelta(minutes=30)).strftime(STAMP)
    assert (address(101), "ACCEPTED", "1.2") in map(tuple, view["rooms"])


def test_no_invitation_mail_reaches_a_room(servers, thunderbird, booked, sink):
    bridge, _admin = servers
    uid, _start = booked
    decided = thunderbird.run("barrier.js", thunderbird.calendar_id, uid,
                              "mailto:barrier@example.org")
    wait_until(lambda: "barrier@example.org" in sink.all_recipients(), timeout=60)
    to_rooms = sorted({r for r in sink.all_recipients() if "@rooms." in r})
    if "calendar-auto-schedule" not in _scheduling(bridge):
        pytest.skip("the server does not advertise calendar-auto-schedule (engineer "
                    f"scheddir's part), so Thunderbird e-mails the rooms itself: {to_rooms}")
    assert decided == {"autoSchedule": True, "serverNotifies": True}
    assert to_rooms == []


def test_free_busy_of_rooms_as_the_attendee_dialog_asks(servers, thunderbird, booked, shots):
    bridge, _admin = servers
    if "calendar-auto-schedule" not in _scheduling(bridge):
        pytest.skip("the server has no schedule outbox yet (engineer scheddir's part): "
                    "Thunderbird asks no server for free/busy")
    _uid, start = booked
    window = (start - timedelta(hours=2), start + timedelta(hours=6))
    span = [w.strftime(STAMP) for w in window]
    busy_102 = thunderbird.run("freebusy.js", address(102), *span)
    busy_104 = thunderbird.run("freebusy.js", address(104), *span)
    at = start.strftime(STAMP)
    busy = [i for i in busy_102 if i[2] != 0]  # calIFreeBusyInterval.FREE is 0
    assert [i for i in busy if i[0] <= at < i[1]], busy_102  # the Board booking
    assert [i for i in busy_104 if i[2] != 0] == []
    thunderbird.run("attendees.js", thunderbird.calendar_id, _uid)
    thunderbird.screenshot(shots / "thunderbird-invite-attendees.png", "Attendees")
