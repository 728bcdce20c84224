"""TmsClient error handling against the simulator over HTTP: every TMS fault the simulator
produces arrives as its typed error, HTTP and network failures as TmsAuthenticationError /
TmsUnavailable, and no password or Authorization header ends up in logs or exception text."""

from __future__ import annotations

import base64
import logging
import random
import time
import traceback
from datetime import datetime, timedelta

import pytest

from tmscal.model import (
    UTC,
    CannotBookInPast,
    ClientSessionError,
    Conference,
    ConferenceActive,
    ConferenceDeleted,
    ConferenceNotActive,
    ConferenceNotFound,
    DatabaseDown,
    ErrorCode,
    InstanceNotFound,
    InvalidTimes,
    LicenseError,
    NoAccessToConference,
    OutsideBookingWindow,
    Participant,
    RecurrenceEndType,
    RecurrenceNotSupported,
    RecurrencePattern,
    RecurringFrequency,
    StaleVersion,
    SystemAlreadyBooked,
    SystemNotAllowed,
    SystemNotFound,
    TmsAuthenticationError,
    TmsError,
    TmsUnavailable,
    UserNotFound,
)
from tmscal.simulator.engine import Tms
from tmscal.tms import TmsClient
from test_tms_client import (  # noqa: F401 (fixtures)
    PASSWORD, ROOM_A, ROOM_B, ROOM_UNLICENSED, SOURCE, client, meeting, tms_sim, weekly_series,
)


def raises_code(error_type, code: ErrorCode):
    """pytest.raises for ``error_type`` that also checks the TMS error code afterwards."""
    class _Check:
        def __enter__(self):
            self._ctx = pytest.raises(error_type)
            self.info = self._ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self._ctx.__exit__(*exc)
            assert self.info.value.code == code, self.info.value
            assert self.info.value.message
            return handled
    return _Check()


# -- booking refusals -------------------------------------------------------------------------


def test_licence_exhausted(client):
    with raises_code(LicenseError, ErrorCode.LICENSE):
        client.save_conference(meeting(rooms=(ROOM_UNLICENSED,)))


def test_double_booking(client):
    client.save_conference(meeting("Holder", hours=2))
    with raises_code(SystemAlreadyBooked, ErrorCode.SYSTEM_ALREADY_BOOKED) as info:
        client.save_conference(meeting("Clash", hours=2))
    assert "Room A" in info.value.message


def test_booking_in_the_past(client):
    with raises_code(CannotBookInPast, ErrorCode.CANNOTBOOKINTHEPAST):
        client.save_conference(meeting(hours=-3))


def test_outside_booking_window(client):
    with raises_code(OutsideBookingWindow, ErrorCode.START_TIME_AFTER_MAX_NUMBER_OF_DAYS_IN_FUTURE):
        client.save_conference(meeting(hours=24 * 90))


def test_start_after_end(client):
    bad = meeting()
    bad.start_utc, bad.end_utc = bad.end_utc, bad.start_utc
    with raises_code(InvalidTimes, ErrorCode.START_TIME_AFTER_END_TIME):
        client.save_conference(bad)


def test_conference_not_found(client):
    with raises_code(ConferenceNotFound, ErrorCode.MEETINGNOTFOUND):
        client.get_conference_by_id(987654321)
    with raises_code(ConferenceNotFound, ErrorCode.MEETINGNOTFOUND):
        client.save_conference(meeting().copy(conference_id=987654321))
    with raises_code(ConferenceNotFound, ErrorCode.MEETINGNOTFOUND):
        client.delete_conference_by_id(987654321)


def test_system_not_found(client):
    with raises_code(SystemNotFound, ErrorCode.SYSTEMNOTFOUND):
        client.save_conference(meeting(rooms=(999,)))
    with raises_code(SystemNotFound, ErrorCode.SYSTEMNOTFOUND):
        client.get_system_by_id(999)
    start, end = meeting().start_utc, meeting().end_utc
    with raises_code(SystemNotFound, ErrorCode.SYSTEMNOTFOUND):
        client.get_conferences_for_systems([999], start, end)


def test_system_not_allowed(client):
    bob = client.with_credentials("bob", PASSWORD)
    with raises_code(SystemNotAllowed, ErrorCode.SYSTEM_NOT_ALLOWED_IN_BOOKING):
        bob.save_conference(meeting(rooms=(ROOM_B,)))
    carol = client.with_credentials("carol", PASSWORD)
    with raises_code(SystemNotAllowed, ErrorCode.SYSTEM_NOT_ALLOWED_IN_BOOKING):
        carol.save_conference(meeting(rooms=(ROOM_A,), hours=4))


