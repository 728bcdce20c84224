"""Convergence: whatever happens in TMS, interleaved with syncs and faults, the mirror ends up
equal to a fresh full import.

A seeded random sequence of bookings is made through the real TMS client against the simulator
(singles, series, exceptions, deleted occurrences, deletions, multi-room, series updates that make
TMS re-number occurrences), with incremental syncs in between, some of them under injected faults
(random SOAP faults and HTTP 500s, timeouts, the server down, a sync crashing between fetch and
store). At the end the faults are cleared, the syncer catches up, and its mirror is compared with
a mirror built by a full import into a new database.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("tmscal.ical", reason="tmscal.ical not available")

from tmscal.settings import MirrorSettings  # noqa: E402
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore  # noqa: E402
from tmscal.mirror.sync import Syncer  # noqa: E402
from tmscal.model import (  # noqa: E402
    BookingMode,
    Conference,
    DayOfWeek,
    Participant,
    ParticipantCallType,
    RecurrenceEndType,
    RecurrencePattern,
    RecurringFrequency,
    TmsAuthenticationError,
    TmsError,
    TmsUnavailable,
)

UTC = timezone.utc
SETTINGS = MirrorSettings(detail_workers=2, window_days=60, reconcile_interval=0)


class SimulatedCrash(BaseException):
    """The sync process dies (BaseException: nothing in the syncer may swallow it)."""


def snapshot(store) -> dict[str, dict[str, str]]:
    """calendar → {href: text}, plus the room list: what a client can observe. Stamps are left
    out: they are the instant each mirror stored the change."""
    view = {f"room:{room.system_id}": {"name": room.name} for room in store.list_rooms()}
    for room in store.list_rooms():
        view[room.calendar_id] = {stored.href: _STAMPS.sub("", stored.ical)
                                  for stored in store.iter_objects(room.calendar_id)}
    return view


_STAMPS = re.compile(r"^(DTSTAMP|LAST-MODIFIED):\S+\r?\n", re.MULTILINE)


class Scenario:
    """Random bookings through the TMS API (every call may be refused; refusals are fine)."""

    def __init__(self, client, rng: random.Random, room_ids: list[int]) -> None:
        self.client = client
        self.rng = rng
        self.rooms = room_ids
        self.bookings: list[int] = []  # conference ids of singles and series
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)

    def _slot(self) -> tuple[datetime, datetime]:
        day = self.now.replace(hour=0, minute=0) + timedelta(days=self.rng.randint(1, 60))
        start = day + timedelta(hours=self.rng.randint(6, 18), minutes=15 * self.rng.randint(0, 3))
        return start, start + timedelta(minutes=self.rng.choice((30, 45, 60)))

    def _participants(self) -> list[Participant]:
        count = self.rng.choice((1, 1, 2, 3))
        rooms = self.rng.sample(self.rooms, min(count, len(self.rooms)))
        return [Participant(ParticipantCallType.TMS, room) for room in rooms]

    def create_single(self) -> None:
        start, end = self._slot()
        conference = Conference(title=f"single {self.rng.randint(1, 999)}", start_utc=start,
                                end_utc=end, participants=self._participants())
        self.bookings.append(self.client.save_conference(conference).conference_id)

    def create_series(self) -> None:
        start, end = self._slot()
        frequency = self.rng.choice((RecurringFrequency.DAILY, RecurringFrequency.WEEKLY))
        pattern = RecurrencePattern(
            frequency=frequency, interval=1,
            days_of_week=[DayOfWeek.from_python_weekday(start.weekday())]
            if frequency == RecurringFrequency.WEEKLY else [],
            end_type=RecurrenceEndType.END_BY_INSTANCES, instances=self.rng.randint(2, 5))
        conference = Conference(title=f"series {self.rng.randint(1, 999)}", start_utc=start,
                                end_utc=end, recurrence=pattern, participants=self._participants())
        self.bookings.append(self.client.save_conference(conference).conference_id)

    def _pick(self) -> Conference | None:
        if not self.bookings:
            return None
        conference_id = self.rng.choice(self.bookings)
        conference = self.client.get_recurrent_conference_by_id(conference_id)
        if conference.conference_id <= 0:
            self.bookings.remove(conference_id)
            return None
        return conference

    def update(self) -> None:
        """Title, time or rooms; on a series TMS re-numbers the occurrences."""
        conference = self._pick()
        if conference is None:
            return
        change = self.rng.choice(("title", "time", "rooms"))
        if change == "title":
            conference.title += " (changed)"
        elif change == "time" and conference.recurrence is None:
            conference.start_utc, conference.end_utc = self._slot()
        else:
            conference.participants = self._participants()
        saved = self.client.save_conference_with_mode(conference, BookingMode.STRICT)
        if saved.conference_id not in self.bookings:
            self.bookings.append(saved.conference_id)

    def _occurrence(self) -> Conference | None:
        series = [b for b in self.bookings]
        self.rng.shuffle(series)
        for conference_id in series[:3]:
            conference = self.client.get_recurrent_conference_by_id(conference_id)
            if conference.recurrence is None or conference.conference_id <= 0:
                continue
            start = conference.start_utc - timedelta(days=1)
            listed = [c for c in self.client.get_conferences_for_systems(
                conference.system_ids, start, start + timedelta(days=60))
                if c.external_primary_key == conference.external_primary_key
                and c.conference_id > 0]
            if listed:
                return self.client.get_conference_by_id(self.rng.choice(listed).conference_id)
        return None

    def modify_occurrence(self) -> None:
        occurrence = self._occurrence()
        if occurrence is None:
            return
        occurrence.title = f"exception {self.rng.randint(1, 999)}"
        occurrence.start_utc += timedelta(minutes=15)
        occurrence.end_utc += timedelta(minutes=15)
        occurrence.recurrence = None
        self.client.save_conference_rec_instance(occurrence)

    def delete_occurrence(self) -> None:
        occurrence = self._occurrence()
        if occurrence is not None:
            self.client.delete_conference_rec_instance_by_id(occurrence.conference_id)

    def delete(self) -> None:
        conference = self._pick()
        if conference is not None:
            self.client.delete_conference_by_id(conference.conference_id)
            self.bookings.remove(conference.conference_id) if conference.conference_id in \
                self.bookings else None

    def step(self) -> str:
        action = self.rng.choices(
            ("create_single", "create_series", "update", "modify_occurrence",
             "delete_occurrence", "delete"), weights=(4, 3, 4, 2, 2, 2))[0]
        try:
            getattr(self, action)()
        except TmsError:
            pass  # double booking, stale version, ...: TMS refused, nothing changed
        return action


ZONES = ("W. Europe Standard Time", "Pacific Standard Time", "UTC", "Tokyo Standard Time")


def _engine(page_size: int = 5):
    """A TMS with six rooms and one site administrator; a small transaction page size so that
    ListIncomplete paging happens all the time."""
    from tmscal.model import System
    from tmscal.simulator.engine import Tms

    engine = Tms(transaction_page_size=page_size)
    for n in range(6):
        engine.add_system(System(system_id=10 + n, name=f"Room {n}", time_zone=ZONES[n % 4],
                                 sip_uri=f"room{n}@rooms.example.org"),
                          allow_remote_bookings=True)
    engine.add_user("booker", "secret", site_admin=True, book_on_behalf=True)
    return engine, "booker", "secret"


def _client(sim, user, password, timeout=(2.0, 2.0)):
    from tmscal.tms import TmsClient

    return TmsClient(sim.url, user, password, timeout=timeout)


def _sync_quietly(syncer) -> bool:
    try:
        syncer.sync_once()
        return True
    except (TmsError, TmsUnavailable, TmsAuthenticationError, OSError):
        return False


@pytest.fixture
def fast_simulator(monkeypatch):
    """Work around 40 ms per SOAP call (Nagle + delayed ACK: the simulator writes headers and
    body separately) until the server sets TCP_NODELAY itself."""
    from tmscal.simulator import server

    monkeypatch.setattr(server._Handler, "disable_nagle_algorithm", True, raising=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mirror_converges_to_a_fresh_full_import(fast_simulator, simulator_factory, tmp_path,
                                                 seed):
    rng = random.Random(seed)
    engine, user, password = _engine()
    sim = simulator_factory(engine=engine)
    writer = _client(sim, user, password, timeout=(5.0, 10.0))
    room_ids = [s.system_id for s in writer.get_systems()][:6]
    scenario = Scenario(writer, rng, room_ids)
    store = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    syncer = Syncer(store, lambda: _client(sim, user, password), SETTINGS)
    syncer.full_import()

    for round_number in range(14):
        for _ in range(rng.randint(1, 4)):
            scenario.step()
        fault = rng.choice(("none", "none", "rate", "timeout", "down", "crash"))
        if fault == "rate":
            sim.faults.fault_rate = 0.3
        elif fault == "timeout":
            sim.faults.timeout = 2.5
        elif fault == "down":
            sim.faults.down = True
        elif fault == "crash":
            original = store.store_conferences

            def crash(records, _original=original):
                raise SimulatedCrash()

            store.store_conferences = crash
        try:
            _sync_quietly(syncer)
        except SimulatedCrash:
            pass
        finally:
            sim.faults.clear()
            store.__dict__.pop("store_conferences", None)
        if fault == "crash":  # the process restarts: new syncer, same database
            syncer = Syncer(store, lambda: _client(sim, user, password), SETTINGS)

    assert _sync_quietly(syncer)
    fresh = SqliteMirrorStore(tmp_path / "fresh.sqlite3")
    Syncer(fresh, lambda: _client(sim, user, password), SETTINGS).full_import()
    assert snapshot(store) == snapshot(fresh)
    assert sum(len(v) for k, v in snapshot(fresh).items() if not k.startswith("room:")) > 0
