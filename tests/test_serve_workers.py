"""Several ``tmscal serve`` processes on one mirror: the supervisor of ``--workers N``
(one port, one syncer, a dead worker restarted, SIGTERM stopping all, workers stopping with a
killed supervisor), two creates of one UID through two processes at the same moment (booked
once), read-your-writes and the same validators through two processes, and the syncer's worker
killed with SIGKILL during a stream of changes in TMS (another takes over; the mirror ends
equal to TMS)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import uuid

import requests

from tests.bridge_harness import answering_pids, wait_until, write_bridge_config
from tests.test_caldav_e2e import RIGHTS, SOURCE, event_text, slot
from tmscal.mirror.runner import LEASE_NAME, holder_process
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore


def serve(config, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tmscal.cli", "serve", "--config",
                             str(config), "--port", str(port), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def health(port: int) -> dict | None:
    """``/health`` on a new connection (None while nothing answers)."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=10,
                            headers={"Connection": "close"}).json()
    except (requests.RequestException, ValueError):
        return None


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return {int(child) for child in listing.read().split()}


def answered_by(port: int, workers: set[int]) -> bool:
    """Whether the port answers, and only from ``workers``. Which worker accepts a connection
    is the kernel's choice: on a quiet machine one may take them all for a while, so this does
    not ask for every worker (the suite's 2-worker runs show both serving one socket)."""
    pids = answering_pids(f"http://127.0.0.1:{port}/", len(workers))
    return bool(pids) and pids <= workers


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def syncer_pid(store) -> int | None:
    holder = store.lease_holder(LEASE_NAME)
    return None if holder is None else holder_process(holder[0])[1]


def test_workers_share_one_port_and_one_syncer_and_are_restarted(tms, tmp_path, free_port):
    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",))
    supervisor = serve(config, free_port, "--workers", "2")
    try:
        workers = wait_until(lambda: len(children(supervisor.pid)) == 2
                             and children(supervisor.pid), 60)
        wait_until(lambda: answered_by(free_port, workers), 120)
        reports = [health(free_port) for _ in range(6)]
        holders = {report["syncer"]["pid"] for report in reports}
        assert len(holders) == 1 and holders <= workers  # one syncer, one of the workers
        assert all(report["store"]["reachable"] for report in reports)
        victim = next(iter(workers - holders))
        os.kill(victim, signal.SIGKILL)
        replaced = wait_until(lambda: len(children(supervisor.pid) - {victim}) == 2
                              and children(supervisor.pid), 60)
        assert victim not in replaced and workers - {victim} <= replaced
        wait_until(lambda: answered_by(free_port, replaced), 120)
    finally:
        assert stop(supervisor) == 0
    for pid in workers | replaced:  # every worker stopped with the supervisor
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_workers_stop_when_their_supervisor_is_killed(tms, tmp_path, free_port):
    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",))
    supervisor = serve(config, free_port, "--workers", "2")
    try:
        workers = wait_until(lambda: len(children(supervisor.pid)) == 2
                             and children(supervisor.pid), 60)
        wait_until(lambda: answered_by(free_port, workers), 120)
    finally:
        supervisor.kill()
        supervisor.wait()
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers), 60)


