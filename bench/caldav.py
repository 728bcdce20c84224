"""CalDAV benchmark: the tmscal bridge against plain Radicale 3.9 (multifilesystem).

Both servers hold the same N single events in one room calendar (the texts the bridge renders
from the TMS simulator's conferences) and run as separate processes pinned to CPU 0; the client
runs in this process (on CPU 1 when there is one). For N in 1,000 and 20,000 it times, median
of several runs after a warm-up:

* calendar-query REPORT, 1-week time range with calendar-data; the same with 0 hits;
* PROPFIND depth 0 getctag + sync-token; sync-collection with no change;
* GET of the whole calendar; PUT of one new event (simulator latency 0).

It prints each time and the ratio bridge/Radicale against the targets at 20,000 events, and
the number of TMS calls the bridge made per read request (counted inside the simulator).

With ``--workers 1 2`` it measures read throughput instead: the bridge alone, unpinned, as
``tmscal serve --workers N`` for each N, loaded for ``--seconds`` through ``--clients``
keep-alive connections cycling through the read requests above, ``Connection: close`` on every
20th so connections are accepted again and spread over the workers. The load comes from wrk
(``bench/wrk_readmix.lua``; C and epoll, a few percent of the server's CPU per request, so the
server gets the cores; install it with ``apt-get install wrk``, Debian/Ubuntu package wrk 4.1);
``--load python`` uses client processes on http.client instead, which take several times as
much from the cores under test. Any answer outside 2xx/3xx stops the bench. It prints
requests per second and the ratio to the first N (target: 2 workers ≥ 1.8 × 1 worker on 2
cores), the cores the server used and its CPU time per request (what a loaded machine cannot
hide), the load generator's CPU time per request, and the load average.

    .venv/bin/python bench/caldav.py [--sizes 1000 20000] [--repeat 5]
    .venv/bin/python bench/caldav.py --workers 1 2 [--sizes 1000] [--seconds 20]
        [--load wrk|python] [--clients 16]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tmscal.mirror import open_store  # noqa: E402
from tmscal.mirror.records import MirrorRoomDirectory, record_for, room_from_system  # noqa: E402
from tmscal.model import Conference, Participant, ParticipantCallType  # noqa: E402

ROOM = 101
USER = "alice"
TARGETS = {"REPORT 1 week": 0.05, "REPORT 0 hits": 0.05, "PROPFIND ctag+sync": 0.01,
           "sync no change": 0.02, "GET calendar": 0.5, "PUT event": 0.1}
QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
</C:comp-filter></C:filter></C:calendar-query>"""
PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/>
<D:sync-token/></D:prop></D:propfind>"""
SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
STAMP = "%Y%m%dT%H%M%SZ"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pin_to_first_cpu() -> None:
    os.sched_setaffinity(0, {0})


def wait_answering(port: int, processes: list[subprocess.Popen], logs: list[Path],
                   path: str = "/") -> None:
    """Return once ``http://127.0.0.1:port{path}`` answers; if a process ends or a minute
    passes first, print the ends of ``logs`` and raise."""
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                for log in logs:
                    print(log.name, log.read_text()[-2000:])
                raise
            time.sleep(0.2)


def serve_bridge(config: Path, port: int, log: Path, *, workers: int | None = None,
                 pin: bool = False) -> subprocess.Popen:
    """``tmscal serve --no-sync`` from ``config`` on ``port`` (``workers`` processes, the
    default when None; on CPU 0 with ``pin``), handed over once it answers."""
    command = [sys.executable, "-m", "tmscal.cli", "serve", "--config", str(config),
               "--no-sync", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, preexec_fn=pin_to_first_cpu if pin else None,
                               stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    wait_answering(port, [process], [log])
    return process


def process_cpu(pid: int) -> float:
    """CPU seconds process ``pid`` used so far (0 when it no longer runs)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def event_times(count: int, now: datetime) -> list[datetime]:
    """``count`` 30-minute slots spread evenly over now−1y … now+1y, on 5-minute marks."""
    first = now - timedelta(days=365)
    step = timedelta(days=730) / count
    return [(first + step * index).replace(second=0, microsecond=0) for index in range(count)]


