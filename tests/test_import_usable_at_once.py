"""An import usable at once, against the simulator over HTTP: room calendars show every booking
from the list scan while the detail calls are held (right times and titles, in the room's zone,
across a DST change of a series), details fill in behind it with new ETags that
sync-collection reports, and an import killed halfway resumes without fetching any stored
detail again, losing nothing TMS did meanwhile."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from lxml import etree

from calendar_parsers import icalendar_spans, ical_js, spans
from tests.bridge_harness import start_bridge, wait_until, write_bridge_config
from tmscal.tms import TmsClient
from tmscal.ical.zones import time_zone_rule
from tmscal.mirror.records import iana_zone
from tmscal.model import (
    Conference, ConferenceStatus, DayOfWeek, Participant, ParticipantCallType,
    RecurrencePattern, RecurringFrequency,
)

DETAILS = "GetRecurrentConferenceById"
LIST = "GetConferencesForSystems"
LOG = "GetTransactionsSince"
OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")


def next_dst_change(zone: ZoneInfo, after: datetime) -> datetime:
    """The first hour (UTC) after ``after`` at which ``zone``'s offset differs from before."""
    hour = after.replace(minute=0, second=0, microsecond=0)
    offset = hour.astimezone(zone).utcoffset()
    while hour.astimezone(zone).utcoffset() == offset:
        hour += timedelta(hours=1)
    return hour


def weekly_across_dst(now: datetime) -> tuple[datetime, int]:
    """(first UTC start, instances) of a weekly 09:00 Oslo series starting two weeks before
    the next DST change that is at least three days away."""
    change = next_dst_change(OSLO, now + timedelta(days=3))
    first_day = (change - timedelta(days=14)).astimezone(OSLO).date()
    if datetime.combine(first_day, datetime.min.time(), OSLO) < now + timedelta(days=1):
        first_day += timedelta(days=7)
    first = datetime.combine(first_day, datetime.min.time().replace(hour=9), OSLO)
    return first.astimezone(UTC), 5


def book_series_and_single(admin) -> tuple[Conference, Conference]:
    """A weekly series in Oslo Fjord (101) across a DST change, with a dial-in guest, and a
    single meeting in NY Hudson (106) at 10:00 New York time with a SIP dial-out."""
    now = datetime.now(UTC)
    first, instances = weekly_across_dst(now)
    series = admin.save_conference(Conference(
        title="Fjord weekly", start_utc=first, end_utc=first + timedelta(minutes=45),
        time_zone_rules=[time_zone_rule("Europe/Oslo", first.year)],
        participants=[Participant(ParticipantCallType.TMS, 101),
                      Participant(ParticipantCallType.IP_VIDEO_IN, 0, "Guest on video")],
        recurrence=RecurrencePattern(
            RecurringFrequency.WEEKLY, 1, [DayOfWeek.from_python_weekday(first.weekday())],
            instances=instances)))
    day = (now + timedelta(days=5)).astimezone(NEW_YORK).date()
    start = datetime.combine(day, datetime.min.time().replace(hour=10), NEW_YORK).astimezone(UTC)
    single = admin.save_conference(Conference(
        title="Hudson review", start_utc=start, end_utc=start + timedelta(hours=1),
        participants=[Participant(ParticipantCallType.TMS, 106),
                      Participant(ParticipantCallType.SIP_OUT, 0, "partner@video.example.com")]))
    return series, single


def listed_spans(admin, room: int, now: datetime) -> list[tuple[int, int]]:
    """What TMS lists for ``room`` (a year around now), as Unix-second spans."""
    return sorted((int(c.start_utc.timestamp()), int(c.end_utc.timestamp()))
                  for c in admin.get_conferences_for_systems(
                      [room], now - timedelta(days=30), now + timedelta(days=365),
                      ConferenceStatus.ALL_EXCEPT_DELETED))


def unfolded(response: requests.Response) -> str:
    return response.text.replace("\r\n ", "")


def get_object(bridge, room: int, uid: str) -> requests.Response:
    return requests.get(f"{bridge.url}alice/room-{room}/{uid}.ics", auth=("alice", "alice"),
                        timeout=30)


