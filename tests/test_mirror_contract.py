"""The mirror's contract, run against every back end (``mirror_backend``, see
``tests/mirror_backends.py``): rooms, objects, the occurrence index, change sequences,
tombstones and sync tokens, client hrefs, the conference-id map, versions, pending writes, the
cursor, status, lease and set-aside records, personal calendars and preferences.

A new back end passes this file by adding itself to ``BACKENDS``; what only one back end can
show (query plans, crash injection, migrations) lives in that back end's own test file."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from mirror_backends import BACKENDS
from tmscal.ical.shape import SeriesShape
from tmscal.mirror import quarantine
from tmscal.mirror.store import (
    ConferenceRecord,
    ImportProgress,
    PendingWrite,
    Room,
    UnknownCalendar,
    UnknownSyncToken,
    client_href_allowed,
    hashed_href,
    href_for_uid,
    personal_calendar_id,
    room_calendar_id,
)

UTC = timezone.utc
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(params=sorted(BACKENDS))
def mirror_backend(request, tmp_path):
    """One back end, with a fresh database of its own (see ``tests/mirror_backends.py``)."""
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()


@pytest.fixture
def store(mirror_backend):
    s = mirror_backend.open_store()
    s.replace_rooms([Room(1, "Oslo", "Europe/Oslo", "HQ"), Room(2, "Bergen"), Room(3, "Tromsø")])
    return s


def record(uid="u1", rooms=(1,), text="A", start=T0, occurrences=1, series_id=100, ids=()):
    occ = [(start + timedelta(days=7 * i), start + timedelta(days=7 * i) + HOUR)
           for i in range(occurrences)]
    return ConferenceRecord(uid=uid, ical=f"BEGIN:VCALENDAR\r\nX:{text}\r\nEND:VCALENDAR\r\n",
                            start_utc=occ[0][0], end_utc=occ[-1][1], occurrences=occ,
                            room_ids=list(rooms), series_id=series_id,
                            conference_ids=list(ids), version=1)


def test_hrefs_are_deterministic_and_safe():
    assert href_for_uid("abc-123@x") == "abc-123@x.ics"
    weird = href_for_uid("a/b c?")
    assert weird == href_for_uid("a/b c?") and weird.startswith("tmscal~")
    assert "/" not in weird and " " not in weird
    assert href_for_uid(".hidden") != ".hidden.ics"
    assert room_calendar_id(42) == "42"
    assert personal_calendar_id("alice", "meetings") == "user:alice/meetings"


def test_rooms_listed_with_their_calendars(store):
    assert [r.name for r in store.list_rooms()] == ["Oslo", "Bergen", "Tromsø"]
    assert store.get_room(1).site == "HQ"
    state = store.calendar_state("1")
    assert state.object_count == 0 and state.ctag.startswith('"')
    with pytest.raises(UnknownCalendar):
        store.calendar_state("99")
    before = store.calendar_state("2").sync_token
    assert store.replace_rooms([Room(1, "Oslo", "Europe/Oslo", "HQ"), Room(2, "Bergen 2")]) == [3]
    assert store.calendar_state("2").sync_token != before
    with pytest.raises(UnknownCalendar):
        store.calendar_state("3")


def test_site_names_follow_the_room_list(store):
    assert store.site_names() == ["", "HQ"]
    store.replace_rooms([Room(1, "Oslo", "Europe/Oslo", "HQ"), Room(2, "Bergen", site="West"),
                         Room(4, "Alta", site="Nord")])
    assert store.site_names() == ["HQ", "Nord", "West"]


def test_store_is_idempotent_and_bumps_only_on_change(store):
    outcome = store.store_conference(record())
    assert outcome.changed_calendars == ["1"]
    token = store.calendar_state("1").sync_token
    assert not store.store_conference(record()).changed
    assert store.calendar_state("1").sync_token == token
    store.store_conference(record(text="B"))
    changes = store.changes_since("1", token)
    assert changes.changed == ["u1.ics"] and changes.deleted == []
    assert store.changes_since("1", changes.token).changed == []


def test_moving_between_rooms_tombstones_the_old_room(store):
    store.store_conference(record(rooms=(1, 2)))
    tokens = {c: store.calendar_state(c).sync_token for c in ("1", "2", "3")}
    outcome = store.store_conference(record(rooms=(2, 3)))
    assert outcome.removed_from == ["1"] and outcome.changed_calendars == ["3"]
    assert store.changes_since("1", tokens["1"]).deleted == ["u1.ics"]
    assert store.changes_since("2", tokens["2"]).changed == []
    assert store.changes_since("3", tokens["3"]).changed == ["u1.ics"]
    assert not store.has_uid("1", "u1") and store.has_uid("3", "u1")
    assert store.list_hrefs("1") == []
    assert store.calendar_state("1").object_count == 0
    assert store.calendar_state("3").object_count == 1


def test_unknown_rooms_are_skipped(store):
    store.store_conference(record(rooms=(1, 77)))
    assert store.find_by_uid("u1").room_ids == [1, 77]
    assert [h for h, _ in store.list_hrefs("1")] == ["u1.ics"]


def test_remove_and_recreate(store):
    store.store_conference(record(ids=(100, 101)))
    token = store.calendar_state("1").sync_token
    assert store.remove_conference("u1").removed_from == ["1"]
    assert store.find_by_conference_id(101) is None
    assert not store.remove_conference("u1").changed
    assert store.changes_since("1", token).deleted == ["u1.ics"]
    store.store_conference(record(text="again"))
    changes = store.changes_since("1", token)
    assert changes.changed == ["u1.ics"] and changes.deleted == []


def test_sync_tokens_reject_foreign_future_and_expired(store, mirror_backend):
    store.store_conference(record())
    token = store.calendar_state("1").sync_token
    with pytest.raises(UnknownSyncToken):
        store.changes_since("1", "garbage")
    epoch, seq = token.rsplit("-", 1)
    with pytest.raises(UnknownSyncToken):
        store.changes_since("1", f"{epoch}-{int(seq) + 5}")
    other = mirror_backend.open_store("other")
    other.replace_rooms([Room(1, "Oslo")])
    with pytest.raises(UnknownSyncToken):  # a rebuilt mirror invalidates old tokens
        other.changes_since("1", token)
    assert isinstance(UnknownSyncToken("x"), ValueError)  # Radicale maps ValueError to 403
    store.remove_conference("u1")
    after_delete = store.calendar_state("1").sync_token
    assert store.purge_tombstones(datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.changes_since("1", token).deleted == ["u1.ics"]
    assert store.purge_tombstones(datetime.now(UTC) + timedelta(seconds=5)) == 1
    with pytest.raises(UnknownSyncToken):
        store.changes_since("1", token)
    assert store.changes_since("1", after_delete).deleted == []


def test_get_objects_and_time_ranges(store):
    store.store_conference(record(uid="weekly", occurrences=10))
    store.store_conference(record(uid="later", start=T0 + timedelta(days=3), series_id=2))
    objects = store.get_objects("1", ["weekly.ics", "nope.ics", "later.ics"])
    assert sorted(o.uid for o in objects) == ["later", "weekly"]
    assert all(o.ical.startswith("BEGIN:VCALENDAR") and o.etag.startswith('"') for o in objects)

    def uids(start, end):
        return [o.uid for o in store.objects_in_range("1", start, end)]

    assert uids(T0 + timedelta(days=14), T0 + timedelta(days=14, minutes=1)) == ["weekly"]
    # between two occurrences of the series: the enclosing range overlaps, no occurrence does
    assert uids(T0 + timedelta(days=1), T0 + timedelta(days=2)) == []
    assert uids(T0 + timedelta(days=2), T0 + timedelta(days=4)) == ["later"]
    assert uids(T0 + HOUR, T0 + 2 * HOUR) == []  # end is exclusive
    assert uids(None, T0 + timedelta(minutes=1)) == ["weekly"]
    assert uids(T0 + timedelta(days=63), None) == ["weekly"]
    assert sorted(uids(None, None)) == ["later", "weekly"]


def test_occurrences_in_range_name_the_conference_without_its_text(store):
    weekly = record(uid="weekly", occurrences=3)
    weekly.title = "Weekly sync"
    store.store_conference(weekly)
    store.store_conference(record(uid="other", start=T0 + timedelta(days=7, minutes=30),
                                  series_id=2))
    week = T0 + timedelta(days=7)
    busy = store.occurrences_in_range("1", week, week + 2 * HOUR)
    assert [(b.start_utc, b.href, b.uid, b.title) for b in busy] == [
        (week, "weekly.ics", "weekly", "Weekly sync"),
        (week + timedelta(minutes=30), "other.ics", "other", "")]
    assert store.occurrences_in_range("1", T0 + HOUR, T0 + 2 * HOUR) == []  # end is exclusive
    store.remove_conference("weekly")
    assert [b.uid for b in store.occurrences_in_range("1", week, week + 2 * HOUR)] == ["other"]
    with pytest.raises(UnknownCalendar):
        store.occurrences_in_range("99", week, week + HOUR)


def test_conference_id_map(store):
    store.store_conference(record(ids=(100, 101, 102)))
    assert store.find_by_conference_id(101).uid == "u1"
    store.store_conference(record(series_id=200, ids=(200, 201)))  # recreated: new ids
    ref = store.find_by_uid("u1")
    assert ref.series_id == 200 and ref.conference_ids == [100, 101, 102, 200, 201]
    store.forget_conference_id(101)
    assert store.find_by_conference_id(101) is None
    assert [r.uid for r in store.iter_conference_refs()] == ["u1"]


def test_a_series_shape_is_kept_as_data(store):
    """The write path reads a series' shape and title from the store, not from its text."""
    shape = SeriesShape("Board; weekly", T0, T0 + HOUR,
                        ("Weekly", 2, ("Monday", "Friday"), 0, 0, "EndByDate",
                         T0 + timedelta(days=70), 0),
                        frozenset({("DELETE", T0 + timedelta(days=14)),
                                   ("MODIFY", T0 + timedelta(days=28))}))
    series = record(uid="s1", ids=(100, 101))
    series.shape, series.title = shape, "Board; weekly"
    store.store_conference(series)
    store.store_conference(record(uid="single", series_id=300, start=T0 + timedelta(days=1)))
    assert store.find_by_uid("s1").shape == shape
    assert store.find_by_conference_id(101).shape == shape
    assert store.find_by_uid("single").shape is None
    assert {r.uid: r.shape for r in store.iter_conference_refs()} == {"s1": shape,
                                                                        "single": None}
    assert [o.title for o in store.occurrences_in_range("1", T0, T0 + HOUR)] == ["Board; weekly"]


