"""The simulator's SOAP wire: envelopes as real TMS clients send them, over HTTP on 127.0.0.1.

Shapes follow TMS-API.md: PowerShell sends SOAP 1.2 with ``Content-Type: text/xml`` and no
action, PHP SOAP 1.2 with ``application/soap+xml``, the Cisco Python sample SOAP 1.1 with only
``text/xml``; the Swedish scripts POST to the ``?wsdl`` URL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from lxml import etree

BOOKING = "http://tandberg.net/2004/02/tms/external/booking/"
REMOTE = "http://tandberg.net/2004/02/tms/external/booking/remotesetup/"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EXC = "http://tandberg.net/2004/02/tms/external/exception/"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_DIR = Path(__file__).resolve().parent.parent / "tmscal" / "wsdl"
TMS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$")


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def body_child(response: requests.Response, soap_ns: str) -> etree._Element:
    root = etree.fromstring(response.content)
    return root.find(q(soap_ns, "Body"))[0]


def wsdl_sequence(type_name: str, wsdl: str = "bookingservice.wsdl") -> list[tuple[str, int]]:
    """(element name, minOccurs) of complexType ``type_name`` in the project's WSDL."""
    tree = etree.parse(str(WSDL_DIR / wsdl))
    complex_type = tree.find(f".//{q(XSD, 'complexType')}[@name='{type_name}']")
    return [(e.get("name"), int(e.get("minOccurs"))) for e in complex_type.iter(q(XSD, "element"))]


def assert_wsdl_order(element: etree._Element, type_name: str, ns: str = BOOKING,
                      wsdl: str = "bookingservice.wsdl") -> None:
    """Children of ``element`` are in WSDL order, all declared, every minOccurs=1 present."""
    declared = wsdl_sequence(type_name, wsdl)
    names = [etree.QName(child).localname for child in element]
    assert all(etree.QName(child).namespace == ns for child in element)
    order = [name for name, _ in declared]
    assert all(name in order for name in names), set(names) - set(order)
    positions = [order.index(name) for name in names]
    assert positions == sorted(positions), names
    required = {name for name, min_occurs in declared if min_occurs == 1}
    assert required <= set(names), required - set(names)


def session_of(response: requests.Response) -> str:
    return etree.fromstring(response.content).findtext(f".//{q(EXC, 'clientsessionid')}")


# ------------------------------------------------------------------------------------------
# WSDL


@pytest.mark.parametrize("query", ["?wsdl", "?WSDL", "?Wsdl"])
def test_wsdl_is_served_with_the_servers_own_address(simulator, simulator_credentials, query):
    url = simulator.booking_url.replace("/tms/external/booking/bookingservice.asmx",
                                        "/TMS/External/Booking/BookingService.asmx")
    response = requests.get(url + query, auth=simulator_credentials, timeout=10)
    assert response.status_code == 200
    tree = etree.fromstring(response.content)
    addresses = [e.get("location") for e in tree.iter(etree.Element)
                 if etree.QName(e).localname == "address"]
    assert addresses == [simulator.booking_url] * 2  # SOAP 1.1 and 1.2 ports
    assert b"tms.invalid" not in response.content


def test_remotesetup_wsdl_is_served(simulator, simulator_credentials):
    response = requests.get(simulator.remotesetup_url + "?wsdl", auth=simulator_credentials,
                            timeout=10)
    assert response.status_code == 200
    assert etree.fromstring(response.content).get("targetNamespace") == REMOTE
    assert simulator.remotesetup_url.encode() in response.content


def test_zeep_loads_the_served_wsdl_and_parses_strictly(simulator, simulator_credentials):
    import zeep
    from zeep.transports import Transport

    session = requests.Session()
    session.auth = simulator_credentials
    for port in ("BookingServiceSoap", "BookingServiceSoap12"):
        client = zeep.Client(simulator.booking_url + "?wsdl", transport=Transport(session=session))
        service = client.bind("BookingService", port)
        header = client.get_element(q(BOOKING, "ExternalAPIVersionSoapHeader"))(
            ClientVersionIn=22, ClientIdentifierIn="pytest")
        result = service.GetDefaultConference(_soapheaders=[header])
        assert result.header.VersionSoapHeader.ConfAPIVersion == 22
        assert result.header.ExternalAPIVersionSoapHeader.ClientIdentifierIn == "pytest"
        assert result.body.GetDefaultConferenceResult.ConferenceId == -1
    remote = zeep.Client(simulator.remotesetup_url + "?wsdl", transport=Transport(session=session))
    systems = remote.service.GetSystems().body.GetSystemsResult.TMSSystem
    assert systems and all(system.SystemId > 0 for system in systems)


# ------------------------------------------------------------------------------------------
# Envelope flavours


