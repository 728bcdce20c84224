"""Simulator seeds, state persistence and time-zone rules."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from tmscal.model import (
    UTC, Conference, ConferenceStatus, ExceptionType, LicenseError, Participant,
    ParticipantCallType, TmsError,
)
from tmscal.simulator.engine import Tms

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def demo() -> Tms:
    return Tms.seeded("demo", clock=fixed_clock)


def all_conferences(tms: Tms, status=ConferenceStatus.ALL) -> list[Conference]:
    return tms.get_conferences_for_systems(tms.user("admin"), [], None, None, status)


def test_demo_rooms_sites_and_accounts(demo):
    admin = demo.user("admin")
    systems = demo.get_systems(admin)
    assert len(systems) >= 12
    assert len({s.site for s in systems}) >= 3
    assert len({s.time_zone for s in systems}) >= 3
    accounts = demo.demo_accounts()
    assert {a[0] for a in accounts} == {"admin", "tmscal-svc", "alice", "bob", "carol"}
    for name, password, role in accounts:
        assert demo.authenticate(name, password) is not None and role
    rights = [frozenset(s.system_id for s in demo.get_systems_for_user(demo.user(n)))
              for n in ("alice", "bob", "carol")]
    assert len(set(rights)) == 3
    assert rights[0] & rights[1] and rights[1] & rights[2]  # overlapping a little
    assert len(rights[0] & rights[1]) <= 2


def test_demo_has_no_conflicts(demo):
    admin = demo.user("admin")
    for system in demo.get_systems(admin):
        booked = [c for c in demo.get_conferences_for_systems(
            admin, [system.system_id], None, None, ConferenceStatus.ALL_EXCEPT_DELETED)
            if c.status is not ConferenceStatus.DEFECTIVE]
        for before, after in zip(booked, booked[1:]):
            assert before.end_utc <= after.start_utc, (system.name, before, after)


def test_demo_bookings_are_varied_and_around_now(demo):
    admin = demo.user("admin")
    listed = all_conferences(demo, ConferenceStatus.ALL_EXCEPT_DELETED)
    assert len(listed) > 1000
    assert min(c.start_utc for c in listed) < NOW - timedelta(days=150)
    assert max(c.start_utc for c in listed) > NOW + timedelta(days=150)
    assert {c.status for c in listed} >= {ConferenceStatus.PENDING, ConferenceStatus.FINISHED}
    occurrences = [c for c in listed if c.recurrence_instance_id_utc is not None]
    assert occurrences
    series = {demo.get_recurrent_conference_by_id(admin, c.conference_id).conference_id: c
              for c in occurrences}
    assert len(series) >= 6
    kinds = set()
    frequencies = set()
    for series_id in series:
        view = demo.get_recurrent_conference_by_id(admin, series_id)
        frequencies.add(view.recurrence.frequency.value)
        kinds.update(e.exception_type for e in view.recurrence.exceptions)
    assert kinds == {ExceptionType.MODIFY, ExceptionType.DELETE}
    assert {"Weekly", "Monthly", "DailyWeekday", "Daily"} <= frequencies
    sample = [demo.get_conference_by_id(admin, c.conference_id) for c in listed[::25]]
    assert any(len(c.system_ids) > 1 for c in sample)
    assert any(p.call_type.is_dial_in for c in sample for p in c.participants)
    assert {c.owner_user_name for c in sample} >= {"TMSSIM\\alice", "TMSSIM\\bob"}
    assert any(c.external_source_id == "TMS" for c in sample)


def test_demo_licensing_shows_both_paths():
    tms = Tms.seeded("demo", clock=fixed_clock)
    admin = tms.user("admin")
    rooms = {s.name: s.system_id for s in tms.get_systems(admin)}
    assert tms.licence_pool < len(rooms)
    assert tms.free_licences() == 1
    assert tms.allows_remote_bookings(rooms["Oslo Fjord"])
    assert not tms.allows_remote_bookings(rooms["Adelaide Glenelg"])

    def book(room: str) -> Conference:
        start = NOW + timedelta(days=400 - 100)
        return tms.save_conference(admin, Conference(
            start_utc=start, end_utc=start + timedelta(minutes=30),
            participants=[Participant(ParticipantCallType.TMS, rooms[room])]))

    book("Adelaide Glenelg")  # takes the free licence
    with pytest.raises(LicenseError) as refused:
        book("Adelaide Barossa")
    assert "'Adelaide Barossa'" in refused.value.message


def test_demo_is_deterministic(demo):
    again = Tms.seeded("demo", clock=fixed_clock)
    first = [(c.conference_id, c.title, c.start_utc) for c in all_conferences(demo)]
    second = [(c.conference_id, c.title, c.start_utc) for c in all_conferences(again)]
    assert first == second


def test_empty_seed():
    tms = Tms.seeded("empty", clock=fixed_clock)
    admin = tms.user("admin")
    assert all_conferences(tms) == []
    assert len(tms.get_systems(admin)) >= 12
    assert tms.free_licences() == len(tms.get_systems(admin))
    assert not any(tms.allows_remote_bookings(s.system_id) for s in tms.get_systems(admin))
    with pytest.raises(ValueError):
        Tms.seeded("nope")


def test_large_seed_loads():
    began, cpu = time.perf_counter(), time.process_time()
    tms = Tms.seeded("large", clock=fixed_clock)
    loaded, cpu = time.perf_counter() - began, time.process_time() - cpu
    admin = tms.user("admin")
    print(f"\nlarge seed: 1,000 rooms / 100,000 conferences loaded in {loaded:.2f} s "
          f"({cpu:.2f} s CPU)")
    assert len(tms.get_systems(admin)) == 1000
    listed = tms.get_conferences_for_systems(admin, [1500], None, None, ConferenceStatus.ALL)
    assert len(listed) == 100
    assert tms.licence_pool < 1000
    began = time.perf_counter()
    for conference in listed:
        tms.get_conference_by_id(admin, conference.conference_id)
    one = listed[50]
    saved = tms.save_conference(admin, Conference(
        start_utc=one.start_utc, end_utc=one.end_utc, title="fits between",
        participants=[Participant(ParticipantCallType.TMS, 1600)])) \
        if one.start_utc > NOW else None
    print(f"100 reads{' + 1 save' if saved else ''}: "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")
    entries = tms.get_transactions_since(admin, 0)
    assert len(entries) == 101  # a page of 100 and the ListIncomplete marker


def test_state_roundtrip(tmp_path):
    tms = Tms.seeded("demo", clock=fixed_clock)
    admin = tms.user("admin")
    path = tmp_path / "state" / "tms.pickle"
    tms.save_state(path)
    assert [p.name for p in path.parent.iterdir()] == ["tms.pickle"]  # no temporary left
    loaded = Tms.load_state(path, clock=fixed_clock)
    assert [c.__dict__ for c in all_conferences(loaded)] == \
        [c.__dict__ for c in all_conferences(tms)]
    assert loaded.get_transactions_since(admin, 0) == tms.get_transactions_since(admin, 0)
    assert loaded.free_licences() == tms.free_licences()
    assert loaded.demo_accounts() == tms.demo_accounts()
    start = NOW + timedelta(days=300)
    request = Conference(start_utc=start, end_utc=start + timedelta(hours=1),
                         participants=[Participant(ParticipantCallType.TMS, 101)])
    after_load = loaded.save_conference(loaded.user("admin"), request)
    in_original = tms.save_conference(admin, request)
    assert after_load.conference_id == in_original.conference_id  # counters survived
    assert Tms.load_state(path, clock=fixed_clock, licence_pool=99).licence_pool == 99
    (tmp_path / "junk").write_bytes(b"not a state")
    with pytest.raises(Exception):
        Tms.load_state(tmp_path / "junk")


@pytest.mark.parametrize("zone_id, base, daylight, dst_months", [
    ("W. Europe Standard Time", 60, 60, (3, 10)),
    ("Romance Standard Time", 60, 60, (3, 10)),
    ("Central Europe Standard Time", 60, 60, (3, 10)),
    ("GMT Standard Time", 0, 60, (3, 10)),
    ("Eastern Standard Time", -300, 60, (3, 11)),
    ("Pacific Standard Time", -480, 60, (3, 11)),
    ("India Standard Time", 330, 0, None),
    ("China Standard Time", 480, 0, None),
    ("Tokyo Standard Time", 540, 0, None),
    ("Cen. Australia Standard Time", 570, 60, (10, 4)),
    ("AUS Eastern Standard Time", 600, 60, (10, 4)),
    ("UTC", 0, 0, None),
])
def test_time_zone_rules(zone_id, base, daylight, dst_months):
    tms = Tms.seeded("empty", clock=fixed_clock)
    (rule,) = tms.get_time_zone_rules_by_id(tms.user("alice"), zone_id)
    assert rule.id == zone_id and rule.display_name
    assert (rule.base_offset_minutes, rule.daylight_offset_minutes) == (base, daylight)
    if dst_months is None:
        assert rule.daylight is None and rule.standard is None
    else:
        assert (rule.daylight.month, rule.standard.month) == dst_months
        assert rule.daylight.day_of_week == 0  # Sunday


def test_eu_rules_match_dotnet():
    tms = Tms.seeded("empty", clock=fixed_clock)
    (rule,) = tms.get_time_zone_rules_by_id(tms.user("alice"), "W. Europe Standard Time")
    assert (rule.daylight.week_of_month, rule.daylight.change_second_at_day) == (5, 7200)
    assert (rule.standard.week_of_month, rule.standard.change_second_at_day) == (5, 10800)
    (us,) = tms.get_time_zone_rules_by_id(tms.user("alice"), "Eastern Standard Time")
    assert (us.daylight.week_of_month, us.standard.week_of_month) == (2, 1)


def test_unknown_time_zone():
    tms = Tms.seeded("empty", clock=fixed_clock)
    with pytest.raises(TmsError):
        tms.get_time_zone_rules_by_id(tms.user("alice"), "Mars Standard Time")
