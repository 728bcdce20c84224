"""Benchmark room feeds against Radicale's own collection GET of the same events.

    .venv/bin/python bench/feeds.py [--events 20000] [--seconds 4]

One room with N single events (rendered in full by tmscal.ical, spread over the default feed
window) in a fresh mirror, served by ``tmscal serve`` (waitress, syncer off). Measured in the
same run, one client, sequential requests on a keep-alive session:

* tmscal feed, full 200 (cached body), with and without gzip; 304 on If-None-Match;
  HEAD; and the cold render (first request after a mirror change);
* Radicale's GET of the same room calendar through the tmscal plugin, same server (the
  baseline: it cannot answer 304, so a conditional GET costs a full body);
* stock Radicale (multifilesystem) GET of the same N items, when ``--stock`` is given.

Ratios are feed requests/s over the baseline's requests/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bridge_harness import start_bridge, write_bridge_config
from tmscal.feeds.tokens import open_token_store
from tmscal.ical.zones import time_zone_rule
from tmscal.mirror import Room, open_store
from tmscal.mirror.records import MirrorRoomDirectory, record_for
from tmscal.model import Conference, Participant, ParticipantCallType

ROOM = Room(1, "Bench Room", zone="Europe/Oslo", site="Bench",
            address="mailto:bench@rooms.example.org")


def conferences(count: int) -> list[Conference]:
    """``count`` 30-minute meetings every 10 minutes from 29 days ago (inside 30/180 days)."""
    start = (datetime.now(UTC) - timedelta(days=29)).replace(minute=0, second=0, microsecond=0)
    rules = [time_zone_rule("Europe/Oslo", start.year)]
    out = []
    for i in range(count):
        begin = start + timedelta(minutes=10 * i)
        out.append(Conference(
            conference_id=10_000 + i, title=f"Meeting {i}", start_utc=begin,
            end_utc=begin + timedelta(minutes=30), external_primary_key=f"bench-{i}",
            owner_first_name="Bench", owner_last_name="User",
            owner_email_address="bench@example.org", version=i + 1, password=str(1000 + i % 9000),
            conference_info_text=f"Dial 9{i:05d}@video.example.org",
            participants=[Participant(ParticipantCallType.TMS, ROOM.system_id)],
            time_zone_rules=rules))
    return out


def fill(path: Path, count: int):
    started = time.monotonic()
    store = open_store(str(path))
    store.replace_rooms([ROOM])
    directory = MirrorRoomDirectory([ROOM])
    records = [record_for(c, directory) for c in conferences(count)]
    store.store_conferences([r for r in records if r is not None])
    store.set_cursor(1)
    return store, records, time.monotonic() - started


def rate(label: str, send, seconds: float) -> tuple[float, int, int]:
    """Requests/s of ``send()`` (which returns a response) over about ``seconds``."""
    send()  # warm up (and fill caches)
    count, size, status = 0, 0, 0
    started = time.perf_counter()
    while True:
        response = send()
        count += 1
        size, status = len(response.content), response.status_code
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and count >= 3:
            break
    per_second = count / elapsed
    print(f"  {label:<48} {per_second:9.1f} req/s  status {status}  {size / 1e6:7.2f} MB")
    return per_second, status, size


def cold_render(session, url: str, store, records, repeats: int = 3) -> float:
    """Median time of the first request after a mirror change (render + cache fill)."""
    times = []
    for i in range(repeats):
        record = records[i]
        record.ical = record.ical.replace("SUMMARY:", f"SUMMARY:changed {i} ", 1)
        store.store_conference(record)
        started = time.perf_counter()
        response = session.get(url, headers={"Accept-Encoding": "identity"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times)


def stock_radicale(directory: Path, records, seconds: float) -> float | None:
    """Requests/s of a stock multifilesystem Radicale serving the same items."""
    import waitress
    from radicale import Application, config

    root = directory / "collections" / "collection-root" / "bench" / "room"
    root.mkdir(parents=True)
    (root / ".Radicale.props").write_text('{"tag": "VCALENDAR", "D:displayname": "Bench Room"}')
    for record in records:
        (root / f"{record.uid}.ics").write_text(record.ical, encoding="utf-8", newline="")
    configuration = config.load([])
    configuration.update({
        "storage": {"filesystem_folder": str(directory / "collections")},
        "auth": {"type": "none"}, "rights": {"type": "authenticated"},
        "web": {"type": "none"}, "logging": {"level": "warning"}}, "bench", privileged=True)
    server = waitress.create_server(Application(configuration), host="127.0.0.1", port=0,
                                    threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/bench/room/"
    session = requests.Session()
    session.auth = ("bench", "bench")
    try:
        started = time.perf_counter()
        first = session.get(url, headers={"Accept-Encoding": "identity"})
        print(f"  stock Radicale first GET (builds its item cache): "
              f"{time.perf_counter() - started:.2f} s, {first.text.count('BEGIN:VEVENT')} events")
        per_second, _, _ = rate("stock Radicale GET (multifilesystem)",
                                lambda: session.get(url, headers={"Accept-Encoding": "identity"}),
                                seconds)
        return per_second
    finally:
        server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--stock", action="store_true",
                        help="also measure a stock multifilesystem Radicale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tmscal-bench-feeds-") as temp:
        directory = Path(temp)
        config = write_bridge_config(directory, users=("bench",), rights={"bench": "book=*"})
        store, records, fill_seconds = fill(directory / "mirror.sqlite3", args.events)
        print(f"mirror: {args.events} events rendered and stored in {fill_seconds:.1f} s")
        bridge = start_bridge(config, syncer=False)
        try:
            tokens = open_token_store(open_store(directory / "mirror.sqlite3"))
            feed = f"{bridge.url}feeds/{tokens.create('room', '1', 'full').secret}.ics"
            titled = f"{bridge.url}feeds/{tokens.create('room', '1', 'title').secret}.ics"
            radicale = f"{bridge.url}bench/room-1/"
            session = requests.Session()
            plain = {"Accept-Encoding": "identity"}
            check = session.get(feed, headers=plain)
            events = check.text.count("BEGIN:VEVENT")
            baseline_check = session.get(radicale, auth=("bench", "bench"), headers=plain)
            print(f"feed: {events} events, {len(check.content) / 1e6:.2f} MB; Radicale GET: "
                  f"{baseline_check.text.count('BEGIN:VEVENT')} events, "
                  f"{len(baseline_check.content) / 1e6:.2f} MB")
            print("requests per second (one client, sequential, keep-alive):")
            baseline, _, _ = rate(
                "Radicale GET via tmscal plugin (baseline)",
                lambda: session.get(radicale, auth=("bench", "bench"), headers=plain),
                args.seconds)
            etag = baseline_check.headers.get("ETag", "")
            conditional, status, _ = rate(
                "Radicale GET with If-None-Match (never 304)",
                lambda: session.get(radicale, auth=("bench", "bench"),
                                    headers={**plain, "If-None-Match": etag}), args.seconds)
            full, _, _ = rate("tmscal feed, full privacy, 200",
                              lambda: session.get(feed, headers=plain), args.seconds)
            zipped, _, _ = rate("tmscal feed, full privacy, 200 gzip",
                                lambda: session.get(feed, headers={"Accept-Encoding": "gzip"}),
                                args.seconds)
            feed_etag = session.get(feed, headers=plain).headers["ETag"]
            not_modified, _, _ = rate(
                "tmscal feed, 304 (If-None-Match)",
                lambda: session.get(feed, headers={**plain, "If-None-Match": feed_etag}),
                args.seconds)
            head, _, _ = rate("tmscal feed, HEAD", lambda: session.head(feed), args.seconds)
            cold_full = cold_render(session, feed, store, records)
            cold_title = cold_render(session, titled, store, records[3:])
            print(f"  cold render after a change: full {cold_full * 1000:.0f} ms, "
                  f"title {cold_title * 1000:.0f} ms")
            stock = stock_radicale(directory, records, args.seconds) if args.stock else None
        finally:
            bridge.stop()
    print("ratios (tmscal feed / Radicale GET via plugin, same events, same run):")
    print(f"  full 200:      {full / baseline:6.1f}x")
    print(f"  full 200 gzip: {zipped / baseline:6.1f}x")
    print(f"  304 vs Radicale's conditional GET (a full 200): {not_modified / conditional:6.1f}x")
    print(f"  HEAD:          {head / baseline:6.1f}x")
    print(f"  cold render (full) vs one Radicale GET: {(1 / baseline) / cold_full:6.2f}x")
    if stock:
        print(f"  full 200 vs stock Radicale GET: {full / stock:6.1f}x; "
              f"304 vs stock: {not_modified / stock:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
