"""Several bridge nodes on one PostgreSQL mirror: three ``tmscal serve`` processes on three ports,
the simulator over HTTP, a throw-away PostgreSQL server.

- a client writes through one node and reads through the others (read-your-writes; the same
  ETags, ctags, sync tokens and feed validators everywhere); exactly one node runs the syncer;
- two nodes handling PUTs of one UID, or of one room and time, at the same moment book once;
- the syncer's node killed with SIGKILL during a stream of changes in TMS: another takes over
  within the lease (read from the nodes' own ``/health``), the mirror ends equal to TMS;
- PostgreSQL stopped and started under load: 503 with ``Retry-After`` and one line on every
  node (never a 500), ``/health`` says so, and the nodes recover by themselves; a request
  that loses the server half-way (waiting for a lock when it stops) gets the same 503.

Skipped with the reason where the PostgreSQL binaries are missing (:mod:`postgres_server`)."""

from __future__ import annotations

import os
import random
import signal
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime

import requests

from postgres_server import PostgresServer, postgres_server, postgres_url  # noqa: F401
from tests.bridge_harness import wait_until, write_bridge_config
from tests.test_caldav_e2e import RIGHTS, SOURCE, event_text, slot
from tests.test_serve_workers import free_ports, health, serve, stop
from tmscal.mirror.postgres.rooms import PostgresMirrorStore

AUTH = ("alice", "alice")
#: the syncer's lease in these tests (seconds): short, so a takeover is quick to see
LEASE = 3.0


@contextmanager
def running_nodes(tms, directory, url: str, count: int = 3, **config):
    """``count`` nodes (``tmscal serve --workers 1``, each with its syncer) on one database,
    handed over when every one answers ``/health`` and the mirror is imported; yields
    ``(base URLs, processes, store)``."""
    path = write_bridge_config(directory, tms_url=tms.url, rights=RIGHTS, users=("alice",),
                               mirror_extra=f"url = {url}\nlease_seconds = {LEASE}\n"
                                            "store_timeout = 2", **config)
    ports = free_ports(count)
    processes = [serve(path, port, "--workers", "1") for port in ports]
    store = PostgresMirrorStore(url)
    try:
        wait_until(lambda: all((health(port) or {}).get("mirror", {}).get("imported")
                               for port in ports), 180, step=0.3)
        yield [f"http://127.0.0.1:{port}" for port in ports], processes, store
    finally:
        store.close()
        for process in processes:
            stop(process)


def report(base: str) -> dict:
    """``/health`` of the node at ``base``."""
    return health(int(base.rsplit(":", 1)[1])) or {}


def put(base: str, path: str, text: str, **headers) -> requests.Response:
    return requests.put(base + path, data=text.encode(), auth=AUTH, timeout=60,
                        headers={"Content-Type": "text/calendar; charset=utf-8", **headers})


def validators(base: str, calendar: str, feed: str) -> tuple[str, str, str, dict[str, str]]:
    """ctag, sync token, the feed's ETag and ``{href: etag}`` of ``calendar`` through ``base``."""
    import xml.etree.ElementTree as ET

    found = requests.request("PROPFIND", base + calendar, auth=AUTH, headers={"Depth": "1"},
                             timeout=30, data=(
                                 '<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/'
                                 'ns/"><prop><CS:getctag/><sync-token/><getetag/></prop>'
                                 '</propfind>'))
    assert found.status_code == 207, found.text
    tree = ET.fromstring(found.content)
    ctag = tree.findtext(".//{http://calendarserver.org/ns/}getctag")
    token = tree.findtext(".//{DAV:}sync-token")
    etags = {r.findtext("{DAV:}href"): r.findtext(".//{DAV:}getetag")
             for r in tree.iter("{DAV:}response") if r.findtext("{DAV:}href").endswith(".ics")}
    feed_etag = requests.get(base + feed, timeout=30).headers["ETag"]
    return ctag, token, feed_etag, etags


