"""What only the SQLite back end can show: the query plan behind O(changes), a crash inside a
write (injected), and the migrations of files written by older versions. Everything else the
store promises is in the contract suite (``tests/test_mirror_contract.py``)."""

from __future__ import annotations

import sqlite3

import pytest

from test_mirror_contract import record
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
        db.execute("ALTER TABLE personal_objects DROP COLUMN booking_etag")  # version 5
        db.execute("UPDATE mirror_meta SET value='3' WHERE key='schema_version'")
    first.close()
    store = SqliteMirrorStore(path)
    assert meta(store, "schema_version") == str(SCHEMA_VERSION) == "5"
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