def test_cursor_status_and_counters(store):
    assert store.get_cursor() is None
    store.set_cursor(3100005)
    assert store.get_cursor() == 3100005
    store.record_sync(success=True, counters={"fetched": 2})
    store.record_sync(success=False, error="TmsUnavailable: down", counters={"fetched": 1})
    status = store.sync_status()
    assert status.cursor == 3100005 and status.counters["fetched"] == 3
    assert status.last_error.startswith("TmsUnavailable") and status.lag_seconds < 5


def test_lease_is_exclusive_until_expiry(store, mirror_backend):
    assert store.acquire_lease("syncer", "a", 60)
    second = mirror_backend.another_instance()  # another process's instance
    assert not second.acquire_lease("syncer", "b", 60)
    assert second.lease_holder("syncer")[0] == "a"
    assert store.acquire_lease("syncer", "a", 0.0)  # renew with an already expired lease
    assert second.acquire_lease("syncer", "b", 60)
    second.release_lease("syncer", "b")
    assert store.lease_holder("syncer") is None


def test_booking_lock_is_exclusive_across_instances_and_reentrant(store, mirror_backend):
    second = mirror_backend.another_instance()  # another process's instance
    events: list[str] = []

    def other(key):
        with second.booking_lock(key):
            events.append(f"other {key}")

    with store.booking_lock("uid-1"):
        with store.booking_lock("uid-1"):  # re-entrant in one thread
            pass
        free = threading.Thread(target=other, args=("uid-2",))
        free.start()
        free.join(10)
        assert events == ["other uid-2"]  # another key is not held
        blocked = threading.Thread(target=other, args=("uid-1",))
        blocked.start()
        blocked.join(0.3)
        assert blocked.is_alive() and events == ["other uid-2"]
        events.append("first done")
    blocked.join(10)
    assert events == ["other uid-2", "first done", "other uid-1"]