def test_a_write_through_one_node_is_read_alike_through_the_others(tms, tmp_path, postgres_url):
    import caldav

    from tmscal.feeds.tokens import FeedTokenStore
    from tmscal.mirror import open_tables

    calendar = "/alice/room-104/"
    with running_nodes(tms, tmp_path, postgres_url) as (nodes, processes, store):
        reports = [report(base) for base in nodes]
        assert sorted(r["process"]["pid"] for r in reports) == sorted(p.pid for p in processes)
        holders = {(r["syncer"]["host"], r["syncer"]["pid"]) for r in reports}
        assert len(holders) == 1  # every node names the same syncer ...
        assert [r["syncer"]["here"] for r in reports].count(True) == 1  # ... which is one of them
        feed = f"/feeds/{FeedTokenStore(open_tables(store)).create('room', '104').secret}.ics"

        before = validators(nodes[0], calendar, feed)
        clients = [caldav.DAVClient(url=base + "/", username="alice", password="alice")
                   for base in nodes]
        first_token = clients[1].calendar(url=nodes[1] + calendar).objects_by_sync_token(
            load_objects=False, disable_fallback=True).sync_token
        for round_number, writer in enumerate((0, 1, 2)):
            uid = str(uuid.uuid4())
            clients[writer].calendar(url=nodes[writer] + calendar).add_event(
                event_text(uid, slot(5 + round_number, 11), f"Across {round_number}"))
            for reader in {0, 1, 2} - {writer}:  # the next read anywhere shows it
                read = requests.get(f"{nodes[reader]}{calendar}{uid}.ics", auth=AUTH, timeout=30)
                assert read.status_code == 200 and f"SUMMARY:Across {round_number}" in read.text
            seen = [validators(base, calendar, feed) for base in nodes]
            assert seen[0] == seen[1] == seen[2]
            assert all(now != then for now, then in zip(seen[0][:3], before[:3]))
            assert len(seen[0][3]) == round_number + 1
            before = seen[0]
        # a sync token handed out by one node is understood by another ...
        changed = clients[2].calendar(url=nodes[2] + calendar).objects_by_sync_token(
            first_token, load_objects=True, disable_fallback=True)
        assert sorted(str(o.icalendar_component["SUMMARY"]) for o in changed) == [
            "Across 0", "Across 1", "Across 2"]
        # ... and a feed's ETag too: 304 everywhere
        for base in nodes:
            again = requests.get(base + feed, timeout=30, headers={"If-None-Match": before[2]})
            assert again.status_code == 304


def test_two_nodes_booking_one_uid_or_one_room_at_once_book_once(tms, admin, tmp_path,
                                                                  postgres_url):
    """Two creates of one UID (``If-None-Match: *``) through two nodes at once: 201 and 412,
    one ``New`` in TMS's log. Two different events in one room at one time: 201 and 403 (TMS
    refuses the second), one booking in TMS, the mirror holding exactly the accepted one."""
    with running_nodes(tms, tmp_path, postgres_url, count=2) as (nodes, _processes, store):
        tms.faults.latency = 0.2  # both writes talk to TMS at the same moment

        def race(requests_by_node) -> list[int]:
            barrier = threading.Barrier(len(requests_by_node))
            answers: list[int] = []

            def write(base: str, path: str, text: str, headers: dict) -> None:
                barrier.wait()
                answers.append(put(base, path, text, **headers).status_code)

            threads = [threading.Thread(target=write, args=args) for args in requests_by_node]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
            return sorted(answers)

        try:
            for round_number in range(2):
                uid = str(uuid.uuid4())
                path = f"/alice/room-103/{uid}.ics"
                text = event_text(uid, slot(4 + round_number, 10), f"Race {round_number}")
                assert race([(base, path, text, {"If-None-Match": "*"})
                             for base in nodes]) == [201, 412]
                booked = admin.get_conference_id_by_external_id(SOURCE, uid)
                assert [t.trans_type.value for t in admin.get_transactions_since(0)
                        if t.conference_id == booked] == ["New"]

                uids = [str(uuid.uuid4()) for _ in nodes]
                start = slot(8 + round_number, 14)
                assert race([(base, f"/alice/room-105/{u}.ics",
                              event_text(u, start, f"Same room {u[:4]}"), {})
                             for base, u in zip(nodes, uids)]) == [201, 403]
                accepted = [u for u in uids if booked_in_tms(admin, u)]
                assert len(accepted) == 1
                hrefs = {href for href, _ in store.list_hrefs("105")}
                assert {f"{u}.ics" for u in uids} & hrefs == {f"{accepted[0]}.ics"}
        finally:
            tms.faults.latency = 0.0