def sync_collection(bridge, room: int, token: str = "") -> tuple[str, dict[str, str]]:
    """(new token, {href: etag}) of a sync-collection REPORT from ``token``."""
    body = ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
            f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
            "<D:prop><D:getetag/></D:prop></D:sync-collection>")
    response = requests.request("REPORT", f"{bridge.url}alice/room-{room}/", data=body,
                                auth=("alice", "alice"), timeout=30,
                                headers={"Content-Type": "application/xml", "Depth": "1"})
    assert response.status_code == 207, response.text
    tree = etree.fromstring(response.content)
    ns = {"D": "DAV:"}
    changed = {r.findtext("D:href", namespaces=ns).rsplit("/", 1)[-1]:
               r.findtext(".//D:getetag", namespaces=ns)
               for r in tree.findall("D:response", ns)}
    return tree.findtext("D:sync-token", namespaces=ns), changed


def local_starts(text: str, window: tuple[int, int]) -> list[datetime]:
    """The occurrence starts of ``text`` as recurring-ical-events expands them (zoned)."""
    import recurring_ical_events
    from icalendar import Calendar

    calendar = Calendar.from_ical(text)
    return sorted(event["DTSTART"].dt for event in recurring_ical_events.of(calendar).between(
        datetime.fromtimestamp(window[0], UTC), datetime.fromtimestamp(window[1], UTC)))


def test_calendars_show_bookings_before_details_and_details_fill_in(tms, admin, tmp_path):
    series, single = book_series_and_single(admin)
    now = datetime.now(UTC)
    window = (int((now - timedelta(days=30)).timestamp()),
              int((now + timedelta(days=365)).timestamp()))
    tms.faults.held_operations = [DETAILS]
    config = write_bridge_config(tmp_path, tms_url=tms.url, users=("alice",),
                                 rights={"alice": "book=101,106"}, timeout=30.0)
    bridge = start_bridge(config)
    try:
        fjord = wait_until(lambda: (r := get_object(bridge, 101, series.external_primary_key))
                           .status_code == 200 and r, timeout=120)
        hudson = wait_until(lambda: (r := get_object(bridge, 106, single.external_primary_key))
                            .status_code == 200 and r, timeout=60)
        store = bridge.runtime.store
        assert store.get_cursor() is None and len(store.awaiting_details()) == 2
        wait_until(lambda: tms.calls[DETAILS] >= 1)  # asked, and held: none has arrived

        # every occurrence TMS lists, exactly, as two client parsers read the served text
        expected = listed_spans(admin, 101, now)
        assert len(expected) == 5 and len({s[0] % 86400 for s in expected}) == 2  # DST
        path = tmp_path / "fjord.ics"
        path.write_text(fjord.text)
        assert icalendar_spans(fjord.text, window) == expected
        assert spans(ical_js([path], window)[0]) == expected
        # in the room's zone (its Windows id read as IANA): 09:00 on both sides of the change
        zone = iana_zone(store.get_room(101).zone)
        starts = local_starts(fjord.text, window)
        assert [(s.hour, s.minute, str(s.tzinfo)) for s in starts] == [(9, 0, zone)] * 5
        assert ZoneInfo(zone).utcoffset(datetime(2027, 1, 1)) == OSLO.utcoffset(
            datetime(2027, 1, 1))
        assert "SUMMARY:Fjord weekly" in fjord.text and "Guest on video" not in unfolded(fjord)
        ny = local_starts(hudson.text, window)
        assert [(s.hour, str(s.tzinfo)) for s in ny] == [
            (10, iana_zone(store.get_room(106).zone))]
        assert icalendar_spans(hudson.text, window) == listed_spans(admin, 106, now)
        assert "SUMMARY:Hudson review" in hudson.text and "partner@" not in unfolded(hudson)
        token, listed = sync_collection(bridge, 101)
        assert listed == {f"{series.external_primary_key}.ics": fjord.headers["ETag"]}
        # the series as listed (single dates) cannot be written back yet: a wait, not an error
        renamed = requests.put(
            f"{bridge.url}alice/room-101/{series.external_primary_key}.ics",
            data=fjord.text.replace("SUMMARY:Fjord weekly", "SUMMARY:Renamed").encode(),
            auth=("alice", "alice"), timeout=60,
            headers={"Content-Type": "text/calendar", "If-Match": fjord.headers["ETag"]})
        assert renamed.status_code == 503 and int(renamed.headers["Retry-After"]) > 0
        assert "Oslo Fjord" in renamed.text and "still being read from TMS" in renamed.text

        tms.faults.held_operations = []
        wait_until(lambda: store.get_cursor() is not None, timeout=60)
        assert store.awaiting_details() == [] and store.import_progress() is None
        full = get_object(bridge, 101, series.external_primary_key)
        assert full.headers["ETag"] != fjord.headers["ETag"]
        assert "Guest on video" in unfolded(full) and "RRULE:FREQ=WEEKLY" in full.text
        assert icalendar_spans(full.text, window) == expected
        assert "partner@video.example.com" in unfolded(get_object(
            bridge, 106, single.external_primary_key))
        _, changed = sync_collection(bridge, 101, token)
        assert changed == {f"{series.external_primary_key}.ics": full.headers["ETag"]}
        assert tms.calls[DETAILS] == 2  # each conference fetched once
    finally:
        tms.faults.held_operations = []
        bridge.stop()


