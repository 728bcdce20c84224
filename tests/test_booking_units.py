"""The write path's decisions (:mod:`tmscal.bridge.booking`) on their own: a real SQLite mirror,
and a small in-memory TMS implementing :class:`tmscal.model.TmsCalls` that records every call.

The fake only stands in for TMS here to script its answers and faults call by call; the
integration suites (``test_write_*``, ``test_caldav_*``) check the same paths against the
simulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tmscal.bridge import refusals as refusal
from tmscal.bridge.booking import RoomBooking
from tmscal.settings import BridgeSettings, Settings
from tmscal.mirror import Room, open_store, room_calendar_id
from tmscal.model import (
    BookingMode,
    CannotBookInPast,
    Conference,
    ConferenceActive,
    ConferenceNotFound,
    ConferenceStatus,
    DatabaseDown,
    ExceptionType,
    LicenseError,
    OutsideBookingWindow,
    RecurrenceException,
    RecurrenceNotSupported,
    StaleVersion,
    System,
    SystemAlreadyBooked,
    SystemNotAllowed,
    TmsCalls,
    TmsError,
    TmsUnavailable,
    TmsUnreachable,
    Transaction,
    User,
)

FJORD = Room(1, "Oslo Fjord", zone="Europe/Oslo", site="Oslo HQ")
HUDSON = Room(2, "NY Hudson", zone="America/New_York", site="New York")
CELLAR = Room(3, "Oslo Cellar", zone="Europe/Oslo", site="Oslo HQ")


class FakeTms:
    """TMS as a dict of series, answering the :class:`TmsCalls` the write path makes.

    ``calls`` records ``(method, args)``; ``faults[method]`` is a list of what the next calls
    of ``method`` do instead of answering: an exception to raise before anything happens, or
    ``("after", exception)`` to carry the call out and then raise (a lost answer)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.faults: dict[str, list] = {}
        self.series: dict[int, Conference] = {}
        self._next_id = 100
        self._occurrences: dict[int, tuple[int, datetime]] = {}

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def _enter(self, name: str, *args):
        self.calls.append((name, args))
        pending = self.faults.get(name)
        fault = pending.pop(0) if pending else None
        if fault is not None and not isinstance(fault, tuple):
            raise fault
        return fault[1] if fault is not None else None

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # ---- reading
    def get_systems(self) -> list[System]:
        self._enter("get_systems")
        return []

    def get_systems_for_user(self) -> list[System]:
        self._enter("get_systems_for_user")
        return []

    def get_users(self) -> list[User]:
        self._enter("get_users")
        return []

    def get_default_conference(self) -> Conference:
        self._enter("get_default_conference")
        return Conference()

    def get_recurrent_conference_by_id(self, conference_id: int) -> Conference:
        after = self._enter("get_recurrent_conference_by_id", conference_id)
        if conference_id not in self.series:
            raise ConferenceNotFound("Conference not found")
        if after:
            raise after
        return self.series[conference_id].copy()

    def get_conference_id_by_external_id(self, source: str, key: str,
                                         recurrence_id_utc: datetime | None = None) -> int:
        self._enter("get_conference_id_by_external_id", source, key, recurrence_id_utc)
        series = self._by_key(key)
        if recurrence_id_utc is None:
            return series.conference_id
        occurrence_id = self._id()
        self._occurrences[occurrence_id] = (series.conference_id, recurrence_id_utc)
        return occurrence_id

    def get_conference_by_external_id(self, source: str, key: str) -> Conference:
        self._enter("get_conference_by_external_id", source, key)
        return self._by_key(key).copy()

    def get_conferences_for_systems(
            self, system_ids: list[int], start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]:
        self._enter("get_conferences_for_systems", system_ids, start, end, status)
        return []

    def get_transactions_since(self, transaction_id: int) -> list[Transaction]:
        self._enter("get_transactions_since", transaction_id)
        return []

    def _by_key(self, key: str) -> Conference:
        for conference in self.series.values():
            if conference.external_primary_key == key:
                return conference
        raise ConferenceNotFound("Conference not found")

    # ---- booking
    def save_conference(self, conference: Conference) -> Conference:
        after = self._enter("save_conference", conference)
        return self._store(conference, after)

    def save_conference_with_mode(self, conference: Conference,
                                  mode: BookingMode) -> Conference:
        after = self._enter("save_conference_with_mode", conference, mode)
        return self._store(conference, after)

    def _store(self, conference: Conference, after) -> Conference:
        saved = conference.copy()
        if saved.conference_id <= 0:
            saved.conference_id = self._id()
            saved.version = 1
        else:
            saved.version = self.series[saved.conference_id].version + 1
        self.series[saved.conference_id] = saved
        if after:
            raise after
        return saved.copy()

    def save_conference_rec_instance(self, conference: Conference,
                                     mode: BookingMode | None = None) -> Conference:
        self._enter("save_conference_rec_instance", conference, mode)
        series_id, slot = self._occurrences[conference.conference_id]
        series = self.series[series_id]
        assert series.recurrence is not None
        series.recurrence.exceptions.append(RecurrenceException(
            ExceptionType.MODIFY, slot, modified=conference.copy(conference_id=self._id())))
        series.version += 1
        return conference

    def delete_conference_by_id(self, conference_id: int) -> None:
        after = self._enter("delete_conference_by_id", conference_id)
        if self.series.pop(conference_id, None) is None:
            raise ConferenceNotFound("Conference not found")
        if after:
            raise after

    def delete_conference_rec_instance_by_id(self, conference_id: int) -> None:
        self._enter("delete_conference_rec_instance_by_id", conference_id)
        series_id, slot = self._occurrences[conference_id]
        series = self.series[series_id]
        assert series.recurrence is not None
        series.recurrence.exceptions.append(RecurrenceException(ExceptionType.DELETE, slot))
        series.version += 1


