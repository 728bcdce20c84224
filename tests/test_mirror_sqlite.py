"""What only the SQLite back end can show: the query plan behind O(changes), a crash inside a
write (injected), and the migrations of files written by older versions. Everything else the
store promises is in the contract suite (``tests/test_mirror_contract.py``)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from test_mirror_contract import record
from tmscal.ical.shape import SeriesShape
from tmscal.mirror.sqlite import rooms as sqlite_rooms
from tmscal.mirror.sqlite.personal import SqlitePersonalCalendars
from tmscal.mirror.sqlite.schema import SCHEMA_VERSION
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.mirror.store import Room, personal_calendar_id


@pytest.fixture
def store(tmp_path):
    s = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    s.replace_rooms([Room(1, "Oslo", "Europe/Oslo", "HQ"), Room(2, "Bergen"), Room(3, "Tromsø")])
    yield s
    s.close()


def meta(store: SqliteMirrorStore, key: str) -> str | None:
    row = store.file.connection().execute("SELECT value FROM mirror_meta WHERE key=?",
                                          (key,)).fetchone()
    return None if row is None else row[0]


def test_changes_since_is_o_changes(store):
    store.store_conferences([record(uid=f"u{i}", series_id=i + 1) for i in range(300)])
    token = store.calendar_state("1").sync_token
    store.store_conference(record(uid="u7", text="new", series_id=8))
    store.remove_conference("u9")
    changes = store.changes_since("1", token)
    assert changes.changed == ["u7.ics"] and changes.deleted == ["u9.ics"]
    plan = " ".join(str(row) for row in store.file.connection().execute(
        "EXPLAIN QUERY PLAN " + store.CHANGES_SINCE, ("1", 5)))
    assert "entries_seq" in plan and "seq>?" in plan




def test_crash_inside_a_write_leaves_the_previous_state(store, monkeypatch):
    store.store_conference(record(rooms=(1, 2)))
    state = {c: store.calendar_state(c) for c in ("1", "2", "3")}
    original = sqlite_rooms.tombstone

    def crash(*args, **kwargs):
        original(*args, **kwargs)
        raise sqlite3.OperationalError("disk I/O error (simulated crash)")

    monkeypatch.setattr(sqlite_rooms, "tombstone", crash)
    with pytest.raises(sqlite3.OperationalError):
        store.store_conference(record(rooms=(3,), text="moved"))
    assert {c: store.calendar_state(c) for c in ("1", "2", "3")} == state
    assert store.find_by_uid("u1").room_ids == [1, 2]
    assert store.get_objects("1", ["u1.ics"])[0].ical == record().ical




def test_a_version_1_database_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite3"
    first = SqliteMirrorStore(path)
    first.replace_rooms([Room(1, "Oslo")])
    first.store_conference(record())
    with first.file.write() as db:
        db.execute("DROP TABLE client_hrefs")
        db.execute("UPDATE mirror_meta SET value='1' WHERE key='schema_version'")
    first.close()
    store = SqliteMirrorStore(path)
    assert meta(store, "schema_version") == str(SCHEMA_VERSION)
    store.remember_href("1", "u1", "kept.ics")
    store.store_conference(record(text="B"))
    assert [h for h, _ in store.list_hrefs("1")] == ["kept.ics"]
    store.close()


def test_a_version_3_database_gets_calendar_kinds(tmp_path):
    """Version 4 keeps each calendar's kind and each conference's title as data: a personal
    calendar of an older file becomes 'personal' (a conference with the same UID still leaves
    it alone), and titles are read once from the stored texts."""
    path = tmp_path / "v3.sqlite3"
    first = SqliteMirrorStore(path)
    first.replace_rooms([Room(1, "Oslo")])
    meetings = personal_calendar_id("alice", "meetings")
    SqlitePersonalCalendars(first).put(meetings, "u1.ics", "u1", "BEGIN:VCALENDAR\r\n"
                                       "END:VCALENDAR\r\n", (0, 3600))
    series = record(uid="s1", series_id=2)
    series.ical = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s1\r\nSUMMARY:Board\\, weekly\r\n"
                   "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:s1\r\nRECURRENCE-ID:20300311T090000Z\r\n"
                   "SUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    first.store_conference(series)
    with first.file.write() as db:  # the version 3 shape: no kind, no title
        db.execute("ALTER TABLE calendars DROP COLUMN kind")
        db.execute("ALTER TABLE conferences DROP COLUMN title")
        db.execute("ALTER TABLE conferences DROP COLUMN shape")
        db.execute("ALTER TABLE personal_objects DROP COLUMN booking_etag")  # version 6
        db.execute("UPDATE mirror_meta SET value='3' WHERE key='schema_version'")
    first.close()
    store = SqliteMirrorStore(path)
    assert meta(store, "schema_version") == str(SCHEMA_VERSION) == "6"
    assert "booking_etag" in {row[1] for row in store.file.connection().execute(
        "PRAGMA table_info(personal_objects)")}
    kinds = dict(store.file.connection().execute("SELECT calendar_id, kind FROM calendars"))
    assert kinds == {"1": "room", meetings: "personal"}
    assert [o.title for o in store.occurrences_in_range("1", series.start_utc,
                                                         series.end_utc)] == ["Board, weekly"]
    store.store_conference(record())
    store.remove_conference("u1")
    assert store.has_uid(meetings, "u1") and not store.has_uid("1", "u1")
    store.close()


def test_a_version_4_database_learns_series_shapes_at_their_next_change(tmp_path):
    """Version 5 keeps each series' shape as data; a series stored before has none (the write
    path then saves the whole series) until it is stored again."""
    shape = SeriesShape("Board", datetime(2030, 3, 4, 9, tzinfo=UTC),
                        datetime(2030, 3, 4, 10, tzinfo=UTC),
                        ("Weekly", 1, ("Monday",), 0, 0, "EndByInstances", None, 5),
                        frozenset({("DELETE", datetime(2030, 3, 11, 9, tzinfo=UTC))}))
    path = tmp_path / "v4.sqlite3"
    first = SqliteMirrorStore(path)
    first.replace_rooms([Room(1, "Oslo")])
    first.store_conference(record(uid="s1", series_id=2))
    with first.file.write() as db:  # the version 4 shape: no shape column
        db.execute("ALTER TABLE conferences DROP COLUMN shape")
        db.execute("UPDATE mirror_meta SET value='4' WHERE key='schema_version'")
    first.close()
    store = SqliteMirrorStore(path)
    assert meta(store, "schema_version") == "6"
    assert store.find_by_uid("s1").shape is None
    again = record(uid="s1", series_id=2, text="B")
    again.version, again.shape = 2, shape
    store.store_conference(again)
    assert store.find_by_uid("s1").shape == shape
    assert [ref.shape for ref in store.iter_conference_refs()] == [shape]
    store.close()

def test_booking_lock_holds_against_another_process(tmp_path):
    """The lock of a key is a record lock in ``<database>.locks``: a process holding it keeps
    this process's threads out until it lets go."""
    import subprocess
    import sys
    import threading

    store = SqliteMirrorStore(tmp_path / "m.sqlite3")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom tmscal.mirror.sqlite.rooms import SqliteMirrorStore\n"
         f"store = SqliteMirrorStore({str(tmp_path / 'm.sqlite3')!r})\n"
         "with store.booking_lock('uid-1'):\n"
         "    print('held', flush=True)\n"
         "    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        taken = threading.Event()

        def take():
            with store.booking_lock("uid-1"):
                taken.set()

        with store.booking_lock("uid-2"):  # another key is free
            pass
        waiter = threading.Thread(target=take)
        waiter.start()
        assert not taken.wait(0.5)
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert taken.wait(10)
        waiter.join(10)
    finally:
        holder.kill()
        holder.wait()
        store.close()


def test_reachability_names_a_missing_file(tmp_path):
    store = SqliteMirrorStore(tmp_path / "m.sqlite3")
    try:
        (tmp_path / "m.sqlite3").rename(tmp_path / "elsewhere")
        reason = store.reachability(1.0)
        assert "m.sqlite3 does not answer" in reason and "\n" not in reason
        (tmp_path / "elsewhere").rename(tmp_path / "m.sqlite3")
        assert store.reachability(1.0) == ""
    finally:
        store.close()
