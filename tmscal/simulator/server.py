"""The simulator's HTTP server: TMS's two ASMX endpoints over real HTTP/1.1.

Routes (paths are case-insensitive, as on IIS):

``/tms/external/booking/bookingservice.asmx``                    BookingService
``/tms/external/booking/remotesetup/remotesetupservice.asmx``    RemoteSetupService
    GET with ``?wsdl`` (any case) → the project's WSDL, soap:address rewritten to this server;
    other GET → a short HTML help page; POST (query string ignored, so POSTs to ``…?wsdl`` work)
    → SOAP 1.1 or 1.2. Every request needs HTTP Basic credentials (``alice`` or
    ``DOMAIN\\alice``); missing or wrong ones get 401 with ``WWW-Authenticate: Basic``.
``/_simulator/faults``                                            fault-injection admin
    GET → current settings as JSON; POST a JSON object with any of ``latency``, ``fault_rate``,
    ``timeout`` (seconds, ``null``, or ``"forever"``), ``database_down``, ``down``,
    ``held_operations`` → merged in, settings returned; DELETE → everything off. No
    authentication. Served only when the server is bound to a loopback address or was started
    with ``admin=True`` (``--admin``).

Every SOAP request is counted by operation name (:attr:`SimulatorServer.calls`).

Request bodies above ``max_body_bytes`` (default 1 MiB) get 413. With ``tls`` (an
``ssl.SSLContext`` holding the certificate) it serves HTTPS. Use :class:`SimulatorServer`.
"""

from __future__ import annotations

import base64
import binascii
import html
import ipaddress
import json
import logging
import socket
import socketserver
import ssl
import struct
import sys
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tmscal.simulator import dispatch
from tmscal.simulator.dispatch import SERVICES, Service
from tmscal.simulator.faults import FaultInjection
from tmscal.simulator.soap import (
    SoapFault, SoapVersion, parse_envelope, render_fault, render_response, soap_action,
)

log = logging.getLogger(__name__)

ADMIN_PATH = "/_simulator/faults"
DEFAULT_MAX_BODY = 1024 * 1024
#: The soap:address placeholder in the WSDL files, replaced by the server's own base URL.
WSDL_ADDRESS_PLACEHOLDER = "http://tms.invalid"
_SERVICE_BY_PATH = {service.path: service for service in SERVICES}