class Fixture:
    """The simulator with N events in room 101, the bridge's mirror and a Radicale folder."""

    def __init__(self, workdir: Path, count: int) -> None:
        from tmscal.simulator.server import SimulatorServer

        self.workdir = workdir
        self.count = count
        self.simulator = SimulatorServer(seed="empty").start()
        self.calls = 0
        engine = self.simulator.engine
        original = engine.authenticate

        def counting(*args, **kwargs):  # every SOAP request authenticates once
            self.calls += 1
            return original(*args, **kwargs)

        engine.authenticate = counting
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        self.now = now
        self.times = event_times(count, now)
        admin = engine.user("admin")
        conferences = [Conference(title=f"Meeting {index}", start_utc=start,
                                  end_utc=start + timedelta(minutes=30),
                                  owner_user_name="alice", external_source_id="bench",
                                  external_primary_key=f"bench-{count}-{index}",
                                  participants=[Participant(ParticipantCallType.TMS, ROOM)])
                       for index, start in enumerate(self.times)]
        engine.import_conferences(conferences, performed_by=admin)
        systems = engine.get_systems(admin)
        self.store = open_store(str(workdir / "mirror.sqlite3"))
        self.store.replace_rooms([room_from_system(system) for system in systems])
        directory = MirrorRoomDirectory.of_store(self.store)
        records = []
        for conference in conferences:
            view = engine.get_conference_by_id(admin, conference.conference_id)
            records.append(record_for(view, directory))
        for chunk in range(0, len(records), 2000):
            self.store.store_conferences(records[chunk:chunk + 2000])
        self.store.set_cursor(max(c.transaction_id for c in conferences))
        self._radicale_folder(records)
        self._configs()

    def _radicale_folder(self, records) -> None:
        calendar = self.workdir / "radicale" / "collection-root" / USER / f"room-{ROOM}"
        calendar.mkdir(parents=True)
        (calendar / ".Radicale.props").write_text(json.dumps(
            {"tag": "VCALENDAR", "D:displayname": "Oslo Fjord"}))
        (calendar.parent / ".Radicale.props").write_text("{}")
        for record in records:
            (calendar / record.href).write_text(record.ical, newline="")

    def _configs(self) -> None:
        (self.workdir / "users").write_text(f"{USER}:{USER}\n")
        self.bridge_port, self.radicale_port = free_port(), free_port()
        (self.workdir / "tmscal.conf").write_text(f"""[tms]
url = {self.simulator.url}
username = tmscal-svc
password = tmscal-svc
[mirror]
path = {self.workdir / 'mirror.sqlite3'}
[bridge]
external_source_id = bench
booking_model = service
room_visibility = config
[room_rights]
{USER} = book=* see=*
[server]
host = 127.0.0.1
port = {self.bridge_port}
threads = 4
[auth]
type = htpasswd
htpasswd_filename = {self.workdir / 'users'}
htpasswd_encryption = plain
[logging]
level = warning
""")
        (self.workdir / "radicale.conf").write_text(f"""[server]
hosts = 127.0.0.1:{self.radicale_port}
[storage]
type = multifilesystem
filesystem_folder = {self.workdir / 'radicale'}
[auth]
type = htpasswd
htpasswd_filename = {self.workdir / 'users'}
htpasswd_encryption = plain
[rights]
type = owner_only
[web]
type = none
[logging]
level = warning
""")

    def start(self) -> list[subprocess.Popen]:
        python = sys.executable
        processes = [
            subprocess.Popen([python, "-m", "tmscal.cli", "serve", "--config",
                              str(self.workdir / "tmscal.conf"), "--no-sync"],
                             cwd=ROOT, preexec_fn=pin_to_first_cpu,
                             stdout=subprocess.DEVNULL,
                             stderr=open(self.workdir / "bridge.log", "w")),
            subprocess.Popen([python, "-m", "radicale", "--config",
                              str(self.workdir / "radicale.conf")],
                             preexec_fn=pin_to_first_cpu, stdout=subprocess.DEVNULL,
                             stderr=open(self.workdir / "radicale.log", "w")),
        ]
        for port in (self.bridge_port, self.radicale_port):
            wait_answering(port, processes, [self.workdir / "bridge.log",
                                             self.workdir / "radicale.log"])
        return processes

    def start_bridge(self, workers: int) -> subprocess.Popen:
        """The bridge alone as ``tmscal serve --workers N`` on every core, once it answers."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tmscal.cli", "serve", "--config",
             str(self.workdir / "tmscal.conf"), "--no-sync", "--workers", str(workers)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.workdir / "bridge.log", "w"))
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{self.bridge_port}/health", timeout=2)
                pids = {answer.json()["process"]["pid"]}
                for _ in range(50 * workers):
                    if len(pids) == workers:
                        return process
                    pids.add(requests.get(f"http://127.0.0.1:{self.bridge_port}/health",
                                          headers={"Connection": "close"},
                                          timeout=5).json()["process"]["pid"])
            except (requests.ConnectionError, ValueError):
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                print((self.workdir / "bridge.log").read_text()[-2000:])
                raise RuntimeError("the bridge did not start its workers")
            time.sleep(0.2)

    def stop(self) -> None:
        self.simulator.stop()


class Server:
    """One server under test, with the requests of the benchmark."""

    def __init__(self, name: str, port: int, fixture: Fixture) -> None:
        self.name = name
        self.base = f"http://127.0.0.1:{port}/"
        self.calendar = f"{self.base}{USER}/room-{ROOM}/"
        self.session = requests.Session()
        self.session.auth = (USER, USER)
        self.fixture = fixture
        self.puts = 0
        week = fixture.now + timedelta(days=30)
        self.week = (week.strftime(STAMP), (week + timedelta(days=7)).strftime(STAMP))
        self.token = ""

    def _request(self, method: str, url: str, body: str = "", **headers) -> requests.Response:
        response = self.session.request(method, url, data=body.encode() if body else None,
                                        headers={"Content-Type": "application/xml", **headers})
        if response.status_code >= 400:
            raise RuntimeError(f"{self.name} {method} {url}: {response.status_code} "
                               f"{response.text[:300]}")
        return response

    def report_week(self):
        return self._request("REPORT", self.calendar, QUERY.format(
            start=self.week[0], end=self.week[1]), Depth="1")

    def report_empty(self):
        return self._request("REPORT", self.calendar, QUERY.format(
            start="20350101T000000Z", end="20350108T000000Z"), Depth="1")

    def propfind_ctag(self):
        return self._request("PROPFIND", self.calendar, PROPFIND, Depth="0")

    def sync_no_change(self):
        if not self.token:
            first = self._request("REPORT", self.calendar, SYNC.format(token=""))
            self.token = token_in(first.text)
        return self._request("REPORT", self.calendar, SYNC.format(token=self.token))

    def get_calendar(self):
        return self._request("GET", self.calendar)

    def put_event(self):
        self.puts += 1
        anchor = self.fixture.times[len(self.fixture.times) // 2 + self.puts * 3 +
                                    (0 if self.name == "radicale" else 1)]
        start = anchor + timedelta(minutes=35)
        uid = f"put-{self.name}-{self.fixture.count}-{self.puts}"
        text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
                f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start.strftime(STAMP)}\r\n"
                f"DTEND:{(start + timedelta(minutes=10)).strftime(STAMP)}\r\n"
                "SUMMARY:Bench put\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        return self._request("PUT", f"{self.calendar}{uid}.ics", text,
                             **{"Content-Type": "text/calendar"})


OPERATIONS = [("REPORT 1 week", "report_week"), ("REPORT 0 hits", "report_empty"),
              ("PROPFIND ctag+sync", "propfind_ctag"), ("sync no change", "sync_no_change"),
              ("GET calendar", "get_calendar"), ("PUT event", "put_event")]


def timed(action, repeat: int) -> float:
    action()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run_size(count: int, repeat: int) -> list[tuple[str, int, float, float, float]]:
    with tempfile.TemporaryDirectory(prefix="tmscal-bench-") as temp:
        print(f"preparing {count} events …", flush=True)
        fixture = Fixture(Path(temp), count)
        processes = fixture.start()
        try:
            bridge = Server("bridge", fixture.bridge_port, fixture)
            radicale = Server("radicale", fixture.radicale_port, fixture)
            radicale._request("PROPFIND", radicale.calendar, Depth="1")  # build Radicale's cache
            hits = bridge.report_week().text.count("BEGIN:VEVENT")
            print(f"  1-week REPORT returns {hits} events", flush=True)
            rows = []
            read_requests = 0
            calls_before = fixture.calls
            for label, method in OPERATIONS:
                if method == "put_event":
                    reads = fixture.calls - calls_before
                    print(f"  TMS calls during {read_requests} bridge read requests: {reads}",
                          flush=True)
                base = timed(getattr(radicale, method), repeat)
                ours = timed(getattr(bridge, method), repeat)
                if method != "put_event":
                    read_requests += repeat + 1
                rows.append((label, count, base, ours, ours / base))
                print(f"  {label:20} radicale {base * 1000:9.1f} ms  bridge "
                      f"{ours * 1000:8.1f} ms  ratio {ours / base:6.3f}", flush=True)
            return rows
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            fixture.stop()


def read_mix(now: datetime, token: str) -> list[tuple[str, str, dict[str, str]]]:
    """The throughput mix on the room calendar as (method, body, headers), one request of each
    read operation in :data:`OPERATIONS` order; ``token`` is what the sync-collection sends."""
    week = now + timedelta(days=30)
    auth = "Basic " + b64encode(f"{USER}:{USER}".encode()).decode()
    common = {"Authorization": auth, "Content-Type": "application/xml"}
    return [
        ("REPORT", QUERY.format(start=week.strftime(STAMP),
                                end=(week + timedelta(days=7)).strftime(STAMP)),
         {**common, "Depth": "1"}),
        ("REPORT", QUERY.format(start="20350101T000000Z", end="20350108T000000Z"),
         {**common, "Depth": "1"}),
        ("PROPFIND", PROPFIND, {**common, "Depth": "0"}),
        ("REPORT", SYNC.format(token=token), common),
        ("GET", "", common),
    ]


def sync_token(port: int) -> str:
    """The room calendar's current sync-token (from a sync-collection without one)."""
    answer = requests.request("REPORT", f"http://127.0.0.1:{port}/{USER}/room-{ROOM}/",
                              data=SYNC.format(token="").encode(), auth=(USER, USER),
                              headers={"Content-Type": "application/xml"}, timeout=60)
    answer.raise_for_status()
    return token_in(answer.text)


