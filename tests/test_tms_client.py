"""TmsClient against the TMS simulator over HTTP on 127.0.0.1: every operation, the ClientSession
handshake, paging of the transaction log, and many threads sharing one client.

The simulator gets a small hand-made world (rooms, users with different rights, a licence pool)
so each test can provoke exactly the answer it wants; ``test_tms_client_errors.py`` reuses it.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from tmscal.model import (
    UTC,
    BookingMode,
    Conference,
    ConferenceStatus,
    DayOfWeek,
    ExceptionType,
    Participant,
    ParticipantCallType,
    RecurrenceEndType,
    RecurrencePattern,
    RecurringFrequency,
    System,
    TimeZoneRule,
    TransactionType,
    TransitionRule,
)
from tmscal.simulator.engine import Tms
from tmscal.simulator.timezones import zone_info
from tmscal.tms import TmsClient

ROOM_A, ROOM_B, ROOM_UNLICENSED = 101, 102, 103
SOURCE = "tmscal-test"
PASSWORD = "s3cret-Pa55word!"


@pytest.fixture
def tms_sim(simulator_factory):
    """A simulator with three rooms (two licensed, a pool of two licences), and users:
    ``alice`` (may book everything), ``bob`` (only room A), ``carol`` (no booking rights)."""
    engine = Tms(booking_window_days=60, licence_pool=2, transaction_page_size=100)
    for system_id, name in ((ROOM_A, "Room A"), (ROOM_B, "Room B"),
                            (ROOM_UNLICENSED, "Room C")):
        engine.add_system(System(system_id=system_id, name=name, location="Floor 1",
                                 time_zone="W. Europe Standard Time", sip_uri=f"{system_id}@x"),
                          allow_remote_bookings=system_id != ROOM_UNLICENSED)
    engine.add_user("alice", PASSWORD, first_name="Alice", last_name="Liddell",
                    email_address="alice@example.org")
    engine.add_user("bob", PASSWORD, bookable_system_ids=frozenset({ROOM_A}))
    engine.add_user("carol", PASSWORD, booking=False)
    return simulator_factory(engine=engine)


@pytest.fixture
def client(tms_sim):
    tms_client = TmsClient(tms_sim.url, "TMSSIM\\alice", PASSWORD, timeout=(2.0, 10.0))
    tms_client.negotiate_version()  # call counts in the tests start after the version probe
    yield tms_client
    tms_client.close()


def soon(hours: float = 1.0, length: float = 1.0) -> tuple[datetime, datetime]:
    start = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
    return start, start + timedelta(hours=length)


def meeting(title: str = "Planning", *, rooms=(ROOM_A,), hours: float = 1.0,
            length: float = 1.0, key: str = "") -> Conference:
    start, end = soon(hours, length)
    return Conference(title=title, start_utc=start, end_utc=end,
                      external_source_id=SOURCE if key else "", external_primary_key=key,
                      participants=[Participant(participant_id=r) for r in rooms])


# -- Remote Setup ---------------------------------------------------------------------------


def test_is_alive(client):
    assert client.is_alive() is True


def test_systems_users_and_system_by_id(client, tms_sim):
    systems = {s.system_id: s for s in client.get_systems()}
    assert set(systems) == {ROOM_A, ROOM_B, ROOM_UNLICENSED}
    room = systems[ROOM_A]
    assert (room.name, room.location, room.time_zone, room.sip_uri) == \
        ("Room A", "Floor 1", "W. Europe Standard Time", f"{ROOM_A}@x")
    assert client.get_system_by_id(ROOM_B).name == "Room B"
    users = {u.user_name: u for u in client.get_users()}
    assert users["TMSSIM\\alice"].email_address == "alice@example.org"
    assert users["TMSSIM\\alice"].first_name == "Alice"


def test_systems_for_user_follow_rights(client):
    bob = client.with_credentials("bob", PASSWORD)
    assert [s.system_id for s in bob.get_systems_for_user()] == [ROOM_A]
    assert len(client.get_systems_for_user()) == 3


# -- reading and writing conferences --------------------------------------------------------


def test_default_conference_reports_server_version(client):
    default = client.get_default_conference()
    assert default.conference_id == -1
    assert default.owner_user_name == "TMSSIM\\alice"
    assert client.server_api_version == 22


def test_save_and_read_back_a_conference(client):
    wanted = meeting("Budget review", rooms=(ROOM_A, ROOM_B), key="uid-1")
    wanted.participants.append(Participant(call_type=ParticipantCallType.SIP_OUT,
                                           name_or_number="sip:guest@example.com",
                                           email_address="guest@example.com"))
    wanted.time_zone_rules = [TimeZoneRule(id="W. Europe Standard Time",
                                           base_offset_minutes=60, daylight_offset_minutes=60,
                                           daylight=TransitionRule(3, 0, 5, 7200),
                                           standard=TransitionRule(10, 0, 5, 10800))]
    saved = client.save_conference(wanted)
    assert saved.conference_id > 0 and saved.version > 0 and saved.transaction_id > 0
    assert (saved.title, saved.start_utc, saved.end_utc) == \
        ("Budget review", wanted.start_utc, wanted.end_utc)
    assert saved.status is ConferenceStatus.PENDING
    assert saved.system_ids == [ROOM_A, ROOM_B]
    dial_out = saved.participants[2]
    assert dial_out.call_type is ParticipantCallType.SIP_OUT
    assert dial_out.name_or_number == "sip:guest@example.com"
    assert saved.time_zone_rules[0].id == "W. Europe Standard Time"
    assert saved.time_zone_rules[0].daylight == TransitionRule(3, 0, 5, 7200)
    assert saved.conference_info_text and saved.password

    read = client.get_conference_by_id(saved.conference_id)
    assert read == saved
    assert client.get_conference_id_by_external_id(SOURCE, "uid-1") == saved.conference_id
    assert client.get_conference_by_external_id(SOURCE, "uid-1").conference_id == \
        saved.conference_id


def test_update_echoes_version(client):
    saved = client.save_conference(meeting("First title", key="uid-2"))
    changed = client.save_conference(saved.copy(title="Second title"))
    assert changed.conference_id == saved.conference_id
    assert changed.title == "Second title"
    assert changed.version > saved.version


def test_lists_for_systems_and_user(client):
    saved = client.save_conference(meeting("Listed", rooms=(ROOM_B,), hours=3))
    start, end = saved.start_utc - timedelta(hours=1), saved.end_utc + timedelta(hours=1)
    by_room = client.get_conferences_for_systems([ROOM_B], start, end)
    assert [c.conference_id for c in by_room] == [saved.conference_id]
    assert by_room[0].participants == []  # list shape: TMS leaves participants out
    assert client.get_conferences_for_systems([ROOM_A], start, end) == []
    mine = client.get_conferences_for_user("", start, end)
    assert saved.conference_id in [c.conference_id for c in mine]
    alices = client.get_conferences_for_user("TMSSIM\\alice", start, end,
                                             ConferenceStatus.ALL)
    assert saved.conference_id in [c.conference_id for c in alices]


def test_save_with_mode_best_effort_saves_defective(client):
    first = client.save_conference(meeting("Holder", hours=5))
    clash = meeting("Clash", hours=5)
    saved = client.save_conference_with_mode(clash, BookingMode.BEST_EFFORT_FORCED)
    assert saved.conference_id > 0 and saved.conference_id != first.conference_id
    assert saved.status is ConferenceStatus.DEFECTIVE
    strict = client.save_conference_with_mode(meeting("Elsewhere", rooms=(ROOM_B,), hours=5),
                                              BookingMode.STRICT)
    assert strict.status is ConferenceStatus.PENDING


def weekly_series(title: str, key: str, *, count: int = 4) -> Conference:
    start, end = soon(24, 1)
    series = Conference(title=title, start_utc=start, end_utc=end, external_source_id=SOURCE,
                        external_primary_key=key,
                        participants=[Participant(participant_id=ROOM_A)])
    series.recurrence = RecurrencePattern(
        frequency=RecurringFrequency.WEEKLY, interval=1,
        days_of_week=[DayOfWeek.from_python_weekday(start.weekday())],
        end_type=RecurrenceEndType.END_BY_INSTANCES, instances=count)
    return series


def test_series_instances_and_exceptions(client):
    saved = client.save_conference(weekly_series("Weekly sync", "uid-series"))
    assert saved.recurrence is not None
    assert saved.recurrence.frequency is RecurringFrequency.WEEKLY
    assert saved.recurrence.instances == 4
    # occurrences repeat at the same local time in the room's zone (across a DST change too)
    local_start = saved.start_utc.astimezone(zone_info(saved.time_zone_rules[0].id))
    second_start, third_start = ((local_start + timedelta(weeks=n)).astimezone(timezone.utc)
                                 for n in (1, 2))

    second_id = client.get_conference_id_by_external_id(SOURCE, "uid-series", second_start)
    assert second_id != saved.conference_id
    second = client.get_conference_by_id(second_id)
    assert second.recurrence_instance_id_utc == second_start

    moved = second.copy(title="Moved sync", start_utc=second_start + timedelta(hours=2),
                        end_utc=second_start + timedelta(hours=3))
    instance = client.save_conference_rec_instance(moved)
    assert instance.conference_id == second_id
    assert instance.title == "Moved sync"
    assert instance.start_utc == second_start + timedelta(hours=2)
    again = client.save_conference_rec_instance(
        instance.copy(title="Moved again"), BookingMode.BEST_EFFORT_FORCED)
    assert again.title == "Moved again"

    third_id = client.get_conference_id_by_external_id(SOURCE, "uid-series", third_start)
    client.delete_conference_rec_instance_by_id(third_id)

    series = client.get_recurrent_conference_by_id(second_id)
    exceptions = {e.recurrence_id_utc: e for e in series.recurrence.exceptions}
    assert exceptions[second_start].exception_type is ExceptionType.MODIFY
    assert exceptions[second_start].modified is not None
    assert exceptions[second_start].modified.title == "Moved again"
    assert exceptions[third_start].exception_type is ExceptionType.DELETE


def test_delete_conference(client):
    saved = client.save_conference(meeting("To delete", hours=7))
    client.delete_conference_by_id(saved.conference_id)
    gone = client.get_conference_by_id(saved.conference_id)
    assert gone.status is ConferenceStatus.DELETED
    start, end = saved.start_utc, saved.end_utc
    assert client.get_conferences_for_systems([ROOM_A], start, end) == []


def test_end_an_ongoing_conference(client):
    now = datetime.now(UTC).replace(microsecond=0)
    ongoing = Conference(title="Now", start_utc=now - timedelta(minutes=5),
                         end_utc=now + timedelta(minutes=55),
                         participants=[Participant(participant_id=ROOM_B)])
    saved = client.save_conference(ongoing)
    assert client.get_conference_by_id(saved.conference_id).status is ConferenceStatus.ONGOING
    client.end_conference_by_id(saved.conference_id)
    ended = client.get_conference_by_id(saved.conference_id)
    assert ended.status is ConferenceStatus.FINISHED
    assert ended.end_utc <= datetime.now(UTC)


def test_time_zone_rules_by_id(client):
    rules = client.get_time_zone_rules_by_id("W. Europe Standard Time")
    assert rules and rules[0].id == "W. Europe Standard Time"
    assert rules[0].base_offset_minutes == 60
    assert rules[0].standard is not None and rules[0].standard.month == 10


# -- transactions ---------------------------------------------------------------------------


def test_transactions_since(client):
    saved = client.save_conference(meeting("Logged", rooms=(ROOM_A, ROOM_B), hours=9))
    client.delete_conference_by_id(saved.conference_id)
    log = client.get_transactions_since(0)
    mine = [t for t in log if t.conference_id == saved.conference_id]
    assert [t.trans_type for t in mine] == [TransactionType.NEW, TransactionType.DELETED]
    assert mine[0].participant_ids == [ROOM_A, ROOM_B]
    assert mine[0].performed_by_user_id > 0
    assert client.get_transactions_since(mine[-1].transaction_id) == []


def test_iter_transactions_follows_list_incomplete(client, tms_sim):
    tms_sim.engine.transaction_page_size = 3
    ids = [client.save_conference(meeting(f"M{i}", rooms=(ROOM_B,), hours=10 + 2 * i)).conference_id
           for i in range(8)]
    first_page = client.get_transactions_since(0)
    assert first_page[-1].trans_type is TransactionType.LIST_INCOMPLETE
    assert len([t for t in first_page if t.trans_type is not TransactionType.LIST_INCOMPLETE]) == 3
    calls = client.call_count
    entries = list(client.iter_transactions_since(0))
    assert [t.conference_id for t in entries] == ids
    assert all(t.trans_type is TransactionType.NEW for t in entries)
    ids_seen = [t.transaction_id for t in entries]
    assert ids_seen == sorted(set(ids_seen))
    assert client.call_count - calls == 3  # pages of 3, 3 and 2 entries


# -- ClientSession and call counting -------------------------------------------------------


def test_client_session_handshake_is_transparent(client):
    assert client.client_session == ""
    calls = client.call_count
    client.get_transactions_since(0)  # licensed: blank session → fault → retry
    assert client.call_count - calls == 2
    session = client.client_session
    assert session
    client.get_transactions_since(0)
    assert client.call_count - calls == 3
    assert client.client_session == session


def test_expired_client_session_is_renewed_once(client):
    client.get_transactions_since(0)
    good = client.client_session
    client._client_session = "00000000-0000-0000-0000-000000000000"  # as if TMS forgot it
    calls = client.call_count
    client.save_conference(meeting("After expiry", hours=11))
    assert client.call_count - calls == 2
    assert client.client_session == good


def test_reads_do_not_need_a_session(client):
    calls = client.call_count
    client.get_systems()
    client.get_default_conference()
    assert client.call_count - calls == 2
    assert client.client_session == ""


def test_with_credentials_has_its_own_user_and_session(client):
    client.get_transactions_since(0)
    bob = client.with_credentials("bob", PASSWORD)
    assert bob.username == "bob" and bob.call_count == 0 and bob.client_session == ""
    saved = bob.save_conference(meeting("Bob's", hours=13))
    assert saved.owner_user_name == "TMSSIM\\bob"
    assert bob.client_session and bob.client_session != client.client_session


def test_full_service_url_is_accepted(tms_sim):
    by_asmx = TmsClient(tms_sim.booking_url + "?wsdl", "alice", PASSWORD)
    assert by_asmx.booking_url == tms_sim.booking_url
    assert by_asmx.remotesetup_url == tms_sim.remotesetup_url
    assert by_asmx.is_alive()


# -- threads ----------------------------------------------------------------------------------


def test_many_threads_share_one_client(client):
    client.get_transactions_since(0)  # settle the session first: every later call is 1 call
    seeded = client.save_conference(meeting("Shared", rooms=(ROOM_B,), hours=20))
    errors: list[BaseException] = []
    results: list[int] = []
    lock = threading.Lock()
    threads_n, per_thread = 12, 15
    start_gate = threading.Barrier(threads_n)

    def work(n: int) -> None:
        try:
            start_gate.wait()
            for i in range(per_thread):
                if i % 5 == 0:
                    conf = client.save_conference(
                        meeting(f"T{n}-{i}", rooms=(ROOM_A,), hours=30 + n * per_thread + i,
                                length=0.5))
                    got = client.get_conference_by_id(conf.conference_id)
                    assert got.title == f"T{n}-{i}"
                else:
                    got = client.get_conference_by_id(seeded.conference_id)
                    assert got.title == "Shared"
                with lock:
                    results.append(got.conference_id)
        except BaseException as exc:  # noqa: BLE001 (collected and re-raised below)
            errors.append(exc)

    calls = client.call_count
    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[0]
    assert len(results) == threads_n * per_thread
    saves = threads_n * (per_thread // 5)
    assert client.call_count - calls == threads_n * per_thread + saves


# -- the demo seed ------------------------------------------------------------------------------


def test_whole_demo_seed_reads_through_the_client(simulator, simulator_credentials):
    """Every system and a spread of the conferences in the demo seed's transaction log convert
    (series with moved and deleted occurrences, dial-ins, several zones)."""
    user_name, password = simulator_credentials
    demo = TmsClient(simulator.url, user_name, password)
    systems = demo.get_systems()
    assert systems and all(s.name and s.time_zone for s in systems)
    entries = list(demo.iter_transactions_since(0))
    assert entries
    conference_ids = list(dict.fromkeys(t.conference_id for t in entries))
    step = max(1, len(conference_ids) // 120)  # a spread-out sample keeps the test quick
    series_seen = 0
    for conference_id in conference_ids[::step]:
        conference = demo.get_conference_by_id(conference_id)
        assert conference.conference_id == conference_id
        assert conference.start_utc is not None and conference.end_utc is not None
        if conference.recurrence_instance_id_utc is not None and series_seen < 5:
            series = demo.get_recurrent_conference_by_id(conference_id)
            assert series.recurrence is not None
            series_seen += 1
    assert series_seen
