"""Benchmark an import that is usable at once, against the simulator's ``large`` seed.

    .venv/bin/python bench/import.py [--latency 0.05] [--workers 8] [--kill] [--seed large]

The simulator (``--latency`` seconds added to every answer) and the importer (a ``Syncer``
on a fresh SQLite mirror whose horizon holds the whole seed) run in child processes; this
process polls the mirror file. Reported, from the moment the importer starts:

* shown: every booking TMS lists is in its room's calendar with its time and title (checked
  against the simulator's own list, room by room, when reached);
* details: no conference awaits its details any more; the target is (detail calls × latency /
  workers) + 20 %, the detail calls counted by the simulator;
* peak RSS of the importer (VmHWM);
* with ``--kill``: the importer is killed (SIGKILL) halfway through the details and started
  again; it must fetch exactly the conferences still awaiting details, none it had stored.

Baseline printed beside the figures: one GetSystems round trip measured in the same run.
Targets (issue 14, with 50 ms latency): shown ≤ 60 s, details ≤ formula, RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HORIZON_DAYS = 190  # the large seed spans now ± 182 days
DETAILS = "GetRecurrentConferenceById"

_SIMULATOR = """
import json, sys, time
from datetime import datetime, timedelta, timezone
from tmscal.model import ConferenceStatus
from tmscal.simulator.faults import FaultInjection
from tmscal.simulator.server import SimulatorServer
sim = SimulatorServer(seed=sys.argv[1], faults=FaultInjection(latency=float(sys.argv[2])))
engine = sim.engine
now = datetime.now(timezone.utc)
days = timedelta(days=int(sys.argv[3]))
admin = engine.user("admin")
listed = engine.get_conferences_for_systems(admin, [], now - days, now + days,
                                            ConferenceStatus.ALL_EXCEPT_DELETED)
with open(sys.argv[4], "w") as out:
    json.dump([[s, int(c.start_utc.timestamp()), int(c.end_utc.timestamp()), c.title]
               for c in listed for s in engine._state.conferences[c.conference_id].system_ids],
              out)
del listed
sim.start()
user, password, _ = engine.demo_accounts()[0]
print(sim.url, user, password, flush=True)
for line in sys.stdin:
    print(json.dumps(dict(sim.calls)), flush=True)