def test_reachability_says_nothing_while_the_store_answers(store):
    assert store.reachability(5.0) == ""


def test_threads_share_one_store(store):
    errors = []

    def writer(n):
        try:
            for i in range(20):
                store.store_conference(record(uid=f"t{n}-{i}", series_id=1000 * n + i + 1))
                store.list_hrefs("1")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.calendar_state("1").object_count == 80


def test_client_href_is_kept_in_its_calendar_only(store):
    store.remember_href("1", "u1", "Outlook-7.ics")
    store.store_conference(record(rooms=(1, 2)))
    assert store.list_hrefs("1")[0][0] == "Outlook-7.ics"
    assert store.list_hrefs("2")[0][0] == "u1.ics"
    assert store.has_uid("1", "u1") and store.object_for_uid("1", "u1").href == "Outlook-7.ics"
    token = store.calendar_state("1").sync_token
    store.store_conference(record(rooms=(1, 2), text="B"))  # the syncer keeps the choice
    assert store.changes_since("1", token).changed == ["Outlook-7.ics"]
    store.drop_unused_href("1", "u1")  # live: kept
    store.store_conference(record(rooms=(1, 2), text="C"))
    assert [h for h, _ in store.list_hrefs("1")] == ["Outlook-7.ics"]
    store.remove_conference("u1")
    assert store.changes_since("1", token).deleted == ["Outlook-7.ics"]
    store.store_conference(record(rooms=(1,), text="D"))  # the choice went with the object
    assert [h for h, _ in store.list_hrefs("1")] == ["u1.ics"]


