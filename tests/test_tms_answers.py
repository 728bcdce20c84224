"""The lean answer reader: hardened parsing, reading by local name, and the one field mapping
(convert) reading its views exactly as it reads zeep's objects."""

from __future__ import annotations

import pytest

from tmscal.model import ConferenceStatus, ParticipantCallType, TransactionType
from tmscal.tms import convert
from tmscal.tms.answers import UnreadableAnswer, fault_in, parse_envelope, read_answer
from tmscal.tms.description import BOOKING_NS

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soap:Header>
    <ExternalAPIVersionSoapHeader xmlns="{ns}"><ClientSession>s-1</ClientSession>
    </ExternalAPIVersionSoapHeader>
  </soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"""

CONFERENCE = """<GetConferenceByIdResponse xmlns="{ns}"><GetConferenceByIdResult>
  <ConferenceId>42</ConferenceId>
  <Title>Board &amp; budget</Title>
  <!-- a comment -->
  <StartTimeUTC>2026-03-02 09:00:00Z</StartTimeUTC>
  <EndTimeUTC>2026-03-02 10:00:00Z</EndTimeUTC>
  <SomethingNewer><Deep>1</Deep></SomethingNewer>
  <OwnerUserName xsi:nil="true"/>
  <Password/>
  <ISDNRestrict>true</ISDNRestrict>
  <Title xmlns="urn:other">not this one</Title>
  <Participants>
    <Participant><ParticipantId>7</ParticipantId><ParticipantCallType>TMS</ParticipantCallType>
    </Participant>
    <Participant xsi:nil="true"/>
    <Participant><ParticipantId>0</ParticipantId><NameOrNumber>bob@example.org</NameOrNumber>
      <ParticipantCallType>SIP -&gt;</ParticipantCallType></Participant>
  </Participants>
  <ConferenceState><Status>Ongoing</Status></ConferenceState>
  <Version>9</Version>
</GetConferenceByIdResult></GetConferenceByIdResponse>"""


def answer(body: str, operation: str):
    root = parse_envelope(ENVELOPE.format(ns=BOOKING_NS, body=body.format(ns=BOOKING_NS))
                          .encode())
    assert not fault_in(root)
    return read_answer(root, BOOKING_NS, operation)


def test_conference_read_by_local_name_tolerating_unknown_elements():
    read = answer(CONFERENCE, "GetConferenceById")
    assert read.header.ExternalAPIVersionSoapHeader.ClientSession == "s-1"
    conference = convert.conference_from_wire(read.body.GetConferenceByIdResult)
    assert conference.conference_id == 42
    assert conference.title == "Board & budget"
    assert conference.start_utc.isoformat() == "2026-03-02T09:00:00+00:00"
    assert conference.owner_user_name == "" and conference.password == ""
    assert conference.isdn_restrict is True
    assert [(p.participant_id, p.call_type) for p in conference.participants] == [
        (7, ParticipantCallType.TMS), (0, ParticipantCallType.SIP_OUT)]
    assert conference.participants[1].name_or_number == "bob@example.org"
    assert conference.status == ConferenceStatus.ONGOING
    assert conference.version == 9 and conference.recurrence is None


def test_transactions_and_empty_arrays():
    read = answer("""<GetTransactionsSinceResponse xmlns="{ns}"><GetTransactionsSinceResult>
      <Transaction><TransactionId>5</TransactionId><ConferenceId>42</ConferenceId>
        <TransType>Deleted</TransType><ParticipantIds>7, 8</ParticipantIds></Transaction>
      <Transaction><TransactionId>6</TransactionId><TransType>Incomplete</TransType>
      </Transaction>
    </GetTransactionsSinceResult></GetTransactionsSinceResponse>""", "GetTransactionsSince")
    entries = [convert.transaction_from_wire(t) for t in
               convert.array_items(read.body.GetTransactionsSinceResult, "Transaction")]
    assert [(t.transaction_id, t.conference_id, t.trans_type, t.participant_ids)
            for t in entries] == [(5, 42, TransactionType.DELETED, [7, 8]),
                                  (6, 0, TransactionType.LIST_INCOMPLETE, [])]
    empty = answer("""<GetConferencesForSystemsResponse xmlns="{ns}">
      <GetConferencesForSystemsResult/></GetConferencesForSystemsResponse>""",
                   "GetConferencesForSystems")
    assert convert.array_items(empty.body.GetConferencesForSystemsResult, "Conference") == []


@pytest.mark.parametrize("content", [
    b"<not xml",
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
     b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">&a;</soap:Envelope>'),
    b'<Envelope xmlns="urn:not-a-soap-envelope"/>',
    b"",
])
def test_unreadable_answers_are_refused(content):
    with pytest.raises(UnreadableAnswer):
        parse_envelope(content)


def test_missing_response_element_is_unreadable():
    with pytest.raises(UnreadableAnswer):
        answer("<Other xmlns='{ns}'/>", "GetConferenceById")
