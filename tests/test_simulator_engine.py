"""The simulator's booking engine against TMS behaviour (TMS-API.md §4, §6)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from tmscal.model import (
    UTC, BookingMode, CannotBookInPast, ClientSessionError, Conference, ConferenceActive,
    ConferenceDeleted, ConferenceNotActive, ConferenceNotFound, ConferenceStatus, DayOfWeek,
    ErrorCode, ExceptionType, InstanceNotFound, InvalidTimes, LicenseError, NoAccessToConference,
    OutsideBookingWindow, Participant, ParticipantCallType, RecurrenceEndType,
    RecurrenceException, RecurrenceNotSupported, RecurrencePattern, RecurringFrequency,
    StaleVersion, SystemAlreadyBooked, SystemNotAllowed, SystemNotFound, TmsError,
    TransactionType, UserNotFound,
)
from tmscal.simulator.engine import Tms

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)
OSLO_FJORD, OSLO_MUNCH, NY_HUDSON, NY_BROOKLYN, ADELAIDE_TORRENS = 101, 104, 106, 107, 110


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tms(clock) -> Tms:
    return Tms.seeded("empty", clock=clock)


@pytest.fixture
def alice(tms):
    return tms.user("alice")


@pytest.fixture
def admin(tms):
    return tms.user("admin")


def meeting(start: datetime, minutes: int = 60, rooms=(OSLO_FJORD,), **fields) -> Conference:
    return Conference(start_utc=start, end_utc=start + timedelta(minutes=minutes),
                      participants=[Participant(ParticipantCallType.TMS, r) for r in rooms],
                      **fields)


def weekly(start: datetime, instances: int = 5, rooms=(OSLO_FJORD,), **fields) -> Conference:
    return meeting(start, rooms=rooms, recurrence=RecurrencePattern(
        RecurringFrequency.WEEKLY, days_of_week=[DayOfWeek.from_python_weekday(start.weekday())],
        instances=instances), **fields)


def occurrences(tms, user, series: Conference) -> list[Conference]:
    ids = sorted(t.conference_id for t in tms.get_transactions_since(user, 0)
                 if t.trans_type is not TransactionType.LIST_INCOMPLETE)
    found = [tms.get_conference_by_id(user, i) for i in dict.fromkeys(ids)]
    return [c for c in found if c.external_primary_key == series.external_primary_key
            and c.status is not ConferenceStatus.DELETED]


# -- identity and sessions ----------------------------------------------------------------------


def test_authenticate_accepts_domain_and_any_case(tms):
    assert tms.authenticate("alice", "alice").user_name == "alice"
    assert tms.authenticate("CORP\\Alice", "alice").user_name == "alice"
    assert tms.authenticate("alice", "wrong") is None
    assert tms.authenticate("nobody", "nobody") is None


def test_client_session_blank_expired_and_renewal(tms, alice, clock):
    with pytest.raises(ClientSessionError) as blank:
        tms.check_client_session(alice, "")
    assert blank.value.code is ErrorCode.ERR_CLIENT_SESSION_BLANK
    suggested = blank.value.client_session_id
    with pytest.raises(ClientSessionError) as unknown:
        tms.check_client_session(alice, "0")
    assert unknown.value.code is ErrorCode.ERR_CLIENT_SESSION_EXPIRED
    assert unknown.value.message == "The client session id is expired."
    assert unknown.value.client_session_id == suggested  # stable per user while valid
    assert tms.check_client_session(alice, suggested) == suggested
    bob = tms.user("bob")
    with pytest.raises(ClientSessionError):  # another user's id is not valid for alice
        tms.check_client_session(bob, suggested)

    clock.now += timedelta(minutes=50)  # past the lifetime, inside the grace period
    renewed = tms.check_client_session(alice, suggested)
    assert renewed != suggested
    clock.now += timedelta(minutes=20)  # lifetime + grace over for the first id
    with pytest.raises(ClientSessionError) as expired:
        tms.check_client_session(alice, suggested)
    assert expired.value.client_session_id == renewed
    assert tms.check_client_session(alice, renewed) == renewed


# -- remote setup -------------------------------------------------------------------------------


def test_systems_users_and_rights(tms, alice):
    assert len(tms.get_systems(alice)) == 14
    mine = {s.system_id for s in tms.get_systems_for_user(alice)}
    assert mine == {101, 102, 103, 104, 105, 106}
    assert tms.get_system_by_id(alice, NY_HUDSON).name == "NY Hudson"
    with pytest.raises(SystemNotFound):
        tms.get_system_by_id(alice, 999)
    assert "TMSSIM\\alice" in {u.user_name for u in tms.get_users(alice)}
    assert tms.is_alive()


def test_default_conference(tms, alice):
    default = tms.get_default_conference(alice)
    assert default.conference_id == -1
    assert default.owner_user_name == "TMSSIM\\alice" and default.owner_id == alice.user_id
    assert default.title == "Meeting 6/1/2026 10:00 AM"  # W. Europe summer time
    assert default.end_utc - default.start_utc == H
    assert len(default.password) == 4 and default.password.isdigit()
    assert default.participants == []


# -- creating ------------------------------------------------------------------------------------


def test_create_fills_what_tms_fills(tms, alice):
    request = meeting(NOW + D, rooms=(OSLO_FJORD,))
    request.participants.append(Participant(ParticipantCallType.IP_VIDEO_IN, 0, "Guest"))
    request.participants.append(Participant(ParticipantCallType.SIP_OUT, 0, "x@example.com"))
    saved = tms.save_conference(alice, request)
    assert saved.conference_id > 0
    assert saved.status is ConferenceStatus.PENDING
    assert saved.owner_user_name == "TMSSIM\\alice" and saved.owner_email_address
    assert len(saved.external_primary_key) == 36 and saved.external_source_id == ""
    assert saved.password.isdigit() and len(saved.password) == 4
    assert [p.participant_id for p in saved.participants] == [OSLO_FJORD, 1, 2]
    assert saved.participants[0].name_or_number == "Oslo Fjord"
    assert saved.title.startswith("Meeting ")
    assert saved.version > 49_000_000
    text = saved.conference_info_text
    assert f"Conference ID: {saved.conference_id}" in text
    assert "@video.example.org" in text and f"PIN: {saved.password}" in text
    assert "10:00 AM - 11:00 AM (UTC+01:00) Amsterdam" in text  # local time in the room's zone
    assert "&lt;" not in saved.conference_info_html and "<html>" in saved.conference_info_html
    assert saved.time_zone_rules[0].id == "W. Europe Standard Time"
    (entry,) = tms.get_transactions_since(alice, 0)
    assert entry.trans_type is TransactionType.NEW
    assert entry.conference_id == saved.conference_id and entry.participant_ids == [OSLO_FJORD]
    assert entry.performed_by_user_id == alice.user_id
    assert saved.transaction_id == entry.transaction_id
    assert tms.get_conference_by_id(alice, saved.conference_id).title == saved.title


def test_save_with_same_external_ids_updates(tms, alice):
    first = tms.save_conference(alice, meeting(NOW + D, title="A", external_source_id="bridge",
                                               external_primary_key="uid-1"))
    again = tms.save_conference(alice, meeting(NOW + D + H, title="B",
                                               external_source_id="bridge",
                                               external_primary_key="uid-1"))
    assert again.conference_id == first.conference_id and again.title == "B"
    assert again.password == first.password  # empty Password keeps the PIN
    assert tms.get_conference_id_by_external_id(alice, "bridge", "uid-1", None) == \
        first.conference_id
    with pytest.raises(ConferenceNotFound):
        tms.get_conference_id_by_external_id(alice, "bridge", "nope", None)
    with pytest.raises(ConferenceNotFound):
        tms.save_conference(alice, meeting(NOW + D, conference_id=99))
    assert tms.get_conference_by_external_id(alice, "bridge", "uid-1").title == "B"


def test_double_booking_is_refused_naming_the_conflict(tms, alice):
    first = tms.save_conference(alice, meeting(NOW + D, title="Weekly sync"))
    before = len(tms.get_transactions_since(alice, 0))
    with pytest.raises(SystemAlreadyBooked) as refused:
        tms.save_conference(alice, meeting(NOW + D + timedelta(minutes=30)))
    message = refused.value.message
    assert "'Oslo Fjord'" in message and str(first.conference_id) in message
    assert "'Weekly sync'" in message and "2026-06-02 08:00–09:00Z" in message
    assert len(tms.get_transactions_since(alice, 0)) == before  # nothing saved
    # half-open intervals: back to back is fine, as is another room
    tms.save_conference(alice, meeting(NOW + D + H))
    tms.save_conference(alice, meeting(NOW + D, rooms=(OSLO_MUNCH,)))


def test_best_effort_saves_defective_and_defective_blocks_nothing(tms, alice):
    tms.save_conference(alice, meeting(NOW + D))
    forced = tms.save_conference(alice, meeting(NOW + D), BookingMode.BEST_EFFORT_FORCED)
    assert forced.status is ConferenceStatus.DEFECTIVE
    assert tms.get_conference_by_id(alice, forced.conference_id).status is \
        ConferenceStatus.DEFECTIVE


def test_deleted_and_updated_self_do_not_conflict(tms, alice):
    first = tms.save_conference(alice, meeting(NOW + D))
    moved = tms.save_conference(alice, first.copy(start_utc=NOW + D + timedelta(minutes=30),
                                                  end_utc=NOW + D + timedelta(minutes=90)))
    assert moved.conference_id == first.conference_id
    tms.delete_conference_by_id(alice, first.conference_id)
    tms.save_conference(alice, meeting(NOW + D))


@pytest.mark.parametrize("start, minutes, error", [
    (NOW - 2 * H, 60, CannotBookInPast),
    (NOW + D, 0, InvalidTimes),
    (NOW + D, -30, InvalidTimes),
    (NOW + 400 * D, 60, OutsideBookingWindow),
])
def test_time_refusals(tms, alice, start, minutes, error):
    with pytest.raises(error):
        tms.save_conference(alice, meeting(start, minutes))


def test_ongoing_booking_may_start_in_the_past(tms, alice):
    saved = tms.save_conference(alice, meeting(NOW - timedelta(minutes=10)))
    assert saved.status is ConferenceStatus.ONGOING


def test_missing_times_are_invalid(tms, alice):
    with pytest.raises(InvalidTimes):
        tms.save_conference(alice, Conference(title="x"))


def test_rights(tms, alice):
    with pytest.raises(SystemNotFound):
        tms.save_conference(alice, meeting(NOW + D, rooms=(999,)))
    with pytest.raises(SystemNotAllowed) as refused:
        tms.save_conference(alice, meeting(NOW + D, rooms=(NY_BROOKLYN,)))
    assert "'NY Brooklyn'" in refused.value.message
    viewer = tms.add_user("viewer", "viewer", booking=False)
    with pytest.raises(SystemNotAllowed):
        tms.save_conference(viewer, meeting(NOW + D))
    assert tms.get_systems_for_user(viewer) == []


def test_only_owner_or_book_on_behalf_may_change(tms, alice):
    saved = tms.save_conference(alice, meeting(NOW + D, rooms=(OSLO_FJORD,)))
    bob = tms.user("bob")  # bob may book Oslo Fjord and so may read it, but not change it
    assert tms.get_conference_by_id(bob, saved.conference_id).conference_id == saved.conference_id
    with pytest.raises(NoAccessToConference):
        tms.save_conference(bob, saved.copy(title="mine now"))
    with pytest.raises(NoAccessToConference):
        tms.delete_conference_by_id(bob, saved.conference_id)
    munch = tms.save_conference(alice, meeting(NOW + D, rooms=(OSLO_MUNCH,)))
    with pytest.raises(NoAccessToConference):  # bob may not book Oslo Munch: no read either
        tms.get_conference_by_id(bob, munch.conference_id)
    svc = tms.user("tmscal-svc")
    assert tms.save_conference(svc, saved.copy(title="by svc")).title == "by svc"


def test_book_on_behalf(tms, alice):
    svc = tms.user("tmscal-svc")
    for_alice = tms.save_conference(svc, meeting(NOW + D, owner_user_name="CORP\\Alice"))
    assert for_alice.owner_id == alice.user_id
    for_dave = tms.save_conference(svc, meeting(NOW + 2 * D, owner_user_name="dave"))
    dave = tms.user("dave")
    assert for_dave.owner_user_name == "TMSSIM\\dave" and for_dave.owner_id == dave.user_id
    assert dave.password == "" and tms.authenticate("dave", "") is None
    # svc's rights count, not the owner's: dave has no rooms of his own
    assert tms.save_conference(svc, meeting(NOW + 2 * D, rooms=(NY_BROOKLYN,),
                                            owner_user_name="dave")).owner_id == dave.user_id
    by_id = tms.save_conference(svc, meeting(NOW + 3 * D, owner_id=alice.user_id))
    assert by_id.owner_user_name == "TMSSIM\\alice"
    with pytest.raises(UserNotFound):
        tms.save_conference(svc, meeting(NOW + 4 * D, owner_id=424242))
    with pytest.raises(UserNotFound):
        tms.save_conference(svc, meeting(NOW + 4 * D, owner_user_name="bad name*"))
    # without Book-on-behalf the owner is the caller, whatever the request says
    own = tms.save_conference(alice, meeting(NOW + 5 * D, owner_user_name="bob"))
    assert own.owner_id == alice.user_id


def test_versions(tms, alice):
    saved = tms.save_conference(alice, meeting(NOW + D))
    updated = tms.save_conference(alice, saved.copy(title="v2"))  # current version: accepted
    assert updated.version > saved.version
    with pytest.raises(StaleVersion):
        tms.save_conference(alice, saved.copy(title="stale"))  # saved.version is old now
    assert tms.save_conference(alice, saved.copy(title="v3", version=0)).title == "v3"
    other = tms.save_conference(alice, meeting(NOW + 2 * D))
    assert other.version > updated.version  # one global counter


# -- recurrence ---------------------------------------------------------------------------------


def _pattern(frequency, **fields):
    fields.setdefault("instances", 4)
    return RecurrencePattern(frequency, **fields)


@pytest.mark.parametrize("pattern, expected_days", [
    (_pattern(RecurringFrequency.DAILY, interval=2), [2, 4, 6, 8]),
    (_pattern(RecurringFrequency.DAILY_WEEKDAY, instances=6), [2, 3, 4, 5, 8, 9]),
    (_pattern(RecurringFrequency.WEEKLY, days_of_week=[DayOfWeek.TUESDAY, DayOfWeek.FRIDAY]),
     [2, 5, 9, 12]),
    (_pattern(RecurringFrequency.MONTHLY, by_month_day=2, instances=3), [2, 32, 63]),
    (_pattern(RecurringFrequency.MONTHLY, by_set_position=-1,
              days_of_week=[DayOfWeek.TUESDAY], instances=2), [30, 58]),
    (_pattern(RecurringFrequency.WEEKLY, days_of_week=[DayOfWeek.TUESDAY], instances=0,
              end_type=RecurrenceEndType.END_BY_DATE,
              end_date_utc=datetime(2026, 6, 16, tzinfo=UTC)), [2, 9, 16]),
])
def test_recurrence_shapes(tms, alice, pattern, expected_days):
    start = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # Tuesday
    series = tms.save_conference(alice, meeting(start, recurrence=pattern))
    days = [(c.start_utc - datetime(2026, 6, 1, 9, 0, tzinfo=UTC)).days + 1
            for c in occurrences(tms, alice, series)]
    assert days == expected_days
    assert series.recurrence.first_occurrence_utc == series.start_utc


def test_weekly_days_are_utc_days(tms, alice):
    # Monday 23:30 UTC is Tuesday in Oslo; the pattern's Monday is the UTC Monday
    start = datetime(2026, 6, 8, 23, 30, tzinfo=UTC)
    series = tms.save_conference(alice, weekly(start, instances=2))
    assert [c.start_utc.weekday() for c in occurrences(tms, alice, series)] == [0, 0]


@pytest.mark.parametrize("pattern, code", [
    (_pattern(RecurringFrequency.YEARLY), ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (_pattern(RecurringFrequency.HOURLY), ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (_pattern(RecurringFrequency.DAILY, instances=101), ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (_pattern(RecurringFrequency.DAILY, instances=0, end_type=RecurrenceEndType.END_BY_DATE,
              end_date_utc=datetime(2026, 12, 31, tzinfo=UTC)),
     ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (_pattern(RecurringFrequency.MONTHLY, by_month_day=3, by_set_position=1,
              days_of_week=[DayOfWeek.MONDAY]), ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (_pattern(RecurringFrequency.WEEKLY, end_type=RecurrenceEndType.END_NEVER),
     ErrorCode.NEVER_ENDING_RECURRENCE_NOT_SUPPORTED),
])
def test_unsupported_recurrence(tms, alice, pattern, code):
    with pytest.raises(RecurrenceNotSupported) as refused:
        tms.save_conference(alice, meeting(NOW + D, recurrence=pattern))
    assert refused.value.code is code


def test_series_occurrences_have_their_own_ids(tms, alice):
    series = tms.save_conference(alice, weekly(NOW + D, instances=3,
                                               external_source_id="bridge",
                                               external_primary_key="uid-s"))
    found = occurrences(tms, alice, series)
    assert len({c.conference_id for c in found}) == 3
    assert series.conference_id == found[0].conference_id
    for occurrence in found:
        assert occurrence.recurrence_instance_id_utc == occurrence.start_utc
        assert occurrence.first_occurrence_utc == NOW + D
        assert occurrence.recurrence is None
        again = tms.get_recurrent_conference_by_id(alice, occurrence.conference_id)
        assert again.conference_id == series.conference_id
        assert again.recurrence.instances == 3
    entries = tms.get_transactions_since(alice, 0)
    assert [e.trans_type for e in entries] == [TransactionType.NEW] * 3
    third = tms.get_conference_id_by_external_id(alice, "bridge", "uid-s", NOW + D + 14 * D)
    assert third == found[2].conference_id
    same_day = tms.get_conference_id_by_external_id(alice, "bridge", "uid-s",
                                                    datetime(2026, 6, 9, tzinfo=UTC))
    assert same_day == found[1].conference_id
    with pytest.raises(InstanceNotFound):
        tms.get_conference_id_by_external_id(alice, "bridge", "uid-s", NOW + 3 * D)


def test_every_occurrence_is_checked_for_conflicts(tms, alice):
    blocker = tms.save_conference(alice, meeting(NOW + D + 14 * D, title="Blocker"))
    with pytest.raises(SystemAlreadyBooked) as refused:
        tms.save_conference(alice, weekly(NOW + D, instances=5))
    assert str(blocker.conference_id) in refused.value.message
    forced = tms.save_conference(alice, weekly(NOW + D, instances=5),
                                 BookingMode.BEST_EFFORT_FORCED)
    assert forced.status is ConferenceStatus.DEFECTIVE
    statuses = [c.status for c in occurrences(tms, alice, forced)]
    assert statuses.count(ConferenceStatus.DEFECTIVE) == 1
    assert statuses.count(ConferenceStatus.PENDING) == 4


def test_occurrences_of_one_series_may_not_overlap(tms, alice):
    with pytest.raises(SystemAlreadyBooked):
        tms.save_conference(alice, meeting(NOW + D, minutes=26 * 60, recurrence=_pattern(
            RecurringFrequency.DAILY)))


def test_exceptions_through_save_conference(tms, alice):
    start = NOW + D
    moved_slot, deleted_slot = start + 7 * D, start + 14 * D
    request = weekly(start, instances=4)
    request.recurrence.exceptions = [
        RecurrenceException(ExceptionType.MODIFY, moved_slot, modified=Conference(
            title="Moved", start_utc=moved_slot + 2 * H, end_utc=moved_slot + 3 * H)),
        RecurrenceException(ExceptionType.DELETE, deleted_slot),
    ]
    series = tms.save_conference(alice, request)
    kinds = {e.recurrence_id_utc: e for e in series.recurrence.exceptions}
    assert kinds[deleted_slot].exception_type is ExceptionType.DELETE
    assert kinds[moved_slot].exception_type is ExceptionType.MODIFY
    assert kinds[moved_slot].modified.start_utc == moved_slot + 2 * H
    assert kinds[moved_slot].modified.title == "Moved"
    live = occurrences(tms, alice, series)
    assert [c.recurrence_instance_type for c in live] == ["", "modify", ""]
    again = tms.get_recurrent_conference_by_id(alice, live[-1].conference_id)
    assert len(again.recurrence.exceptions) == 2
    with pytest.raises(InstanceNotFound):
        tms.save_conference(alice, meeting(start, recurrence=RecurrencePattern(
            RecurringFrequency.WEEKLY, instances=2, exceptions=[
                RecurrenceException(ExceptionType.DELETE, start + 3 * D)])))
    with pytest.raises(RecurrenceNotSupported):
        tms.save_conference(alice, meeting(start + 60 * D, recurrence=RecurrencePattern(
            RecurringFrequency.WEEKLY, instances=2, exceptions=[
                RecurrenceException(ExceptionType.ADD, start + 3 * D)])))


def test_exceptions_through_rec_instance_calls(tms, alice):
    series = tms.save_conference(alice, weekly(NOW + D, instances=4, external_source_id="b",
                                               external_primary_key="k"))
    first, second, third, fourth = occurrences(tms, alice, series)
    moved = tms.save_conference_rec_instance(alice, second.copy(
        start_utc=second.start_utc + H, end_utc=second.end_utc + H, title="Later"))
    assert moved.conference_id == second.conference_id
    assert moved.recurrence_instance_type == "modify" and moved.title == "Later"
    assert moved.recurrence_instance_id_utc == second.recurrence_instance_id_utc
    by_key = tms.save_conference_rec_instance(alice, Conference(
        conference_id=-1, external_source_id="b", external_primary_key="k",
        recurrence_instance_id_utc=third.recurrence_instance_id_utc, title="By key",
        start_utc=third.start_utc, end_utc=third.end_utc))
    assert by_key.conference_id == third.conference_id and by_key.title == "By key"
    tms.delete_conference_rec_instance_by_id(alice, fourth.conference_id)
    gone = tms.get_conference_by_id(alice, fourth.conference_id)
    assert gone.status is ConferenceStatus.DELETED and gone.recurrence_instance_type == "deleted"
    view = tms.get_recurrent_conference_by_id(alice, first.conference_id)
    assert sorted(e.exception_type.value for e in view.recurrence.exceptions) == \
        ["DELETE", "MODIFY", "MODIFY"]
    assert [e.trans_type for e in tms.get_transactions_since(alice, 0)][-3:] == [
        TransactionType.UPDATED, TransactionType.UPDATED, TransactionType.DELETED]
    with pytest.raises(InstanceNotFound):
        tms.save_conference_rec_instance(alice, Conference(
            external_source_id="b", external_primary_key="k",
            recurrence_instance_id_utc=NOW + 3 * D, start_utc=NOW + 3 * D,
            end_utc=NOW + 3 * D + H))
    single = tms.save_conference(alice, meeting(NOW + 40 * D))
    with pytest.raises(InstanceNotFound):
        tms.save_conference_rec_instance(alice, single)
    with pytest.raises(InstanceNotFound):
        tms.delete_conference_rec_instance_by_id(alice, single.conference_id)
    with pytest.raises(ConferenceDeleted):
        tms.save_conference_rec_instance(alice, gone)
    with pytest.raises(StaleVersion):
        tms.save_conference_rec_instance(alice, second.copy(title="stale"))


def test_series_update_gives_pending_occurrences_new_ids(tms, alice, clock):
    series = tms.save_conference(alice, weekly(NOW + D, instances=4, external_source_id="b",
                                               external_primary_key="k", title="Old"))
    before = occurrences(tms, alice, series)
    clock.now = NOW + 9 * D  # two occurrences are over
    cursor = tms.get_transactions_since(alice, 0)[-1].transaction_id
    fetched = tms.get_recurrent_conference_by_id(alice, series.conference_id)
    updated = tms.save_conference(alice, fetched.copy(title="New"))
    after = occurrences(tms, alice, updated)
    assert [c.conference_id for c in after[:2]] == [c.conference_id for c in before[:2]]
    assert after[0].title == "Old"  # finished occurrences stay as they were
    assert {c.conference_id for c in after[2:]}.isdisjoint(c.conference_id for c in before)
    assert all(c.title == "New" and c.external_primary_key == "k" for c in after[2:])
    assert updated.conference_id == before[0].conference_id
    assert tms.get_conference_by_id(alice, before[3].conference_id).status is \
        ConferenceStatus.DELETED
    changes = [(e.trans_type, e.conference_id) for e in tms.get_transactions_since(alice, cursor)]
    assert (TransactionType.DELETED, before[2].conference_id) in changes
    assert (TransactionType.NEW, after[2].conference_id) in changes
    # an old occurrence id still leads to the series
    assert tms.get_recurrent_conference_by_id(alice, before[3].conference_id).title == "New"


def test_single_becomes_series_and_back(tms, alice):
    single = tms.save_conference(alice, meeting(NOW + D, external_primary_key="flip"))
    series = tms.save_conference(alice, weekly(NOW + D, instances=3, external_primary_key="flip"))
    assert series.recurrence is not None and series.conference_id != single.conference_id
    assert tms.get_conference_by_id(alice, single.conference_id).status is \
        ConferenceStatus.DELETED
    back = tms.save_conference(alice, meeting(NOW + 2 * D, external_primary_key="flip"))
    assert back.recurrence is None and back.start_utc == NOW + 2 * D
    assert len(occurrences(tms, alice, back)) == 1


# -- deleting and ending ------------------------------------------------------------------------


def test_delete_series_and_reuse_of_external_ids(tms, alice):
    series = tms.save_conference(alice, weekly(NOW + D, instances=3, external_primary_key="k"))
    ids = [c.conference_id for c in occurrences(tms, alice, series)]
    tms.delete_conference_by_id(alice, ids[1])  # any occurrence id deletes the whole series
    for cid in ids:
        assert tms.get_conference_by_id(alice, cid).status is ConferenceStatus.DELETED
    deleted = tms.get_recurrent_conference_by_id(alice, ids[0])
    assert deleted.conference_id == -ids[0] and deleted.status is ConferenceStatus.DELETED
    tms.delete_conference_by_id(alice, ids[0])  # deleting again changes nothing
    listed = tms.get_conferences_for_systems(alice, [OSLO_FJORD], None, None,
                                             ConferenceStatus.DELETED)
    assert [c.conference_id for c in listed] == ids
    again = tms.save_conference(alice, meeting(NOW + D, external_primary_key="k"))
    assert again.conference_id not in ids and again.status is ConferenceStatus.PENDING
    with pytest.raises(ConferenceDeleted):
        tms.save_conference(alice, meeting(NOW + D, conference_id=ids[0], rooms=(OSLO_MUNCH,)))
    with pytest.raises(ConferenceNotFound):
        tms.delete_conference_by_id(alice, 12345)


def test_ongoing_conference_is_ended_not_deleted(tms, alice, clock):
    saved = tms.save_conference(alice, meeting(NOW + H, minutes=120))
    clock.now = NOW + 2 * H
    with pytest.raises(ConferenceActive):
        tms.save_conference(alice, saved.copy(version=0, start_utc=NOW + 90 * timedelta(
            minutes=1)))
    longer = tms.save_conference(alice, saved.copy(version=0, end_utc=NOW + 4 * H))
    assert longer.status is ConferenceStatus.ONGOING
    tms.delete_conference_by_id(alice, saved.conference_id)
    ended = tms.get_conference_by_id(alice, saved.conference_id)
    assert ended.status is ConferenceStatus.FINISHED and ended.end_utc == NOW + 2 * H
    with pytest.raises(CannotBookInPast):  # past meetings can no longer be changed
        tms.save_conference(alice, ended.copy(version=0, title="x"))


def test_end_conference(tms, alice, clock):
    saved = tms.save_conference(alice, meeting(NOW + H))
    with pytest.raises(ConferenceNotActive):
        tms.end_conference_by_id(alice, saved.conference_id)
    clock.now = NOW + H + timedelta(minutes=15)
    tms.end_conference_by_id(alice, saved.conference_id)
    ended = tms.get_conference_by_id(alice, saved.conference_id)
    assert ended.status is ConferenceStatus.FINISHED and ended.end_utc == clock.now
    tms.save_conference(alice, meeting(clock.now, minutes=30))  # the room is free again
    with pytest.raises(CannotBookInPast):
        tms.delete_conference_by_id(alice, saved.conference_id)
    other = tms.save_conference(alice, meeting(NOW + D))
    tms.delete_conference_by_id(alice, other.conference_id)
    with pytest.raises(ConferenceDeleted):
        tms.end_conference_by_id(alice, other.conference_id)


# -- licensing ----------------------------------------------------------------------------------


def test_licence_pool_refuses_unlicensed_rooms(clock):
    tms = Tms.seeded("empty", clock=clock, licence_pool=1)
    admin = tms.user("admin")
    assert not tms.allows_remote_bookings(OSLO_FJORD)
    tms.save_conference(admin, meeting(NOW + D, rooms=(OSLO_FJORD,)))
    assert tms.allows_remote_bookings(OSLO_FJORD) and tms.free_licences() == 0
    tms.save_conference(admin, meeting(NOW + 2 * D, rooms=(OSLO_FJORD,)))  # already licensed
    with pytest.raises(LicenseError) as refused:
        tms.save_conference(admin, meeting(NOW + D, rooms=(NY_HUDSON,)))
    assert "no licence free to allow remote bookings on 'NY Hudson'" in refused.value.message
    assert not tms.allows_remote_bookings(NY_HUDSON)


def test_editing_a_booking_without_licence_deletes_it(clock):
    tms = Tms.seeded("empty", clock=clock, licence_pool=1)
    admin = tms.user("admin")
    ui_booking = tms.book_directly(admin, meeting(NOW + D, rooms=(ADELAIDE_TORRENS,)),
                                   through_api=False)
    assert ui_booking.external_source_id == "TMS"
    assert not tms.allows_remote_bookings(ADELAIDE_TORRENS)
    tms.save_conference(admin, meeting(NOW + D, rooms=(OSLO_FJORD,)))  # takes the last licence
    with pytest.raises(LicenseError) as refused:
        tms.save_conference(admin, ui_booking.copy(title="edited"))
    assert "was deleted" in refused.value.message
    assert tms.get_conference_by_id(admin, ui_booking.conference_id).status is \
        ConferenceStatus.DELETED
    tms.set_allow_remote_bookings(OSLO_FJORD, False)
    tms.set_allow_remote_bookings(ADELAIDE_TORRENS, True)
    with pytest.raises(LicenseError):
        tms.set_allow_remote_bookings(OSLO_FJORD, True)


# -- reading lists and the transaction log -----------------------------------------------------


def test_list_shapes_and_filters(tms, alice, clock):
    done = tms.save_conference(alice, meeting(NOW + H))
    pending = tms.save_conference(alice, meeting(NOW + D, rooms=(OSLO_FJORD, NY_HUDSON)))
    gone = tms.save_conference(alice, meeting(NOW + 2 * D))
    tms.delete_conference_by_id(alice, gone.conference_id)
    clock.now = NOW + 3 * H
    listed = tms.get_conferences_for_systems(alice, [OSLO_FJORD, NY_HUDSON], None, None,
                                             ConferenceStatus.ALL)
    assert [c.conference_id for c in listed] == [done.conference_id, pending.conference_id,
                                                 gone.conference_id]
    assert all(c.participants == [] and c.conference_info_text == "" for c in listed)

    def ids(status, start=None, end=None, systems=()):
        return [c.conference_id for c in tms.get_conferences_for_systems(
            alice, list(systems), start, end, status)]
    assert ids(ConferenceStatus.FINISHED) == [done.conference_id]
    assert ids(ConferenceStatus.PENDING_AND_ONGOING) == [pending.conference_id]
    assert ids(ConferenceStatus.ALL_EXCEPT_DELETED) == [done.conference_id, pending.conference_id]
    assert ids(ConferenceStatus.ALL, NOW + D + H, NOW + 2 * D) == []  # half-open
    assert ids(ConferenceStatus.ALL, NOW + D + 30 * timedelta(minutes=1), NOW + 2 * D) == \
        [pending.conference_id]
    with pytest.raises(SystemNotFound):
        ids(ConferenceStatus.ALL, systems=[999])
    mine = tms.get_conferences_for_user(alice, "", None, None, ConferenceStatus.ALL)
    assert len(mine) == 3
    assert tms.get_conferences_for_user(alice, "CORP\\bob", None, None,
                                        ConferenceStatus.ALL) == []
    with pytest.raises(UserNotFound):
        tms.get_conferences_for_user(alice, "nobody", None, None, ConferenceStatus.ALL)


def test_transactions_page_with_list_incomplete(clock):
    tms = Tms.seeded("empty", clock=clock, transaction_page_size=3)
    alice = tms.user("alice")
    assert tms.get_transactions_since(alice, 0) == []
    for day in range(1, 8):
        tms.save_conference(alice, meeting(NOW + day * D))
    seen, cursor, pages = [], 0, 0
    while True:
        page = tms.get_transactions_since(alice, cursor)
        pages += 1
        if page and page[-1].trans_type is TransactionType.LIST_INCOMPLETE:
            marker = page.pop()
            assert marker.transaction_id == page[-1].transaction_id
            assert len(page) == 3
        seen += page
        if not page or len(page) < 3 or pages > 10:
            break
        cursor = page[-1].transaction_id
    assert len(seen) == 7 and pages == 3
    ids = [t.transaction_id for t in seen]
    assert ids == sorted(set(ids))
    assert tms.get_transactions_since(alice, ids[-1]) == []
    assert [t.transaction_id for t in tms.get_transactions_since(alice, ids[4])] == ids[5:]
    with pytest.raises(TmsError):
        tms.get_transactions_since(alice, ids[-1] + 1)
    with pytest.raises(TmsError):
        tms.get_transactions_since(alice, -5)


def test_concurrent_saves_of_one_room_book_it_once(tms, admin):
    results: list[str] = []

    def book() -> None:
        try:
            tms.save_conference(admin, meeting(NOW + D))
            results.append("ok")
        except SystemAlreadyBooked:
            results.append("busy")

    threads = [threading.Thread(target=book) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["busy"] * 7 + ["ok"]
