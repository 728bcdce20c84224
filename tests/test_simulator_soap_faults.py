"""Faults of the simulator's SOAP layer: TMS-shaped SOAP faults, 401, hostile XML, size limits,
and injected faults (Python API and admin endpoint), all over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from tmscal.model import ConferenceStatus

BOOKING = "http://tandberg.net/2004/02/tms/external/booking/"
REMOTE = "http://tandberg.net/2004/02/tms/external/booking/remotesetup/"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EXC = "http://tandberg.net/2004/02/tms/external/exception/"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def fault_of(response: requests.Response, soap_ns: str) -> etree._Element:
    root = etree.fromstring(response.content)
    fault = root.find(f"{q(soap_ns, 'Body')}/{q(soap_ns, 'Fault')}")
    assert fault is not None, response.text
    return fault


def get_conference(soap_wire, conference_id: int = 999999, version: int = 12) -> str:
    return soap_wire.envelope(f'<GetConferenceById xmlns="{BOOKING}"><ConferenceId>'
                              f"{conference_id}</ConferenceId></GetConferenceById>",
                              version=version, headers=soap_wire.version_header())


def is_alive(soap_wire) -> str:
    return soap_wire.envelope(f'<IsAlive xmlns="{REMOTE}" />', version=11)


# ------------------------------------------------------------------------------------------
# Fault shapes (TMS-API.md §4.2)


def test_soap12_fault_has_the_captured_tms_shape(simulator, simulator_credentials, soap_wire):
    url = simulator.booking_url + "?wsdl"
    response = soap_wire.post(url, get_conference(soap_wire), auth=simulator_credentials)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/soap+xml")
    fault = fault_of(response, SOAP12)
    assert [etree.QName(child).localname for child in fault] == [
        "Code", "Reason", "Node", "detail"]
    assert fault.findtext(f"{q(SOAP12, 'Code')}/{q(SOAP12, 'Value')}") == "soap:Sender"
    text = fault.find(f"{q(SOAP12, 'Reason')}/{q(SOAP12, 'Text')}")
    assert text.get(q(XML_NS, "lang")) == "en" and text.text
    host = urlsplit(simulator.booking_url).netloc
    assert fault.findtext(q(SOAP12, "Node")) == (
        f"http://{host}/tms/external/booking/bookingservice.asmx?wsdl")
    detail = fault[3]
    assert detail.tag == "detail"  # unqualified and lower case, as TMS writes it
    assert [child.tag for child in detail] == [q(EXC, "errorcode"), q(EXC, "clientsessionid")]
    assert detail.findtext(q(EXC, "errorcode")) == "-2147218302"  # MEETINGNOTFOUND


def test_soap11_fault_has_faultcode_string_actor_and_detail(simulator, simulator_credentials,
                                                            soap_wire):
    response = soap_wire.post(simulator.booking_url, get_conference(soap_wire, version=11),
                              auth=simulator_credentials)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    fault = fault_of(response, SOAP11)
    assert [child.tag for child in fault] == ["faultcode", "faultstring", "faultactor", "detail"]
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring")
    assert fault.findtext("faultactor") == simulator.booking_url
    assert fault.find("detail").findtext(q(EXC, "errorcode")) == "-2147218302"
    assert fault.find("detail").find(q(EXC, "clientsessionid")) is not None


def test_session_fault_carries_the_suggested_session_in_both_versions(
        simulator, simulator_credentials, soap_wire):
    body = (f'<GetTransactionsSince xmlns="{BOOKING}"><CurrentTransactionId>0'
            f"</CurrentTransactionId></GetTransactionsSince>")
    suggested = set()
    for version, soap_ns in ((11, SOAP11), (12, SOAP12)):
        xml = soap_wire.envelope(body, version=version,
                                 headers=soap_wire.version_header(session="0"))
        response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
        detail = fault_of(response, soap_ns).find("detail")
        assert detail.findtext(q(EXC, "errorcode")) == "-2147218253"
        suggested.add(detail.findtext(q(EXC, "clientsessionid")))
    assert len(suggested) == 1 and "" not in suggested  # the same id for the same user


def test_database_down_is_a_receiver_fault(simulator, simulator_credentials, soap_wire):
    simulator.faults.database_down = True
    response = soap_wire.post(simulator.booking_url, get_conference(soap_wire),
                              auth=simulator_credentials)
    assert response.status_code == 500
    fault = fault_of(response, SOAP12)
    assert fault.findtext(f"{q(SOAP12, 'Code')}/{q(SOAP12, 'Value')}") == "soap:Receiver"
    assert fault.find("detail").findtext(q(EXC, "errorcode")) == "-2147219500"
    response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                              auth=simulator_credentials)
    fault = fault_of(response, SOAP11)
    assert fault.findtext("faultcode") == "soap:Server"
    assert fault.find("detail").findtext(q(EXC, "errorcode")) == "-2147219500"


def test_unreadable_value_is_a_client_fault(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<GetConferenceById xmlns="{BOOKING}"><ConferenceId>abc'
                             f"</ConferenceId></GetConferenceById>", version=11)
    response = soap_wire.post(simulator.booking_url, xml, auth=simulator_credentials)
    assert response.status_code == 500
    assert fault_of(response, SOAP11).findtext("faultcode") == "soap:Client"


# ------------------------------------------------------------------------------------------
# Authentication


@pytest.mark.parametrize("auth", [None, ("nobody", "wrong"), "bad-password"])
def test_missing_or_wrong_credentials_get_401_not_a_fault(simulator, simulator_credentials,
                                                          soap_wire, auth):
    if auth == "bad-password":
        auth = (simulator_credentials[0], simulator_credentials[1] + "x")
    response = soap_wire.post(simulator.booking_url, get_conference(soap_wire), auth=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert b"Envelope" not in response.content
    assert requests.get(simulator.booking_url + "?wsdl", auth=auth, timeout=10).status_code == 401


def test_user_name_with_domain_prefix_is_accepted(simulator, simulator_credentials, soap_wire):
    user, password = simulator_credentials
    bare = user.rsplit("\\", 1)[-1]
    for name in (bare, f"TMSSIM\\{bare}", f"otherdomain\\{bare}"):
        response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                                  auth=(name, password))
        assert response.status_code == 200, name


# ------------------------------------------------------------------------------------------
# Hostile and malformed input


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetConferenceIdByExternalId xmlns="http://tandberg.net/2004/02/tms/external/booking/">
<ExternalSourceId>&lol9;</ExternalSourceId></GetConferenceIdByExternalId>
</soap:Body></soap:Envelope>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetConferenceIdByExternalId xmlns="http://tandberg.net/2004/02/tms/external/booking/">
<ExternalSourceId>&xxe;</ExternalSourceId></GetConferenceIdByExternalId>
</soap:Body></soap:Envelope>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY],
                         ids=["billion-laughs", "external-entity"])
def test_dtd_and_entities_are_refused_without_expansion(simulator, simulator_credentials,
                                                        soap_wire, document):
    started = time.monotonic()
    response = soap_wire.post(simulator.booking_url, document, auth=simulator_credentials)
    assert time.monotonic() - started < 5
    assert response.status_code == 500
    assert fault_of(response, SOAP11).findtext("faultcode") == "soap:Client"
    assert len(response.content) < 4096
    assert b"lollol" not in response.content and b"root:" not in response.content


@pytest.mark.parametrize("payload", [b"", b"not xml at all", b"<soap:Envelope",
                                     b"<a><b></a>", "<\u00e9".encode("utf-16")])
def test_malformed_xml_is_a_client_fault_and_the_server_survives(
        simulator, simulator_credentials, soap_wire, payload):
    response = soap_wire.post(simulator.booking_url, payload, auth=simulator_credentials)
    assert response.status_code == 500
    assert fault_of(response, SOAP11).findtext("faultcode") == "soap:Client"
    ok = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire), auth=simulator_credentials)
    assert ok.status_code == 200


def test_body_that_is_not_an_envelope_is_a_client_fault(simulator, simulator_credentials,
                                                        soap_wire):
    response = soap_wire.post(simulator.booking_url, f'<GetDefaultConference xmlns="{BOOKING}"/>',
                              auth=simulator_credentials,
                              content_type="application/soap+xml; charset=utf-8")
    assert response.status_code == 500
    fault = fault_of(response, SOAP12)
    assert fault.findtext(f"{q(SOAP12, 'Code')}/{q(SOAP12, 'Value')}") == "soap:Sender"


def test_unknown_envelope_namespace_is_a_version_mismatch(simulator, simulator_credentials,
                                                          soap_wire):
    xml = (f'<e:Envelope xmlns:e="urn:not-soap"><e:Body><IsAlive xmlns="{REMOTE}"/>'
           f"</e:Body></e:Envelope>")
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials)
    assert response.status_code == 500
    assert fault_of(response, SOAP11).findtext("faultcode") == "soap:VersionMismatch"


def test_oversized_body_gets_413(simulator, simulator_credentials, soap_wire):
    padding = "x" * (1024 * 1024 + 1)
    xml = soap_wire.envelope(f'<IsAlive xmlns="{REMOTE}"><Pad>{padding}</Pad></IsAlive>',
                             version=11)
    response = soap_wire.post(simulator.remotesetup_url, xml, auth=simulator_credentials)
    assert response.status_code == 413


def test_chunked_request_is_read(simulator, simulator_credentials, soap_wire):
    xml = soap_wire.envelope(f'<IsAlive xmlns="{REMOTE}" />', version=11).encode()
    response = requests.post(simulator.remotesetup_url, data=iter([xml[:50], xml[50:]]),
                             headers={"Content-Type": "text/xml"}, auth=simulator_credentials,
                             timeout=10)
    assert response.status_code == 200


def test_keep_alive_serves_several_requests_on_one_connection(simulator, simulator_credentials,
                                                              soap_wire):
    import base64

    host, port = urlsplit(simulator.url).netloc.split(":")
    token = base64.b64encode(":".join(simulator_credentials).encode()).decode()
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = is_alive(soap_wire).encode()
    for _ in range(3):
        connection.request("POST", urlsplit(simulator.remotesetup_url).path, body=body,
                           headers={"Content-Type": "text/xml", "Authorization": f"Basic {token}"})
        response = connection.getresponse()
        assert response.status == 200
        response.read()
    connection.close()


def test_concurrent_clients_are_served(simulator, simulator_credentials, soap_wire):
    from concurrent.futures import ThreadPoolExecutor

    simulator.faults.latency = 0.2  # every request in flight at once

    def call(index: int) -> int:
        if index % 2:
            return soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                                  auth=simulator_credentials).status_code
        return soap_wire.post(simulator.booking_url, get_conference(soap_wire),
                              auth=simulator_credentials).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(call, range(16)))
    assert statuses == [500 if i % 2 == 0 else 200 for i in range(16)]
    assert time.monotonic() - started < 0.2 * 16 / 2  # served in parallel, not one by one


# ------------------------------------------------------------------------------------------
# Fault injection


def test_latency_via_api(simulator, simulator_credentials, soap_wire):
    simulator.faults.latency = 0.3
    started = time.monotonic()
    response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                              auth=simulator_credentials)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_rate_one_always_fails_in_one_of_two_ways(simulator, simulator_credentials,
                                                        soap_wire):
    simulator.faults.fault_rate = 1.0
    seen = set()
    for _ in range(12):
        response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                                  auth=simulator_credentials)
        assert response.status_code == 500
        if b"Envelope" in response.content:
            code = fault_of(response, SOAP11).find("detail").findtext(q(EXC, "errorcode"))
            assert code == "-2147219500"
            seen.add("database_down")
        else:
            seen.add("http_500")
    assert seen == {"database_down", "http_500"}  # 12 draws: both kinds (p(miss) = 2**-11)
    simulator.faults.fault_rate = 0
    assert soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                          auth=simulator_credentials).status_code == 200


def test_timeout_holds_the_request(simulator, simulator_credentials, soap_wire):
    simulator.faults.timeout = 0.4
    started = time.monotonic()
    response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                              auth=simulator_credentials)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4


def test_endless_timeout_until_cleared(simulator, simulator_credentials, soap_wire):
    simulator.faults.timeout = float("inf")
    with pytest.raises(requests.Timeout):
        soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire), auth=simulator_credentials,
                       timeout=0.5)
    simulator.faults.timeout = None
    response = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                              auth=simulator_credentials)
    assert response.status_code == 200


def test_down_closes_connections_but_admin_still_answers(simulator, simulator_credentials,
                                                         soap_wire):
    simulator.faults.down = True
    with pytest.raises(requests.ConnectionError):
        soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire), auth=simulator_credentials)
    with pytest.raises(requests.ConnectionError):
        requests.get(simulator.booking_url + "?wsdl", auth=simulator_credentials, timeout=5)
    assert requests.get(simulator.admin_url, timeout=5).json()["down"] is True
    response = requests.post(simulator.admin_url, json={"down": False}, timeout=5)
    assert response.json()["down"] is False
    assert soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                          auth=simulator_credentials).status_code == 200


def test_admin_endpoint_sets_reads_and_clears_faults(simulator, simulator_credentials,
                                                     soap_wire):
    assert requests.get(simulator.admin_url, timeout=5).json() == {
        "latency": 0.0, "fault_rate": 0.0, "timeout": None, "database_down": False,
        "down": False, "held_operations": []}
    response = requests.post(simulator.admin_url,
                             json={"database_down": True, "latency": 0.05,
                                   "timeout": "forever"}, timeout=5)
    assert response.status_code == 200
    assert response.json()["timeout"] == "forever"
    assert simulator.faults.database_down and simulator.faults.latency == 0.05
    simulator.faults.timeout = None
    fault = soap_wire.post(simulator.remotesetup_url, is_alive(soap_wire),
                           auth=simulator_credentials)
    assert fault_of(fault, SOAP11).findtext("faultcode") == "soap:Server"
    assert requests.delete(simulator.admin_url, timeout=5).json()["database_down"] is False
    assert simulator.faults.latency == 0.0


@pytest.mark.parametrize("payload", [{"bogus": 1}, {"fault_rate": 2}, {"down": "yes"}, [1]])
def test_admin_endpoint_refuses_bad_settings(simulator, payload):
    response = requests.post(simulator.admin_url, data=json.dumps(payload), timeout=5)
    assert response.status_code == 400
    assert "error" in response.json()


def test_admin_endpoint_is_off_when_disabled(simulator_factory):
    server = simulator_factory(seed="empty", admin=False)
    assert requests.get(server.admin_url, timeout=5).status_code == 404


def test_faults_can_be_set_at_start(simulator_factory, soap_wire):
    from tmscal.simulator.faults import FaultInjection

    server = simulator_factory(seed="demo", faults=FaultInjection(database_down=True))
    user, password, _ = server.engine.demo_accounts()[0]
    response = soap_wire.post(server.remotesetup_url, is_alive(soap_wire), auth=(user, password))
    assert fault_of(response, SOAP11).findtext("faultcode") == "soap:Server"


# ------------------------------------------------------------------------------------------
# State file and command


def test_state_file_is_saved_after_writes_and_survives_a_restart(simulator_factory, tmp_path,
                                                                  soap_wire):
    state = tmp_path / "tms.json"
    first = simulator_factory(seed="demo", state_file=state)
    user, password, _ = first.engine.demo_accounts()[0]
    owner = first.engine.authenticate(user, password)
    soon = datetime.now(timezone.utc) + timedelta(days=1)
    victim = first.engine.get_conferences_for_user(
        owner, "", soon, soon + timedelta(days=7), ConferenceStatus.PENDING)[0].conference_id
    xml = soap_wire.envelope(f'<DeleteConferenceById xmlns="{BOOKING}"><ConferenceId>{victim}'
                             f"</ConferenceId></DeleteConferenceById>", version=11)
    response = soap_wire.post(first.booking_url, xml, auth=(user, password))
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert len(root.find(q(SOAP11, "Body"))[0]) == 0  # void: an empty <…Response/>
    assert state.exists()  # saved after the write, before any shutdown
    before = first.engine.get_transactions_since(owner, 0)
    first.stop()
    second = simulator_factory(seed="empty", state_file=state)
    after = second.engine.get_transactions_since(second.engine.authenticate(user, password), 0)
    assert [t.transaction_id for t in after] == [t.transaction_id for t in before]


def test_command_prints_endpoints_and_serves(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "tmscal.cli", "simulator", "--port", "0", "--seed", "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 20
        booking_url = None
        while time.monotonic() < deadline and booking_url is None:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Booking API:" in line:
                booking_url = line.split("Booking API:", 1)[1].strip()
        assert booking_url, "".join(lines)
        for _ in range(3):
            line = process.stdout.readline()
            lines.append(line)
        response = requests.get(booking_url + "?wsdl", timeout=10)
        assert response.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0


def test_held_operations_wait_until_released_and_calls_are_counted(simulator,
                                                                   simulator_credentials,
                                                                   soap_wire):
    """Only the held operation waits (the others are answered); taking it out of
    ``held_operations`` answers the waiting request; every request is counted by operation."""
    response = requests.post(simulator.admin_url,
                             json={"held_operations": ["IsAlive"]}, timeout=5)
    assert response.json()["held_operations"] == ["IsAlive"]
    held = threading.Thread(target=lambda: answers.append(soap_wire.post(
        simulator.remotesetup_url, is_alive(soap_wire), auth=simulator_credentials)))
    answers: list = []
    held.start()
    held.join(0.5)
    assert held.is_alive() and not answers
    systems = soap_wire.post(simulator.remotesetup_url, soap_wire.envelope(
        f'<GetSystems xmlns="{soap_wire.REMOTE_SETUP_NS}"/>'), auth=simulator_credentials)
    assert systems.status_code == 200
    simulator.faults.held_operations = []
    held.join(10)
    assert answers[0].status_code == 200
    assert simulator.calls["IsAlive"] == 1 and simulator.calls["GetSystems"] == 1
    with pytest.raises(ValueError):
        simulator.faults.update(held_operations="IsAlive")