def test_two_puts_of_one_uid_through_two_processes_book_it_once(tms, admin, tmp_path):
    """Two clients create the same event (``If-None-Match: *``) through two processes at once:
    one books it, the other is told it exists (412) and nothing of it reaches TMS. The second
    waits for the first (the room's lock in the store, across processes) and then sees TMS's
    answer in the mirror; without that both would pass the check and both would "create"."""
    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",))
    port_a, port_b = free_ports(2)
    first = serve(config, port_a, "--workers", "1")
    second = serve(config, port_b, "--workers", "1", "--no-sync")
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    try:
        wait_until(lambda: store.get_cursor() is not None, 120)
        wait_until(lambda: health(port_a) and health(port_b), 60)
        tms.faults.latency = 0.2  # both writes are talking to TMS at the same moment
        for round_number in range(3):
            uid = str(uuid.uuid4())
            text = event_text(uid, slot(4 + round_number, 10), f"Race {round_number}")
            barrier = threading.Barrier(2)
            answers: dict[int, int] = {}

            def write(port: int) -> None:
                barrier.wait()
                answers[port] = requests.put(
                    f"http://127.0.0.1:{port}/alice/room-103/{uid}.ics", data=text.encode(),
                    auth=("alice", "alice"), timeout=60,
                    headers={"Content-Type": "text/calendar; charset=utf-8",
                             "If-None-Match": "*"}).status_code

            threads = [threading.Thread(target=write, args=(port,)) for port in (port_a, port_b)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
            assert sorted(answers.values()) == [201, 412], answers
            booked = admin.get_conference_id_by_external_id(SOURCE, uid)
            changes = [t.trans_type.value for t in admin.get_transactions_since(0)
                       if t.conference_id == booked]
            assert changes == ["New"]  # booked once, never saved again
    finally:
        tms.faults.latency = 0.0
        store.close()
        stop(first)
        stop(second)


def test_what_one_process_wrote_the_next_read_through_another_shows(tms, tmp_path):
    """Read-your-writes across processes, and the same validators everywhere: a PUT through A
    is in the next GET through B; ctag, sync-token and the feed's ETag are the same through
    both, and B answers 304 to A's feed ETag."""
    from tmscal.feeds.tokens import open_token_store
    from tmscal.mirror import open_store

    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",))
    ports = free_ports(2)
    processes = [serve(config, ports[0], "--workers", "1"),
                 serve(config, ports[1], "--workers", "1", "--no-sync")]
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    calendar = "/alice/room-104/"
    auth = ("alice", "alice")
    try:
        wait_until(lambda: store.get_cursor() is not None, 120)
        wait_until(lambda: all(health(port) for port in ports), 60)
        tokens = open_token_store(open_store(tmp_path / "mirror.sqlite3"))
        feed = f"/feeds/{tokens.create('room', '104').secret}.ics"

        def validators(port: int) -> tuple[str, str, str]:
            found = requests.request("PROPFIND", f"http://127.0.0.1:{port}{calendar}",
                                     auth=auth, headers={"Depth": "0"}, timeout=30, data=(
                                         '<propfind xmlns="DAV:" xmlns:CS="http://calendarser'
                                         'ver.org/ns/"><prop><CS:getctag/><sync-token/></prop>'
                                         '</propfind>'))
            assert found.status_code == 207
            return (found.text.split("getctag>")[1], found.text.split("sync-token>")[1],
                    requests.get(f"http://127.0.0.1:{port}{feed}", timeout=30).headers["ETag"])

        before = validators(ports[0])
        uid = str(uuid.uuid4())
        created = requests.put(f"http://127.0.0.1:{ports[0]}{calendar}{uid}.ics", auth=auth,
                               data=event_text(uid, slot(5, 11), "Across").encode(),
                               headers={"Content-Type": "text/calendar"}, timeout=60)
        assert created.status_code == 201
        read = requests.get(f"http://127.0.0.1:{ports[1]}{calendar}{uid}.ics", auth=auth,
                            timeout=30)
        assert read.status_code == 200 and "SUMMARY:Across" in read.text
        after = validators(ports[0])
        assert after == validators(ports[1]) and all(a != b for a, b in zip(after, before))
        again = requests.get(f"http://127.0.0.1:{ports[1]}{feed}", timeout=30,
                             headers={"If-None-Match": after[2]})
        assert again.status_code == 304
    finally:
        store.close()
        for process in processes:
            stop(process)


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on 127.0.0.1 that were free a moment ago."""
    import socket

    held = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
    ports = [s.getsockname()[1] for s in held]
    for s in held:
        s.close()
    return ports


def test_killed_syncer_worker_is_replaced_and_the_mirror_ends_equal_to_tms(tms, admin,
                                                                          tmp_path, free_port):
    from tests.test_mirror_convergence import Scenario, snapshot
    from tmscal.bridge.runtime import new_syncer
    from tmscal.settings import load_settings

    config = write_bridge_config(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",),
                                 poll_interval=0.3)
    scenario = Scenario(admin, random.Random(14), [101, 102, 103, 104, 105, 106])
    supervisor = serve(config, free_port, "--workers", "2")
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    changing = threading.Event()
    changing.set()
    steps: list[str] = []

    def stream() -> None:
        while changing.is_set():
            steps.append(scenario.step())

    writer = threading.Thread(target=stream)
    try:
        wait_until(lambda: store.get_cursor() is not None, 120)
        writer.start()
        wait_until(lambda: len(steps) >= 10, 120)
        killed = syncer_pid(store)
        os.kill(killed, signal.SIGKILL)
        cursor = store.get_cursor()
        taken = wait_until(lambda: (syncer_pid(store) or killed) != killed
                           and syncer_pid(store), 60)
        assert taken in children(supervisor.pid)
        wait_until(lambda: (store.get_cursor() or 0) > cursor, 60)  # it goes on from there
        wait_until(lambda: len(steps) >= 30, 120)
        changing.clear()
        writer.join(60)
        fresh = SqliteMirrorStore(tmp_path / "fresh.sqlite3")
        new_syncer(load_settings(config), fresh).full_import()
        expected = snapshot(fresh)
        fresh.close()
        assert sum(len(v) for k, v in expected.items() if not k.startswith("room:")) > 0
        wait_until(lambda: snapshot(store) == expected, 120, step=0.5)
    finally:
        changing.clear()
        if writer.is_alive():
            writer.join(60)
        store.close()
        assert stop(supervisor) == 0
