"""Keep-alive HTTP/1.1 connections to one TMS server, for stateless (Basic) authentication.

:class:`ConnectionPool` POSTs over ``http.client`` connections it keeps open between calls: at
most ``size`` at once (a caller beyond that waits for one to come back), an idle connection the
server has closed is replaced before use, and a connection whose answer says it will close is
not reused. Nothing is retried: a POST may have changed TMS state.

TLS follows requests' ``verify``: True checks the server against certifi's bundle (the one
requests uses), a path names a CA bundle file or directory, False turns checking off.
``timeout`` is ``(connect, read)`` seconds. Answers are bounded: the whole exchange must finish
within ``deadline`` seconds (the socket is shut down when it has not: a server trickling a byte
at a time cannot hold a caller), and the body, compressed or decoded, may not exceed
``max_bytes``. Errors: :class:`NotConnected` when no connection could be made (nothing was
sent), ``TimeoutError`` when the server does not answer in time, :class:`AnswerTooLarge` past
the size limit, ``OSError`` or ``http.client.HTTPException`` when the exchange breaks.
"""

from __future__ import annotations

import heapq
import http.client
import os
import select
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.certs import where as default_ca_bundle
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


#: Answers larger than this (compressed or decoded) are refused unless the pool says otherwise.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_CHUNK = 64 * 1024


class NotConnected(OSError):
    """No TCP (or TLS) connection to the server could be made, so the request was not sent."""


class DeadlineExceeded(TimeoutError):
    """The server did not finish its answer within the call's deadline."""


class AnswerTooLarge(ValueError):
    """The answer (compressed or decoded) is larger than the pool accepts."""


class _OneWrite:
    """http.client sends a request's head and body in two writes (two packets, two system
    calls); this collects them and :meth:`flush_request` sends them in one."""

    _outgoing: list[bytes]  # set by the pool when it creates the connection

    def send(self, data) -> None:
        self._outgoing.append(bytes(data))

    def flush_request(self) -> None:
        data, self._outgoing = b"".join(self._outgoing), []
        super().send(data)


class _Connection(_OneWrite, http.client.HTTPConnection):
    pass


class _TlsConnection(_OneWrite, http.client.HTTPSConnection):
    pass


@dataclass
class HttpAnswer:
    """An HTTP answer: what zeep and the client read of a ``requests.Response``."""

    status_code: int
    reason: str
    headers: CaseInsensitiveDict
    content: bytes
    url: str

    @property
    def encoding(self) -> str | None:
        return get_encoding_from_headers(self.headers)


class _Alarm:
    """One armed deadline of a :class:`Watchdog`: ``fired`` once its time came."""

    __slots__ = ("when", "action", "cancelled", "fired")

    def __init__(self, when: float, action) -> None:
        self.when = when
        self.action = action
        self.cancelled = False
        self.fired = False

    def __lt__(self, other: "_Alarm") -> bool:
        return self.when < other.when

    def cancel(self) -> None:
        self.cancelled = True
        self.action = None  # a cancelled alarm waits in the heap: hold nothing meanwhile


class Watchdog:
    """Runs an action when a deadline passes, unless cancelled first: one thread for every
    deadline (a thread per call would cost more than the call)."""

    def __init__(self) -> None:
        self._alarms: list[_Alarm] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, action) -> _Alarm:
        alarm = _Alarm(time.monotonic() + seconds, action)
        with self._changed:
            heapq.heappush(self._alarms, alarm)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tmscal-tms-deadlines",
                                                daemon=True)
                self._thread.start()
            if self._alarms[0] is alarm:
                self._changed.notify()
        return alarm

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._alarms and self._alarms[0].cancelled:
                    heapq.heappop(self._alarms)
                if not self._alarms:
                    self._changed.wait()
                    continue
                wait = self._alarms[0].when - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                alarm = heapq.heappop(self._alarms)
                alarm.fired = True
                action = alarm.action
            if action is not None:
                action()


#: The process's deadline keeper for every pool.
_WATCHDOG = Watchdog()


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The TLS client context for requests' ``verify`` value."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, str) and os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(
        cafile=verify if isinstance(verify, str) else default_ca_bundle())