_IMPORTER = """
import sys
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.mirror.sync import Syncer
from tmscal.settings import MirrorSettings
from tmscal.tms import TmsClient
database, url = sys.argv[1:3]
store = SqliteMirrorStore(database)
settings = MirrorSettings(detail_workers=2, horizon_past_days=30, horizon_future_days=365,
                          poll_interval=3600)
Syncer(store, lambda: TmsClient(url, "tmscal-svc", "tmscal-svc"), settings).sync_once()
"""


def run_importer(database: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _IMPORTER, str(database), url],
                            cwd=Path(__file__).parent.parent)


def assert_mirror_lists_as_tms(store, admin) -> None:
    """Every room calendar holds each occurrence TMS lists for the room (inside the import's
    horizon), once."""
    now = datetime.now(UTC)
    lo, hi = now - timedelta(days=29), now + timedelta(days=364)
    for room in store.list_rooms():
        held = sorted((int(o.start_utc.timestamp()), int(o.end_utc.timestamp()))
                      for o in store.occurrences_in_range(room.calendar_id, lo, hi))
        listed = sorted((int(c.start_utc.timestamp()), int(c.end_utc.timestamp()))
                        for c in admin.get_conferences_for_systems(
                            [room.system_id], lo, hi, ConferenceStatus.ALL_EXCEPT_DELETED))
        assert held == listed, room.name


def test_an_import_killed_halfway_resumes_without_fetching_a_stored_detail_again(
        simulator, tmp_path):
    """The importer runs in its own process and is killed (SIGKILL) once some detail batches
    are stored: started again, it fetches exactly the conferences still awaiting details; a
    booking made in TMS while it was down is in the mirror after the next sync; the mirror
    then equals TMS."""
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings

    simulator.faults.latency = 0.002  # a few seconds of details, so the kill lands halfway
    database = tmp_path / "mirror.sqlite3"
    importer = run_importer(database, simulator.url)
    try:
        store = wait_until(lambda: database.exists() and SqliteMirrorStore(database))
        first = wait_until(lambda: store.import_progress() is not None
                           and store.import_progress().listed and len(store.awaiting_details()),
                           timeout=120)
        wait_until(lambda: len(store.awaiting_details()) < first or importer.poll() is not None,
                   timeout=120, step=0.01)
        importer.send_signal(signal.SIGKILL)
        importer.wait(30)
    finally:
        if importer.poll() is None:
            importer.kill()
    awaiting = len(store.awaiting_details())
    assert 0 < awaiting < first, "the kill must land between two detail batches"
    assert store.get_cursor() is None and store.import_progress().listed
    called = simulator.calls[DETAILS]

    with TmsClient(simulator.url, "admin", "admin") as admin:
        start = (datetime.now(UTC) + timedelta(days=40)).replace(hour=3, minute=0, second=0,
                                                                 microsecond=0)
        meanwhile = admin.save_conference(Conference(
            title="Booked while the bridge was down", start_utc=start,
            end_utc=start + timedelta(minutes=30),
            participants=[Participant(ParticipantCallType.TMS, 101)]))
        restarted = run_importer(database, simulator.url)
        assert restarted.wait(300) == 0
        assert simulator.calls[DETAILS] - called == awaiting  # none stored is fetched again
        assert store.awaiting_details() == [] and store.import_progress() is None
        assert store.get_cursor() is not None

        settings = MirrorSettings(horizon_past_days=30, horizon_future_days=365)
        Syncer(store, lambda: TmsClient(simulator.url, "tmscal-svc", "tmscal-svc"),
               settings).sync_once()
        assert store.find_by_uid(meanwhile.external_primary_key) is not None
        assert_mirror_lists_as_tms(store, admin)
    store.close()