def test_powershell_soap12_as_text_xml_without_action(simulator, simulator_credentials, soap_wire):
    headers = (f'<ContextHeader xmlns="{BOOKING}"><SendConfirmationMail>false'
               f"</SendConfirmationMail><ExcludeConferenceInformation>false"
               f"</ExcludeConferenceInformation><ClientLanguage>en</ClientLanguage></ContextHeader>"
               + soap_wire.version_header(client_version=15, identifier="ps", session="string"))
    xml = soap_wire.envelope(f'<GetDefaultConference xmlns="{BOOKING}" />', headers=headers)
    response = soap_wire.post(simulator.booking_url + "?wsdl", xml, auth=simulator_credentials)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope')
    root = etree.fromstring(response.content)
    assert root.tag == q(SOAP12, "Envelope")
    echo = root.find(f"{q(SOAP12, 'Header')}/{q(BOOKING, 'ExternalAPIVersionSoapHeader')}")
    assert [(etree.QName(e).localname, e.text) for e in echo] == [
        ("ClientVersionIn", "15"), ("ClientIdentifierIn", "ps"), ("ClientSession", "string")]
    version = root.find(f"{q(SOAP12, 'Header')}/{q(BOOKING, 'VersionSoapHeader')}")
    assert version.findtext(q(BOOKING, "ConfAPIVersion")) == "22"
    response_element = body_child(response, SOAP12)
    assert response_element.tag == q(BOOKING, "GetDefaultConferenceResponse")
    result = response_element.find(q(BOOKING, "GetDefaultConferenceResult"))
    assert result.findtext(q(BOOKING, "ConferenceId")) == "-1"
    assert_wsdl_order(result, "Conference")


def test_php_soap12_as_application_soap_xml(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetDefaultConference xmlns="{BOOKING}" />',
                             headers=soap_wire.version_header())
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials,
                              content_type="application/soap+xml; charset=utf-8")
    assert response.status_code == 200
    assert body_child(response, SOAP12).tag == q(BOOKING, "GetDefaultConferenceResponse")


def test_cisco_sample_soap11_with_only_text_xml(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetSystems xmlns="{REMOTE}" />', version=11,
                             headers=soap_wire.version_header(namespace=REMOTE, client_version=22))
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == q(SOAP11, "Envelope")
    result = body_child(response, SOAP11).find(q(REMOTE, "GetSystemsResult"))
    systems = result.findall(q(REMOTE, "TMSSystem"))
    assert systems
    for system in systems:
        assert_wsdl_order(system, "TMSSystem", REMOTE, "remotesetupservice.wsdl")
    echo = root.find(f"{q(SOAP11, 'Header')}/{q(REMOTE, 'ExternalAPIVersionSoapHeader')}")
    assert echo.findtext(q(REMOTE, "ClientVersionIn")) == "22"