def _is_tms_calls(client: TmsCalls) -> TmsCalls:
    return client  # the fake is checked against the protocol by mypy at this call


class Bridge:
    """A :class:`RoomBooking` on a real mirror holding three rooms, a fake TMS and rights."""

    def __init__(self, tmp_path, booking_model: str = "service") -> None:
        self.tms = FakeTms()
        self.store = open_store(str(tmp_path / "mirror.sqlite3"))
        self.store.replace_rooms([FJORD, HUDSON, CELLAR])
        #: (user, SystemId) pairs that may book; everyone may see every room
        self.rights = {(user, room.system_id) for user in ("alice", "bob")
                       for room in (FJORD, HUDSON, CELLAR)}
        settings = Settings(bridge=BridgeSettings(booking_model=booking_model,
                                                  owner_template="EX\\{user}", retry_after=7))
        self.booking = RoomBooking(settings, self.store, lambda user: _is_tms_calls(self.tms),
                                   may_book=lambda user, system_id: (user, system_id)
                                   in self.rights)

    def put(self, text: str, user: str = "alice", room: Room = FJORD, href: str | None = None):
        uid = next(line[4:] for line in text.splitlines() if line.startswith("UID:"))
        return self.booking.put(user=user, system_id=room.system_id, href=href or f"{uid}.ics",
                                text=text)

    def served(self, uid: str, room: Room = FJORD):
        return self.store.object_for_uid(room_calendar_id(room.system_id), uid)


def _start() -> datetime:
    """A whole hour about 40 days ahead (in UTC, so no zone rule matters)."""
    return (datetime.now(UTC) + timedelta(days=40)).replace(minute=0, second=0, microsecond=0)


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


def event(uid: str, *, start: datetime | None = None, title: str = "Planning",
          rooms: tuple[Room, ...] = (), extra: str = "", rrule: str = "") -> str:
    start = start or _start()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN", "BEGIN:VEVENT",
             f"UID:{uid}", f"DTSTAMP:{_stamp(start)}", f"DTSTART:{_stamp(start)}",
             f"DTEND:{_stamp(start + timedelta(hours=1))}", f"SUMMARY:{title}"]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += [f"ATTENDEE;CUTYPE=ROOM;CN={room.name}:urn:x-tms:system:{room.system_id}"
              for room in rooms]
    lines += [line for line in extra.splitlines() if line]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def bridge(tmp_path) -> Bridge:
    return Bridge(tmp_path)


# ---- rights --------------------------------------------------------------------------------


def test_a_room_added_the_user_may_not_book_is_refused_before_any_tms_call(bridge):
    bridge.rights.discard(("alice", HUDSON.system_id))
    with pytest.raises(refusal.NotAllowed) as refused:
        bridge.put(event("add-1", rooms=(HUDSON,)))
    assert "You may not book room NY Hudson" in refused.value.reason
    assert "nothing was changed in TMS" in refused.value.reason
    assert refused.value.status == 403
    assert bridge.tms.calls == []
    assert bridge.store.find_by_uid("add-1") is None