def _inflate(content: bytes, wbits: int, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    data = inflater.decompress(content, max_bytes + 1)
    if len(data) > max_bytes:
        raise AnswerTooLarge(f"the decoded answer is larger than {max_bytes} bytes")
    return data


def decoded(content: bytes, encoding: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """``content`` with its Content-Encoding (gzip, deflate) undone, never growing past
    ``max_bytes`` (:class:`AnswerTooLarge`: a compression bomb is stopped, not inflated)."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return _inflate(content, 16 + zlib.MAX_WBITS, max_bytes)
    if encoding == "deflate":
        try:
            return _inflate(content, zlib.MAX_WBITS, max_bytes)
        except zlib.error:  # raw deflate, as some servers send it
            return _inflate(content, -zlib.MAX_WBITS, max_bytes)
    return content


class ConnectionPool:
    """Connections to the scheme, host and port of ``base_url`` (see the module docstring)."""

    def __init__(self, base_url: str, *, verify: bool | str = True,
                 timeout: tuple[float, float] = (5.0, 30.0), size: int = 16,
                 deadline: float | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme.lower()
        if self.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else sum(timeout)
        self.max_bytes = max_bytes
        self._context = tls_context(verify) if self.scheme == "https" else None
        self._idle: list[_Connection | _TlsConnection] = []
        self._closed = False
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def _connect(self) -> _Connection | _TlsConnection:
        connect, read = self.timeout
        if self._context is not None:
            connection: _Connection | _TlsConnection = _TlsConnection(
                self.host, self.port, timeout=connect, context=self._context)
        else:
            connection = _Connection(self.host, self.port, timeout=connect)
        connection._outgoing = []
        try:
            connection.connect()
        except OSError as exc:  # refused, unreachable, timed out, TLS handshake failed
            connection.close()
            raise NotConnected(f"connecting to {self.host}:{self.port} failed: {exc}") from exc
        connection.sock.settimeout(read)
        return connection

    def _checkout(self) -> _Connection | _TlsConnection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if not _dropped(connection):
                return connection
            connection.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpAnswer:
        """POST ``body`` to ``url`` (on this pool's server) and read the whole answer."""
        path = urlsplit(url)._replace(scheme="", netloc="").geturl() or "/"
        with self._slots:
            connection = self._checkout()
            alarm = _WATCHDOG.arm(self.deadline, lambda: _cut(connection))
            try:
                connection.request("POST", path, body=body, headers=headers)
                connection.flush_request()
                response = connection.getresponse()
                content = self._read_body(response)
                if alarm.fired:  # cut short: what was read is not the answer
                    raise DeadlineExceeded(
                        f"the answer did not arrive within {self.deadline:g} s")
            except BaseException as error:
                connection.close()
                if alarm.fired and not isinstance(
                        error, (AnswerTooLarge, DeadlineExceeded)):
                    raise DeadlineExceeded(
                        f"the answer did not arrive within {self.deadline:g} s") from error
                raise
            finally:
                alarm.cancel()
            with self._lock:
                keep = not (response.will_close or self._closed)
                if keep:
                    self._idle.append(connection)
            if not keep:
                connection.close()
        answer_headers = CaseInsensitiveDict(response.getheaders())
        encoding = answer_headers.get("Content-Encoding")
        if encoding and content:
            content = decoded(content, encoding, self.max_bytes)
        return HttpAnswer(status_code=response.status, reason=response.reason or "",
                          headers=answer_headers, content=content, url=url)

    def _read_body(self, response: http.client.HTTPResponse) -> bytes:
        """The whole body, refusing it (:class:`AnswerTooLarge`) past ``max_bytes``."""
        length = response.length
        if length is not None and length > self.max_bytes:
            raise AnswerTooLarge(f"the answer announces {length} bytes, more than "
                                 f"{self.max_bytes}")
        parts: list[bytes] = []
        received = 0
        while chunk := response.read(_CHUNK):
            received += len(chunk)
            if received > self.max_bytes:
                raise AnswerTooLarge(f"the answer is larger than {self.max_bytes} bytes")
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        """Close the idle connections (connections in use close when they come back)."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for connection in idle:
            connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """Abort an exchange past its deadline: the blocked read returns at once."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed by the server (readable = EOF)."""
    sock = connection.sock
    if sock is None:
        return True
    poller = select.poll()  # not select(): it fails for descriptors past FD_SETSIZE (1024)
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
