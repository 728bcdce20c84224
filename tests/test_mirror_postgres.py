"""What only the PostgreSQL back end can show: writers in several processes at once, the lease
raced for by several instances, the schema migrated by one of several nodes starting together,
the typed error of an unreachable server (and recovery, without a failed call after a
restart), the cross-process UID lock, feed
tokens, and ``tmscal mirror copy``. Everything else the store promises is in the contract suite
(``tests/test_mirror_contract.py``, which runs on PostgreSQL too)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from postgres_server import PostgresServer, postgres_server, postgres_url  # noqa: F401
from test_mirror_contract import record
from tmscal.mirror import MirrorUnavailable, open_personal, open_preferences
from tmscal.mirror.postgres import schema
from tmscal.mirror.postgres.rooms import PostgresMirrorStore
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.mirror.store import PendingWrite, Room, personal_calendar_id

ROOMS = [Room(1, "Oslo", "Europe/Oslo", "HQ"), Room(2, "Bergen")]


@pytest.fixture
def store(postgres_url):
    s = PostgresMirrorStore(postgres_url, max_connections=4)
    s.replace_rooms(ROOMS)
    yield s
    s.close()


_WRITER = """
import sys
from test_mirror_contract import record
from tmscal.mirror.postgres.rooms import PostgresMirrorStore

url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = PostgresMirrorStore(url, max_connections=2)
for i in range(count):
    store.store_conference(record(uid=f"{name}-{i}", rooms=(1, 2), series_id=hash(name) % 10000
                                  * 1000 + i + 1, text=name))