def token_in(text: str) -> str:
    """The sync-token of a sync-collection answer."""
    return text.split("<sync-token>")[1].split("</sync-token>")[0]


def _load(port: int, fixture_now: str, count: int, until: float, results) -> None:
    """One client connection (a process of its own): read requests until ``until``."""
    import http.client

    mix = read_mix(datetime.fromisoformat(fixture_now), sync_token(port))
    calendar = f"/{USER}/room-{ROOM}/"
    connection = None
    done = 0
    while time.monotonic() < until:
        if connection is None or done % 20 == 0:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        verb, body, headers = mix[done % len(mix)]
        connection.request(verb, calendar, body=body.encode() or None, headers=headers)
        answer = connection.getresponse()
        text = answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{verb} {calendar}: {answer.status} {text[:200]!r}")
        done += 1
    results.put(done)


def _python_load(fixture: Fixture, clients: int, seconds: float) -> tuple[int, float]:
    """Requests ``clients`` processes of :func:`_load` completed in ``seconds``, and seconds."""
    import multiprocessing

    results = multiprocessing.Queue()
    until = time.monotonic() + seconds
    processes = [multiprocessing.Process(target=_load, args=(
        fixture.bridge_port, fixture.now.isoformat(), fixture.count, until, results))
        for _ in range(clients)]
    for process in processes:
        process.start()
    done = sum(results.get(timeout=until - time.monotonic() + 120) for _ in processes)
    for process in processes:
        process.join()
    return done, seconds


WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_readmix.lua"
WRK_THREADS = 2
WRK_SUMMARY = re.compile(r"^readmix requests=(\d+) duration_us=(\d+) errors=(\d+) bad=(\d+)$",
                         re.MULTILINE)


def _lua_string(text: str) -> str:
    """``text`` as a Lua string literal (bytes outside printable ASCII as decimal escapes)."""
    return '"' + "".join(chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\'
                         else f"\\{byte:03d}" for byte in text.encode()) + '"'


def _write_wrk_mix(fixture: Fixture, path: Path) -> Path:
    """The read mix as the Lua file :data:`WRK_SCRIPT` loads (the sync-token read now)."""
    entries = []
    for verb, body, headers in read_mix(fixture.now, sync_token(fixture.bridge_port)):
        fields = ", ".join(f"[{_lua_string(name)}] = {_lua_string(value)}"
                           for name, value in headers.items())
        entries.append(f"  {{method = {_lua_string(verb)}, headers = {{{fields}}}, "
                       f"body = {_lua_string(body) if body else 'nil'}}},")
    path.write_text("return {\n" + "\n".join(entries) + "\n}\n")
    return path


def _wrk_load(fixture: Fixture, mix: Path, connections: int,
              seconds: float) -> tuple[int, float]:
    """Requests wrk completed with ``connections`` connections of the mix in ``mix`` in about
    ``seconds`` (whole seconds), and the seconds wrk measured; raises if any answer was outside
    2xx/3xx or any connection failed or timed out."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", "60s", "-s", str(WRK_SCRIPT),
               f"http://127.0.0.1:{fixture.bridge_port}/{USER}/room-{ROOM}/", "--", str(mix)]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    summary = WRK_SUMMARY.search(run.stdout)
    if run.returncode or summary is None:
        raise RuntimeError(f"wrk failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    done, duration, errors, bad = map(int, summary.groups())
    if errors or bad:
        raise RuntimeError(f"wrk: {bad} answers outside 2xx/3xx, {errors} connection errors or "
                           f"timeouts (--load python stops at the first with its answer)\n"
                           f"{run.stdout}")
    return done, duration / 1e6


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk, the Python clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def throughput(count: int, workers: list[int], seconds: float, load: str,
               clients: int) -> int:
    """Requests per second of the read mix through ``tmscal serve --workers N``, loaded by
    ``load`` ("wrk" or "python") with ``clients`` connections."""
    if load == "wrk" and shutil.which("wrk") is None:
        print("wrk not found: install it (Debian/Ubuntu: apt-get install wrk) or use "
              "--load python (client processes that take CPU from the server they measure)",
              file=sys.stderr)
        return 2
    loads_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tmscal-bench-") as temp:
        print(f"preparing {count} events …", flush=True)
        fixture = Fixture(Path(temp), count)
        rates = []
        try:
            for n in workers:
                process = fixture.start_bridge(n)
                try:
                    if load == "wrk":
                        mix = _write_wrk_mix(fixture, Path(temp) / "readmix.lua")
                        run = functools.partial(_wrk_load, fixture, mix, clients)
                    else:
                        run = functools.partial(_python_load, fixture, clients)
                    run(3)  # warm-up
                    cpu, load_cpu = _server_cpu(process.pid), _children_cpu()
                    start = time.monotonic()
                    done, measured = run(seconds)
                    wall = time.monotonic() - start
                    cpu, load_cpu = _server_cpu(process.pid) - cpu, _children_cpu() - load_cpu
                    rates.append((done / measured, cpu / wall, cpu / done * 1000,
                                  load_cpu / done * 1000))
                    print(f"  {n} worker(s): {done / measured:8.1f} requests/s, server on "
                          f"{cpu / wall:.2f} cores, {cpu / done * 1000:.2f} ms CPU per request; "
                          f"{load} {load_cpu / done * 1000:.3f} ms CPU per request "
                          f"({load_cpu / wall:.2f} cores)", flush=True)
                finally:
                    process.terminate()
                    process.wait(30)
        finally:
            fixture.stop()
    print(f"\n| workers | requests/s | ratio to {workers[0]} | cores used | CPU ms/request | "
          f"{load} CPU ms/request |\n|---:|---:|---:|---:|---:|---:|")
    for n, (rate, cores, per_request, load_per_request) in zip(workers, rates):
        print(f"| {n} | {rate:.1f} | {rate / rates[0][0]:.2f} | {cores:.2f} | "
              f"{per_request:.2f} | {load_per_request:.3f} |")
    print(f"(load {load}, {clients} connections; load average before "
          f"{' '.join(f'{v:.2f}' for v in loads_before)}, after "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores)")
    return 0


def _server_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its children (the workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return process_cpu(pid) + sum(process_cpu(int(child)) for child in children)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+",
                        help="measure read throughput with these worker counts instead")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--load", choices=["wrk", "python"], default="wrk",
                        help="load generator of --workers (python: client processes)")
    parser.add_argument("--clients", type=int,
                        help="connections (wrk, default 16) or client processes (python, "
                             "default 8)")
    args = parser.parse_args()
    if args.workers:
        return throughput(args.sizes[0] if args.sizes != [1000, 20000] else 1000,
                          args.workers, args.seconds, args.load,
                          args.clients or (16 if args.load == "wrk" else 8))
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {0})
    rows = []
    for count in args.sizes:
        rows += run_size(count, args.repeat)
    print("\n| operation | events | Radicale (ms) | bridge (ms) | bridge/Radicale | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, count, base, ours, ratio in rows:
        target = f"≤ {TARGETS[label]}" if count >= 20000 else ""
        verdict = "" if not target else (" ✓" if ratio <= TARGETS[label] else " ✗")
        print(f"| {label} | {count} | {base * 1000:.1f} | {ours * 1000:.1f} | {ratio:.3f}"
              f"{verdict} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