class SimulatorServer:
    """A TMS simulator listening on ``host:port`` (port 0 = a free port), in a background thread.

    ``engine`` defaults to ``Tms.load_state(state_file)`` when that file exists, else
    ``Tms.seeded(seed)``. With ``state_file`` the engine state is saved after every successful
    write operation and at :meth:`stop`. ``faults`` (a :class:`FaultInjection`) is created when
    not given. ``admin`` None means: admin endpoint on when bound to loopback.
    """

    def __init__(self, engine=None, host: str = "127.0.0.1", port: int = 0, seed: str = "demo",
                 state_file: str | Path | None = None, *, faults: FaultInjection | None = None,
                 admin: bool | None = None, max_body_bytes: int = DEFAULT_MAX_BODY,
                 realm: str = "TMS", tls: ssl.SSLContext | None = None) -> None:
        self.state_file = Path(state_file) if state_file else None
        if engine is None:
            from tmscal.simulator.engine import Tms
            if self.state_file is not None and self.state_file.exists():
                engine = Tms.load_state(self.state_file)
            else:
                engine = Tms.seeded(seed)
        self.engine = engine
        self.faults = faults if faults is not None else FaultInjection()
        self.host = host
        self.admin = _is_loopback(host) if admin is None else admin
        self.max_body_bytes = max_body_bytes
        self.realm = realm
        self.tls = tls
        self._requested_port = port
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    @property
    def calls(self) -> Counter[str]:
        """How many SOAP requests each operation received so far (a copy)."""
        with self._calls_lock:
            return Counter(self._calls)

    def count_call(self, operation: str) -> None:
        with self._calls_lock:
            self._calls[operation] += 1

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "SimulatorServer":
        """Bind and serve in a daemon thread; returns once the socket is listening."""
        if self._httpd is not None:
            raise RuntimeError("simulator already started")
        self._httpd = _HttpServer((self.host, self._requested_port), _Handler, self)
        if self.tls is not None:  # the handshake runs in the request's thread, on first read
            self._httpd.socket = self.tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.faults.resume()
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"tmscal-simulator:{self.port}", daemon=True)
        self._thread.start()
        log.info("TMS simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections, release held requests, save the state."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.faults.release_all()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.save_state()

    def serve_until(self, stop: threading.Event) -> None:
        """Start (unless started) and serve until ``stop`` is set, then :meth:`stop`.

        The command sets ``stop`` from its SIGINT/SIGTERM handlers, installed before it starts:
        a signal is then never a KeyboardInterrupt in the middle of start-up or of a thread
        join (which could leave the process running).
        """
        if self._httpd is None:
            self.start()
        try:
            while not stop.wait(0.2) and self._thread is not None and self._thread.is_alive():
                pass
        finally:
            self.stop()

    def save_state(self) -> None:
        """Write the engine state to ``state_file`` (no-op without one)."""
        if self.state_file is None:
            return
        with self._state_lock:
            self.engine.save_state(self.state_file)

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._requested_port
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https`` with ``tls``; no trailing slash)."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def booking_url(self) -> str:
        return self.url + dispatch.BOOKING.path

    @property
    def remotesetup_url(self) -> str:
        return self.url + dispatch.REMOTE_SETUP.path

    @property
    def admin_url(self) -> str:
        return self.url + ADMIN_PATH


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _HttpServer(ThreadingHTTPServer):
    """Threaded HTTP/1.1 server that remembers its connections so :meth:`stop` can drop them."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, handler, simulator: SimulatorServer) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN, which can stall on hosts without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        """A client that gives up (or fails the TLS handshake) is logged, not dumped."""
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)):
            log.debug("connection from %s ended: %s", client_address[0], error)
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tmscal-simulator/0.1"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    # Headers and body go out in separate writes; without TCP_NODELAY every keep-alive
    # response would wait ~40 ms for the client's delayed ACK (Nagle).
    disable_nagle_algorithm = True
    # Buffered: the status line, headers and body of an answer leave in one write (one packet,
    # one system call) when handle_one_request flushes after each request.
    wbufsize = 64 * 1024

    server: _HttpServer

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def simulator(self) -> SimulatorServer:
        return self.server.simulator

    def handle_expect_100(self) -> bool:
        answer = super().handle_expect_100()
        self.wfile.flush()  # the interim 100 Continue must leave before the body is read
        return answer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str,
              extra_headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "private, max-age=0")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_text(self, status: int, text: str, extra_headers: dict[str, str] | None = None,
                   content_type: str = "text/plain; charset=utf-8") -> None:
        self._send(status, text.encode("utf-8"), content_type, extra_headers)

    def _send_json(self, status: int, value) -> None:
        self._send(status, json.dumps(value).encode("utf-8"), "application/json")

    def _route(self) -> tuple[str, str, Service | None]:
        split = urlsplit(self.path)
        path = split.path.rstrip("/").lower() or "/"
        return path, split.query, _SERVICE_BY_PATH.get(path)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 411/413 (connection then closed)."""
        limit = self.simulator.max_body_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            if self.command == "POST":
                self.close_connection = True
                self._send_text(HTTPStatus.LENGTH_REQUIRED, "Length Required")
                return None
            return b""
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._send_text(HTTPStatus.BAD_REQUEST, "Bad Content-Length")
            return None
        if length > limit:
            self.close_connection = True
            self._send_text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
            return None
        return self.rfile.read(length)

    def _read_chunked(self, limit: int) -> bytes | None:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                self.close_connection = True
                self._send_text(HTTPStatus.BAD_REQUEST, "Bad chunked encoding")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > limit:
                self.close_connection = True
                self._send_text(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _authenticate(self):
        """The engine user for the Basic credentials, or None after answering 401."""
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "basic" and token:
            try:
                raw = base64.b64decode(token.strip(), validate=True)
            except binascii.Error:
                raw = b""
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:  # clients that encode credentials as Latin-1
                decoded = raw.decode("latin-1")
            name, separator, password = decoded.partition(":")
            if separator:
                user = self.simulator.engine.authenticate(name, password)
        if user is None:
            self._send_text(HTTPStatus.UNAUTHORIZED, "401 - Unauthorized: Access is denied due "
                            "to invalid credentials.",
                            {"WWW-Authenticate": f'Basic realm="{self.simulator.realm}"'},
                            content_type="text/html; charset=utf-8")
        return user

    def _drop_if_down(self, path: str) -> bool:
        """Under the ``down`` fault, close the connection without answering."""
        if path == ADMIN_PATH or not self.simulator.faults.down:
            return False
        self.close_connection = True
        try:
            # linger on, 0 s: close() resets the connection instead of a graceful FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        return True

    def _node_url(self) -> str:
        return self._base_url() + self.path

    def _base_url(self) -> str:
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        return f"{'https' if self.server.simulator.tls else 'http'}://{host}"

    # -- verbs ------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        path, query, service = self._route()
        if self._drop_if_down(path):
            return
        if path == ADMIN_PATH and self.simulator.admin:
            self._send_json(HTTPStatus.OK, self.simulator.faults.as_dict())
            return
        if service is None:
            self._send_text(HTTPStatus.NOT_FOUND, "Not Found")
            return
        if self._read_body() is None:
            return
        if self._authenticate() is None:
            return
        self.simulator.faults.delay()
        if query.lower().split("&")[0] == "wsdl":
            wsdl = service.wsdl_file.read_text(encoding="utf-8").replace(
                WSDL_ADDRESS_PLACEHOLDER, self._base_url())
            self._send(HTTPStatus.OK, wsdl.encode("utf-8"), "text/xml; charset=utf-8")
        else:
            self._send_text(HTTPStatus.OK, _help_page(service), content_type="text/html; "
                            "charset=utf-8")

    do_HEAD = do_GET

    def do_DELETE(self) -> None:  # noqa: N802
        path, _, _ = self._route()
        if self._read_body() is None:
            return
        if path == ADMIN_PATH and self.simulator.admin:
            self.simulator.faults.clear()
            self._send_json(HTTPStatus.OK, self.simulator.faults.as_dict())
            return
        self._send_text(HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed")

    def do_POST(self) -> None:  # noqa: N802
        path, _, service = self._route()
        if self._drop_if_down(path):
            return
        if path == ADMIN_PATH and self.simulator.admin:
            self._post_admin()
            return
        if service is None:
            self._send_text(HTTPStatus.NOT_FOUND, "Not Found")
            return
        body = self._read_body()
        if body is None:
            return
        user = self._authenticate()
        if user is None:
            return
        self._post_soap(service, user, body)

    def _post_admin(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            settings = json.loads(body or b"{}")
            if not isinstance(settings, dict):
                raise ValueError("expected a JSON object")
            self.simulator.faults.update(**settings)
        except (ValueError, TypeError) as error:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        self._send_json(HTTPStatus.OK, self.simulator.faults.as_dict())

    def _post_soap(self, service: Service, user, body: bytes) -> None:
        faults = self.simulator.faults
        faults.delay()
        content_type = self.headers.get("Content-Type") or ""
        version = SoapVersion.guess(content_type, body)
        try:
            failure = faults.random_failure()
            if failure == "http_500":
                self._send_text(HTTPStatus.INTERNAL_SERVER_ERROR, "<html><body><h1>Internal "
                                "Server Error</h1></body></html>",
                                content_type="text/html; charset=utf-8")
                return
            request = parse_envelope(body, content_type)
            version = request.version
            self.simulator.count_call(request.operation_name)
            faults.hold_operation(request.operation_name)
            if failure == "database_down" or faults.database_down:
                raise dispatch.database_down_fault()
            answer = dispatch.invoke(service, self.simulator.engine, user, request,
                                     soap_action(content_type, self.headers.get("SOAPAction")))
        except SoapFault as fault:
            version = fault.version or version
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                       render_fault(version, fault, self._node_url()), version.content_type)
            return
        if answer.writes:
            try:
                self.simulator.save_state()
            except Exception:  # the write succeeded; a failed save must not turn it into a fault
                log.exception("could not save simulator state")
        self._send(HTTPStatus.OK, render_response(request.version, answer.headers, answer.payload),
                   request.version.content_type)


def _help_page(service: Service) -> str:
    items = "".join(f"<li>{html.escape(name)}</li>" for name in sorted(service.operations))
    return (f"<html><head><title>{service.name}</title></head><body>"
            f"<h1>{service.name}</h1><p>tmscal TMS simulator. "
            f"The service description is at <a href='?WSDL'>?WSDL</a>.</p>"
            f"<ul>{items}</ul></body></html>")