store.close()
"""


def test_writers_in_several_processes_get_distinct_increasing_sequences(store, postgres_url):
    first = int(store.calendar_state("1").sync_token.rsplit("-", 1)[1])
    seen: list[int] = []
    done = threading.Event()

    def watch():  # a reader on another connection: the sequence never steps back
        while not done.is_set():
            seen.append(int(store.calendar_state("1").sync_token.rsplit("-", 1)[1]))

    reader = threading.Thread(target=watch)
    reader.start()
    tests_dir = str(Path(__file__).parent)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, postgres_url, name, "25"],
                                cwd=tests_dir, env={"PYTHONPATH": tests_dir, "PATH": "/usr/bin"})
               for name in ("a", "b", "c")]
    try:
        assert [writer.wait(120) for writer in writers] == [0, 0, 0]
    finally:
        done.set()
        reader.join()
    assert seen == sorted(seen)
    with store.database.read() as db:
        for calendar_id in ("1", "2"):
            seqs = [row[0] for row in db.execute(
                "SELECT seq FROM entries WHERE calendar_id=%s", (calendar_id,)).fetchall()]
            assert len(seqs) == len(set(seqs)) == 75  # one distinct number per object
    state = store.calendar_state("1")
    assert state.object_count == 75
    assert int(state.sync_token.rsplit("-", 1)[1]) == first + 75
    # every token a client saw still yields exactly the changes after it
    middle = seen[len(seen) // 2]
    changes = store.changes_since("1", f"{store.epoch}-{middle}")
    assert len(changes.changed) == first + 75 - middle


def test_exactly_one_of_racing_instances_takes_the_lease(store, postgres_url):
    instances = [PostgresMirrorStore(postgres_url, max_connections=1) for _ in range(6)]
    try:
        for round_number in range(5):
            barrier = threading.Barrier(len(instances))
            won: list[str] = []

            def race(index: int, instance: PostgresMirrorStore) -> None:
                barrier.wait()
                if instance.acquire_lease("syncer", f"node{index}", 30):
                    won.append(f"node{index}")

            threads = [threading.Thread(target=race, args=pair)
                       for pair in enumerate(instances)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(won) == 1, f"round {round_number}: {won}"
            assert store.lease_holder("syncer")[0] == won[0]
            store.release_lease("syncer", won[0])
    finally:
        for instance in instances:
            instance.close()


def test_nodes_starting_together_migrate_a_version_4_database_once(postgres_url, monkeypatch):
    first = PostgresMirrorStore(postgres_url)
    first.replace_rooms(ROOMS)
    first.store_conference(record(uid="s1", series_id=2))
    first.close()
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:  # the version 4 shape
        db.execute("ALTER TABLE conferences DROP COLUMN shape")
        db.execute("ALTER TABLE personal_objects DROP COLUMN booking_etag")
        db.execute("UPDATE mirror_meta SET value='4' WHERE key='schema_version'")
    runs: list[int] = []
    real = schema.MIGRATIONS[5]

    def counted(db):  # slow enough for the nodes to overlap
        runs.append(1)
        time.sleep(0.3)
        real(db)

    monkeypatch.setitem(schema.MIGRATIONS, 5, counted)
    opened: list[PostgresMirrorStore] = []
    threads = [threading.Thread(target=lambda: opened.append(PostgresMirrorStore(postgres_url)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(opened) == 3 and runs == [1]
        with opened[0].database.read() as db:
            assert db.execute("SELECT value FROM mirror_meta WHERE key='schema_version'"
                              ).fetchone()[0] == str(schema.SCHEMA_VERSION) == "6"
        assert opened[1].find_by_uid("s1").shape is None  # known again at its next change
        assert opened[2].calendar_state("1").object_count == 1
    finally:
        for instance in opened:
            instance.close()


def test_a_newer_schema_is_refused(postgres_url):
    PostgresMirrorStore(postgres_url).close()
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE mirror_meta SET value='999' WHERE key='schema_version'")
    with pytest.raises(RuntimeError, match="newer than this tmscal"):
        PostgresMirrorStore(postgres_url)


def test_no_server_is_a_typed_error_naming_the_database_not_the_password():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MirrorUnavailable) as caught:
        PostgresMirrorStore(f"postgresql://tmscal:s3cret@127.0.0.1:{port}/mirror",
                            timeout=2)
    text = str(caught.value)
    assert f"127.0.0.1:{port}/mirror" in text and "s3cret" not in text
    assert isinstance(caught.value, ConnectionError)


def test_a_server_going_away_is_a_typed_error_and_its_return_heals(postgres_server):
    own = PostgresServer(postgres_server.binaries).start()
    try:
        instance = PostgresMirrorStore(own.create_database(), timeout=2)
        instance.replace_rooms(ROOMS)
        own._run("pg_ctl", "-D", str(own.data), "-m", "fast", "-w", "stop")
        with pytest.raises(MirrorUnavailable):
            instance.calendar_state("1")
        with pytest.raises(MirrorUnavailable):
            instance.store_conference(record())
        own._run("pg_ctl", "-D", str(own.data), "-l", str(own.directory / "server.log"),
                 "-o", f"-c listen_addresses=127.0.0.1 -p {own.port} "
                       f"-c unix_socket_directories={own.socket_dir}", "-w", "start")

        def answers():
            try:
                return instance.store_conference(record()).changed
            except MirrorUnavailable:
                return False

        deadline = time.monotonic() + 30
        while not answers():
            assert time.monotonic() < deadline, "the store never reconnected"
            time.sleep(0.2)
        assert instance.calendar_state("1").object_count == 1
        instance.close()
    finally:
        own.stop()


def test_the_first_calls_after_a_restart_succeed(postgres_server):
    """Pooled connections the restarted server closed are found when borrowed and replaced:
    no call fails once the server is back (several idle connections, every one of them dead)."""
    own = PostgresServer(postgres_server.binaries).start()
    try:
        instance = PostgresMirrorStore(own.create_database(), timeout=5)
        instance.replace_rooms(ROOMS)
        barrier = threading.Barrier(4)

        def hold_a_connection() -> None:
            with instance.database.read() as db:
                barrier.wait(30)  # four connections at once: the pool keeps them
                db.execute("SELECT 1").fetchone()

        readers = [threading.Thread(target=hold_a_connection) for _ in range(4)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(60)
        own._run("pg_ctl", "-D", str(own.data), "-m", "fast", "-w", "stop")
        own._run("pg_ctl", "-D", str(own.data), "-l", str(own.directory / "server.log"),
                 "-o", f"-c listen_addresses=127.0.0.1 -p {own.port} "
                       f"-c unix_socket_directories={own.socket_dir}", "-w", "start")
        for _ in range(6):
            assert [room.name for room in instance.list_rooms()] == ["Oslo", "Bergen"]
        assert instance.store_conference(record()).changed
        instance.close()
    finally:
        own.stop()


def test_connections_beyond_descriptor_1023_are_checked_too(postgres_url):
    """A long-running process holds many files and sockets: a connection whose descriptor is
    past ``select()``'s limit is still checked when borrowed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"at most {hard} open files here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        instance = PostgresMirrorStore(postgres_url, max_connections=2)
        instance.replace_rooms(ROOMS)
        with instance.database.connection() as db:
            assert db.fileno() > 1023
        assert [room.name for room in instance.list_rooms()] == ["Oslo", "Bergen"]
        instance.close()
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_writes_of_one_uid_wait_for_each_other_across_instances(store, postgres_url):
    other = PostgresMirrorStore(postgres_url, max_connections=2)
    order: list[str] = []
    try:
        with store.booking_lock("meeting-1"):
            with store.booking_lock("meeting-1"):  # re-entrant in one thread
                pass
            waiter = threading.Thread(target=lambda: (other.booking_lock("meeting-1")
                                                      .__enter__(), order.append("other")))
            waiter.start()
            with other.booking_lock("meeting-2"):  # another UID does not wait
                order.append("unrelated")
            time.sleep(0.3)
            order.append("first")
        waiter.join(10)
        assert order == ["unrelated", "first", "other"]
    finally:
        other.close()