def test_live_object_moves_to_a_newly_chosen_href(store):
    store.store_conference(record(rooms=(1,)))
    token = store.calendar_state("1").sync_token
    store.remember_href("1", "u1", "mine.ics")
    store.store_conference(record(rooms=(1,), text="B"))
    changes = store.changes_since("1", token)
    assert (changes.changed, changes.deleted) == (["mine.ics"], ["u1.ics"])
    assert store.calendar_state("1").object_count == 1
    store.remember_href("2", "u9", "never.ics")
    store.drop_unused_href("2", "u9")  # nothing filed there: forgotten
    store.store_conference(record(uid="u9", rooms=(2,), series_id=9))
    assert [h for h, _ in store.list_hrefs("2")] == ["u9.ics"]


def test_deterministic_href_held_by_another_uid_falls_back_to_the_hashed_one(store):
    store.remember_href("1", "u1", "u2.ics")  # a client named u1's event after u2
    store.store_conference(record(rooms=(1, 2)))
    store.store_conference(record(uid="u2", rooms=(1, 2), series_id=200))
    hrefs = {uid: store.object_for_uid("1", uid).href for uid in ("u1", "u2")}
    assert hrefs == {"u1": "u2.ics", "u2": hashed_href("u2")}
    assert [h for h, _ in store.list_hrefs("2")] == ["u1.ics", "u2.ics"]


def test_client_hrefs_allowed():
    assert client_href_allowed("Outlook Item {7}.ics", "u1")
    assert client_href_allowed(href_for_uid("a/b"), "a/b")  # its own hashed href
    for bad in ("", ".", "..", "a/b.ics", "tab\there.ics", "tmscal~x.ics", "x" * 256):
        assert not client_href_allowed(bad, "u1")


