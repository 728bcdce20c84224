"""Read-path benchmark: conditional GET, HEAD, depth-1 PROPFIND and memory, bridge against
plain Radicale 3.9 (multifilesystem), and a polling soak of the bridge.

Uses the set-up of ``bench/caldav.py``: both servers hold the same N events in one room
calendar, run as separate processes pinned to CPU 0, the client on CPU 1. For each N it
prints, median of several runs after a warm-up,

* GET of the calendar with ``If-None-Match`` (its own ETag): time and bytes (304 vs 200);
* HEAD of the calendar; PROPFIND depth 1 ``getetag`` (time, bytes, ms per MB of answer);
* the RSS of each server after a round of reads of the room (whole GET plain and gzip'ed,
  HEAD, PROPFIND depth 1, initial sync-collection, 1-week calendar-query, a multiget of 200),
  and its peak (VmHWM);

and the ratios bridge/Radicale against the targets. ``--soak SECONDS`` then polls the bridge
(home PROPFIND, ctag PROPFIND, sync-collection from the last token, 1-week REPORT, the room's
ICS feed, a PUT every 20 s) for that long and prints its RSS every 30 s.

    .venv/bin/python bench/readpath.py [--sizes 1000 20000 100000] [--repeat 5]
        [--soak 600 --soak-size 20000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests


def _caldav_bench():
    """``bench/caldav.py`` (its set-up and requests), under a name that does not hide the
    caldav library."""
    spec = importlib.util.spec_from_file_location(
        "bench_caldav", Path(__file__).resolve().parent / "caldav.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_bench = _caldav_bench()
PROPFIND, ROOM, SYNC, USER = _bench.PROPFIND, _bench.ROOM, _bench.SYNC, _bench.USER
Fixture, Server = _bench.Fixture, _bench.Server

TARGETS = {"conditional GET": 0.05, "HEAD": 0.05, "PROPFIND depth 1": 0.05}
RSS_TARGET_MB = 300
GETETAG = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
           '<D:getetag/></D:prop></D:propfind>')
HOME = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
        'xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/>'
        '<CS:getctag/></D:prop></D:propfind>')
MULTIGET = ('<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
            '</D:prop>{hrefs}</C:calendar-multiget>')


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


class ReadClient(Server):
    """The requests of this benchmark against one server."""

    def conditional_get(self) -> requests.Response:
        if not getattr(self, "etag", None):
            self.etag = self._request("HEAD", self.calendar).headers["ETag"]
        return self.session.get(self.calendar, headers={"If-None-Match": self.etag})

    def head(self) -> requests.Response:
        return self._request("HEAD", self.calendar)

    def propfind_items(self) -> requests.Response:
        return self._request("PROPFIND", self.calendar, GETETAG, Depth="1")

    def reads(self) -> None:
        """One round of reads of the whole room (for the memory figures)."""
        self._request("GET", self.calendar)
        self.session.get(self.calendar, headers={"Accept-Encoding": "gzip"})
        self.head()
        listing = self.propfind_items().text
        self._request("REPORT", self.calendar, SYNC.format(token=""))
        self.report_week()
        hrefs = [part.split("</href>")[0] for part in listing.split("<href>")[2:202]]
        self._request("REPORT", self.calendar, MULTIGET.format(
            hrefs="".join(f"<D:href>{href}</D:href>" for href in hrefs)), Depth="1")


def timed(action, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` runs after a warm-up, and the bytes of the last answer."""
    action()
    samples, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = action()
        samples.append(time.perf_counter() - start)
        size = len(response.content)
    return statistics.median(samples), size