def test_a_room_kept_or_removed_the_user_may_no_longer_book_is_refused(bridge):
    bridge.put(event("keep-1", rooms=(HUDSON,)))
    assert bridge.store.find_by_uid("keep-1").room_ids == [FJORD.system_id, HUDSON.system_id]
    bridge.rights.discard(("alice", HUDSON.system_id))
    bridge.tms.calls.clear()
    for text in (event("keep-1", title="Kept", rooms=(HUDSON,)),  # keeps Hudson
                 event("keep-1", title="Dropped")):               # removes Hudson
        with pytest.raises(refusal.NotAllowed) as refused:
            bridge.put(text)
        assert "You may not book room NY Hudson" in refused.value.reason
    assert bridge.tms.calls == []
    assert "SUMMARY:Planning" in bridge.served("keep-1").ical


def test_another_users_booking_is_refused_under_the_service_model(bridge):
    bridge.put(event("owned-1"))
    assert bridge.tms.series[101].owner_user_name == "EX\\alice"
    bridge.tms.calls.clear()
    with pytest.raises(refusal.NotAllowed) as refused:
        bridge.put(event("owned-1", title="Hijacked"), user="bob")
    assert "belongs to EX\\alice" in refused.value.reason
    assert "only its owner may change or cancel it" in refused.value.reason
    with pytest.raises(refusal.NotAllowed):
        bridge.booking.delete(user="bob", system_id=FJORD.system_id, href="owned-1.ics")
    # TMS was only read (the owner is TMS's), never changed
    assert set(bridge.tms.names()) == {"get_recurrent_conference_by_id"}
    assert bridge.tms.series[101].title == "Planning"
    assert "SUMMARY:Planning" in bridge.served("owned-1").ical


def test_the_per_user_model_leaves_the_owner_check_to_tms(tmp_path):
    bridge = Bridge(tmp_path, booking_model="per-user")
    bridge.put(event("mine-1"))
    bridge.put(event("mine-1", title="Changed by bob"), user="bob")
    assert bridge.tms.series[101].title == "Changed by bob"


# ---- what is sent --------------------------------------------------------------------------


def test_a_new_event_is_saved_once_and_tms_answer_is_served(bridge):
    result = bridge.put(event("new-1", rooms=(CELLAR,)))
    assert bridge.tms.names() == ["save_conference"]
    sent = bridge.tms.calls[0][1][0]
    assert (sent.conference_id, sent.external_primary_key, sent.external_source_id) == (
        -1, "new-1", "tmscal")
    assert sent.system_ids == [FJORD.system_id, CELLAR.system_id]
    assert result.created and result.stored.href == "new-1.ics"
    assert bridge.served("new-1", CELLAR) is not None
    assert bridge.booking.counters["saved"] == 1


def test_a_put_that_changes_nothing_tms_stores_makes_no_tms_call(bridge):
    stored = bridge.put(event("same-1")).stored
    bridge.tms.calls.clear()
    alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\nTRIGGER:-PT5M\r\nEND:VALARM"
    served = stored.ical
    for text in (served, served.replace("END:VEVENT", alarm + "\r\nEND:VEVENT"),
                 served.replace("END:VEVENT", "CATEGORIES:x\r\nEND:VEVENT")):
        result = bridge.put(text)
        assert result.stored.etag == stored.etag
    assert bridge.tms.calls == []
    assert bridge.booking.counters["unchanged"] == 3


def test_a_changed_event_reads_tms_first_then_saves_the_new_version(bridge):
    bridge.put(event("move-1"))
    bridge.tms.calls.clear()
    later = _start() + timedelta(hours=3)
    result = bridge.put(event("move-1", start=later))
    assert bridge.tms.names() == ["get_recurrent_conference_by_id", "save_conference"]
    sent = bridge.tms.calls[1][1][0]
    assert (sent.conference_id, sent.version, sent.start_utc) == (101, 1, later)
    assert not result.created
    assert bridge.store.find_by_uid("move-1").version == 2
    assert result.stored.start_utc == later


def test_occurrence_only_changes_are_sent_as_per_occurrence_calls(bridge):
    first = _start()
    bridge.put(event("weekly-1", start=first, rrule="FREQ=DAILY;COUNT=4"))
    assert bridge.tms.names() == ["save_conference", "get_recurrent_conference_by_id"]
    bridge.tms.calls.clear()
    second = first + timedelta(days=1)
    bridge.put(event("weekly-1", start=first, rrule="FREQ=DAILY;COUNT=4",
                     extra=f"EXDATE:{_stamp(second)}"))
    assert bridge.tms.names() == [
        "get_recurrent_conference_by_id",  # the guard: TMS's version
        "get_conference_id_by_external_id", "delete_conference_rec_instance_by_id",
        "get_recurrent_conference_by_id"]  # the series as TMS now holds it
    assert bridge.tms.calls[1][1][2] == second
    exceptions = bridge.tms.series[101].recurrence.exceptions
    assert [(e.exception_type, e.recurrence_id_utc) for e in exceptions] == [
        (ExceptionType.DELETE, second)]
    assert "EXDATE" in bridge.served("weekly-1").ical