def test_a_version_never_steps_back(store):
    """A record older than the stored one (a fetch that raced a newer write) stores nothing;
    the same or a newer version replaces it."""
    newer = record(text="v5")
    newer.version = 5
    assert store.store_conference(newer).changed
    older = record(text="v3")
    older.version = 3
    assert not store.store_conference(older).changed
    assert store.find_by_uid("u1").version == 5 and "v5" in store.get_objects(
        "1", ["u1.ics"])[0].ical
    again = record(text="v5 again")
    again.version = 5
    assert store.store_conference(again).changed
    assert store.store_conferences([older])[0].changed is False
    assert store.find_by_uid("u1").version == 5


def versioned(version: int, text: str, *, preliminary: bool, uid: str = "u1",
              series_id: int = 100) -> ConferenceRecord:
    stored = record(uid=uid, text=text, series_id=series_id)
    stored.version, stored.preliminary = version, preliminary
    return stored


def test_preliminary_records_await_their_details(store):
    """A preliminary record marks its conference as awaiting details (in the order marked);
    a full record settles the mark, and so does removing the conference."""
    assert store.awaiting_details() == []
    store.store_conferences([versioned(3, "listed", preliminary=True),
                             versioned(3, "listed 2", preliminary=True, uid="u2", series_id=200)])
    assert store.awaiting_details() == [100, 200]
    assert store.details_pending("u1") and store.details_pending("u2")
    assert not store.details_pending("u3")
    assert "listed" in store.get_objects("1", ["u1.ics"])[0].ical
    full = versioned(3, "full", preliminary=False)
    assert store.store_conference(full).changed
    assert store.awaiting_details() == [200]
    assert not store.details_pending("u1")
    store.remove_conference("u2")
    assert store.awaiting_details() == []
    assert not store.details_pending("u2")


def test_a_preliminary_record_never_hides_a_full_one(store):
    """A preliminary record replaces a preliminary text or an older version only; a full text
    of the same or a newer version stays (no sequence bump) but is marked to be refreshed;
    a full record refused as older still settles the mark."""
    store.store_conference(versioned(5, "full", preliminary=False))
    token = store.calendar_state("1").sync_token
    assert not store.store_conference(versioned(5, "listed", preliminary=True)).changed
    assert not store.store_conference(versioned(4, "listed", preliminary=True)).changed
    assert store.calendar_state("1").sync_token == token
    assert "full" in store.get_objects("1", ["u1.ics"])[0].ical
    assert store.awaiting_details() == [100]
    assert not store.store_conference(versioned(5, "listed", preliminary=True)).changed
    assert "full" in store.get_objects("1", ["u1.ics"])[0].ical  # still marked as full
    assert not store.store_conference(versioned(4, "old", preliminary=False)).changed
    assert store.awaiting_details() == []
    assert store.store_conference(versioned(6, "listed v6", preliminary=True)).changed
    assert store.store_conference(versioned(6, "listed v6 again", preliminary=True)).changed
    assert "listed v6 again" in store.get_objects("1", ["u1.ics"])[0].ical
    assert store.store_conference(versioned(6, "full v6", preliminary=False)).changed
    assert store.awaiting_details() == []


def test_import_progress_is_kept_until_cleared(store):
    assert store.import_progress() is None
    store.set_import_progress(ImportProgress(41))
    assert store.import_progress() == ImportProgress(41, listed=False)
    store.set_import_progress(ImportProgress(57, listed=True))
    assert store.import_progress() == ImportProgress(57, listed=True)
    store.set_import_progress(None)
    assert store.import_progress() is None


def test_pending_writes_are_kept_until_cleared(store):
    store.mark_pending(PendingWrite("u1", "src", "key-1"))
    store.mark_pending(PendingWrite("u2", "", "key-2"))
    store.mark_pending(PendingWrite("u1", "src", "key-1"))
    assert [w.uid for w in store.pending_writes()] == ["u1", "u2"]
    store.clear_pending("u1")
    store.clear_pending("unknown")
    assert store.pending_writes() == [PendingWrite("u2", "", "key-2")]


# ---- personal calendars and preferences ---------------------------------------------------

MEETINGS = personal_calendar_id("alice", "meetings")
RANGE = (int(T0.timestamp()), int((T0 + HOUR).timestamp()))