def test_an_import_killed_during_the_concurrent_scan_scans_again_and_shows_each_booking_once(
        simulator, tmp_path):
    """The list calls run ``detail_workers`` (2) at a time: both are under way at once (held
    by the simulator) when the importer is killed. Started again, it scans every room once
    more and ends with every booking in its room's calendar once, each conference's details
    fetched once. (The log is held first, so the list calls that find where to start
    reading it, ``probes``, pass before the scan's are held.)"""
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore

    simulator.faults.held_operations = [LOG]
    database = tmp_path / "mirror.sqlite3"
    importer = run_importer(database, simulator.url)
    try:
        wait_until(lambda: simulator.calls[LOG] >= 1, timeout=120)
        probes = simulator.calls[LIST]
        assert probes >= 1  # the demo seed has conferences around now: TransactionIds
        simulator.faults.held_operations = [LIST]  # releases the log
        wait_until(lambda: simulator.calls[LIST] >= probes + 2, timeout=120)  # two at once
        store = SqliteMirrorStore(database)
        underway = store.import_progress()
        assert underway is not None and not underway.listed
        importer.send_signal(signal.SIGKILL)
        importer.wait(30)
    finally:
        if importer.poll() is None:
            importer.kill()
        simulator.faults.held_operations = []
    assert simulator.calls[LIST] == probes + 2 and simulator.calls[DETAILS] == 0
    assert store.get_cursor() is None

    restarted = run_importer(database, simulator.url)
    assert restarted.wait(300) == 0
    rooms = store.list_rooms()
    # the probes again, then one window per room, each room once
    assert simulator.calls[LIST] == 2 * probes + 2 + len(rooms)
    assert store.awaiting_details() == [] and store.import_progress() is None
    assert store.get_cursor() is not None
    assert simulator.calls[DETAILS] == len(list(store.iter_conference_refs()))
    with TmsClient(simulator.url, "admin", "admin") as admin:
        assert_mirror_lists_as_tms(store, admin)
    store.close()


def test_a_booking_listed_in_two_scan_windows_shows_once(tms, admin, tmp_path):
    """With one-day scan windows, a meeting and a weekly series crossing the windows' edges
    are listed twice; the calendar shows each occurrence once, at its time."""
    import threading

    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    edge = now + timedelta(days=5)  # a window's edge: windows start at now - 30 days
    single = admin.save_conference(Conference(
        title="Across an edge", start_utc=edge - timedelta(hours=1),
        end_utc=edge + timedelta(hours=1),
        participants=[Participant(ParticipantCallType.TMS, 102)]))
    first = edge + timedelta(days=2, hours=-1)
    series = admin.save_conference(Conference(
        title="Weekly across edges", start_utc=first, end_utc=first + timedelta(hours=2),
        participants=[Participant(ParticipantCallType.TMS, 102)],
        recurrence=RecurrencePattern(RecurringFrequency.WEEKLY, 1,
                                     [DayOfWeek.from_python_weekday(first.weekday())],
                                     instances=3)))
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    settings = MirrorSettings(horizon_past_days=30, horizon_future_days=60, window_days=1,
                              systems_per_call=1)
    syncer = Syncer(store, lambda: TmsClient(tms.url, "tmscal-svc", "tmscal-svc"), settings,
                    clock=lambda: now)
    tms.faults.held_operations = [DETAILS]
    importing = threading.Thread(target=syncer.full_import)
    importing.start()
    try:
        wait_until(lambda: len(store.awaiting_details()) == 2, timeout=120)
        window = (int(now.timestamp()), int((now + timedelta(days=60)).timestamp()))
        listed = listed_spans(admin, 102, now)
        assert len(listed) == 4
        for booking, expected in ((single, listed[:1]), (series, listed[1:])):
            text = store.object_for_uid("102", booking.external_primary_key).ical
            assert icalendar_spans(text, window) == expected
            rdates = [line for line in text.replace("\r\n ", "").splitlines()
                      if line.startswith("RDATE")]
            assert [line.count(",") + 1 for line in rdates] == (
                [len(expected) - 1] if len(expected) > 1 else [])
    finally:
        tms.faults.held_operations = []
        importing.join(120)
    assert store.awaiting_details() == [] and store.get_cursor() is not None
    store.close()