def test_a_moved_occurrence_is_sent_as_one_occurrence_save(bridge):
    first = _start()
    series = event("daily-3", start=first, rrule="FREQ=DAILY;COUNT=4")
    bridge.put(series)
    bridge.tms.calls.clear()
    third = first + timedelta(days=2)
    moved = event("daily-3", start=third + timedelta(hours=2), title="Moved").split(
        "BEGIN:VEVENT", 1)[1].split("END:VCALENDAR")[0]
    moved = moved.replace("SUMMARY:Moved", f"SUMMARY:Moved\r\nRECURRENCE-ID:{_stamp(third)}")
    bridge.put(series.replace("END:VCALENDAR", "BEGIN:VEVENT" + moved + "END:VCALENDAR"))
    assert bridge.tms.names() == [
        "get_recurrent_conference_by_id", "get_conference_id_by_external_id",
        "save_conference_rec_instance", "get_recurrent_conference_by_id"]
    sent = bridge.tms.calls[2][1][0]
    assert (sent.title, sent.start_utc, sent.recurrence_instance_id_utc) == (
        "Moved", third + timedelta(hours=2), third)
    assert sent.recurrence is None
    assert "RECURRENCE-ID" in bridge.served("daily-3").ical


def test_changing_the_series_itself_saves_the_whole_series(bridge):
    first = _start()
    bridge.put(event("weekly-2", start=first, rrule="FREQ=DAILY;COUNT=4"))
    bridge.tms.calls.clear()
    bridge.put(event("weekly-2", start=first, rrule="FREQ=DAILY;COUNT=4", title="Renamed",
                     extra=f"EXDATE:{_stamp(first + timedelta(days=1))}"))
    assert "save_conference" in bridge.tms.names()
    assert "delete_conference_rec_instance_by_id" not in bridge.tms.names()


def test_delete_and_cancel_delete_the_series_in_tms(bridge):
    bridge.put(event("gone-1"))
    bridge.put(event("gone-2"))
    bridge.tms.calls.clear()
    bridge.booking.delete(user="alice", system_id=FJORD.system_id, href="gone-1.ics")
    bridge.put(event("gone-2", extra="STATUS:CANCELLED"))
    assert bridge.tms.names() == ["get_recurrent_conference_by_id", "delete_conference_by_id"] * 2
    assert bridge.tms.series == {}
    assert bridge.store.find_by_uid("gone-1") is None
    assert bridge.store.find_by_uid("gone-2") is None


# ---- refusals ------------------------------------------------------------------------------

REFUSALS = [
    (LicenseError("no licence"), refusal.LicenceDenied, 403, "no free licence"),
    (SystemNotAllowed("not allowed in booking"), refusal.NotAllowed, 403,
     "You may not book room Oslo Fjord"),
    (CannotBookInPast("past"), refusal.OutsideWindow, 403, "the meeting ends in the past"),
    (OutsideBookingWindow("90 days"), refusal.OutsideWindow, 403,
     "outside the TMS booking window (90 days)"),
    (ConferenceActive("active"), refusal.OutsideWindow, 403, "is in progress"),
    (StaleVersion("save declined"), refusal.PreconditionFailed, 412,
     "was changed in TMS meanwhile"),
    (RecurrenceNotSupported("yearly"), refusal.InvalidCalendar, 400, ": yearly"),
    # a TmsDown after a call that reached TMS: TMS is asked what it did (it did nothing)
    (DatabaseDown("db down"), refusal.TmsDown, 503, "nothing was changed"),
    (TmsError("odd", code=-1), refusal.InvalidCalendar, 400, "TMS refused the booking"),
    (TmsUnreachable("refused"), refusal.TmsNotReached, 503, "nothing was changed"),
]


@pytest.mark.parametrize(("error", "kind", "status", "words"), REFUSALS,
                         ids=[type(case[0]).__name__ for case in REFUSALS])
