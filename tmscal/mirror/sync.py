"""The sync engine: full import, incremental sync from the transaction log, reconciliation.

:class:`Syncer` keeps one :class:`~tmscal.mirror.store.MirrorStore` in step with TMS:

* :meth:`Syncer.full_import` — rooms (GetSystems), then every room's bookings over the horizon
  (GetConferencesForSystems, one room per call: a list answer names no rooms; ``detail_workers``
  calls at a time), each answer stored as it comes as preliminary records (times, titles,
  rooms: every calendar shows every booking); anything the mirror held that TMS no longer
  lists is tombstoned. Then each conference in full
  (GetRecurrentConferenceById, ``detail_workers`` at a time), each a new version of its
  object. Beside the scan the transaction log is walked to its head
  (:class:`~tmscal.mirror.log_walk.LogWalk`), from a transaction id no newer than the head
  when the scan started (the newest ``TransactionId`` of the conferences around now, or the
  stored cursor; without either, the whole log is walked *before* the scan). A conference the
  walk passes that the scan did not list (booked or moved into a room already listed) is
  fetched before the details; a listed one is fetched in full after the walk anyway. The head
  is kept in the store's :class:`~tmscal.mirror.objects.ImportProgress`; while details are
  fetched the log is followed from it, and the cursor is set to it when the last detail is
  stored. An interrupted import resumes from the store: a scan that did not finish is done
  again, and only the conferences still awaiting their details are fetched.
* :meth:`Syncer.sync_once` — GetTransactionsSince from the stored cursor, page by page through
  ListIncomplete; every page's conferences are fetched, re-rendered and stored in one
  transaction, and only then does the cursor advance. An unknown cursor falls back to a full
  import.
* :meth:`Syncer.reconcile` — lists the horizon again and refetches what the log missed.

Identity: an object's UID comes from the converter (the ExternalPrimaryKey), so a series TMS
recreates with new ConferenceIds keeps its UID and href; the store maps every ConferenceId seen
(series and occurrences) to its UID, which is how a ``Deleted`` transaction for an occurrence
or an old id finds the object it concerns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice

from tmscal.mirror import quarantine
from tmscal.mirror.log_walk import LogWalk, walk_log
from tmscal.mirror.quarantine import Unreadable, is_outage, reason_of
from tmscal.mirror.records import (
    MirrorRoomDirectory, listed_record_for, record_for, room_from_system, storable,
)
from tmscal.settings import MirrorSettings
from tmscal.mirror.store import ConferenceRecord, ConferenceRef, ImportProgress, MirrorStore
from tmscal.model import (
    Conference,
    ConferenceDeleted,
    ConferenceNotFound,
    ConferenceStatus,
    DatabaseDown,
    TmsError,
    TransactionType,
)

UTC = timezone.utc
log = logging.getLogger(__name__)

#: Records stored per transaction during an import (list scan and details alike).
IMPORT_BATCH = 500

#: ``progress(phase, done, total)``; phases, in order: ``rooms``, ``scan``, ``cleanup``,
#: ``details``.
Progress = Callable[[str, int, int], None]


class CursorUnknown(Exception):
    """TMS refused the stored transaction cursor; a full import is needed."""


@dataclass
class ListedConference:
    """What the list calls told about one conference (series or single). An import keeps the
    rooms it was listed for and, of a series, its listed occurrences (by ConferenceId)."""

    key: tuple
    ids: set[int] = field(default_factory=set)
    version: int = 0
    rooms: set[int] = field(default_factory=set)
    occurrences: dict[int, Conference] = field(default_factory=dict)

    @property
    def any_id(self) -> int:
        return min(self.ids)


@dataclass
class SyncReport:
    """Counts of one sync run (added to the store's counters)."""

    kind: str
    transactions: int = 0
    fetched: int = 0
    stored: int = 0
    removed: int = 0
    listed: int = 0

    def counters(self) -> dict[str, int]:
        return {f"{self.kind}.transactions": self.transactions, "fetched": self.fetched,
                "stored": self.stored, "removed": self.removed}


def _listing_key(conference: Conference) -> tuple:
    """Occurrences of one series share their external ids; a single conference has its id."""
    if conference.external_primary_key:
        return ("ext", conference.external_source_id, conference.external_primary_key)
    return ("id", conference.conference_id)


def _windows(start: datetime, end: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    step = timedelta(days=max(1, days))
    while start < end:
        yield start, min(end, start + step)
        start += step


def _first_unreadable(*values: object) -> Unreadable | None:
    return next((value for value in values if isinstance(value, Unreadable)), None)


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), max(1, size)):
        yield items[i:i + size]