class _LogGate:
    """Holds every GetTransactionsSince after the first (an import's check of where it starts
    reading the log) until :meth:`open`: the import's walk of the log then reads on only
    after what the test does during the scan. Counts the calls."""

    def __init__(self) -> None:
        import threading

        self.calls = 0
        self._lock = threading.Lock()
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def client(self, url: str) -> TmsClient:
        gate = self

        class GatedClient(TmsClient):
            def get_transactions_since(self, transaction_id):
                with gate._lock:
                    gate.calls += 1
                    first = gate.calls == 1
                if not first:
                    assert gate._open.wait(60), "the log was never opened"
                return super().get_transactions_since(transaction_id)

        return GatedClient(url, "tmscal-svc", "tmscal-svc")


def _newest_transaction(admin) -> int:
    return max(t.transaction_id for t in admin.iter_transactions_since(0))


def _book(admin, title: str, room: int, start: datetime) -> Conference:
    return admin.save_conference(Conference(
        title=title, start_utc=start, end_utc=start + timedelta(minutes=30),
        participants=[Participant(ParticipantCallType.TMS, room)]))


def test_a_booking_made_in_a_room_already_listed_is_in_the_mirror_when_the_import_ends(
        tms, admin, tmp_path):
    """The log is walked beside the list scan, and the walk ends after the scan: a meeting
    booked (and one deleted) in a room after the scan listed it, with transaction ids at or
    below the cursor the import ends with, are in the mirror (resp. gone) without another
    sync; the mirror lists as TMS does."""
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _book(admin, "Around now", 101, now + timedelta(hours=3))  # where the log is read from
    # booked after it and further ahead: the walk has pages to read during the scan
    doomed = _book(admin, "Cancelled during the import", 101, now + timedelta(days=10))
    _book(admin, "Elsewhere", 102, now + timedelta(days=12))
    tms.engine.transaction_page_size = 1  # the log's walk needs several pages
    gate = _LogGate()
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    settings = MirrorSettings(detail_workers=1, horizon_past_days=30, horizon_future_days=365,
                              poll_interval=3600)
    syncer = Syncer(store, lambda: gate.client(tms.url), settings)
    made: list[Conference] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "scan" and done == total and not made:  # every room is listed
            made.append(_book(admin, "Booked during the import", 101,
                              now + timedelta(days=1, hours=2)))
            admin.delete_conference_by_id(doomed.conference_id)
            gate.open()

    syncer.full_import(progress)
    late = made[0]
    assert gate.calls >= 3  # the walk read on after the scan
    assert store.get_cursor() == _newest_transaction(admin)
    assert store.find_by_uid(late.external_primary_key) is not None
    assert store.find_by_uid(doomed.external_primary_key) is None
    assert store.awaiting_details() == [] and store.import_progress() is None
    assert_mirror_lists_as_tms(store, admin)
    store.close()


def test_an_import_reads_the_log_from_a_recent_transaction_not_from_its_beginning(
        tms, admin, tmp_path):
    """With TMS 15's TransactionId on listed conferences, the import starts reading the log
    at the newest one around now (a page or two) instead of walking the whole log; a TMS
    that gives no TransactionId (API 14) has its whole log walked. Both end with the cursor
    at the log's head and the mirror as TMS lists it."""
    from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
    from tmscal.mirror.sync import Syncer
    from tmscal.settings import MirrorSettings

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for index in range(12):
        _book(admin, f"Meeting {index}", 101 + index % 3, now + timedelta(hours=2 + index))
    tms.engine.transaction_page_size = 2
    settings = MirrorSettings(horizon_past_days=30, horizon_future_days=365)
    pages = {}
    for version in (None, 14):
        store = SqliteMirrorStore(tmp_path / f"mirror-{version}.sqlite3")
        before = tms.calls[LOG]
        Syncer(store, lambda: TmsClient(tms.url, "tmscal-svc", "tmscal-svc",
                                        api_version=version), settings).full_import()
        pages[version] = tms.calls[LOG] - before
        assert store.get_cursor() == _newest_transaction(admin)
        assert_mirror_lists_as_tms(store, admin)
        store.close()
    # from the newest booking's transaction one page, nothing after it (asked twice: API 15
    # answers the first licensed call with a ClientSession to use); from the start 12
    # transactions, 2 a page, and the empty page after them
    assert pages[None] == 2
    assert pages[14] == 7