def test_personal_preferences_and_feed_tokens_live_in_the_database(store, postgres_url):
    from tmscal.feeds.tokens import open_token_store

    calendar = personal_calendar_id("alice", "meetings")
    open_personal(store).put(calendar, "m.ics", "m", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                             (0, 3600), rooms=[1])
    open_preferences(store).replace("alice", calendar, {"calendar-color": "#ff0000"})
    issued = open_token_store(store).create("room", "1", "busy", "lobby")
    other = PostgresMirrorStore(postgres_url)  # another node
    try:
        assert open_personal(other).booked(calendar, "m.ics")
        assert open_preferences(other).get("alice", calendar) == {"calendar-color": "#ff0000"}
        found = open_token_store(other).lookup(issued.secret)
        assert found is not None and found.token_id == issued.record.token_id
        rotated = open_token_store(other).rotate(issued.record.token_id)
        assert open_token_store(store).lookup(issued.secret) is None
        assert open_token_store(store).lookup(rotated.secret).label == "lobby"
    finally:
        other.close()


def populated_sqlite(path: Path) -> SqliteMirrorStore:
    """A SQLite mirror with something in every table."""
    from tmscal.feeds.tokens import FeedTokenStore
    from tmscal.mirror import open_tables

    sqlite = SqliteMirrorStore(path)
    sqlite.replace_rooms(ROOMS)
    sqlite.store_conferences([record(uid=f"u{i}", rooms=(1, 2), series_id=i + 1, ids=[900 + i],
                                     occurrences=3) for i in range(10)])
    sqlite.remember_href("1", "u3", "client-name.ics")
    sqlite.store_conference(record(uid="u3", rooms=(1, 2), series_id=4, text="renamed"))
    sqlite.remove_conference("u5")
    sqlite.set_cursor(4242)
    sqlite.record_sync(success=True, kind="full", counters={"fetched": 7})
    sqlite.mark_pending(PendingWrite("u7", "tmscal", "u7"))
    sqlite.acquire_lease("syncer", "old-node", 60)
    sqlite.set_unreadable('[{"reason": "x", "conference_id": 5, "since": "2030-01-01"}]')
    personal = personal_calendar_id("bob", "meetings")
    open_personal(sqlite).put(personal, "p.ics", "p", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                              (0, 60), rooms=[2])
    open_preferences(sqlite).replace("bob", personal, {"calendar-order": "3"})
    FeedTokenStore(open_tables(sqlite)).create("all", privacy="title")
    return sqlite