def run_size(count: int, repeat: int, soak: float, with_radicale: bool) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="tmscal-readpath-") as temp:
        print(f"preparing {count} events …", flush=True)
        fixture = Fixture(Path(temp), count)
        processes = fixture.start()
        bridge_pid, radicale_pid = processes[0].pid, processes[1].pid
        try:
            bridge = ReadClient("bridge", fixture.bridge_port, fixture)
            radicale = ReadClient("radicale", fixture.radicale_port, fixture)
            if with_radicale:
                radicale._request("PROPFIND", radicale.calendar, Depth="1")  # its cache
            rows = []
            for label, method in (("conditional GET", "conditional_get"), ("HEAD", "head"),
                                  ("PROPFIND depth 1", "propfind_items")):
                base, base_bytes = (timed(getattr(radicale, method), repeat) if with_radicale
                                    else (float("nan"), 0))
                ours, our_bytes = timed(getattr(bridge, method), repeat)
                rows.append((label, count, base, ours, base_bytes, our_bytes))
                print(f"  {label:18} radicale {base * 1000:9.1f} ms {base_bytes:>11,} B  "
                      f"bridge {ours * 1000:8.1f} ms {our_bytes:>11,} B  "
                      f"ratio {ours / base:6.3f}", flush=True)
            servers = [("radicale", radicale, radicale_pid)] if with_radicale else []
            for name, client, pid in [*servers, ("bridge", bridge, bridge_pid)]:
                client.reads()
                rss, peak = memory_mb(pid)
                rows.append((f"RSS {name}", count, rss, peak))
                print(f"  RSS after reads {name:9} {rss:7.0f} MB (peak {peak:.0f} MB)",
                      flush=True)
            if soak:
                polling_soak(fixture, bridge, bridge_pid, soak)
            return rows
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            fixture.stop()


def polling_soak(fixture: Fixture, bridge: ReadClient, pid: int, seconds: float) -> None:
    """Poll the bridge as a crowd of clients would for ``seconds``; print its RSS curve."""
    from tmscal.feeds.tokens import FeedTokenStore

    secret = FeedTokenStore(fixture.workdir / "mirror.sqlite3").create(
        "room", str(ROOM), "title").secret
    feed = f"{bridge.base}feeds/{secret}.ics"
    home = f"{bridge.base}{USER}/"
    token = bridge._request("REPORT", bridge.calendar, SYNC.format(token="")).text \
        .split("<sync-token>")[1].split("</sync-token>")[0]
    feed_etag = ""
    start = time.monotonic()
    next_sample, next_put, requests_done, puts = 0.0, 20.0, 0, 0
    print(f"  soak {seconds:.0f} s: elapsed, requests, RSS MB", flush=True)
    while (elapsed := time.monotonic() - start) < seconds:
        if elapsed >= next_sample:
            print(f"    {elapsed:6.0f} s {requests_done:8d} {memory_mb(pid)[0]:7.0f}", flush=True)
            next_sample += 30
        if elapsed >= next_put:
            bridge.put_event()
            puts += 1
            next_put += 20
        bridge._request("PROPFIND", home, HOME, Depth="1")
        bridge._request("PROPFIND", bridge.calendar, PROPFIND, Depth="0")
        answer = bridge._request("REPORT", bridge.calendar, SYNC.format(token=token)).text
        token = answer.split("<sync-token>")[1].split("</sync-token>")[0]
        bridge.report_week()
        response = bridge.session.get(feed, headers={"If-None-Match": feed_etag} if feed_etag
                                      else {})
        feed_etag = response.headers.get("ETag", feed_etag)
        requests_done += 5
    print(f"    {time.monotonic() - start:6.0f} s {requests_done:8d} "
          f"{memory_mb(pid)[0]:7.0f}  ({puts} PUTs)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--soak", type=float, default=0, help="seconds of polling (0: none)")
    parser.add_argument("--soak-size", type=int, default=20000)
    parser.add_argument("--radicale-max", type=int, default=20000,
                        help="larger rooms are measured on the bridge only (Radicale needs "
                             "many minutes to build its cache of them)")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {0})
    rows = []
    for count in args.sizes:
        rows += run_size(count, args.repeat, args.soak if count == args.soak_size else 0,
                         count <= args.radicale_max)
    print("\n| measure | events | Radicale | bridge | bridge/Radicale | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        if row[0].startswith("RSS"):
            label, count, rss, peak = row
            verdict = "✓" if rss <= RSS_TARGET_MB else "✗"
            print(f"| {label} after reads (peak) | {count} | | {rss:.0f} MB ({peak:.0f}) | | "
                  f"≤ {RSS_TARGET_MB} MB {verdict if 'bridge' in label else ''} |")
            continue
        label, count, base, ours, base_bytes, our_bytes = row
        ratio = ours / base
        verdict = "✓" if ratio <= TARGETS[label] else "✗" if ratio == ratio else ""
        per_mb = f" ({ours * 1000 / (our_bytes / 1e6):.0f} ms/MB)" if our_bytes > 1e5 else ""
        print(f"| {label} | {count} | {base * 1000:.1f} ms, {base_bytes:,} B | "
              f"{ours * 1000:.1f} ms, {our_bytes:,} B{per_mb} | {ratio:.3f} | "
              f"≤ {TARGETS[label]} {verdict if count >= 20000 else ''} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