def booked_in_tms(admin, uid: str) -> bool:
    from tmscal.model import ConferenceNotFound

    try:
        return bool(admin.get_conference_id_by_external_id(SOURCE, uid))
    except ConferenceNotFound:
        return False


def test_the_syncer_node_killed_is_replaced_within_the_lease_and_nothing_is_lost(
        tms, admin, tmp_path, postgres_url):
    from tests.test_mirror_convergence import Scenario, snapshot
    from tmscal.bridge.runtime import new_syncer
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.settings import load_settings

    scenario = Scenario(admin, random.Random(16), [101, 102, 103, 104, 105, 106])
    steps: list[str] = []
    changing = threading.Event()
    changing.set()

    def stream() -> None:
        while changing.is_set():
            steps.append(scenario.step())

    writer = threading.Thread(target=stream)
    with running_nodes(tms, tmp_path, postgres_url, poll_interval=0.3) as (nodes, processes,
                                                                            store):
        try:
            writer.start()
            wait_until(lambda: len(steps) >= 10, 120)
            leader = next(base for base in nodes if report(base)["syncer"]["here"])
            last = report(leader)["syncer"]
            os.kill(last["pid"], signal.SIGKILL)
            survivors = [base for base in nodes if base != leader]
            cursor = store.get_cursor()

            def new_holder() -> dict | None:
                holder = report(survivors[0]).get("syncer")
                return holder if holder and holder["pid"] != last["pid"] else None

            taken = wait_until(new_holder, 60, step=0.05)
            assert taken["pid"] in {report(base)["process"]["pid"] for base in survivors}
            # the new holder's first lease began no later than the dead one's ran out (plus
            # the third of a lease a waiting node takes to ask again, and a margin)
            began = datetime.fromisoformat(taken["lease_expires"]).timestamp() - LEASE
            assert began <= datetime.fromisoformat(last["lease_expires"]).timestamp() \
                + LEASE / 3 + 2.0
            wait_until(lambda: (store.get_cursor() or 0) > cursor, 60)  # it goes on from there
            wait_until(lambda: len(steps) >= 30, 120)
        finally:
            changing.clear()
            writer.join(60)
        fresh = SqliteMirrorStore(tmp_path / "fresh.sqlite3")
        new_syncer(load_settings(tmp_path / "tmscal.conf"), fresh).full_import()
        expected = snapshot(fresh)
        fresh.close()
        assert sum(len(v) for k, v in expected.items() if not k.startswith("room:")) > 0
        wait_until(lambda: snapshot(store) == expected, 120, step=0.5)


