"""Every client operation against every answer shape a real TMS, IIS or a proxy may send.

A stub HTTP server on 127.0.0.1 sits in front of the simulator. In ``soap12`` mode it turns the
client's SOAP 1.1 request into SOAP 1.2 and forwards it, so the simulator answers (and faults)
in real SOAP 1.2; in the other modes it answers with a canned shape: IIS HTML error pages, empty
and truncated bodies, a wrong Content-Type, redirects, 401/403, a proxy's 502/504, an answer that
trickles in, a compression bomb. Each shape must reach the caller as a result or a typed error.
"""

from __future__ import annotations

import gzip
import http.client
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tmscal.model import (
    BookingMode,
    ConferenceNotFound,
    DatabaseDown,
    StaleVersion,
    TmsAuthenticationError,
    TmsError,
    TmsUnavailable,
)
from tmscal.tms import TmsClient
from test_tms_client import (  # noqa: F401 (fixtures)
    PASSWORD, ROOM_A, SOURCE, meeting, tms_sim, weekly_series,
)

SOAP11 = b"http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = b"http://www.w3.org/2003/05/soap-envelope"
IIS_500 = (b"<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head>"
           b"<body><h2>There is a problem with the resource you are looking for.</h2></body>"
           b"</html>")
FAULT11 = (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + SOAP11 +
           b'"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>The TMS '
           b'database could not be reached.</faultstring><detail><errorcode xmlns="http://'
           b'tandberg.net/2004/02/tms/external/exception/">-2147219500</errorcode></detail>'
           b'</soap:Fault></soap:Body></soap:Envelope>')

#: The shape of the captured TMS 15.x fault (TMS-API.md §4.2): SOAP 1.2, unqualified ``detail``.
FAULT12 = (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + SOAP12 +
           b'"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value>'
           b'</soap:Code><soap:Reason><soap:Text xml:lang="en">The TMS database could not be '
           b'reached.</soap:Text></soap:Reason><soap:Node>https://tms/tms/external/booking/'
           b'bookingservice.asmx?wsdl</soap:Node><detail><errorcode xmlns="http://tandberg.net/'
           b'2004/02/tms/external/exception/">-2147219500</errorcode></detail></soap:Fault>'
           b'</soap:Body></soap:Envelope>')
#: An ASMX protocol fault: SOAP 1.2, no detail at all.
BARE_FAULT12 = (b'<soap:Envelope xmlns:soap="' + SOAP12 + b'"><soap:Body><soap:Fault><soap:Code>'
                b'<soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text>Server '
                b'was unable to read request.</soap:Text></soap:Reason></soap:Fault></soap:Body>'
                b'</soap:Envelope>')

#: shape → (status, headers, body, expected error type, text the message must contain)
SHAPES: dict[str, tuple[int, dict[str, str], bytes, type, str]] = {
    "iis-html-500": (500, {"Content-Type": "text/html"}, IIS_500, TmsUnavailable,
                     "HTTP 500 Internal Server Error (text/html): '500 - Internal server error.'"),
    "empty-500": (500, {"Content-Type": "text/xml"}, b"", TmsUnavailable, "an empty body"),
    "truncated-xml": (500, {"Content-Type": "text/xml; charset=utf-8"}, FAULT11[:150],
                      TmsUnavailable, "not a SOAP response"),
    "html-200": (200, {"Content-Type": "text/html"}, IIS_500, TmsUnavailable, "HTTP 200"),
    "wrong-content-type": (500, {"Content-Type": "text/plain"}, FAULT11, TmsUnavailable,
                           "(text/plain)"),
    "redirect-to-login": (302, {"Location": "https://sso.example.org/adfs/ls/login"}, b"",
                          TmsAuthenticationError, "login page"),
    "redirect-elsewhere": (301, {"Location": "https://tms2.example.org/tms/"}, b"",
                           TmsUnavailable, "https://tms2.example.org/tms/"),
    "iis-401": (401, {"Content-Type": "text/html", "WWW-Authenticate": "Negotiate"},
                b"<html><head><title>401 - Unauthorized: Access is denied</title></head></html>",
                TmsAuthenticationError, "HTTP 401"),
    "iis-403": (403, {"Content-Type": "text/html"},
                b"<html><head><title>403 - Forbidden: Access is denied.</title></head></html>",
                TmsAuthenticationError, "403 - Forbidden"),
    "proxy-502": (502, {"Content-Type": "text/html"},
                  b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
                  TmsUnavailable, "502 Bad Gateway nginx"),
    "proxy-504": (504, {}, b"", TmsUnavailable, "HTTP 504"),
    "soap11-fault": (500, {"Content-Type": "text/xml"}, FAULT11, DatabaseDown,
                     "could not be reached"),
    "soap12-fault": (500, {"Content-Type": "application/soap+xml; charset=utf-8"}, FAULT12,
                     DatabaseDown, "The TMS database could not be reached. (DATABASE_DOWN)"),
    "soap12-fault-without-detail": (500, {"Content-Type": "application/soap+xml"},
                                    BARE_FAULT12, TmsError,
                                    "Server was unable to read request. (UNSPECIFIED)"),
}