def test_mirror_copy_moves_everything_and_refuses_a_full_target(tmp_path, postgres_url, capsys):
    from tmscal.cli import main

    sqlite = populated_sqlite(tmp_path / "mirror.sqlite3")
    source = f"sqlite:{tmp_path / 'mirror.sqlite3'}"
    assert main(["mirror", "copy", "--from", source, "--to", postgres_url]) == 0
    printed = capsys.readouterr().out
    counts = dict(line.split() for line in printed.splitlines()[:-1])
    assert counts["conferences"] == "9" and counts["feed_tokens"] == "1"
    target = PostgresMirrorStore(postgres_url)
    try:
        assert target.epoch == sqlite.epoch
        for calendar_id in ("1", "2", personal_calendar_id("bob", "meetings")):
            assert target.calendar_state(calendar_id) == sqlite.calendar_state(calendar_id)
            assert target.list_hrefs(calendar_id) == sqlite.list_hrefs(calendar_id)
        token = sqlite.calendar_state("1").sync_token
        sqlite.store_conference(record(uid="u1", rooms=(1,), series_id=1, text="later"))
        target.store_conference(record(uid="u1", rooms=(1,), series_id=1, text="later"))
        assert target.changes_since("1", token) == sqlite.changes_since("1", token)
        assert target.sync_status().counters == sqlite.sync_status().counters
        assert target.get_cursor() == 4242 and target.unreadable() == sqlite.unreadable()
        assert target.pending_writes() == sqlite.pending_writes()
        assert target.lease_holder("syncer")[0] == "old-node"
        assert target.find_by_conference_id(903).uid == "u3"
        assert list(target.iter_conference_refs()) == list(sqlite.iter_conference_refs())
    finally:
        target.close()

    assert main(["mirror", "copy", "--from", source, "--to", postgres_url]) == 1
    assert "holds data" in capsys.readouterr().err
    assert main(["mirror", "copy", "--from", source, "--to", postgres_url, "--force"]) == 0
    assert main(["mirror", "copy", "--from", f"sqlite:{tmp_path / 'none.sqlite3'}",
                 "--to", postgres_url]) == 1
    assert "no SQLite mirror" in capsys.readouterr().err
    sqlite.close()


def test_the_url_setting_selects_postgres_with_a_password_kept_out_of_sight(tmp_path,
                                                                             postgres_url):
    from tmscal.cli.check import _mirror
    from tmscal.mirror import open_store
    from tmscal.settings import SettingsError, load_settings

    (tmp_path / "secret").write_text("pw-not-in-logs\n")
    config = tmp_path / "tmscal.conf"
    config.write_text(f"[mirror]\nurl = {postgres_url}\npassword_file = secret\n")
    settings = load_settings(config)
    assert settings.mirror.password == "pw-not-in-logs"
    assert "pw-not-in-logs" not in repr(settings) + str(settings.describe())
    assert isinstance(open_store(settings.mirror), PostgresMirrorStore)
    assert _mirror(settings).status != "problem"

    config.write_text("[mirror]\nurl = mysql://db/x\n")
    with pytest.raises(SettingsError, match="url"):
        load_settings(config)
    config.write_text("[mirror]\nurl = postgresql://tmscal:pw@127.0.0.1:1/none\n")
    down = load_settings(config)
    assert down.describe()["mirror"] == "postgresql://tmscal@127.0.0.1:1/none"
    result = _mirror(down)
    assert result.status == "problem" and "unreachable" in result.detail
    assert ":pw@" not in result.detail
