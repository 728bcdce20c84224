"""Reads per second through 1, 2 and 4 bridge nodes on one PostgreSQL mirror, on this machine.

The read mix of ``bench/caldav.py --workers`` (calendar-query REPORT of a week and of an empty
week, PROPFIND getctag + sync-token, sync-collection without change, GET of the calendar; N
events in one room), served by K ``tmscal serve --workers 1 --no-sync`` processes on K ports
over one PostgreSQL database (a throw-away cluster, ``tests/postgres_server.py``, fsync on,
``synchronous_commit=off``), loaded for ``--seconds`` by ``--clients`` keep-alive client
processes spread evenly over the nodes (as a round-robin load balancer would). Prints requests
per second and the ratio to the first K (the baseline, measured in the same run), the cores
the nodes and the PostgreSQL server used, and the load average: on a machine with fewer cores
than nodes + server + clients the ratio is bound by the cores, not by the nodes.

    .venv/bin/python bench/nodes.py [--nodes 1 2 4] [--events 1000] [--seconds 20]
                                    [--clients 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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


def cpu_seconds(pids) -> float:
    """CPU seconds used so far by these processes (those that still run)."""
    return sum(caldav_bench.process_cpu(pid) for pid in pids)


def postgres_pids(server: PostgresServer) -> list[int]:
    """The postmaster and its backends (their CPU is the database's share)."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def load(ports: list[int], fixture, clients: int, seconds: float) -> int:
    """Requests done by ``clients`` client processes (client i on node i mod K)."""
    results = multiprocessing.Queue()
    until = time.monotonic() + seconds
    processes = [multiprocessing.Process(target=caldav_bench._load, args=(
        ports[index % len(ports)], fixture.now.isoformat(), fixture.count, until, results))
        for index in range(clients)]
    for process in processes:
        process.start()
    done = sum(results.get(timeout=seconds + 120) for _ in processes)
    for process in processes:
        process.join()
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    binaries = server_binaries()
    if binaries is None:
        print(MISSING_BINARIES, file=sys.stderr)
        return 1
    server = PostgresServer(binaries).start(durable=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="tmscal-bench-nodes-") as temp:
            workdir = Path(temp)
            print(f"preparing {args.events} events …", flush=True)
            fixture = caldav_bench.Fixture(workdir, args.events)
            try:
                url = server.create_database()
                target = open_store(url, shared=False)
                copy_mirror(fixture.store, target)
                target.close()
                config = workdir / "tmscal-pg.conf"
                config.write_text((workdir / "tmscal.conf").read_text().replace(
                    f"path = {workdir / 'mirror.sqlite3'}", f"url = {url}"))
                for count in args.nodes:
                    ports = [caldav_bench.free_port() for _ in range(count)]
                    nodes = [caldav_bench.serve_bridge(config, port, workdir / f"node-{port}.log",
                                                       workers=1)
                             for port in ports]
                    try:
                        load(ports, fixture, args.clients, 3)  # warm-up
                        database = postgres_pids(server)
                        before = cpu_seconds(p.pid for p in nodes), cpu_seconds(database)
                        done = load(ports, fixture, args.clients, args.seconds)
                        used = (cpu_seconds(p.pid for p in nodes) - before[0],
                                cpu_seconds(database) - before[1])
                        rows.append((count, done / args.seconds, used[0] / args.seconds,
                                     used[1] / args.seconds))
                        print(f"  {count} node(s): {done / args.seconds:8.1f} requests/s, nodes "
                              f"on {rows[-1][2]:.2f} cores, PostgreSQL on {rows[-1][3]:.2f}",
                              flush=True)
                    finally:
                        for node in nodes:
                            node.terminate()
                            node.wait(30)
            finally:
                fixture.stop()
    finally:
        server.stop()
    base = rows[0][1]
    print(f"\n| nodes | requests/s | ratio to {args.nodes[0]} | nodes' cores | PostgreSQL's "
          "cores |\n|---:|---:|---:|---:|---:|")
    for count, rate, nodes_cores, database_cores in rows:
        print(f"| {count} | {rate:.1f} | {rate / base:.2f} | {nodes_cores:.2f} | "
              f"{database_cores:.2f} |")
    print(f"({args.events} events, {args.clients} clients, {args.seconds:.0f} s each; load "
          f"average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