class _Stub(ThreadingHTTPServer):
    daemon_threads = True
    shape = "soap12"
    upstream = ""
    rewrite: Callable[[bytes], bytes] = staticmethod(lambda content: content)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Stub

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        shape = self.server.shape
        if shape == "soap12":
            return self._forward(body.replace(SOAP11, SOAP12), "application/soap+xml")
        if shape == "rewritten":
            return self._forward(body, "text/xml")
        if shape == "trickle":
            return self._trickle()
        if shape == "gzip-bomb":
            bomb = gzip.compress(b"<" + b" " * (20 * 1024 * 1024))
            return self._answer(200, {"Content-Type": "text/xml", "Content-Encoding": "gzip"},
                                bomb)
        status, headers, content, _, _ = SHAPES[shape]
        self._answer(status, headers, content)

    def _answer(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True

    def _forward(self, body: bytes, media_type: str) -> None:
        """Pass the request to the simulator, its answer through ``server.rewrite``."""
        target = urlsplit(self.server.upstream)
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        upstream.request("POST", self.path, body=body, headers={
            "Authorization": self.headers["Authorization"],
            "SOAPAction": self.headers.get("SOAPAction", ""),
            "Content-Type": f"{media_type}; charset=utf-8"})
        answer = upstream.getresponse()
        content = self.server.rewrite(answer.read())
        upstream.close()
        self._answer(answer.status, {"Content-Type": answer.getheader("Content-Type")}, content)


@pytest.fixture
def stub(tms_sim):
    server = _Stub(("127.0.0.1", 0), _Handler)
    server.upstream = tms_sim.url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def via_stub(stub):
    client = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD,
                       timeout=(2.0, 2.0), api_version=22)
    yield client
    client.close()


