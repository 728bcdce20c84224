"""TmsClient with NTLM (IIS's default for the Booking API) through a real NTLM handshake.

The simulator speaks only Basic, so an NTLM gateway sits in front of it: a small HTTP/1.1 server
that authenticates each TCP connection with NTLM (``pyspnego`` as the acceptor, the same library
``requests_ntlm`` uses on the client side), then relays the SOAP request to the simulator with
Basic credentials. This is a test double for IIS's Windows authentication, not a mock of the
client: the client's own ``requests_ntlm`` handshake runs over real sockets.
"""

from __future__ import annotations

import base64
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tmscal.model import TmsAuthenticationError, TmsUnavailable
from tmscal.tms import TmsClient
from test_tms_client import PASSWORD, ROOM_A, meeting, tms_sim  # noqa: F401 (fixture)

spnego = pytest.importorskip("spnego")


class _NtlmGateway(BaseHTTPRequestHandler):
    """NTLM in front, Basic behind. One NTLM context per connection (handler instance)."""

    protocol_version = "HTTP/1.1"
    upstream = ""
    upstream_auth: tuple[str, str] = ("", "")
    handshakes: list[str] = []
    misbehaviour = ""  # "trickle", "bomb" or "iis-500": answer as a broken server would

    def _misbehave(self) -> None:
        if self.misbehaviour == "iis-500":
            self._reply(500, b"<html><head><title>Server Error</title></head></html>",
                        content_type="text/html")
        elif self.misbehaviour == "bomb":
            self._reply(200, gzip.compress(b"<" + b" " * (20 * 1024 * 1024)),
                        headers={"Content-Encoding": "gzip"}, content_type="text/xml")
        else:  # a byte every 0.2 s
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict | None = None,
               content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if not getattr(self, "_authenticated", False):
            if scheme != "NTLM" or not token:
                self._reply(401, headers={"WWW-Authenticate": "NTLM"})
                return
            if getattr(self, "_context", None) is None:
                self._context = spnego.server(protocol="ntlm")
            try:
                answer = self._context.step(base64.b64decode(token))
            except spnego.exceptions.SpnegoError:
                self._context = None
                self._reply(401, headers={"WWW-Authenticate": "NTLM"})
                return
            if not self._context.complete:
                self._reply(401, headers={
                    "WWW-Authenticate": "NTLM " + base64.b64encode(answer).decode()})
                return
            self._authenticated = True
            type(self).handshakes.append(str(self._context.client_principal))
        if self.misbehaviour:
            self._misbehave()
            return
        relayed = requests.post(self.upstream + self.path, data=body, auth=self.upstream_auth,
                                headers={"Content-Type": self.headers.get("Content-Type", ""),
                                         "SOAPAction": self.headers.get("SOAPAction", "")},
                                timeout=10)
        self._reply(relayed.status_code, relayed.content,
                    content_type=relayed.headers.get("Content-Type", "text/xml"))


@pytest.fixture
def ntlm_gateway(tms_sim, tmp_path, monkeypatch):
    users = tmp_path / "ntlm-users"
    users.write_text(f"TMSSIM:alice:{PASSWORD}\n")
    monkeypatch.setenv("NTLM_USER_FILE", str(users))
    handler = type("Gateway", (_NtlmGateway,), {
        "upstream": tms_sim.url, "upstream_auth": ("alice", PASSWORD), "handshakes": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()


def test_ntlm_handshake_then_keep_alive(ntlm_gateway):
    httpd, handler = ntlm_gateway
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    ntlm = TmsClient(url, "TMSSIM\\alice", PASSWORD, auth="ntlm")
    assert ntlm.is_alive()
    saved = ntlm.save_conference(meeting("Booked over NTLM", rooms=(ROOM_A,), hours=3))
    assert ntlm.get_conference_by_id(saved.conference_id).title == "Booked over NTLM"
    assert len(handler.handshakes) == 1  # one authenticated connection, reused
    assert "alice" in handler.handshakes[0].lower()


def test_ntlm_per_thread_sessions(ntlm_gateway):
    httpd, handler = ntlm_gateway
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    ntlm = TmsClient(url, "TMSSIM\\alice", PASSWORD, auth="ntlm")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert ntlm.get_systems()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[0]
    assert len(handler.handshakes) == 4  # each thread authenticated its own connection


def test_ntlm_wrong_password(ntlm_gateway):
    httpd, _handler = ntlm_gateway
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    wrong = TmsClient(url, "TMSSIM\\alice", "wrong-password", auth="ntlm")
    with pytest.raises(TmsAuthenticationError) as info:
        wrong.get_systems()
    assert "wrong-password" not in str(info.value)


@pytest.mark.parametrize("misbehaviour, expected", [
    ("trickle", "did not answer in time"),
    ("bomb", "too large an answer"),
    ("iis-500", "HTTP 500 Internal Server Error (text/html): 'Server Error'"),
])
def test_ntlm_answers_are_bounded_and_typed(ntlm_gateway, misbehaviour, expected):
    """After the NTLM handshake the gateway misbehaves as a broken IIS would."""
    httpd, handler = ntlm_gateway
    handler.misbehaviour = misbehaviour
    ntlm = TmsClient(f"http://127.0.0.1:{httpd.server_address[1]}", "TMSSIM\\alice", PASSWORD,
                     auth="ntlm", timeout=(2.0, 2.0), deadline=1.0, api_version=22,
                     max_answer_bytes=1024 * 1024)
    with pytest.raises(TmsUnavailable) as info:
        ntlm.get_systems()
    assert expected in str(info.value)