def meeting(uid: str = "m1") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300304T090000Z\r\n"
            "DTEND:20300304T100000Z\r\nSUMMARY:Plan\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_personal_objects_share_the_change_sequence_and_tombstones(store, mirror_backend):
    calendars = mirror_backend.personal(store)
    empty = calendars.ensure(MEETINGS)
    stored = calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE)
    assert stored.etag and stored.ical == meeting()
    state = store.calendar_state(MEETINGS)
    assert state.sync_token != empty.sync_token and state.object_count == 1
    calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE)  # same text: no change
    assert store.calendar_state(MEETINGS).sync_token == state.sync_token
    assert calendars.has_uid(MEETINGS, "m1") and not calendars.has_uid(MEETINGS, "m2")
    assert calendars.delete(MEETINGS, "m1.ics") and not calendars.delete(MEETINGS, "m1.ics")
    changes = store.changes_since(MEETINGS, state.sync_token)
    assert changes.deleted == ["m1.ics"] and changes.changed == []
    assert calendars.get_objects(MEETINGS, ["m1.ics"]) == []
    with pytest.raises(UnknownSyncToken):
        store.changes_since(MEETINGS, "nope-1")




def test_conference_writes_leave_the_meeting_with_the_same_uid_alone(store, mirror_backend):
    calendars = mirror_backend.personal(store)
    calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE)
    record = ConferenceRecord(uid="m1", ical="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                              start_utc=T0, end_utc=T0 + timedelta(hours=1),
                              occurrences=[(T0, T0 + timedelta(hours=1))], room_ids=[1],
                              series_id=7)
    store.store_conference(record)
    assert store.has_uid("1", "m1")
    store.remove_conference("m1")
    assert not store.has_uid("1", "m1")
    assert [o.href for o in calendars.iter_objects(MEETINGS)] == ["m1.ics"]




def test_time_range_and_endless_series(store, mirror_backend):
    calendars = mirror_backend.personal(store)
    calendars.put(MEETINGS, "a.ics", "a", meeting("a"), RANGE)
    calendars.put(MEETINGS, "b.ics", "b", meeting("b"), (RANGE[0], 2 ** 40))  # endless
    later = T0 + timedelta(days=400)
    assert [o.href for o in calendars.objects_in_range(MEETINGS, later, None)] == ["b.ics"]
    assert [o.href for o in calendars.objects_in_range(MEETINGS, T0, T0 + timedelta(minutes=5))
            ] == ["a.ics", "b.ics"]


def test_drift_between_a_meeting_and_its_conference(store, mirror_backend):
    calendars = mirror_backend.personal(store)

    def conference(rooms):
        store.store_conference(ConferenceRecord(
            uid="m1", ical=f"BEGIN:VCALENDAR\r\nX:{rooms}\r\nEND:VCALENDAR\r\n", start_utc=T0,
            end_utc=T0 + timedelta(hours=1), occurrences=[(T0, T0 + timedelta(hours=1))],
            room_ids=rooms, series_id=7))

    conference([1])
    calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE, rooms=[1])
    assert calendars.booked(MEETINGS, "m1.ics")
    assert calendars.drifted_objects(MEETINGS) == []
    conference([1, 2])
    [(drifted, holds, held)] = calendars.drifted_objects(MEETINGS)
    assert (drifted.href, holds, held) == ("m1.ics", [1], [1, 2])
    token = store.calendar_state(MEETINGS).sync_token
    assert calendars.replace_if_unchanged(MEETINGS, "m1.ics", drifted.etag, drifted.ical,
                                          held)
    assert store.calendar_state(MEETINGS).sync_token == token  # same text: no change
    assert calendars.drifted_objects(MEETINGS) == []
    store.remove_conference("m1")
    [(drifted, holds, held)] = calendars.drifted_objects(MEETINGS)
    assert (holds, held) == ([1, 2], None)
    assert not calendars.replace_if_unchanged(MEETINGS, "m1.ics", '"stale"', "x", [])
    assert calendars.booked_elsewhere(personal_calendar_id("bob", "meetings"), "m1") == MEETINGS


