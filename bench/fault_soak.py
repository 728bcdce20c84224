"""Fault soak: readers and writers against ``tmscal serve`` + the simulator through an outage,
a hang and a fault rate, then the recovery.

    python bench/fault_soak.py [--seconds 180] [--readers 8] [--writers 12]

The simulator runs in this process (its faults are switched through its Python API); the bridge
runs as ``tmscal serve`` in a subprocess. Phases, as shares of ``--seconds``: normal 15 %, TMS
down 20 %, normal 5 %, TMS hanging 20 %, fault rate 0.2 with 0.2 s latency 25 %, normal 15 %.
Readers PROPFIND and GET room calendars; writers PUT new bookings into their own room and DELETE
some they made. Printed: reads answered (and their p99 per phase), writes answered per status,
bookings in TMS vs. acknowledged (201/204 to a PUT, minus 204 to a DELETE), what each booking's
last answer claimed against what TMS holds (an answer TMS contradicts is a lie: there must be
none; a 503 that says the outcome is not known yet claims nothing), and whether the mirror
equals TMS after the faults end, and how long that took.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tmscal.model import ConferenceStatus  # noqa: E402

SOURCE = "tmscal-soak"
ROOMS = (101, 102, 103, 104, 105, 106)
PHASES = (("normal", 0.15, {}), ("down", 0.20, {"down": True}), ("normal", 0.05, {}),
          ("hang", 0.20, {"timeout": "forever"}),
          ("fault-rate", 0.25, {"fault_rate": 0.2, "latency": 0.2}), ("recovery", 0.15, {}))
PROPFIND = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
            '<D:getetag/></D:prop></D:propfind>')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(directory: Path, tms_url: str) -> Path:
    (directory / "users").write_text("alice:alice\n")
    path = directory / "tmscal.conf"
    path.write_text(f"""[tms]
url = {tms_url}
username = tmscal-svc
password = tmscal-svc
timeout = 5

[mirror]
path = {directory / 'mirror.sqlite3'}
poll_interval = 2
reconcile_interval = 60
max_backoff = 5
unreadable_retry = 10

[bridge]
external_source_id = {SOURCE}
retry_after = 5

[room_rights]
alice = book={','.join(map(str, ROOMS))}

[auth]
type = htpasswd
htpasswd_filename = {directory / 'users'}
htpasswd_encryption = plain
delay = 0

[server]
threads = 8