def test_postgres_stopped_and_started_under_load(tms, tmp_path, postgres_server):  # noqa: F811
    own = PostgresServer(postgres_server.binaries).start()
    answers: list[tuple[str, int, str, str]] = []
    loading = threading.Event()
    loading.set()

    def load(base: str) -> None:
        session = requests.Session()
        while loading.is_set():
            for method, path in (("PROPFIND", "/alice/"), ("GET", "/alice/room-104/"),
                                 ("PROPFIND", "/alice/room-104/")):
                try:
                    got = session.request(method, base + path, auth=AUTH, timeout=30,
                                          headers={"Depth": "1"})
                except requests.RequestException as error:
                    answers.append((method, 0, str(error), ""))
                    continue
                answers.append((method, got.status_code, got.text,
                                got.headers.get("Retry-After", "")))

    try:
        with running_nodes(tms, tmp_path, own.create_database()) as (nodes, _processes, _store):
            loaders = [threading.Thread(target=load, args=(base,)) for base in nodes]
            for loader in loaders:
                loader.start()
            wait_until(lambda: len(answers) >= 30, 120)
            own._run("pg_ctl", "-D", str(own.data), "-m", "fast", "-w", "stop")
            for base in nodes:  # every node says so, and answers 503 with a reason
                wait_until(lambda: report(base).get("store", {}).get("reachable") is False, 60)
                down = requests.get(base + "/alice/room-104/", auth=AUTH, timeout=30)
                assert down.status_code == 503 and down.headers["Retry-After"] == "7"
                assert down.text.startswith("Calendar store unavailable: PostgreSQL mirror")
                assert down.text.count("\n") == 1
            during = len(answers)
            wait_until(lambda: len(answers) >= during + 30, 120)
            own._run("pg_ctl", "-D", str(own.data), "-l", str(own.directory / "server.log"),
                     "-o", f"-c listen_addresses=127.0.0.1 -p {own.port} "
                           f"-c unix_socket_directories={own.socket_dir}", "-w", "start")
            for base in nodes:  # back by themselves, nothing restarted
                wait_until(lambda: report(base).get("store", {}).get("reachable"), 60)
            uid = str(uuid.uuid4())
            written = put(nodes[0], f"/alice/room-104/{uid}.ics",
                          event_text(uid, slot(6, 9), "After the restart"))
            assert written.status_code == 201, written.text
            for base in nodes:
                read = requests.get(f"{base}/alice/room-104/{uid}.ics", auth=AUTH, timeout=30)
                assert read.status_code == 200
            after = len(answers)
            wait_until(lambda: len(answers) >= after + 30, 120)
            loading.clear()
            for loader in loaders:
                loader.join(60)
    finally:
        loading.clear()
        own.stop()
    statuses = {status for _method, status, _text, _retry in answers}
    assert statuses <= {200, 207, 503}, [a[:3] for a in answers if a[1] not in (200, 207, 503)]
    assert 503 in statuses
    for _method, status, text, retry in answers:
        if status == 503:  # one line with the reason, and when to come back
            assert retry == "7" and text.startswith("Calendar store unavailable: ")
            assert text.count("\n") == 1 and "Traceback" not in text
    assert answers[-1][1] in (200, 207)  # and answering again


def test_a_request_losing_the_server_half_way_gets_503_not_500(tms, tmp_path,
                                                               postgres_server):  # noqa: F811
    """The request passed the store check and waits in a query (on a lock the test holds) when
    the server stops: Radicale would answer a bare 500; the client gets 503 with the reason."""
    import psycopg

    own = PostgresServer(postgres_server.binaries).start()
    try:
        url = own.create_database()
        with running_nodes(tms, tmp_path, url, count=1) as (nodes, _processes, _store):
            answers: list[requests.Response] = []
            blocker = psycopg.connect(url)
            watcher = psycopg.connect(url, autocommit=True)
            try:
                blocker.execute("LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE")
                waiting = threading.Thread(target=lambda: answers.append(requests.request(
                    "PROPFIND", nodes[0] + "/alice/", auth=AUTH, headers={"Depth": "1"},
                    timeout=60)))
                waiting.start()
                wait_until(lambda: watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND application_name = 'tmscal'").fetchone()[0], 30)
                own._run("pg_ctl", "-D", str(own.data), "-m", "fast", "-w", "stop")
            finally:
                blocker.close()
                watcher.close()
            waiting.join(60)
            lost = answers[0]
            assert lost.status_code == 503 and lost.headers["Retry-After"] == "7", lost.text
            assert lost.text.startswith("Calendar store unavailable: PostgreSQL mirror ")
            assert lost.text.count("\n") == 1
    finally:
        own.stop()