def test_paths_are_case_insensitive_and_wsdl_query_is_ignored_on_post(
        simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<IsAlive xmlns="{REMOTE}" />', version=11)
    url = simulator.url + "/TMS/EXTERNAL/Booking/RemoteSetup/RemoteSetupService.asmx?WSDL"
    response = soap_wire.post(url, xml, auth=simulator_credentials)
    assert response.status_code == 200
    assert body_child(response, SOAP11).findtext(q(REMOTE, "IsAliveResult")) == "true"


def test_matching_soap_action_is_accepted(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetUsers xmlns="{REMOTE}" />', version=11)
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials,
                              soap_action=f'"{REMOTE}GetUsers"')
    assert response.status_code == 200
    users = body_child(response, SOAP11).find(q(REMOTE, "GetUsersResult"))
    assert users.findall(q(REMOTE, "User"))
    for user in users:
        assert_wsdl_order(user, "User", REMOTE, "remotesetupservice.wsdl")


def test_soap12_action_parameter_naming_another_operation_is_a_client_fault(
        simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetDefaultConference xmlns="{BOOKING}" />')
    response = soap_wire.post(
        simulator.booking_url, xml, auth=simulator_credentials,
        content_type=f'application/soap+xml; charset=utf-8; action="{BOOKING}SaveConference"')
    assert response.status_code == 500
    fault = body_child(response, SOAP12)
    assert fault.findtext(f"{q(SOAP12, 'Code')}/{q(SOAP12, 'Value')}") == "soap:Sender"


def test_soap11_action_naming_another_operation_is_a_client_fault(
        simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetUsers xmlns="{REMOTE}" />', version=11)
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials,
                              soap_action=f'"{REMOTE}GetSystems"')
    assert response.status_code == 500
    assert body_child(response, SOAP11).findtext("faultcode") == "soap:Client"


def test_unknown_elements_are_ignored(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(
        f'<GetDefaultConference xmlns="{BOOKING}"><Bogus>1</Bogus><x:Other xmlns:x="urn:x"/>'
        f"</GetDefaultConference>",
        headers='<Unrelated xmlns="urn:other">x</Unrelated>' + soap_wire.version_header())
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 200


def test_operation_of_the_other_service_is_a_client_fault(simulator, simulator_credentials,
                                                          soap_wire):
    xml = soap_wire.envelope(f'<GetSystems xmlns="{REMOTE}" />', version=11)
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 500
    assert body_child(response, SOAP11).findtext("faultcode") == "soap:Client"


def test_response_without_request_header_has_no_echo(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<IsAlive xmlns="{REMOTE}" />', version=11)
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials)
    root = etree.fromstring(response.content)
    assert root.find(f"{q(SOAP11, 'Header')}/{q(REMOTE, 'ExternalAPIVersionSoapHeader')}") is None


# ------------------------------------------------------------------------------------------
# Licensed calls and the ClientSession


def _save_body(conference_xml: str, operation: str = "SaveConference") -> str:
    return f'<{operation} xmlns="{BOOKING}"><Conference>{conference_xml}</Conference></{operation}>'


def _default_conference(simulator, credentials, soap_wire) -> etree._Element:
    xml = soap_wire.envelope(f'<GetDefaultConference xmlns="{BOOKING}" />',
                             headers=soap_wire.version_header())
    response = soap_wire.post(simulator.booking_url, xml, auth=credentials)
    return body_child(response, SOAP12).find(q(BOOKING, "GetDefaultConferenceResult"))


def _session(simulator, credentials, soap_wire) -> str:
    xml = soap_wire.envelope(f'<GetTransactionsSince xmlns="{BOOKING}"><CurrentTransactionId>0'
                             f"</CurrentTransactionId></GetTransactionsSince>", version=11,
                             headers=soap_wire.version_header(session="0"))
    response = soap_wire.post(simulator.booking_url, xml, auth=credentials)
    assert response.status_code == 500
    return session_of(response)


def test_licensed_call_with_blank_session_suggests_one(simulator, simulator_credentials,
                                                       soap_wire):
    xml = soap_wire.envelope(f'<GetTransactionsSince xmlns="{BOOKING}"><CurrentTransactionId>0'
                             f"</CurrentTransactionId></GetTransactionsSince>", version=11,
                             headers=soap_wire.version_header(session=""))
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 500
    detail = body_child(response, SOAP11).find("detail")
    assert detail.findtext(q(EXC, "errorcode")) == "-2147218247"
    assert detail.findtext(q(EXC, "clientsessionid"))


def test_licensed_call_with_suggested_session_succeeds_and_echoes_it(
        simulator, simulator_credentials, soap_wire):
    session = _session(simulator, simulator_credentials, soap_wire)
    assert session
    xml = soap_wire.envelope(f'<GetTransactionsSince xmlns="{BOOKING}"><CurrentTransactionId>0'
                             f"</CurrentTransactionId></GetTransactionsSince>", version=11,
                             headers=soap_wire.version_header(session=session))
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    echo = root.find(f"{q(SOAP11, 'Header')}/{q(BOOKING, 'ExternalAPIVersionSoapHeader')}")
    assert echo.findtext(q(BOOKING, "ClientSession")) == session
    result = body_child(response, SOAP11).find(q(BOOKING, "GetTransactionsSinceResult"))
    for transaction in result:
        assert_wsdl_order(transaction, "Transaction")


def _bookable_system_id(simulator, credentials, soap_wire) -> int:
    xml = soap_wire.envelope(f'<GetSystemsForUser xmlns="{REMOTE}" />', version=11)
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=credentials)
    result = body_child(response, SOAP11).find(q(REMOTE, "GetSystemsForUserResult"))
    return int(result[0].findtext(q(REMOTE, "SystemId")))


def _book(simulator, credentials, soap_wire, *, operation: str = "SaveConference",
          extra: str = "", days_ahead: int = 3) -> requests.Response:
    session = _session(simulator, credentials, soap_wire)
    system_id = _bookable_system_id(simulator, credentials, soap_wire)
    start = (datetime.now(timezone.utc) + timedelta(days=days_ahead)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    conference = (
        "<ConferenceId>-1</ConferenceId><Title>Wire test &amp; order</Title>"
        f"<StartTimeUTC>{start:%Y-%m-%d %H:%M:%S}Z</StartTimeUTC>"
        f"<EndTimeUTC>{start + timedelta(hours=1):%Y-%m-%d %H:%M:%S}Z</EndTimeUTC>"
        "<ConferenceType>Reservation Only</ConferenceType><Bandwidth>6b/384kbps</Bandwidth>"
        "<ExternalSourceId>pytest</ExternalSourceId>"
        f"<ExternalPrimaryKey>wire-{start:%Y%m%d}-{operation}</ExternalPrimaryKey>"
        "<Participants>"
        f"<Participant><ParticipantId>{system_id}</ParticipantId>"
        "<ParticipantCallType>TMS</ParticipantCallType></Participant>"
        "<Participant><NameOrNumber>sip:guest@example.org</NameOrNumber>"
        "<ParticipantCallType>SIP -&gt;</ParticipantCallType></Participant>"
        "</Participants>")
    xml = soap_wire.envelope(_save_body(conference, operation).replace(
        "</Conference>", f"</Conference>{extra}"), headers=soap_wire.version_header(
        session=session))
    return soap_wire.post(simulator.booking_url, xml, auth=credentials)


def test_saved_conference_comes_back_in_wsdl_order(simulator, simulator_credentials, soap_wire):
    response = _book(simulator, simulator_credentials, soap_wire)
    assert response.status_code == 200, response.text
    result = body_child(response, SOAP12).find(q(BOOKING, "SaveConferenceResult"))
    assert_wsdl_order(result, "Conference")
    assert int(result.findtext(q(BOOKING, "ConferenceId"))) > 0
    assert result.findtext(q(BOOKING, "Title")) == "Wire test & order"
    for name in ("StartTimeUTC", "EndTimeUTC"):
        assert TMS_TIME.match(result.findtext(q(BOOKING, name)))
    participants = result.find(q(BOOKING, "Participants"))
    assert len(participants) == 2
    for participant in participants:
        assert_wsdl_order(participant, "Participant")
    assert participants[1].findtext(q(BOOKING, "ParticipantCallType")) == "SIP ->"
    empty_as_in_real_answers = {q(BOOKING, name) for name in (
        "Participants", "EmailTo", "ExternalSourceId")}
    for element in result.iter():
        if len(element) == 0 and element.tag not in empty_as_in_real_answers:
            assert element.text, f"empty element {element.tag} written"
    assert result.find(q(BOOKING, "EmailTo")) is not None  # <EmailTo /> as TMS 15.x sends it

    conference_id = result.findtext(q(BOOKING, "ConferenceId"))
    xml = soap_wire.envelope(f'<GetConferenceById xmlns="{BOOKING}"><ConferenceId>'
                             f"{conference_id}</ConferenceId></GetConferenceById>", version=11)
    fetched = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert fetched.status_code == 200
    fetched_result = body_child(fetched, SOAP11).find(q(BOOKING, "GetConferenceByIdResult"))
    assert_wsdl_order(fetched_result, "Conference")


def test_save_with_mode_result_is_wrapped(simulator, simulator_credentials, soap_wire):
    response = _book(simulator, simulator_credentials, soap_wire,
                     operation="SaveConferenceWithMode",
                     extra="<BookingMode>BestEffortForced</BookingMode>", days_ahead=4)
    assert response.status_code == 200, response.text
    result = body_child(response, SOAP12).find(q(BOOKING, "SaveConferenceWithModeResult"))
    conference = result.find(q(BOOKING, "Conference"))
    assert_wsdl_order(conference, "Conference")


def test_listing_omits_participants(simulator, simulator_credentials, soap_wire):
    assert _book(simulator, simulator_credentials, soap_wire).status_code == 200
    start = datetime.now(timezone.utc) + timedelta(days=2)
    xml = soap_wire.envelope(
        f'<GetConferencesForUser xmlns="{BOOKING}"><StartTime>{start:%Y-%m-%dT00:00:00}'
        f"</StartTime><EndTime>{start + timedelta(days=2):%Y-%m-%dT00:00:00}</EndTime>"
        f"<ConferenceStatus>AllExceptDeleted</ConferenceStatus></GetConferencesForUser>",
        version=11)
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 200, response.text
    result = body_child(response, SOAP11).find(q(BOOKING, "GetConferencesForUserResult"))
    assert len(result) >= 1
    for conference in result:
        assert conference.find(q(BOOKING, "Participants")) is None
        assert conference.find(q(BOOKING, "ConferenceInfoText")) is None
        assert_wsdl_order(conference, "Conference")


def test_time_zone_rules_by_id(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetTimeZoneRulesById xmlns="{BOOKING}"><idString>W. Europe '
                             f"Standard Time</idString></GetTimeZoneRulesById>", version=11)
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 200, response.text
    rules = body_child(response, SOAP11).find(q(BOOKING, "GetTimeZoneRulesByIdResult"))
    assert len(rules) >= 1
    for rule in rules:
        assert_wsdl_order(rule, "TimeZoneRule")
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
                        rule.findtext(q(BOOKING, "ValidFrom")))
        for transition in rule.findall(q(BOOKING, "Daylight")) + rule.findall(
                q(BOOKING, "Standard")):
            assert_wsdl_order(transition, "TimeZoneTransition")