[logging]
level = warning
""")
    return path


def event(uid: str, start: datetime, title: str) -> bytes:
    stamp = "%Y%m%dT%H%M%SZ"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//soak//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(stamp)}\r\n"
            f"DTEND:{(start + timedelta(minutes=30)).strftime(stamp)}\r\nSUMMARY:{title}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


class Soak:
    def __init__(self, url: str, seconds: float) -> None:
        self.url = url
        self.seconds = seconds
        self.phase = "normal"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reads: list[tuple[str, float, int]] = []  # phase, seconds, status (0 = no answer)
        self.writes: collections.Counter = collections.Counter()
        self.acknowledged: set[str] = set()
        #: uid -> what the last answer about it claimed: "in" TMS, "out" of TMS, or "unknown"
        self.claims: dict[str, str] = {}

    def claim(self, uid: str, kind: str, answer: requests.Response) -> None:
        """Record what ``answer`` to a PUT or DELETE of ``uid`` says about TMS."""
        status = answer.status_code
        if status in (200, 201, 204):
            claim = "in" if kind == "PUT" else "out"
        elif status == 503 and "nothing was changed" in answer.text:
            claim = self.claims.get(uid, "out")  # as before the request
        elif status == 503:
            claim = "unknown"
        else:  # a refusal: nothing was changed
            claim = self.claims.get(uid, "out")
        with self.lock:
            self.claims[uid] = claim

    def reader(self, index: int) -> None:
        session = requests.Session()
        session.auth = ("alice", "alice")
        n = 0
        while not self.stop.is_set():
            room = ROOMS[(index + n) % len(ROOMS)]
            phase, started = self.phase, time.monotonic()
            try:
                if n % 2:
                    answer = session.request("PROPFIND", f"{self.url}alice/room-{room}/",
                                             data=PROPFIND, headers={"Depth": "1"}, timeout=30)
                else:
                    answer = session.get(f"{self.url}alice/room-{room}/", timeout=30)
                status = answer.status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.reads.append((phase, time.monotonic() - started, status))
            n += 1

    def writer(self, index: int) -> None:
        session = requests.Session()
        session.auth = ("alice", "alice")
        room = ROOMS[index % len(ROOMS)]
        base = (datetime.now(timezone.utc) + timedelta(days=2 + index)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        mine: list[str] = []
        n = 0
        while not self.stop.is_set():
            try:
                if n % 4 == 3 and mine:
                    uid = mine.pop(0)
                    answer = session.delete(f"{self.url}alice/room-{room}/{uid}.ics", timeout=30)
                    kind = "DELETE"
                    self.claim(uid, kind, answer)
                    if answer.status_code in (200, 204):
                        with self.lock:
                            self.acknowledged.discard(uid)
                else:
                    uid = str(uuid.uuid4())
                    start = base + timedelta(minutes=30 * n)
                    answer = session.put(f"{self.url}alice/room-{room}/{uid}.ics",
                                         data=event(uid, start, f"soak {index}-{n}"),
                                         headers={"Content-Type": "text/calendar"}, timeout=30)
                    kind = "PUT"
                    self.claim(uid, kind, answer)
                    if answer.status_code in (201, 204):
                        mine.append(uid)
                        with self.lock:
                            self.acknowledged.add(uid)
                status = str(answer.status_code)
            except requests.RequestException:
                kind, status = "PUT/DELETE", "no answer"
            with self.lock:
                self.writes[f"{kind} {status}"] += 1
            n += 1
            time.sleep(0.2)


def p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def tms_keys(engine) -> set[str]:
    admin = engine.user("admin")
    now = datetime.now(timezone.utc)
    found = engine.get_conferences_for_systems(admin, list(ROOMS), now - timedelta(days=1),
                                               now + timedelta(days=60),
                                               ConferenceStatus.ALL_EXCEPT_DELETED)
    return {c.external_primary_key for c in found if c.external_source_id == SOURCE}


def mirror_keys(url: str) -> set[str] | None:
    keys: set[str] = set()
    for room in ROOMS:
        try:
            answer = requests.get(f"{url}alice/room-{room}/", auth=("alice", "alice"), timeout=10)
        except requests.RequestException:
            return None
        if answer.status_code != 200:
            return None
        keys |= {line[4:] for line in answer.text.split("\r\n") if line.startswith("UID:")}
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=12)
    args = parser.parse_args()

    from tmscal.simulator.server import SimulatorServer

    simulator = SimulatorServer(seed="empty")
    simulator.start()
    directory = Path(tempfile.mkdtemp(prefix="tmscal-soak-"))
    config = write_config(directory, simulator.url)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    bridge = subprocess.Popen([sys.executable, "-m", "tmscal.cli", "serve", "--config",
                               str(config), "--port", str(port)],
                              stdout=open(directory / "serve.log", "wb"),
                              stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(
                                  Path(__file__).resolve().parents[1])})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        soak = Soak(url, args.seconds)
        threads = [threading.Thread(target=soak.reader, args=(i,), daemon=True)
                   for i in range(args.readers)]
        threads += [threading.Thread(target=soak.writer, args=(i,), daemon=True)
                    for i in range(args.writers)]
        for thread in threads:
            thread.start()
        for name, share, faults in PHASES:
            simulator.faults.clear()
            simulator.faults.update(**faults)
            soak.phase = name
            print(f"phase {name} ({share * args.seconds:.0f} s): {faults or 'no faults'}",
                  flush=True)
            time.sleep(share * args.seconds)
        simulator.faults.clear()
        soak.stop.set()
        for thread in threads:
            thread.join(60)
        ended = time.monotonic()
        in_tms = tms_keys(simulator.engine)
        converged = None
        while time.monotonic() - ended < 180:
            if mirror_keys(url) == in_tms:
                converged = time.monotonic() - ended
                break
            time.sleep(0.5)
        log_bytes = (directory / "serve.log").stat().st_size
        report(soak, in_tms, converged, log_bytes)
    finally:
        bridge.terminate()
        bridge.wait(30)
        simulator.stop()
    return 0


def report(soak: Soak, in_tms: set[str], converged: float | None, log_bytes: int) -> None:
    by_phase: dict[str, list] = collections.defaultdict(list)
    for phase, seconds, status in soak.reads:
        by_phase[phase].append((seconds, status))
    answered = sum(1 for _, _, status in soak.reads if status)
    print(f"\nreads: {len(soak.reads)} sent, {answered} answered "
          f"({answered / soak.seconds:.1f}/s), "
          f"{sum(1 for _, _, s in soak.reads if s and s >= 500)} with 5xx")
    for phase, items in by_phase.items():
        print(f"  {phase:>10}: {len(items):6d} reads, p99 {p99([s for s, _ in items]):.3f} s, "
              f"errors {sum(1 for _, status in items if status == 0 or status >= 500)}")
    print("writes answered per status:")
    for key, count in sorted(soak.writes.items()):
        print(f"  {key}: {count}")
    acknowledged = soak.acknowledged
    print(f"bookings in TMS: {len(in_tms)}, acknowledged: {len(acknowledged)}, "
          f"equal: {in_tms == acknowledged} (in TMS but not acknowledged: "
          f"{len(in_tms - acknowledged)}, acknowledged but not in TMS: "
          f"{len(acknowledged - in_tms)})")
    claimed_in = {uid for uid, claim in soak.claims.items() if claim == "in"}
    claimed_out = {uid for uid, claim in soak.claims.items() if claim == "out"}
    unknown = {uid for uid, claim in soak.claims.items() if claim == "unknown"}
    lies = (claimed_in - in_tms) | (claimed_out & in_tms)
    print(f"answers contradicted by TMS: {len(lies)} (must be 0); outcomes answered as not "
          f"known yet: {len(unknown)} ({len(unknown & in_tms)} in TMS after settling, "
          f"{len(unknown - in_tms)} not)")
    print("mirror == TMS after recovery: " + (f"yes, after {converged:.1f} s" if converged
                                              is not None else "NO (within 180 s)"))
    print(f"bridge log: {log_bytes / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