def test_each_tms_error_becomes_its_refusal_and_nothing_is_stored(bridge, error, kind, status,
                                                                  words):
    bridge.tms.faults["save_conference"] = [error]
    with pytest.raises(kind) as refused:
        bridge.put(event("refused-1"))
    assert type(refused.value) is kind
    assert refused.value.status == status
    assert words in refused.value.reason
    assert "\n" not in refused.value.reason
    if status == 503:
        assert refused.value.headers == {"Retry-After": "7"}
    assert bridge.store.find_by_uid("refused-1") is None
    asked = ["get_conference_by_external_id"] if kind is refusal.TmsDown else []
    assert bridge.tms.names() == ["save_conference", *asked]
    assert bridge.booking.counters[kind.__name__ if kind is not refusal.TmsNotReached
                                   else "TmsDown"] == 1


def test_a_double_booking_names_the_other_booking_and_its_time(bridge):
    start = _start()
    bridge.put(event("first-1", start=start, title="Board"))
    bridge.tms.faults["save_conference"] = [SystemAlreadyBooked("busy")]
    with pytest.raises(refusal.BookingConflict) as refused:
        bridge.put(event("second-1", start=start + timedelta(minutes=30)))
    assert refused.value.status == 403
    assert "Room Oslo Fjord is already booked" in refused.value.reason
    assert "'Board'" in refused.value.reason


def test_times_in_reasons_are_in_the_rooms_zone_with_its_offset(bridge):
    start = _start()
    bridge.tms.faults["save_conference"] = [LicenseError("no licence")]
    with pytest.raises(refusal.LicenceDenied) as refused:
        bridge.put(event("when-1", start=start), room=HUDSON)
    local = start.astimezone(ZoneInfo("America/New_York"))
    offset = local.strftime("%z")
    expected = (f"{local:%a %d %b %H:%M}–{local + timedelta(hours=1):%H:%M} "
                f"America/New_York (UTC{offset[:3]}:{offset[3:]})")
    assert f"Room NY Hudson cannot be booked {expected}:" in refused.value.reason


# ---- outcomes ------------------------------------------------------------------------------


def test_a_save_whose_answer_is_lost_is_settled_by_asking_tms(bridge):
    bridge.tms.faults["save_conference"] = [("after", TmsUnavailable("read timed out"))]
    result = bridge.put(event("lost-1"))
    assert bridge.tms.names() == ["save_conference", "get_conference_by_external_id"]
    assert result.created
    assert bridge.store.find_by_uid("lost-1").version == 1
    assert bridge.store.pending_writes() == []


def test_a_save_that_tms_did_not_make_says_nothing_was_changed(bridge):
    bridge.tms.faults["save_conference"] = [TmsUnavailable("read timed out")]
    with pytest.raises(refusal.TmsDown) as refused:
        bridge.put(event("lost-2"))
    assert type(refused.value) is refusal.TmsDown
    assert "nothing was changed" in refused.value.reason
    assert bridge.tms.names() == ["save_conference", "get_conference_by_external_id"]
    assert bridge.store.find_by_uid("lost-2") is None


def test_a_save_that_never_reached_tms_asks_nothing(bridge):
    bridge.tms.faults["save_conference"] = [TmsUnreachable("connection refused")]
    with pytest.raises(refusal.TmsNotReached):
        bridge.put(event("lost-3"))
    assert bridge.tms.names() == ["save_conference"]
    assert bridge.tms.series == {}


def test_when_tms_cannot_be_asked_the_write_is_pending_and_settled_on_the_next_write(bridge):
    bridge.tms.faults["save_conference"] = [("after", TmsUnavailable("read timed out"))]
    bridge.tms.faults["get_conference_by_external_id"] = [TmsUnavailable("still down")]
    with pytest.raises(refusal.OutcomeUnknown) as refused:
        bridge.put(event("unknown-1"))
    assert "not known yet" in refused.value.reason
    assert [w.uid for w in bridge.store.pending_writes()] == ["unknown-1"]
    assert bridge.store.find_by_uid("unknown-1") is None
    # TMS answers again: the next write of the UID first learns that the save was made
    bridge.tms.calls.clear()
    result = bridge.put(event("unknown-1"))
    assert bridge.tms.names()[0] == "get_conference_by_external_id"
    assert not result.created
    assert bridge.store.pending_writes() == []
    assert len(bridge.tms.series) == 1


def test_a_delete_whose_answer_is_lost_is_settled_by_asking_tms(bridge):
    bridge.put(event("del-1"))
    bridge.tms.calls.clear()
    bridge.tms.faults["delete_conference_by_id"] = [("after", TmsUnavailable("timed out"))]
    bridge.booking.delete(user="alice", system_id=FJORD.system_id, href="del-1.ics")
    assert bridge.tms.names() == ["get_recurrent_conference_by_id", "delete_conference_by_id",
                                  "get_conference_by_external_id"]
    assert bridge.store.find_by_uid("del-1") is None
