"""PostgreSQL beside SQLite in one run: the CalDAV read mix of ``bench/caldav.py`` served by
a bridge on each back end (same N events, same simulator), and the full import of a simulator
seed (``large``: 1,000 rooms, 100,000 conferences) into each. Prints each time and the ratio
PostgreSQL/SQLite (the baseline is SQLite, measured in the same run).

The PostgreSQL server is a throw-away cluster (``tests/postgres_server.py``) with fsync on and
``synchronous_commit=off`` (about as durable as SQLite's WAL with ``synchronous=NORMAL``),
reached over TCP on 127.0.0.1. Both bridges run pinned to CPU 0, the client on CPU 1.

    .venv/bin/python bench/postgres.py [--sizes 1000 20000] [--repeat 5] [--seed large]
                                       [--skip-import] [--skip-reads]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres_server import MISSING_BINARIES, PostgresServer, server_binaries  # noqa: E402
from tmscal.mirror import open_store  # noqa: E402
from tmscal.mirror.copy import copy_mirror  # noqa: E402
from siblings import bench_module  # noqa: E402


caldav_bench = bench_module("caldav")
sync_bench = bench_module("sync")


class Bridge(caldav_bench.Server):
    """A bridge under test; ``offset`` keeps the PUT slots of the two bridges apart."""

    def __init__(self, name: str, port: int, fixture, offset: int) -> None:
        super().__init__(name, port, fixture)
        self.offset = offset

    def put_event(self):
        self.puts += 1
        anchor = self.fixture.times[len(self.fixture.times) // 2 + self.puts * 3 + self.offset]
        from datetime import timedelta

        start = anchor + timedelta(minutes=35)
        uid = f"put-{self.name}-{self.fixture.count}-{self.puts}"
        stamp = caldav_bench.STAMP
        text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(stamp)}\r\n"
                f"DTEND:{(start + timedelta(minutes=10)).strftime(stamp)}\r\n"
                "SUMMARY:Bench put\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        return self._request("PUT", f"{self.calendar}{uid}.ics", text,
                             **{"Content-Type": "text/calendar"})


def read_mix(server: PostgresServer, count: int, repeat: int) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="tmscal-bench-pg-") as temp:
        workdir = Path(temp)
        print(f"preparing {count} events …", flush=True)
        fixture = caldav_bench.Fixture(workdir, count)
        url = server.create_database()
        target = open_store(url, shared=False)
        copy_mirror(fixture.store, target)
        target.close()
        sqlite_config = workdir / "tmscal.conf"
        pg_config = workdir / "tmscal-pg.conf"
        pg_config.write_text(sqlite_config.read_text().replace(
            f"path = {workdir / 'mirror.sqlite3'}", f"url = {url}"))
        ports = caldav_bench.free_port(), caldav_bench.free_port()
        processes = [caldav_bench.serve_bridge(sqlite_config, ports[0], workdir / "sqlite.log",
                                               pin=True),
                     caldav_bench.serve_bridge(pg_config, ports[1], workdir / "pg.log", pin=True)]
        rows = []
        try:
            sqlite = Bridge("sqlite", ports[0], fixture, 1)
            postgres = Bridge("postgresql", ports[1], fixture, 2)
            for label, method in caldav_bench.OPERATIONS:
                base = caldav_bench.timed(getattr(sqlite, method), repeat)
                ours = caldav_bench.timed(getattr(postgres, method), repeat)
                rows.append((label, count, base, ours))
                print(f"  {label:20} sqlite {base * 1000:8.1f} ms  postgresql "
                      f"{ours * 1000:8.1f} ms  ratio {ours / base:6.2f}", flush=True)
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            fixture.stop()
        return rows


def full_import(server: PostgresServer, seed: str, workers: int) -> list[tuple]:
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings

    child = subprocess.Popen([sys.executable, "-c", sync_bench._CHILD, seed],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    rows = []
    try:
        url, user, password, seed_seconds = child.stdout.readline().split()
        print(f"simulator ({seed}) ready in {seed_seconds} s", flush=True)
        settings = MirrorSettings(detail_workers=workers, reconcile_interval=0)
        with tempfile.TemporaryDirectory(prefix="tmscal-bench-import-") as temp:
            for name, database in (("sqlite", str(Path(temp) / "mirror.sqlite3")),
                                   ("postgresql", server.create_database())):
                store = open_store(database, shared=False)
                clients = sync_bench.CountingClients(url, user, password)
                started = time.perf_counter()
                report = Syncer(store, clients, settings).full_import()
                seconds = time.perf_counter() - started
                objects = sum(store.calendar_state(r.calendar_id).object_count
                              for r in store.list_rooms())
                store.close()
                rows.append((name, seconds, report.stored, objects))
                print(f"  full import into {name:10} {seconds:7.1f} s  {report.stored} stored, "
                      f"{objects} room objects, {clients.calls} SOAP calls", flush=True)
    finally:
        child.stdin.close()
        child.wait(60)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", default="large")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-reads", action="store_true")
    args = parser.parse_args()
    binaries = server_binaries()
    if binaries is None:
        print(MISSING_BINARIES, file=sys.stderr)
        return 1
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {0})
    server = PostgresServer(binaries).start(durable=True)
    try:
        reads = [] if args.skip_reads else [
            row for count in args.sizes for row in read_mix(server, count, args.repeat)]
        imports = [] if args.skip_import else full_import(server, args.seed, args.workers)
    finally:
        server.stop()
    if reads:
        print("\n| operation | events | SQLite (ms) | PostgreSQL (ms) | PostgreSQL/SQLite |")
        print("|---|---:|---:|---:|---:|")
        for label, count, base, ours in reads:
            print(f"| {label} | {count} | {base * 1000:.1f} | {ours * 1000:.1f} | "
                  f"{ours / base:.2f} |")
    if imports:
        base = imports[0][1]
        print(f"\n| full import ({args.seed}) | seconds | conferences stored | room objects | "
              "ratio |")
        print("|---|---:|---:|---:|---:|")
        for name, seconds, stored, objects in imports:
            print(f"| {name} | {seconds:.1f} | {stored} | {objects} | {seconds / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