def every_operation(client: TmsClient) -> dict[str, Callable[[], object]]:
    """One call of each public client operation (arguments need not exist in TMS)."""
    booking = meeting("Shapes", key="uid-shapes")
    start, end = booking.start_utc, booking.end_utc
    return {
        "get_systems": client.get_systems,
        "get_systems_for_user": client.get_systems_for_user,
        "get_system_by_id": lambda: client.get_system_by_id(ROOM_A),
        "get_users": client.get_users,
        "get_default_conference": client.get_default_conference,
        "get_conference_by_id": lambda: client.get_conference_by_id(1),
        "get_recurrent_conference_by_id": lambda: client.get_recurrent_conference_by_id(1),
        "get_conference_id_by_external_id":
            lambda: client.get_conference_id_by_external_id(SOURCE, "uid-shapes"),
        "get_conference_by_external_id":
            lambda: client.get_conference_by_external_id(SOURCE, "uid-shapes"),
        "get_conferences_for_systems":
            lambda: client.get_conferences_for_systems([ROOM_A], start, end),
        "get_conferences_for_user": lambda: client.get_conferences_for_user("", start, end),
        "get_time_zone_rules_by_id":
            lambda: client.get_time_zone_rules_by_id("W. Europe Standard Time"),
        "save_conference": lambda: client.save_conference(booking),
        "save_conference_with_mode":
            lambda: client.save_conference_with_mode(booking, BookingMode.STRICT),
        "save_conference_rec_instance": lambda: client.save_conference_rec_instance(booking),
        "delete_conference_by_id": lambda: client.delete_conference_by_id(1),
        "delete_conference_rec_instance_by_id":
            lambda: client.delete_conference_rec_instance_by_id(1),
        "end_conference_by_id": lambda: client.end_conference_by_id(1),
        "get_transactions_since": lambda: client.get_transactions_since(0),
        "is_alive": client.is_alive,
    }


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_operation_turns_each_shape_into_a_typed_error(stub, via_stub, shape):
    stub.shape = shape
    _, _, _, expected, text = SHAPES[shape]
    for name, call in every_operation(via_stub).items():
        if name == "is_alive" and expected is not TmsAuthenticationError:
            assert call() is False, name
            continue
        with pytest.raises(expected) as info:
            call()
        assert text in str(info.value), (name, str(info.value))


def test_an_answer_that_trickles_in_is_cut_at_the_deadline(stub, tms_sim):
    stub.shape = "trickle"
    client = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD,
                       timeout=(2.0, 2.0), deadline=1.0, api_version=22)
    with pytest.raises(TmsUnavailable) as info:
        client.get_systems()
    assert "did not answer in time" in str(info.value)
    assert "within 1 s" in str(info.value)


def test_a_compression_bomb_is_refused_not_inflated(stub):
    stub.shape = "gzip-bomb"
    client = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD,
                       max_answer_bytes=1024 * 1024, api_version=22)
    with pytest.raises(TmsUnavailable) as info:
        client.get_transactions_since(0)
    assert "too large an answer" in str(info.value)


# -- SOAP 1.2 answers and faults, as public captures of TMS 15.x traffic show them -----------


def test_every_operation_reads_soap12_answers(stub, tms_sim):
    stub.shape = "soap12"
    direct = TmsClient(tms_sim.url, "alice", PASSWORD)
    soap12 = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD)
    assert soap12.negotiate_version() == 22  # VersionSoapHeader read from a SOAP 1.2 answer
    series = soap12.save_conference(weekly_series("Over SOAP 1.2", "uid-soap12"))
    assert series.conference_id > 0 and series.title == "Over SOAP 1.2"
    series = soap12.save_conference_with_mode(
        series.copy(title="Renamed over SOAP 1.2"), BookingMode.STRICT)
    assert series.title == "Renamed over SOAP 1.2"  # a series update may give new ids
    start, end = series.start_utc - timedelta(hours=1), series.end_utc + timedelta(days=30)
    for read in ("get_systems", "get_systems_for_user", "get_users"):
        assert getattr(soap12, read)() == getattr(direct, read)()
    assert soap12.get_system_by_id(ROOM_A) == direct.get_system_by_id(ROOM_A)
    assert soap12.get_conference_by_id(series.conference_id) == \
        direct.get_conference_by_id(series.conference_id)
    assert soap12.get_recurrent_conference_by_id(series.conference_id) == \
        direct.get_recurrent_conference_by_id(series.conference_id)
    assert soap12.get_conference_id_by_external_id(SOURCE, "uid-soap12") == series.conference_id
    assert soap12.get_conference_by_external_id(SOURCE, "uid-soap12").title == \
        "Renamed over SOAP 1.2"
    listed = soap12.get_conferences_for_systems([ROOM_A], start, end)
    assert listed == direct.get_conferences_for_systems([ROOM_A], start, end) and listed
    assert soap12.get_conferences_for_user("", start, end) == \
        direct.get_conferences_for_user("", start, end)
    assert soap12.get_time_zone_rules_by_id("W. Europe Standard Time") == \
        direct.get_time_zone_rules_by_id("W. Europe Standard Time")
    assert [t.transaction_id for t in soap12.get_transactions_since(0)] == \
        [t.transaction_id for t in direct.get_transactions_since(0)]
    assert soap12.client_session  # the session handshake ran over SOAP 1.2 faults
    occurrence = soap12.get_conference_by_id(series.conference_id)
    soap12.save_conference_rec_instance(occurrence.copy(title="One occurrence"))
    soap12.delete_conference_rec_instance_by_id(occurrence.conference_id)
    assert soap12.is_alive() is True
    soap12.delete_conference_by_id(series.conference_id)
    with pytest.raises(ConferenceNotFound):
        direct.end_conference_by_id(987654321)


