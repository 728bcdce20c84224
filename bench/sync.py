"""Benchmark the mirror's sync against the simulator's ``large`` seed.

    .venv/bin/python bench/sync.py [--seed large] [--changes 100] [--freshness 20]
                                   [--interval 10] [--workers 4]

The simulator runs in a child process (so its memory and CPU are not counted as the bridge's).
Reported: full import time, SOAP calls, peak RSS of this process; time to apply N changes with
one incremental sync; freshness (a change saved in TMS → visible in the store) with the syncer
polling at the default interval. Baseline for ratios: one GetSystems round trip measured in the
same run (the cost of the cheapest SOAP call), printed next to each figure.

Targets (issue): import ≤ 120 s, peak RSS ≤ 300 MB, freshness ≤ 15 s p95.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tmscal.mirror.runner import SyncRunner  # noqa: E402
from tmscal.settings import MirrorSettings  # noqa: E402
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore  # noqa: E402
from tmscal.mirror.sync import Syncer  # noqa: E402
from tmscal.model import Conference, Participant, ParticipantCallType, TmsError  # noqa: E402
from tmscal.tms import TmsClient  # noqa: E402

UTC = timezone.utc

_CHILD = """
import sys, time
from tmscal.simulator.server import SimulatorServer
t = time.monotonic()
sim = SimulatorServer(seed=sys.argv[1]).start()
user, password, _ = sim.engine.demo_accounts()[0]
print(sim.url, user, password, round(time.monotonic() - t, 1), flush=True)
sys.stdin.read()
sim.stop()
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class CountingClients:
    """A client factory that remembers its clients, to sum their SOAP call counts."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.args = (url, user, password)
        self.clients: list[TmsClient] = []
        self._lock = threading.Lock()

    def __call__(self) -> TmsClient:
        client = TmsClient(*self.args, timeout=(5.0, 120.0))
        with self._lock:
            self.clients.append(client)
        return client

    @property
    def calls(self) -> int:
        return sum(c.call_count for c in self.clients)


class PhaseClock:
    """A ``progress`` callback that remembers when each import phase ended (seconds since
    :meth:`start`)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.ended: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.ended[phase] = time.perf_counter() - self.started

    def summary(self) -> str:
        parts, previous = [], 0.0
        for phase, ended in self.ended.items():
            parts.append(f"{phase} {ended - previous:.1f} s")
            previous = ended
        return ", ".join(parts)


def make_change(client: TmsClient, rng: random.Random, rooms: list[int]) -> int:
    """Book one new single conference in a free-looking slot; returns its id (0 if refused)."""
    for _ in range(5):
        start = (datetime.now(UTC) + timedelta(days=rng.randint(100, 300))).replace(
            minute=0, second=0, microsecond=0) + timedelta(minutes=rng.choice((0, 20, 40)))
        conference = Conference(title="bench", start_utc=start,
                                end_utc=start + timedelta(minutes=15),
                                participants=[Participant(ParticipantCallType.TMS,
                                                          rng.choice(rooms))])
        try:
            return client.save_conference(conference).conference_id
        except TmsError:
            continue
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="large")
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--freshness", type=int, default=20, help="changes timed for freshness")
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    child = subprocess.Popen([sys.executable, "-c", _CHILD, args.seed], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        url, user, password, seed_seconds = child.stdout.readline().split()
        print(f"simulator ({args.seed}) ready in {seed_seconds} s at {url}")
        rng = random.Random(7)
        writer = TmsClient(url, user, password, timeout=(5.0, 60.0))
        started = time.perf_counter()
        rooms = [s.system_id for s in writer.get_systems()]
        baseline = time.perf_counter() - started
        print(f"baseline: GetSystems ({len(rooms)} systems) {baseline * 1000:.0f} ms")

        database = Path(tempfile.mkdtemp()) / "mirror.sqlite3"
        store = SqliteMirrorStore(database)
        settings = MirrorSettings(poll_interval=args.interval, detail_workers=args.workers,
                                  reconcile_interval=0)
        clients = CountingClients(url, user, password)
        syncer = Syncer(store, clients, settings)
        rss_before = peak_rss_mb()
        cpu_before = time.process_time()
        clock = PhaseClock()
        started = time.perf_counter()
        report = syncer.full_import(progress=clock)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        objects = sum(store.calendar_state(r.calendar_id).object_count for r in store.list_rooms())
        print(f"full import: {seconds:.1f} s ({seconds / baseline:.0f}× baseline), "
              f"{report.listed} conferences listed, {report.stored} stored, "
              f"{objects} room objects, {clients.calls} SOAP calls, "
              f"peak RSS {peak_rss_mb():.0f} MB (before import {rss_before:.0f} MB), "
              f"db {database.stat().st_size / 1e6:.0f} MB")
        print(f"  phases: log head + {clock.summary()}; bridge CPU {cpu:.1f} s "
              f"({cpu / max(1, report.fetched) * 1000:.2f} ms per conference fetched)")

        for _ in range(args.changes):
            make_change(writer, rng, rooms)
        calls = clients.calls
        started = time.perf_counter()
        report = syncer.sync_once()
        seconds = time.perf_counter() - started
        print(f"apply {args.changes} changes: {seconds:.2f} s ({report.transactions} "
              f"transactions, {report.stored} stored, {clients.calls - calls} SOAP calls)")

        runner = SyncRunner(syncer)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        delays = []
        for _ in range(args.freshness):
            time.sleep(rng.uniform(0, args.interval))
            conference_id = make_change(writer, rng, rooms)
            saved = time.perf_counter()
            if not conference_id:
                continue
            while store.find_by_conference_id(conference_id) is None:
                if time.perf_counter() - saved > 120:
                    break
                time.sleep(0.05)
            delays.append(time.perf_counter() - saved)
        runner.stop()
        thread.join(30)
        if delays:
            delays.sort()
            p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))]
            print(f"freshness at {args.interval:.0f} s polling ({len(delays)} changes): "
                  f"median {statistics.median(delays):.1f} s, p95 {p95:.1f} s, "
                  f"max {delays[-1]:.1f} s")
        print(f"peak RSS overall: {peak_rss_mb():.0f} MB")
    finally:
        child.stdin.close()
        child.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