def test_drift_when_tms_changed_the_booking_text(store, mirror_backend):
    """Same rooms, another text (TMS moved or retitled it): drifted until the meeting is
    written again, which may also move its time range."""
    calendars = mirror_backend.personal(store)

    def conference(title, start=T0):
        store.store_conference(ConferenceRecord(
            uid="m1", ical=f"BEGIN:VCALENDAR\r\nX:{title}\r\nEND:VCALENDAR\r\n",
            start_utc=start, end_utc=start + timedelta(hours=1),
            occurrences=[(start, start + timedelta(hours=1))], room_ids=[1], series_id=7))

    conference("booked")
    calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE, rooms=[1])
    assert calendars.drifted_objects(MEETINGS) == []
    later = T0 + timedelta(days=3)
    conference("moved", later)
    [(drifted, holds, held)] = calendars.drifted_objects(MEETINGS)
    assert (drifted.href, holds, held) == ("m1.ics", [1], [1])
    moved = (int(later.timestamp()), int((later + timedelta(hours=1)).timestamp()))
    assert calendars.replace_if_unchanged(MEETINGS, "m1.ics", drifted.etag,
                                          drifted.ical.replace("Plan", "Moved"), [1], moved)
    assert calendars.drifted_objects(MEETINGS) == []
    assert [o.href for o in calendars.objects_in_range(MEETINGS, later, None)] == ["m1.ics"]
    assert calendars.objects_in_range(MEETINGS, T0, T0 + timedelta(hours=1)) == []


def test_personal_calendars_take_personal_ids_only(store, mirror_backend):
    calendars = mirror_backend.personal(store)
    with pytest.raises(ValueError):
        calendars.put("1", "x.ics", "x", meeting("x"), RANGE)
    assert calendars.ensure(MEETINGS).object_count == 0
    assert [r.system_id for r in store.list_rooms()] == [1, 2, 3]  # no room appeared


def test_a_personal_calendar_survives_room_changes(store, mirror_backend):
    calendars = mirror_backend.personal(store)
    calendars.put(MEETINGS, "m1.ics", "m1", meeting(), RANGE)
    store.replace_rooms([Room(1, "Oslo")])
    store.purge_tombstones(datetime.now(UTC) + timedelta(seconds=5))
    assert [o.uid for o in calendars.iter_objects(MEETINGS)] == ["m1"]
    assert store.calendar_state(MEETINGS).object_count == 1


def test_preferences_belong_to_one_user_and_calendar(store, mirror_backend):
    preferences = mirror_backend.preferences(store)
    assert preferences.get("alice", "1") == {}
    preferences.replace("alice", "1", {"calendar-color": "#ff0000", "calendar-order": "2"})
    preferences.replace("bob", "1", {"calendar-color": "#00ff00"})
    assert preferences.get("alice", "1") == {"calendar-color": "#ff0000", "calendar-order": "2"}
    preferences.replace("alice", "1", {"calendar-order": "3"})  # the whole set
    assert preferences.get("alice", "1") == {"calendar-order": "3"}
    assert preferences.get("bob", "1") == {"calendar-color": "#00ff00"}
    assert preferences.get("alice", MEETINGS) == {}


def test_set_aside_records_are_kept_as_given(store):
    assert store.unreadable() == ""
    entries = {"conference 7": quarantine.Unreadable("TmsError: bad", conference_id=7)}
    store.set_unreadable(quarantine.dumps(entries))
    assert quarantine.loads(store.unreadable()) == entries
    store.set_unreadable("")
    assert quarantine.loads(store.unreadable()) == {}


def test_freshness_follows_the_last_success(store):
    assert store.sync_status().stale(60)  # never synced
    store.record_sync(success=True)
    status = store.sync_status()
    assert not status.stale(60) and "lag" in status.describe()
    store.record_sync(success=False, error="TmsUnavailable: down")
    assert "last error: TmsUnavailable: down" in store.sync_status().describe()
