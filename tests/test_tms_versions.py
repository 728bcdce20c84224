"""Speaking the server's version: the client negotiates ClientVersionIn with simulators of two
API versions, an override is sent as it is (and refused by a too-old TMS), version-filtered
answers (no TransactionId for version 15), refusals recognised by their wording, and the
simulator details seen in real answers ("Allow Bookings" = No)."""

from __future__ import annotations

import logging

import pytest
from lxml import etree

from tmscal.model import (
    ErrorCode,
    StaleVersion,
    SystemAlreadyBooked,
    SystemNotAllowed,
    TmsError,
    error_for_code,
)
from tmscal.tms import TmsClient
from tmscal.tms.faults import error_from_fault
from test_tms_client import PASSWORD, ROOM_A, ROOM_B, meeting, tms_sim  # noqa: F401


@pytest.mark.parametrize("server_version, expected", [(22, 22), (14, 14), (30, 22)])
def test_the_client_sends_the_highest_version_both_speak(tms_sim, server_version, expected):
    tms_sim.engine.api_version = server_version
    client = TmsClient(tms_sim.url, "alice", PASSWORD)
    assert client.api_version == expected
    assert client.server_api_version == server_version
    saved = client.save_conference(meeting("Negotiated", key=f"uid-v{server_version}"))
    assert client.get_conference_by_id(saved.conference_id).title == "Negotiated"
    per_user = client.with_credentials("bob", PASSWORD)
    assert per_user.api_version == expected and per_user.call_count == 0  # no second probe


def test_an_override_too_new_for_the_server_is_refused(tms_sim):
    tms_sim.engine.api_version = 14
    client = TmsClient(tms_sim.url, "alice", PASSWORD, api_version=22)
    with pytest.raises(TmsError) as info:
        client.get_systems()
    assert "newer than this server's API version 14" in info.value.message
    assert TmsClient(tms_sim.url, "alice", PASSWORD, api_version=14).get_systems()


def test_the_negotiated_version_is_logged_once(tms_sim, caplog):
    tms_sim.engine.api_version = 21
    caplog.set_level(logging.INFO, logger="tmscal.tms")
    for _ in range(3):
        TmsClient(tms_sim.url, "alice", PASSWORD).get_systems()
    lines = [r.getMessage() for r in caplog.records if "speaks API version" in r.getMessage()]
    assert lines == [f"TMS at {tms_sim.booking_url} speaks API version 21; "
                     "sending ClientVersionIn 21"]


def test_a_version_15_client_gets_no_transaction_id(tms_sim):
    current = TmsClient(tms_sim.url, "alice", PASSWORD)
    saved = current.save_conference(meeting("Filtered", key="uid-filtered"))
    assert current.get_conference_by_id(saved.conference_id).transaction_id > 0
    old = TmsClient(tms_sim.url, "alice", PASSWORD, api_version=15)
    assert old.get_conference_by_id(saved.conference_id).transaction_id == 0
    assert old.get_conference_by_id(saved.conference_id).title == "Filtered"


def test_a_room_closed_to_bookings_is_refused(tms_sim):
    tms_sim.engine.set_allow_bookings(ROOM_B, False)
    client = TmsClient(tms_sim.url, "alice", PASSWORD)
    with pytest.raises(SystemNotAllowed) as info:
        client.save_conference(meeting("Closed", rooms=(ROOM_B,)))
    assert info.value.code == ErrorCode.SYSTEM_NOT_ALLOWED_IN_BOOKING
    assert "Allow Bookings is No" in info.value.message
    tms_sim.engine.set_allow_bookings(ROOM_B, True)
    assert client.save_conference(meeting("Open again", rooms=(ROOM_B,))).conference_id > 0


# -- refusals TMS documents without a number ---------------------------------------------------


@pytest.mark.parametrize("code", [int(ErrorCode.UNSPECIFIED), -2147218999,
                                  int(ErrorCode.SAVE_DECLINED_STALE_VERSION)])
def test_a_stale_version_refusal_is_recognised_by_its_wording(code):
    error = error_for_code(code, "Save declined: the conference has been modified since it "
                                 "was read. Retrieve it and try again.")
    assert isinstance(error, StaleVersion)
    assert error.code == ErrorCode.SAVE_DECLINED_STALE_VERSION


def test_a_documented_code_is_not_second_guessed():
    error = error_for_code(int(ErrorCode.SYSTEM_ALREADY_BOOKED),
                           "Room A is booked; the version you saw is outdated")
    assert isinstance(error, SystemAlreadyBooked)


@pytest.mark.parametrize("fault", [
    b'<soap:Fault xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><faultcode>soap:Client'
    b"</faultcode><faultstring>Save declined, version mismatch</faultstring><detail />"
    b"</soap:Fault>",
    b'<soap:Fault xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Code><soap:Value>'
    b"soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">Save declined,"
    b" version mismatch</soap:Text></soap:Reason><detail><errorcode xmlns=\"http://tandberg.net/"
    b'2004/02/tms/external/exception/">-2147220991</errorcode></detail></soap:Fault>',
], ids=["soap11-without-code", "soap12-unspecified"])
def test_a_real_tms_stale_version_fault_reaches_the_client_as_stale(fault):
    error = error_from_fault(etree.fromstring(fault))
    assert isinstance(error, StaleVersion)
    assert error.message == "Save declined, version mismatch"