def _as_done(pool: Executor, function: Callable, items: Iterable, ahead: int) -> Iterator:
    """``(item, function(item))`` for each item, run on ``pool`` with at most ``ahead`` calls
    under way, yielded as they finish (a slow call holds up none of the others)."""
    items = iter(items)
    running: dict = {}  # future: its item
    try:
        while True:
            for item in islice(items, ahead - len(running)):
                running[pool.submit(function, item)] = item
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield running.pop(future), future.result()
    finally:  # stopped early (an outage, a closed generator): start nothing more
        for future in running:
            future.cancel()


def _in_order(pool: Executor, function: Callable, items: Iterable, ahead: int) -> Iterator:
    """``function(item)`` for each item, run on ``pool`` with at most ``ahead`` calls under way,
    yielded in the order of ``items`` (a slow consumer holds at most ``ahead`` answers)."""
    running: deque = deque()
    try:
        for item in items:
            running.append(pool.submit(function, item))
            if len(running) >= ahead:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()
    finally:  # stopped early (an outage, a closed generator): start nothing more
        for future in running:
            future.cancel()


class Syncer:
    """Keeps ``store`` in step with TMS. ``client_factory()`` returns a new TMS client; each
    thread the syncer uses gets its own. Methods are not meant to run concurrently with each
    other: the lease (:meth:`run`) keeps one syncer per mirror."""

    def __init__(self, store: MirrorStore, client_factory: Callable[[], object],
                 settings: MirrorSettings | None = None, *, privacy: str = "full",
                 clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.settings = settings or MirrorSettings()
        self.privacy = privacy
        self._client_factory = client_factory
        self._local = threading.local()
        self._clock = clock or (lambda: datetime.now(UTC))
        self.on_lease_renewal: Callable[[], None] = lambda: None
        self._last_retry = float("-inf")

    # ---- plumbing ----------------------------------------------------------------------------

    def client(self):
        """This thread's TMS client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
        return client

    def horizon(self) -> tuple[datetime, datetime]:
        now = self._clock().replace(microsecond=0)
        return (now - timedelta(days=self.settings.horizon_past_days),
                now + timedelta(days=self.settings.horizon_future_days))

    def _in_horizon(self, record: ConferenceRecord) -> bool:
        start, end = self.horizon()
        return any(s < end and (e > start or s >= start) for s, e in record.occurrences)

    def _directory(self) -> MirrorRoomDirectory:
        return MirrorRoomDirectory.of_store(self.store, self.settings.default_zone)

    def fetch(self, conference_id: int) -> Conference | None:
        """The series (or single conference) ``conference_id`` belongs to, in full; None when
        TMS no longer has it (not found, deleted, or a negative series id)."""
        try:
            return live(self.client().get_recurrent_conference_by_id(conference_id))
        except (ConferenceNotFound, ConferenceDeleted):
            return None

    def _fetch_or_fault(self, conference_id: int) -> Conference | None | Unreadable:
        """:meth:`fetch`, with a fault that concerns this conference only (not an outage)
        returned as an :class:`Unreadable` instead of raised."""
        try:
            return self.fetch(conference_id)
        except Exception as error:
            if is_outage(error):
                raise
            return self._set_aside(conference_id, error)

    def _set_aside(self, conference_id: int, error: Exception) -> Unreadable:
        log.warning("conference %s set aside, the rest keeps syncing: %s", conference_id,
                    reason_of(error), exc_info=not isinstance(error, (TmsError, ValueError)))
        return Unreadable(reason_of(error), conference_id=conference_id)

    def _fetch_many(self, ids: list[int]) -> dict[int, Conference | None | Unreadable]:
        workers = max(1, min(self.settings.detail_workers, len(ids)))
        if workers == 1:
            return {i: self._fetch_or_fault(i) for i in ids}
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tmscal-fetch") as pool:
            return dict(zip(ids, pool.map(self._fetch_or_fault, ids)))

    def _record(self, conference: Conference, directory: MirrorRoomDirectory,
                conference_ids: Iterable[int]) -> ConferenceRecord | None | Unreadable:
        """:func:`record_for`, with a conference that cannot be rendered or stored set aside
        (under the first of ``conference_ids``, the id the syncer asked for)."""
        conference_ids = list(conference_ids)
        try:
            return record_for(conference, directory, default_zone=self.settings.default_zone,
                              privacy=self.privacy, conference_ids=conference_ids)
        except Exception as error:
            return self._set_aside(min(conference_ids, default=conference.conference_id), error)

    # ---- set-aside records -----------------------------------------------------------------

    def unreadable(self) -> dict[str, Unreadable]:
        """What is set aside now (see :mod:`tmscal.mirror.quarantine`)."""
        return quarantine.loads(self.store.unreadable())

    def _note_unreadable(self, failed: Iterable[Unreadable], cleared: Iterable[str] = (),
                         *, replace_all: bool = False) -> None:
        """Add ``failed`` and drop ``cleared`` (or everything else, ``replace_all``)."""
        known = self.unreadable()
        entries = quarantine.merged(known, {entry.key: entry for entry in failed},
                                    set(known) if replace_all else set(cleared))
        if entries.keys() != known.keys():
            self.store.set_unreadable(quarantine.dumps(entries))

    def _retry_unreadable(self, report: SyncReport) -> None:
        """Read the set-aside conferences and listings again, once per
        ``unreadable_retry`` seconds."""
        entries = self.unreadable()
        now = self._clock().timestamp()
        if not entries or now - self._last_retry < self.settings.unreadable_retry:
            return
        self._last_retry = now
        ids = [e.conference_id for e in entries.values() if e.conference_id is not None]
        for entry in entries.values():
            if entry.system_id is not None:
                window = (datetime.fromisoformat(entry.start), datetime.fromisoformat(entry.end))
                listing: list[Unreadable] = []
                conferences = self._list_resilient([entry.system_id], window, listing)
                self._note_unreadable(listing, cleared=[entry.key])
                ids += [conference.conference_id for conference in conferences]
        self.apply_conference_ids(ids, report)

    # ---- applying changes --------------------------------------------------------------------

    def apply_conference_ids(self, ids: Iterable[int], report: SyncReport | None = None) -> None:
        """Bring the mirror in line with TMS for these ConferenceIds (any mix of series,
        occurrence, old and unknown ids). Idempotent; stores alive conferences in one
        transaction, then settles the ones that vanished."""
        report = report or SyncReport("apply")
        ids = list(dict.fromkeys(ids))
        unstorable = [i for i in ids if not storable(i)]
        if unstorable:
            self._note_unreadable(Unreadable(f"ConferenceId out of range: {i}"[:300],
                                             conference_id=i) for i in unstorable)
            ids = [i for i in ids if storable(i)]
        if ids:
            previous = {i: self.store.find_by_conference_id(i) for i in ids}
            self._apply_fetched(self._fetch_many(ids), previous, report)

    def _apply_fetched(self, fetched: dict[int, Conference | None | Unreadable],
                       previous: dict[int, ConferenceRef | None], report: SyncReport) -> None:
        """Store what TMS answered for these ids (``previous``: what the mirror held for
        each before it was fetched), in one transaction; then settle what vanished."""
        report.fetched += len(fetched)
        directory = self._directory()
        records: dict[str, ConferenceRecord] = {}
        drop: set[str] = set()
        suspects: dict[str, ConferenceRef] = {}
        failed: list[Unreadable] = []
        for conference_id, conference in list(fetched.items()):
            record = None
            if isinstance(conference, Conference):
                record = self._record(conference, directory, [conference_id])
            unreadable = _first_unreadable(conference, record)
            if unreadable is not None:
                failed.append(unreadable)
                del fetched[conference_id]  # the mirror keeps what it had
                continue
            if conference is not None:
                if record is not None and not self._in_horizon(record):
                    drop.add(record.uid)
                    record = None
            if record is not None:
                known = records.get(record.uid)
                if known is not None:
                    record.conference_ids = sorted(set(known.conference_ids)
                                                   | set(record.conference_ids))
                records[record.uid] = record
            old = previous[conference_id]
            if old is not None and (record is None or record.uid != old.uid):
                suspects[old.uid] = old
        if records:
            outcomes = self.store.store_conferences(list(records.values()))
            report.stored += sum(1 for o in outcomes if o.changed)
        for uid in drop - set(records):
            if self.store.remove_conference(uid).changed:
                report.removed += 1
        gone = {i for i, c in fetched.items() if c is None}
        for uid in suspects:
            if uid not in records and uid not in drop:
                self._settle(uid, gone, directory, report)
        for conference_id in gone:
            self.store.forget_conference_id(conference_id)
        self._note_unreadable(failed, cleared=(f"conference {i}" for i in fetched))

    def _settle(self, uid: str, gone: set[int], directory: MirrorRoomDirectory,
                report: SyncReport) -> None:
        """A conference id of ``uid`` vanished or moved: keep ``uid`` if its series still
        exists in TMS (re-stored), otherwise tombstone it."""
        ref = self.store.find_by_uid(uid)
        if ref is None:
            return
        conference = None if ref.series_id in gone else self._fetch_or_fault(ref.series_id)
        if conference is None:
            for other in ref.conference_ids:  # a recreated series may be reachable by another id
                if other not in gone and other != ref.series_id:
                    conference = self._fetch_or_fault(other)
                    if conference is not None:
                        break
        record = None
        if isinstance(conference, Conference):
            report.fetched += 1
            record = self._record(conference, directory, [conference.conference_id])
        unreadable = _first_unreadable(conference, record)
        if unreadable is not None:
            self._note_unreadable([unreadable])
            return  # keep what the mirror has
        if record is not None and record.uid == uid and self._in_horizon(record):
            if self.store.store_conference(record).changed:
                report.stored += 1
            return
        if self.store.remove_conference(uid).changed:
            report.removed += 1
        if record is not None and self._in_horizon(record):
            self.store.store_conference(record)

    # ---- incremental -------------------------------------------------------------------------

    def settle_pending(self, report: SyncReport | None = None) -> None:
        """Bring the bookings whose last write has an unknown outcome in line with TMS (asked
        by their external ids), before anything else; a pending mark stays until TMS answers."""
        for write in self.store.pending_writes():
            try:
                held = held_by_tms(self.client(), write.external_source_id,
                                   write.external_primary_key)
            except DatabaseDown:
                raise
            except TmsError as error:  # this booking only: it stays pending, the rest syncs
                log.warning("pending write of %s not settled: %s", write.uid, error)
                continue
            store_held(self.store, write.uid, held, default_zone=self.settings.default_zone,
                       privacy=self.privacy)
            if report is not None:
                report.fetched += 1

    def sync_once(self) -> SyncReport:
        """Settle pending writes, then apply the transaction log since the cursor (a full
        import when there is none)."""
        report = SyncReport("incremental")
        self.settle_pending(report)
        underway = self.store.import_progress()
        if underway is not None:  # an import was interrupted: go on where it stopped
            log.info("resuming the interrupted import (%s)", "details" if underway.listed
                     else "list scan")
            return self._fetch_details(SyncReport("full")) if underway.listed \
                else self.full_import()
        cursor = self.store.get_cursor()
        if cursor is None:
            return self.full_import()
        try:
            self._retry_unreadable(report)
            self._follow_log(cursor, report)
        except CursorUnknown as error:
            log.warning("TMS refused transaction cursor %s (%s): running a full import",
                        cursor, error)
            return self.full_import()
        self.store.record_sync(success=True, kind="incremental", counters=report.counters())
        return report

    def _transactions_page(self, cursor: int) -> list:
        try:
            return list(self.client().get_transactions_since(cursor))
        except TmsError as error:
            if type(error) is not TmsError:  # a typed fault (database down, session...) is
                raise                         # not about the cursor
            raise CursorUnknown(str(error)) from error

    def _follow_log(self, cursor: int, report: SyncReport,
                    advance: Callable[[int], None] | None = None) -> int:
        """Apply the log from ``cursor`` page by page; ``advance`` (default: the store's
        cursor) records each page's newest id once its changes are stored."""
        advance = advance or self.store.set_cursor
        while True:
            page = self._transactions_page(cursor)
            entries = [t for t in page if t.trans_type != TransactionType.LIST_INCOMPLETE]
            incomplete = len(entries) != len(page)
            if entries:
                report.transactions += len(entries)
                self.apply_conference_ids((t.conference_id for t in entries), report)
                newest = max(t.transaction_id for t in entries)
            else:
                newest = max((t.transaction_id for t in page), default=cursor)
            if newest > cursor:
                advance(newest)  # only now: the changes up to it are stored
                cursor = newest
            elif incomplete:
                log.warning("ListIncomplete without progress at transaction %s", cursor)
                return cursor
            if not incomplete:
                return cursor
            self.on_lease_renewal()

    def log_head(self, start: int = 0) -> int:
        """The newest transaction id in the log (walking it from ``start``)."""
        return walk_log(self._transactions_page, start, between_pages=self.on_lease_renewal)

    def _recent_transaction_id(self, system_ids: list[int]) -> int | None:
        """A transaction id TMS knows, recent, and no newer than the log's head now: the
        newest ``TransactionId`` (TMS 15 and later) of the conferences in every room from a
        day ago to a week ahead, where bookings are made and changed most (else a month
        either side). None when TMS gives none."""
        now = self._clock()
        batches = list(_batches(system_ids, self.settings.systems_per_call))

        def newest(call: tuple[list[int], tuple[int, int]]) -> tuple[int, int]:
            """(conferences listed, their newest TransactionId)"""
            batch, (back, ahead) = call
            try:
                listed = self.client().get_conferences_for_systems(
                    batch, now - timedelta(days=back), now + timedelta(days=ahead),
                    ConferenceStatus.ALL_EXCEPT_DELETED)
            except Exception as error:
                if is_outage(error):
                    raise
                return 0, 0  # a listing TMS cannot give: no id from these rooms
            return len(listed), max((c.transaction_id for c in listed), default=0)

        workers = max(1, min(self.settings.detail_workers, len(batches)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tmscal-log") as pool:
            for days in ((1, 7), (31, 31)):
                answers = list(pool.map(newest, [(batch, days) for batch in batches]))
                found = max((newest_id for _, newest_id in answers), default=0)
                if found > 0:
                    return found
                if any(count for count, _ in answers):
                    return None  # conferences without a TransactionId: TMS before 15
        return None

    def _start_log_walk(self, system_ids: list[int]) -> LogWalk:
        """The import's walk of the log, started before its list scan: from a recent
        transaction id (:meth:`_recent_transaction_id`) or the stored cursor, the newer one
        TMS accepts, read on in the background while the rooms are listed; without either
        (a TMS before version 15 gives no TransactionId), the whole log walked now."""
        starts = {self._recent_transaction_id(system_ids), self.store.get_cursor()} - {None, 0}
        for start in sorted(starts, reverse=True):
            try:
                first_page = self._transactions_page(start)
            except CursorUnknown as error:
                log.warning("TMS refused transaction id %s as a start of the log: %s", start,
                            error)
                continue
            return LogWalk.behind(self._transactions_page, start, first_page)
        return LogWalk.done(self.log_head(0))

    # ---- full import and reconciliation -------------------------------------------------------

    def _refresh_rooms(self, progress: Progress | None) -> list[int]:
        systems = self.client().get_systems()
        rooms = [room_from_system(system) for system in systems]
        self.store.replace_rooms(rooms)
        if progress:
            progress("rooms", len(rooms), len(rooms))
        return [room.system_id for room in rooms]

    def _list_resilient(self, systems: list[int], window: tuple[datetime, datetime],
                        unlisted: list[Unreadable]) -> list[Conference]:
        """GetConferencesForSystems; when TMS cannot answer it (one bad booking spoils the
        whole answer), the systems and then the window are halved down to one room and day,
        which is set aside in ``unlisted``."""
        start, end = window
        try:
            return self.client().get_conferences_for_systems(
                systems, start, end, ConferenceStatus.ALL_EXCEPT_DELETED)
        except Exception as error:
            if is_outage(error):
                raise
            if len(systems) > 1:
                half = len(systems) // 2
                parts = [(systems[:half], window), (systems[half:], window)]
            elif end - start > timedelta(days=1):
                middle = (start + (end - start) / 2).replace(microsecond=0)
                parts = [(systems, (start, middle)), (systems, (middle, end))]
            else:
                log.warning("room %s cannot be listed from %s to %s, set aside: %s",
                            systems[0], start, end, reason_of(error))
                unlisted.append(Unreadable(reason_of(error), system_id=systems[0],
                                           start=start.isoformat(), end=end.isoformat()))
                return []
            return [c for part in parts for c in self._list_resilient(*part, unlisted)]

    def list_horizon(self, system_ids: list[int], progress: Progress | None = None,
                     unlisted: list[Unreadable] | None = None) -> dict[tuple, ListedConference]:
        """Every conference TMS lists on these systems within the horizon, grouped per series;
        rooms and days TMS cannot list are added to ``unlisted``.

        The GetConferencesForSystems calls (systems batch × window) run ``detail_workers`` at
        a time, so TMS writes one answer while the bridge reads another; they are merged in
        call order."""
        start, end = self.horizon()
        windows = list(_windows(start, end, self.settings.window_days))
        calls = [(batch, window) for batch in _batches(system_ids, self.settings.systems_per_call)
                 for window in windows]
        listed: dict[tuple, ListedConference] = {}
        unlisted = [] if unlisted is None else unlisted

        def list_one(call: tuple[list[int], tuple[datetime, datetime]]) -> list[Conference]:
            return self._list_resilient(call[0], call[1], unlisted)

        workers = max(1, min(self.settings.detail_workers, len(calls)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tmscal-scan") as pool:
            for done, conferences in enumerate(pool.map(list_one, calls), 1):
                for conference in conferences:
                    key = _listing_key(conference)
                    entry = listed.get(key)
                    if entry is None:
                        entry = listed[key] = ListedConference(key)
                    entry.ids.add(conference.conference_id)
                    entry.version = max(entry.version, conference.version)
                if progress:
                    progress("scan", done, len(calls))
                if done % 20 == 0:
                    self.on_lease_renewal()
        return listed

    def _scan_rooms(self, system_ids: list[int], unlisted: list[Unreadable],
                    progress: Progress | None) -> Iterator[tuple[int, list[Conference]]]:
        """``(room, conferences listed for it in one window)`` for every call, as the answers
        come: one room per GetConferencesForSystems call (a list answer names no
        participants, so the call says which room a conference is in), over windows of
        ``window_days × systems_per_call`` days (as many room-days per call as a batched
        scan), ``detail_workers`` calls at a time. Rooms and days TMS cannot list are added
        to ``unlisted``."""
        start, end = self.horizon()
        windows = list(_windows(start, end, self.settings.window_days
                                * self.settings.systems_per_call))
        calls = [(room, window) for room in system_ids for window in windows]
        workers = max(1, min(self.settings.detail_workers, len(calls)))

        def list_one(call: tuple[int, tuple[datetime, datetime]]) -> list[Conference]:
            return self._list_resilient([call[0]], call[1], unlisted)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tmscal-scan") as pool:
            answers = _as_done(pool, list_one, calls, 2 * workers)
            try:
                for done, (call, conferences) in enumerate(answers, 1):
                    yield call[0], conferences
                    if progress:
                        progress("scan", done, len(calls))
            finally:
                answers.close()

    def full_import(self, progress: Progress | None = None) -> SyncReport:
        """Rebuild the mirror's content from TMS (see the module docstring): the list scan,
        stored at once, beside a walk of the log; then what the log shows changed and the
        scan did not list; then the details."""
        report = SyncReport("full")
        self.store.set_import_progress(ImportProgress(self.store.get_cursor() or 0))
        system_ids = self._refresh_rooms(progress)
        walk = self._start_log_walk(system_ids)
        try:
            listed, seen, failed, unlisted = self._store_scan(system_ids, progress)
        except BaseException:
            walk.cancel()
            raise
        head, logged = walk.result(while_waiting=self.on_lease_renewal)
        report.listed = len(listed)
        set_aside = {entry.conference_id for entry in failed}
        # of conferences set aside: the mirror keeps what it had
        kept_ids = {i for e in listed.values() if e.any_id in set_aside for i in e.ids}
        unlisted_rooms = {entry.system_id for entry in unlisted}
        stale = [ref.uid for ref in self.store.iter_conference_refs() if ref.uid not in seen
                 and not kept_ids.intersection(ref.conference_ids)
                 and not unlisted_rooms.intersection(ref.room_ids)]
        for index, uid in enumerate(stale, 1):
            if self.store.remove_conference(uid).changed:
                report.removed += 1
            if progress:
                progress("cleanup", index, len(stale))
        self._note_unreadable(failed + unlisted, replace_all=True)
        listed_ids = {i for entry in listed.values() for i in entry.ids}
        missed = [i for i, deleted in logged.items() if not deleted and i not in listed_ids]
        if missed:  # changed while the scan ran, in a room it had listed already
            log.info("fetching %d conferences the log names and the scan did not list",
                     len(missed))
            self.apply_conference_ids(missed, report)
        self.store.set_import_progress(ImportProgress(head, listed=True))
        return self._fetch_details(report, progress)

    def _store_scan(self, system_ids: list[int], progress: Progress | None
                    ) -> tuple[dict[tuple, ListedConference], set[str], list[Unreadable],
                               list[Unreadable]]:
        """List every room over the horizon (:meth:`_scan_rooms`), storing each answer as it
        comes as preliminary records. Returns ``(listed, seen, failed, unlisted)``: the
        listings per booking, the UIDs stored, the bookings that could not be rendered and
        the rooms and days TMS could not list."""
        directory = self._directory()
        unlisted: list[Unreadable] = []
        failed: list[Unreadable] = []
        listed: dict[tuple, ListedConference] = {}
        seen: set[str] = set()
        buffer: dict[str, ConferenceRecord] = {}

        def flush() -> None:
            if buffer:
                self.store.store_conferences(list(buffer.values()))
                buffer.clear()
                self.on_lease_renewal()

        for room, conferences in self._scan_rooms(system_ids, unlisted, progress):
            found: dict[tuple, dict[int, Conference]] = {}  # per booking
            for conference in conferences:
                found.setdefault(_listing_key(conference), {})[conference.conference_id] = \
                    conference
            for key, by_id in found.items():
                occurrences = list(by_id.values())
                entry = listed.get(key)
                if entry is None:
                    entry = listed[key] = ListedConference(key)
                entry.rooms.add(room)
                entry.ids.update(o.conference_id for o in occurrences)
                entry.version = max(entry.version, *(o.version for o in occurrences))
                if any(o.recurrence_instance_id_utc is not None for o in occurrences):
                    entry.occurrences.update((o.conference_id, o) for o in occurrences)
                    occurrences = list(entry.occurrences.values())
                record = self._listed_record(occurrences, entry, directory)
                if isinstance(record, Unreadable):
                    failed.append(record)
                elif record is not None:
                    seen.add(record.uid)
                    buffer[record.uid] = record
                    if len(buffer) >= IMPORT_BATCH:
                        flush()
        flush()
        return listed, seen, failed, unlisted

    def _follow_import_log(self, head: int, report: SyncReport) -> int:
        """Follow the log from an import's ``head`` while its details are fetched; the
        import's progress keeps the position. A refused head is left for the next incremental
        sync (which then imports again)."""
        def advance(newest: int) -> None:
            self.store.set_import_progress(ImportProgress(newest, listed=True))

        try:
            return self._follow_log(head, report, advance)
        except CursorUnknown as error:
            log.warning("TMS refused the import's log position %s: %s", head, error)
            return head

    def _listed_record(self, occurrences: list[Conference], entry: ListedConference,
                       directory: MirrorRoomDirectory) -> ConferenceRecord | None | Unreadable:
        """:func:`listed_record_for`, with a listing that cannot be rendered set aside."""
        try:
            return listed_record_for(occurrences, entry.rooms, directory,
                                     default_zone=self.settings.default_zone,
                                     privacy=self.privacy)
        except Exception as error:
            return self._set_aside(entry.any_id, error)

    def _fetch_details(self, report: SyncReport, progress: Progress | None = None
                       ) -> SyncReport:
        """Fetch in full every conference awaiting its details (but those set aside),
        ``detail_workers`` at a time, storing them ``IMPORT_BATCH`` per transaction and
        following the log from the import's head between batches; then end the import: the
        cursor becomes its head."""
        underway = self.store.import_progress()
        head = underway.head if underway is not None else (self.store.get_cursor() or 0)
        set_aside = {e.conference_id for e in self.unreadable().values()}
        ids = [i for i in dict.fromkeys(self.store.awaiting_details()) if i not in set_aside]

        def fetch(conference_id: int) -> tuple[ConferenceRef | None, object]:
            return (self.store.find_by_conference_id(conference_id),
                    self._fetch_or_fault(conference_id))

        workers = max(1, self.settings.detail_workers)
        followed = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tmscal-details") as pool:
            answers = _in_order(pool, fetch, ids, max(2 * workers, IMPORT_BATCH))
            try:
                for offset in range(0, len(ids), IMPORT_BATCH):
                    batch = ids[offset:offset + IMPORT_BATCH]
                    previous, fetched = {}, {}
                    for conference_id, (before, answer) in zip(batch, answers):
                        previous[conference_id], fetched[conference_id] = before, answer
                    self._apply_fetched(fetched, previous, report)
                    self.on_lease_renewal()
                    if progress:
                        progress("details", offset + len(batch), len(ids))
                    if time.monotonic() - followed >= self.settings.poll_interval:
                        head = self._follow_import_log(head, report)
                        followed = time.monotonic()
            finally:
                answers.close()
        self.store.set_cursor(head)
        self.store.set_import_progress(None)
        self.store.record_sync(success=True, kind="full", counters=report.counters())
        self.purge_tombstones()
        return report

    def reconcile(self) -> SyncReport:
        """Compare the horizon with TMS and refetch whatever the log missed."""
        report = SyncReport("reconcile")
        system_ids = self._refresh_rooms(None)
        unlisted: list[Unreadable] = []
        listed = self.list_horizon(system_ids, None, unlisted)
        report.listed = len(listed)
        unlisted_rooms = {entry.system_id for entry in unlisted}
        refs = list(self.store.iter_conference_refs())
        by_id = {i: ref for ref in refs for i in ref.conference_ids}
        listed_ids: set[int] = set()
        refresh: list[int] = []
        for entry in listed.values():
            listed_ids |= entry.ids
            known = {by_id[i].uid: by_id[i] for i in entry.ids if i in by_id}
            ref = next(iter(known.values()), None)
            if ref is None or len(known) > 1 or ref.version < entry.version \
                    or not entry.ids <= set(ref.conference_ids):
                refresh.append(entry.any_id)
        for ref in refs:
            if not listed_ids.intersection(ref.conference_ids) \
                    and not unlisted_rooms.intersection(ref.room_ids):
                refresh.append(ref.series_id)
        self._note_unreadable(unlisted, cleared=[key for key, entry in self.unreadable().items()
                                                 if entry.system_id is not None])
        self.apply_conference_ids(refresh, report)
        self.store.record_sync(success=True, kind="reconcile", counters=report.counters())
        self.purge_tombstones()
        return report

    def purge_tombstones(self) -> int:
        cutoff = self._clock() - timedelta(days=self.settings.tombstone_days)
        return self.store.purge_tombstones(cutoff)


def held_by_tms(client, source: str, key: str) -> Conference | None:
    """The live booking TMS holds under these external ids (a series in full), or None."""
    try:
        return live(client.get_conference_by_external_id(source, key))
    except (ConferenceNotFound, ConferenceDeleted):
        return None


def live(conference: Conference | None) -> Conference | None:
    """``conference`` when it is a live booking (a real id, not deleted), else None."""
    if conference is None or conference.conference_id <= 0 \
            or conference.status == ConferenceStatus.DELETED:
        return None
    return conference


def store_held(store: MirrorStore, uid: str, held: Conference | None, *,
               default_zone: str = "UTC", privacy: str = "full") -> None:
    """Make the mirror show what TMS holds for ``uid`` (``held``: :func:`held_by_tms`, None =
    nothing) and forget its pending mark."""
    if held is None:
        store.remove_conference(uid)
    else:
        store_saved_conference(store, held, default_zone=default_zone, privacy=privacy)
    store.clear_pending(uid)


def store_saved_conference(store: MirrorStore, conference: Conference, *,
                           default_zone: str = "UTC", privacy: str = "full"
                           ) -> ConferenceRecord | None:
    """Write TMS's answer to a SaveConference into the mirror at once (read-your-writes).

    ``conference`` is the saved series or single conference as TMS returned it. Returns the
    stored record, or None when it shows in no room (then it is removed from the mirror).
    """
    directory = MirrorRoomDirectory.of_store(store, default_zone)
    record = record_for(conference, directory, default_zone=default_zone, privacy=privacy)
    if record is None:
        ref = store.find_by_conference_id(conference.conference_id)
        if ref is not None:
            store.remove_conference(ref.uid)
        return None
    store.store_conference(record)
    return record