sim.stop()
"""


def importer(database: str, url: str, user: str, password: str, workers: int) -> int:
    """The importer child: a full import, or the rest of an interrupted one."""
    import resource

    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings
    from tmscal.tms import TmsClient

    store = SqliteMirrorStore(database)
    settings = MirrorSettings(detail_workers=workers, horizon_past_days=HORIZON_DAYS,
                              horizon_future_days=HORIZON_DAYS, reconcile_interval=0)
    syncer = Syncer(store, lambda: TmsClient(url, user, password, timeout=(5.0, 120.0)),
                    settings)
    started = time.perf_counter()
    scanned: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "details" and not scanned:  # the list scan is stored
            scanned.update(seconds=time.perf_counter() - started, cpu=time.process_time())

    if store.import_progress() is None and store.get_cursor() is None:
        report = syncer.full_import(progress)
    else:  # the rest of an interrupted import
        report = syncer.sync_once()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": time.perf_counter() - started, "listed": report.listed,
                      "fetched": report.fetched, "scan": scanned,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "peak_rss_mb": usage.ru_maxrss / 1024}), flush=True)
    return 0


class Mirror:
    """Read-only looks into the importer's mirror file (a fresh connection each time: one
    opened before the importer created the schema keeps failing)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str) -> list[tuple]:
        if not self.path.exists():
            return []
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        except sqlite3.OperationalError:  # schema not created yet
            return []

    def shown(self) -> int:
        rows = self.query("SELECT count(*) FROM occurrences o JOIN calendars k "
                          "ON k.calendar_id = o.calendar_id WHERE k.kind = 'room'")
        return rows[0][0] if rows else 0

    def awaiting(self) -> int | None:
        rows = self.query("SELECT count(*) FROM awaiting_details")
        return rows[0][0] if rows else None

    def listed_state(self, duplicates: bool = False) -> set[tuple] | list[tuple]:
        """(room, start, end, title) of every occurrence in a room calendar."""
        return (list if duplicates else set)(self.query(
            "SELECT CAST(o.calendar_id AS INTEGER), o.start_ts, o.end_ts, c.title "
            "FROM occurrences o JOIN entries e ON e.calendar_id = o.calendar_id "
            "AND e.href = o.href AND e.deleted = 0 JOIN conferences c ON c.uid = e.uid"))


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="large")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--kill", action="store_true", help="kill and restart halfway")
    parser.add_argument("--importer", nargs=5, metavar=("DB", "URL", "USER", "PASSWORD", "W"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.importer:
        database, url, user, password, workers = args.importer
        return importer(database, url, user, password, int(workers))

    work = Path(tempfile.mkdtemp(prefix="tmscal-bench-import-"))
    expected_file = work / "expected.json"
    sim = subprocess.Popen([sys.executable, "-c", _SIMULATOR, args.seed, str(args.latency),
                            str(HORIZON_DAYS - 1), str(expected_file)], cwd=ROOT,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    children: list[subprocess.Popen] = [sim]
    try:
        url, user, password = sim.stdout.readline().split()
        expected = {tuple(row) for row in json.loads(expected_file.read_text())}

        def calls() -> dict[str, int]:
            sim.stdin.write("calls\n")
            sim.stdin.flush()
            return json.loads(sim.stdout.readline())

        from tmscal.tms import TmsClient

        with TmsClient(url, user, password) as client:
            started = time.perf_counter()
            client.get_systems()
            baseline = time.perf_counter() - started
        print(f"seed {args.seed}: {len(expected)} bookings in rooms; latency "
              f"{args.latency * 1000:.0f} ms per answer; {args.workers} workers; baseline "
              f"GetSystems {baseline * 1000:.0f} ms")
        database = work / "mirror.sqlite3"
        mirror = Mirror(database)

        def start_importer() -> subprocess.Popen:
            child = subprocess.Popen(
                [sys.executable, __file__, "--importer", str(database), url, user, password,
                 str(args.workers)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            children.append(child)
            return child

        before = calls()
        t0 = time.perf_counter()
        child = start_importer()
        shown_at = details_at = None
        peak = 0.0
        killed = None
        while True:
            peak = max(peak, vm_hwm_mb(child.pid))
            now = time.perf_counter() - t0
            if shown_at is None and mirror.shown() >= len(expected):
                shown_at = now
                state = mirror.listed_state()
                print(f"shown: {shown_at:.1f} s ({shown_at / baseline:.0f}× baseline); "
                      f"times and titles as TMS lists them: "
                      f"{'yes' if expected <= state else f'NO ({len(expected - state)} missing)'}",
                      flush=True)
            awaiting = mirror.awaiting()
            if args.kill and killed is None and shown_at is not None and awaiting is not None \
                    and awaiting <= len(expected) // 2:
                child.send_signal(signal.SIGKILL)
                child.wait()
                awaiting = mirror.awaiting()
                killed = (awaiting, calls()[DETAILS] - before.get(DETAILS, 0))
                print(f"killed at {now:.1f} s with {awaiting} awaiting details "
                      f"({killed[1]} detail calls made); restarting", flush=True)
                child = start_importer()
                continue
            if child.poll() is not None:
                break
            time.sleep(0.5)
        details_at = time.perf_counter() - t0
        result = json.loads(child.stdout.read().strip().splitlines()[-1])
        after = calls()
        detail_calls = after.get(DETAILS, 0) - before.get(DETAILS, 0)
        scan_calls = after.get("GetConferencesForSystems", 0)
        target = detail_calls * args.latency / args.workers * 1.2
        print(f"details complete: {details_at:.1f} s after the start ({detail_calls} detail "
              f"calls, {scan_calls} list calls; target ≤ {target:.1f} s + the scan); "
              f"left awaiting: {mirror.awaiting()}")
        print(f"peak RSS of the importer: {max(peak, result['peak_rss_mb']):.0f} MB")
        if result["scan"]:
            print(f"importer CPU: list scan stored after {result['scan']['cpu']:.1f} s CPU "
                  f"({result['scan']['seconds']:.1f} s wall), {result['cpu']:.1f} s CPU in all "
                  f"(this run); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        # a series' details bring its occurrences beyond the listed window too
        reach = (HORIZON_DAYS - 1) * 86400
        window = (time.time() - reach, time.time() + reach)
        final = [row for row in mirror.listed_state(duplicates=True)
                 if row[1] < window[1] and row[2] > window[0]]
        print(f"mirror equals TMS's list afterwards: "
              f"{set(final) == expected and len(final) == len(expected)} "
              f"({len(final)} occurrences in room calendars within the listed window)")
        if killed is not None:
            awaiting_then, calls_then = killed
            after_restart = detail_calls - calls_then
            print(f"kill and restart: {awaiting_then} awaited details at the kill, "
                  f"{after_restart} detail calls after the restart "
                  f"({'none' if after_restart == awaiting_then else after_restart - awaiting_then}"
                  f" of a stored conference fetched again)")
    finally:
        for child in reversed(children):
            if child.poll() is None:
                if child is sim:
                    child.stdin.close()
                    try:
                        child.wait(30)
                    except subprocess.TimeoutExpired:
                        child.kill()
                else:
                    child.kill()
                    child.wait()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