def test_no_access_to_conference(client):
    saved = client.save_conference(meeting("Alice only", rooms=(ROOM_B,), hours=5))
    carol = client.with_credentials("carol", PASSWORD)
    with raises_code(NoAccessToConference, ErrorCode.NO_ACCESS_TO_CONFERENCE):
        carol.get_conference_by_id(saved.conference_id)


def test_unknown_user(client):
    start, end = meeting().start_utc, meeting().end_utc
    with raises_code(UserNotFound, ErrorCode.ERR_USER_NOT_FOUND):
        client.get_conferences_for_user("nobody-here", start, end)


def test_stale_version(client):
    saved = client.save_conference(meeting("Versioned", key="uid-stale", hours=6))
    client.save_conference(saved.copy(title="Changed meanwhile"))
    with raises_code(StaleVersion, ErrorCode.SAVE_DECLINED_STALE_VERSION):
        client.save_conference(saved.copy(title="Based on the old version"))


@pytest.mark.parametrize("frequency, end_type, instances, code", [
    (RecurringFrequency.WEEKLY, RecurrenceEndType.END_NEVER, 0,
     ErrorCode.NEVER_ENDING_RECURRENCE_NOT_SUPPORTED),
    (RecurringFrequency.YEARLY, RecurrenceEndType.END_BY_INSTANCES, 3,
     ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (RecurringFrequency.DAILY, RecurrenceEndType.END_BY_INSTANCES, 101,
     ErrorCode.RECURRENCE_NOT_SUPPORTED),
])
def test_recurrence_refusals(client, frequency, end_type, instances, code):
    series = meeting("Refused series", hours=30)
    series.recurrence = RecurrencePattern(frequency=frequency, end_type=end_type,
                                          instances=instances)
    with raises_code(RecurrenceNotSupported, code):
        client.save_conference(series)


def test_instance_not_found(client):
    saved = client.save_conference(weekly_series("Weekly", "uid-inst"))
    not_an_occurrence = saved.start_utc + timedelta(days=3)
    with raises_code(InstanceNotFound, ErrorCode.INSTANCE_NOT_FOUND_WITHIN_PATTERN):
        client.get_conference_id_by_external_id(SOURCE, "uid-inst", not_an_occurrence)
    single = client.save_conference(meeting("Single", rooms=(ROOM_B,), hours=8))
    with raises_code(InstanceNotFound, ErrorCode.INSTANCE_NOT_FOUND_WITHIN_PATTERN):
        client.delete_conference_rec_instance_by_id(single.conference_id)


def test_end_refusals(client):
    pending = client.save_conference(meeting("Later", rooms=(ROOM_B,), hours=12))
    with raises_code(ConferenceNotActive, ErrorCode.MEETINGNOTACTIVE):
        client.end_conference_by_id(pending.conference_id)
    client.delete_conference_by_id(pending.conference_id)
    with raises_code(ConferenceDeleted, ErrorCode.MEETINGISDELETED):
        client.end_conference_by_id(pending.conference_id)


def test_moving_the_start_of_an_ongoing_occurrence(client):
    now = datetime.now(UTC).replace(microsecond=0)
    series = Conference(title="Daily now", start_utc=now - timedelta(minutes=5),
                        end_utc=now + timedelta(minutes=25), external_source_id=SOURCE,
                        external_primary_key="uid-ongoing",
                        participants=[Participant(participant_id=ROOM_B)])
    series.recurrence = RecurrencePattern(frequency=RecurringFrequency.DAILY,
                                          end_type=RecurrenceEndType.END_BY_INSTANCES,
                                          instances=2)
    saved = client.save_conference(series)
    current = client.get_conference_by_id(saved.conference_id)
    with raises_code(ConferenceActive, ErrorCode.MEETINGACTIVE):
        client.save_conference_rec_instance(current.copy(
            start_utc=current.start_utc + timedelta(minutes=10)))


# -- session faults that cannot be repaired ---------------------------------------------------


def test_session_fault_is_retried_only_once(simulator_factory):
    """A TMS whose ClientSession ids expire at once refuses even the id it suggested: the
    client retries once with the suggestion, then lets the second fault surface."""
    engine = Tms(session_lifetime=timedelta(0), session_grace=timedelta(0))
    engine.add_user("alice", PASSWORD)
    sim = simulator_factory(engine=engine)
    forgetful = TmsClient(sim.url, "alice", PASSWORD, api_version=22)
    with pytest.raises(ClientSessionError) as info:
        forgetful.get_transactions_since(0)
    assert info.value.code == ErrorCode.ERR_CLIENT_SESSION_EXPIRED
    assert info.value.client_session_id
    assert forgetful.call_count == 2


# -- HTTP and network -------------------------------------------------------------------------


def test_wrong_password_is_an_authentication_error(client, tms_sim):
    wrong = client.with_credentials("alice", "not-the-password")
    with pytest.raises(TmsAuthenticationError) as info:
        wrong.get_systems()
    assert "401" in str(info.value)
    with pytest.raises(TmsAuthenticationError):
        wrong.is_alive()


def test_database_down(client, tms_sim):
    tms_sim.faults.database_down = True
    with raises_code(DatabaseDown, ErrorCode.DATABASE_DOWN):
        client.get_conference_by_id(1)
    with raises_code(DatabaseDown, ErrorCode.DATABASE_DOWN):
        client.get_systems()
    assert client.is_alive() is False
    tms_sim.faults.database_down = False
    assert client.get_systems()


def test_random_failures_are_typed(client, tms_sim):
    tms_sim.faults._rng = random.Random(7)
    tms_sim.faults.fault_rate = 1.0
    seen: set[type] = set()
    for _ in range(30):
        with pytest.raises((DatabaseDown, TmsUnavailable)) as info:
            client.get_systems()
        seen.add(type(info.value))
    assert seen == {DatabaseDown, TmsUnavailable}  # SOAP fault and bare HTTP 500 both occur


def test_timeout_is_unavailable(tms_sim):
    impatient = TmsClient(tms_sim.url, "alice", PASSWORD, timeout=(1.0, 0.5))
    tms_sim.faults.timeout = "forever"
    try:
        started = time.monotonic()
        with pytest.raises(TmsUnavailable) as info:
            impatient.get_systems()
        assert time.monotonic() - started < 5
        assert "in time" in str(info.value)
        assert impatient.is_alive() is False
    finally:
        tms_sim.faults.timeout = None
    assert impatient.is_alive() is True


def test_server_down_is_unavailable(client, tms_sim):
    tms_sim.faults.down = True
    with pytest.raises(TmsUnavailable):
        client.get_conference_by_id(1)
    assert client.is_alive() is False
    tms_sim.faults.down = False
    assert client.is_alive() is True


def test_nothing_listening_is_unavailable(free_port):
    nobody = TmsClient(f"http://127.0.0.1:{free_port}", "alice", PASSWORD, timeout=(1.0, 1.0))
    with pytest.raises(TmsUnavailable):
        nobody.get_systems()


def test_wrong_path_is_unavailable(tms_sim):
    lost = TmsClient(tms_sim.url + "/elsewhere/service.asmx", "alice", PASSWORD)
    with pytest.raises(TmsUnavailable) as info:
        lost.get_systems()
    assert "404" in str(info.value)


def test_base_url_with_credentials_is_refused():
    with pytest.raises(ValueError) as info:
        TmsClient(f"https://alice:{PASSWORD}@tms.example.org", "alice", PASSWORD)
    assert PASSWORD not in str(info.value)


def test_ntlm_client_is_refused_by_a_basic_only_server(tms_sim):
    ntlm = TmsClient(tms_sim.url, "TMSSIM\\alice", PASSWORD, auth="ntlm")
    with pytest.raises(TmsAuthenticationError):
        ntlm.get_systems()


# -- secrets ----------------------------------------------------------------------------------


def _exception_text(exc: BaseException | None) -> str:
    """Messages and reprs of ``exc`` and its causes/contexts (not the source lines of the
    traceback, which quote this test file)."""
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts += traceback.format_exception_only(type(exc), exc)
        parts.append(repr(exc))
        parts.append(repr(getattr(exc, "args", ())))
        exc = exc.__cause__ or exc.__context__
    return "".join(parts)


def test_no_secret_in_logs_or_errors(client, tms_sim, caplog):
    caplog.set_level(logging.DEBUG)  # every logger: tmscal, zeep, urllib3, requests
    secrets = [PASSWORD, "not-the-password",
               base64.b64encode(f"TMSSIM\\alice:{PASSWORD}".encode()).decode(),
               base64.b64encode(b"alice:not-the-password").decode()]
    texts: list[str] = []

    client.get_transactions_since(0)
    saved = client.save_conference(meeting("Secretive", hours=14))
    client.get_conference_by_id(saved.conference_id)
    for failing in (
        lambda: client.with_credentials("alice", "not-the-password").get_systems(),
        lambda: client.get_conference_by_id(987654321),
    ):
        with pytest.raises((TmsError, TmsAuthenticationError)) as info:
            failing()
        texts.append(_exception_text(info.value))
    tms_sim.faults.down = True
    with pytest.raises(TmsUnavailable) as info:
        client.get_systems()
    texts.append(_exception_text(info.value))
    tms_sim.faults.down = False

    assert any(r.name == "tmscal.tms" and "GetConferenceById" in r.getMessage()
               for r in caplog.records)
    texts.append(caplog.text)
    texts.append(repr(client) + repr(client._transport))
    for text in texts:
        for secret in secrets:
            assert secret not in text
        assert "Authorization" not in text