def test_soap12_faults_are_typed(stub, via_stub, tms_sim):
    stub.shape = "soap12"
    with pytest.raises(ConferenceNotFound) as info:
        via_stub.get_conference_by_id(987654321)
    assert info.value.message
    saved = via_stub.save_conference(meeting("Versioned", key="uid-12-stale", hours=3))
    via_stub.save_conference(saved.copy(title="Changed meanwhile"))
    with pytest.raises(StaleVersion):
        via_stub.save_conference(saved.copy(title="Based on the old version"))
    tms_sim.faults.database_down = True
    with pytest.raises(DatabaseDown):
        via_stub.get_systems()
    tms_sim.faults.database_down = False


def test_no_shape_leaks_an_untyped_exception(stub, via_stub):
    """Whatever the shape, the only exceptions are the documented ones."""
    for shape in (*SHAPES, "soap12"):
        stub.shape = shape
        for call in every_operation(via_stub).values():
            try:
                call()
            except (TmsError, TmsUnavailable, TmsAuthenticationError):
                pass


# -- uncertain result shapes fail safe ---------------------------------------------------------


def _unwrapped(content: bytes) -> bytes:
    """SaveConferenceWithModeResult holding the Conference's children bare, not wrapped."""
    return re.sub(rb"<SaveConferenceWithModeResult><Conference>(.*)</Conference>"
                  rb"</SaveConferenceWithModeResult>",
                  rb"<SaveConferenceWithModeResult>\1</SaveConferenceWithModeResult>", content,
                  flags=re.S)


def _without_id(content: bytes) -> bytes:
    if b"SaveConference" not in content:
        return content
    return re.sub(rb"<ConferenceId>[^<]*</ConferenceId>", b"", content, count=1)


@pytest.mark.parametrize("rewrite", [_unwrapped, _without_id, lambda content: re.sub(
    rb"<SaveConferenceWithModeResult>.*</SaveConferenceWithModeResult>", b"", content,
    flags=re.S)], ids=["bare", "without-conference-id", "without-result"])
def test_save_result_shapes(stub, tms_sim, rewrite):
    stub.shape, stub.rewrite = "rewritten", rewrite
    client = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD)
    saved = client.save_conference_with_mode(meeting("Shape", key="uid-shape"),
                                             BookingMode.STRICT)
    held = TmsClient(tms_sim.url, "alice", PASSWORD).get_conference_by_external_id(
        SOURCE, "uid-shape")
    assert saved.conference_id == held.conference_id > 0
    assert saved.title == "Shape" and saved.participants == held.participants


def test_a_result_without_id_or_key_is_not_taken_for_a_booking(stub, tms_sim):
    stub.shape, stub.rewrite = "rewritten", _without_id
    client = TmsClient(f"http://127.0.0.1:{stub.server_address[1]}", "alice", PASSWORD)
    with pytest.raises(TmsUnavailable) as info:
        client.save_conference(meeting("No key", key="").copy(external_primary_key=""))
    assert "without a ConferenceId" in str(info.value)
