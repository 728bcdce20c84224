"""The syncer's rules, checked against a small in-memory TMS whose faults are exact: cursor
safety, ListIncomplete paging, tombstones and change sequences, recreated series, the lease,
backoff and read-your-writes. (End-to-end behaviour over HTTP is in test_mirror_convergence.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tmscal.mirror.runner import SyncRunner
from tmscal.settings import MirrorSettings
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.mirror.sync import Syncer, store_saved_conference
from tmscal.model import (
    Conference,
    ConferenceNotFound,
    ConferenceStatus,
    DayOfWeek,
    Participant,
    ParticipantCallType,
    RecurrencePattern,
    RecurringFrequency,
    System,
    TmsError,
    TmsUnavailable,
    Transaction,
    TransactionType,
)

UTC = timezone.utc
SOON = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)


class FakeTms:
    """Just enough of the TMS client for the syncer, with a configurable page size and
    one-shot failures (``fail["op"] = n`` fails the next n calls of op)."""

    def __init__(self, page_size: int = 2) -> None:
        self.systems = [System(1, "Oslo", time_zone="W. Europe Standard Time"), System(2, "Rome")]
        self.series: dict[int, Conference] = {}  # series id → conference
        self.owner: dict[int, int] = {}  # any conference id → series id
        self.log: list[Transaction] = []
        self.page_size = page_size
        self.fail: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.next_id = 100

    def _call(self, op: str) -> None:
        self.calls[op] = self.calls.get(op, 0) + 1
        if self.fail.get(op):
            self.fail[op] -= 1
            raise TmsUnavailable(f"{op}: connection reset")

    def _record(self, conference_id: int, kind: TransactionType) -> None:
        self.log.append(Transaction(3_100_001 + len(self.log), conference_id, kind))

    # -- changes made "in TMS" --

    def book(self, title: str, rooms=(1,), weeks: int = 0, key: str | None = None,
             start: datetime = SOON) -> Conference:
        ids = list(range(self.next_id, self.next_id + max(1, weeks)))
        self.next_id += len(ids)
        pattern = None if not weeks else RecurrencePattern(
            RecurringFrequency.WEEKLY, days_of_week=[DayOfWeek.from_python_weekday(
                start.weekday())], instances=weeks)
        conference = Conference(
            conference_id=ids[0], title=title, start_utc=start, end_utc=start + timedelta(hours=1),
            recurrence=pattern, external_primary_key=key or f"key-{ids[0]}", version=ids[0],
            participants=[Participant(ParticipantCallType.TMS, r) for r in rooms])
        self.series[ids[0]] = conference
        for i in ids:
            self.owner[i] = ids[0]
            self._record(i, TransactionType.NEW)
        return conference

    def change(self, series_id: int, **changes) -> None:
        conference = self.series[series_id]
        for name, value in changes.items():
            setattr(conference, name, value)
        conference.version += 1000
        self._record(series_id, TransactionType.UPDATED)

    def delete(self, series_id: int) -> None:
        del self.series[series_id]
        for i, owner in list(self.owner.items()):
            if owner == series_id:
                self._record(i, TransactionType.DELETED)

    # -- the client API the syncer uses --

    def get_systems(self):
        self._call("get_systems")
        return list(self.systems)

    def get_conferences_for_systems(self, system_ids, start, end, status=None):
        self._call("get_conferences_for_systems")
        found = []
        for conference_id, series_id in self.owner.items():
            conference = self.series.get(series_id)
            if conference and set(conference.system_ids) & set(system_ids):
                found.append(conference.copy(conference_id=conference_id, participants=[]))
        return found

    def get_recurrent_conference_by_id(self, conference_id: int) -> Conference:
        self._call("get_recurrent_conference_by_id")
        series_id = self.owner.get(conference_id)
        if series_id is None:
            raise ConferenceNotFound("no such conference")
        if series_id not in self.series:
            return Conference(conference_id=-series_id, status=ConferenceStatus.DELETED)
        return self.series[series_id].copy()

    def get_conference_by_external_id(self, source: str, key: str) -> Conference:
        self._call("get_conference_by_external_id")
        for conference in self.series.values():
            if conference.external_primary_key == key:
                return conference.copy()
        raise ConferenceNotFound(f"no conference with key {key}")

    def get_transactions_since(self, transaction_id: int):
        self._call("get_transactions_since")
        last = self.log[-1].transaction_id if self.log else 0
        if transaction_id > last:
            raise TmsError(f"Transaction id {transaction_id} is unknown")
        after = [t for t in self.log if t.transaction_id > transaction_id]
        page = after[:self.page_size]
        if len(after) > self.page_size:
            page.append(Transaction(page[-1].transaction_id, 0, TransactionType.LIST_INCOMPLETE))
        return page


@pytest.fixture
def tms():
    return FakeTms()


@pytest.fixture
def store(tmp_path):
    s = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    yield s
    s.close()


def syncer_for(store, tms, **settings) -> Syncer:
    return Syncer(store, lambda: tms, MirrorSettings(detail_workers=1, **settings))


def hrefs(store, calendar="1"):
    return [href for href, _ in store.list_hrefs(calendar)]


def test_first_sync_is_a_full_import_and_sets_the_cursor_to_the_log_head(store, tms):
    tms.book("a")
    tms.book("b", rooms=(1, 2), weeks=3)
    report = syncer_for(store, tms).sync_once()
    assert report.kind == "full"
    assert store.get_cursor() == tms.log[-1].transaction_id
    assert hrefs(store, "1") == ["key-100.ics", "key-101.ics"]
    assert hrefs(store, "2") == ["key-101.ics"]
    assert [r.name for r in store.list_rooms()] == ["Oslo", "Rome"]
    assert store.find_by_conference_id(102).uid == "key-101"  # occurrence ids are mapped


def test_list_incomplete_pages_are_followed(store, tms):
    syncer = syncer_for(store, tms)
    syncer.full_import()
    for n in range(5):
        tms.book(f"m{n}", start=SOON + timedelta(hours=2 * n))
    tms.calls.clear()
    report = syncer.sync_once()
    assert report.transactions == 5
    assert tms.calls["get_transactions_since"] == 3  # 2 + 2 + 1
    assert len(hrefs(store)) == 5 and store.get_cursor() == tms.log[-1].transaction_id


def test_cursor_advances_only_after_a_page_is_stored(store, tms):
    syncer = syncer_for(store, tms)
    syncer.full_import()
    for n in range(4):
        tms.book(f"m{n}", start=SOON + timedelta(hours=2 * n))
    first_page_end = tms.log[1].transaction_id
    # the fetch of the 3rd conference (second page) fails
    original = tms.get_recurrent_conference_by_id
    seen = []

    def flaky(conference_id):
        seen.append(conference_id)
        if len(seen) == 3:
            raise TmsUnavailable("read timed out")
        return original(conference_id)

    tms.get_recurrent_conference_by_id = flaky
    with pytest.raises(TmsUnavailable):
        syncer.sync_once()
    assert store.get_cursor() == first_page_end
    assert len(hrefs(store)) == 2
    tms.get_recurrent_conference_by_id = original
    syncer.sync_once()
    assert len(hrefs(store)) == 4 and store.get_cursor() == tms.log[-1].transaction_id


def test_crash_between_fetch_and_store_loses_nothing(store, tms, monkeypatch):
    syncer = syncer_for(store, tms)
    syncer.full_import()
    cursor = store.get_cursor()
    tms.book("x")

    class Crash(BaseException):
        pass

    def crash(records):
        raise Crash()

    monkeypatch.setattr(store, "store_conferences", crash)
    with pytest.raises(Crash):
        syncer.sync_once()
    monkeypatch.undo()
    assert store.get_cursor() == cursor and hrefs(store) == []
    syncer_for(store, tms).sync_once()  # the restarted process
    assert hrefs(store) == ["key-100.ics"]


def test_replaying_transactions_is_harmless(store, tms):
    syncer = syncer_for(store, tms)
    tms.book("a", rooms=(1, 2), weeks=2)
    syncer.full_import()
    tokens = {c: store.calendar_state(c).sync_token for c in ("1", "2")}
    store.set_cursor(0)  # as if the cursor had never advanced
    syncer.sync_once()
    assert {c: store.calendar_state(c).sync_token for c in ("1", "2")} == tokens


def test_deletion_is_a_tombstone_in_the_change_sequence(store, tms):
    syncer = syncer_for(store, tms)
    keep = tms.book("keep")
    gone = tms.book("gone", rooms=(1, 2), weeks=2, start=SOON + timedelta(hours=3))
    syncer.full_import()
    token1, token2 = (store.calendar_state(c).sync_token for c in ("1", "2"))
    tms.delete(gone.conference_id)
    tms.change(keep.conference_id, title="kept, renamed")
    syncer.sync_once()
    changes = store.changes_since("1", token1)
    assert changes.changed == ["key-100.ics"] and changes.deleted == ["key-101.ics"]
    assert store.changes_since("2", token2).deleted == ["key-101.ics"]
    assert store.find_by_conference_id(102) is None


def test_room_change_moves_the_object(store, tms):
    syncer = syncer_for(store, tms)
    conference = tms.book("moving", rooms=(1,))
    syncer.full_import()
    token = store.calendar_state("1").sync_token
    tms.change(conference.conference_id,
               participants=[Participant(ParticipantCallType.TMS, 2)])
    syncer.sync_once()
    assert store.changes_since("1", token).deleted == ["key-100.ics"]
    assert hrefs(store, "2") == ["key-100.ics"]


@pytest.mark.parametrize("delete_first", [True, False])
def test_recreated_series_keeps_its_uid(store, tms, delete_first):
    syncer = syncer_for(store, tms)
    old = tms.book("weekly", weeks=3, key="series-K")
    syncer.full_import()
    if delete_first:
        tms.delete(old.conference_id)
        new = tms.book("weekly", weeks=3, key="series-K")
    else:  # TMS stores the new series before it retires the old ids
        new = tms.book("weekly", weeks=3, key="series-K")
        tms.series.pop(old.conference_id)
        for i in range(old.conference_id, old.conference_id + 3):
            tms._record(i, TransactionType.DELETED)
    syncer.sync_once()
    assert hrefs(store) == ["series-K.ics"]
    ref = store.find_by_uid("series-K")
    assert ref.series_id == new.conference_id
    assert store.find_by_conference_id(new.conference_id + 1).uid == "series-K"


def test_deleted_occurrence_keeps_the_series(store, tms):
    syncer = syncer_for(store, tms)
    series = tms.book("weekly", weeks=3)
    syncer.full_import()
    occurrence = series.conference_id + 1
    tms.owner.pop(occurrence)  # TMS forgot the occurrence
    tms._record(occurrence, TransactionType.DELETED)
    syncer.sync_once()
    assert hrefs(store) == [f"key-{series.conference_id}.ics"]
    assert store.find_by_conference_id(occurrence) is None


def test_unknown_cursor_falls_back_to_a_full_import(store, tms):
    syncer = syncer_for(store, tms)
    tms.book("a")
    syncer.full_import()
    store.set_cursor(tms.log[-1].transaction_id + 50)  # e.g. TMS restored from a backup
    report = syncer.sync_once()
    assert report.kind == "full" and store.get_cursor() == tms.log[-1].transaction_id


def test_full_import_removes_what_tms_no_longer_has(store, tms):
    syncer = syncer_for(store, tms)
    a = tms.book("a")
    tms.book("b", start=SOON + timedelta(hours=2))
    syncer.full_import()
    del tms.series[a.conference_id]  # vanished without a transaction
    syncer.full_import()
    assert hrefs(store) == ["key-101.ics"]


def test_reconcile_repairs_what_the_log_missed(store, tms):
    syncer = syncer_for(store, tms)
    a = tms.book("a")
    syncer.full_import()
    tms.series[a.conference_id].title = "silently changed"
    tms.series[a.conference_id].version += 5
    b = tms.book("b", start=SOON + timedelta(hours=2))
    tms.log.pop()  # b's transaction never appears
    etag = store.list_hrefs("1")[0][1]
    syncer.reconcile()
    assert hrefs(store) == ["key-100.ics", f"key-{b.conference_id}.ics"]
    assert dict(store.list_hrefs("1"))["key-100.ics"] != etag


def test_outside_the_horizon_is_not_mirrored(store, tms):
    syncer = syncer_for(store, tms, horizon_future_days=30)
    tms.book("far", start=SOON + timedelta(days=60))
    tms.book("near")
    syncer.sync_once()
    assert hrefs(store) == ["key-101.ics"]


def test_read_your_writes(store, tms):
    syncer = syncer_for(store, tms)
    syncer.full_import()
    saved = tms.book("from a client", rooms=(2,))
    token = store.calendar_state("2").sync_token
    record = store_saved_conference(store, saved)
    assert record.uid == "key-100" and hrefs(store, "2") == ["key-100.ics"]
    assert store.changes_since("2", token).changed == ["key-100.ics"]
    syncer.sync_once()  # the poll that follows changes nothing
    assert store.changes_since("2", token).changed == ["key-100.ics"]
    assert store.calendar_state("2").sync_token == store.changes_since("2", token).token


def stamps(text: str) -> set[datetime]:
    """Every DTSTAMP and LAST-MODIFIED of a stored text."""
    return {datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            for value in re.findall(r"^(?:DTSTAMP|LAST-MODIFIED):(\S+)\r?$", text, re.MULTILINE)}


def test_stamps_are_when_the_mirror_stored_the_change(store, tms):
    syncer = syncer_for(store, tms)
    series = tms.book("weekly", weeks=3, start=SOON + timedelta(days=30))
    before = datetime.now(UTC).replace(microsecond=0)
    syncer.full_import()
    [stored] = store.iter_objects("1")
    assert len(stamps(stored.ical)) == 1  # DTSTAMP and LAST-MODIFIED: one instant
    assert before <= min(stamps(stored.ical)) <= stored.last_modified  # not the booking's start

    store.set_cursor(0)  # the same changes again, and a full import: nothing changes
    syncer.sync_once()
    syncer.full_import()
    assert [o.ical for o in store.iter_objects("1")] == [stored.ical]

    changed = datetime.now(UTC).replace(microsecond=0)
    tms.change(series.conference_id, title="weekly, renamed")
    syncer.sync_once()
    [renamed] = store.iter_objects("1")
    assert "SUMMARY:weekly\\, renamed" in renamed.ical
    assert changed <= min(stamps(renamed.ical)) <= renamed.last_modified


def test_runner_backs_off_records_errors_and_holds_the_lease(store, tms):
    syncer = syncer_for(store, tms, poll_interval=10, max_backoff=8)
    runner = SyncRunner(syncer, owner="first")
    assert runner.step() == 10  # first sync: full import
    tms.fail["get_transactions_since"] = 10
    delays = [runner.step() for _ in range(5)]
    assert delays[0] < delays[1] < delays[2] and max(delays) <= 8 * 1.1
    status = store.sync_status()
    assert "connection reset" in status.last_error and status.last_error_at > status.last_success
    tms.fail.clear()
    other = SyncRunner(syncer_for(store, tms), owner="second")
    calls = dict(tms.calls)
    # no work done; it asks again within a third of the lease time
    assert other.step() == min(10, other.lease_ttl / 3) and tms.calls == calls
    assert runner.step() == 10
    assert store.sync_status().lag_seconds < 5


def test_a_lease_held_on_another_host_is_waited_out_then_taken_over(store, tms):
    """A holder on another host cannot be seen dying: its lease runs out first
    (``lease_seconds``), and the waiting runner asks every third of it; the new holder renews
    while it waits between polls."""
    from tmscal.mirror.runner import LEASE_NAME

    runner = SyncRunner(syncer_for(store, tms, poll_interval=60, lease_seconds=9),
                        owner="here:1:a")
    assert store.acquire_lease(LEASE_NAME, "elsewhere:4242:b", 60)
    calls = dict(tms.calls)
    assert runner.step() == 3 and tms.calls == calls and not runner.holding  # waits
    assert store.acquire_lease(LEASE_NAME, "elsewhere:4242:b", 0.0)  # its lease ran out
    assert runner.step() == 60 and runner.holding and store.get_cursor() is not None
    before = store.lease_holder(LEASE_NAME)[1]
    runner._wait(3.5)  # renews after 3 s
    assert store.lease_holder(LEASE_NAME)[0] == "here:1:a"
    assert store.lease_holder(LEASE_NAME)[1] > before  # renewed while waiting


def test_pending_writes_are_settled_first_and_kept_while_tms_is_away(store, tms):
    """A write of unknown outcome: TMS holds it (stored, although its transaction is not yet
    read), or does not (nothing stored); the mark stays while TMS does not answer."""
    from tmscal.mirror.store import PendingWrite

    syncer = syncer_for(store, tms)
    syncer.sync_once()
    tms.book("made", key="made-it")
    tms.log.pop()  # the transaction log has not told about it yet
    store.mark_pending(PendingWrite("made-it", "tmscal", "made-it"))
    store.mark_pending(PendingWrite("never", "tmscal", "never"))
    tms.fail["get_conference_by_external_id"] = 1
    with pytest.raises(TmsUnavailable):
        syncer.sync_once()
    assert len(store.pending_writes()) == 2
    syncer.sync_once()
    assert store.pending_writes() == []
    assert store.find_by_uid("made-it") is not None and store.find_by_uid("never") is None
