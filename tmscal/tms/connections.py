"""Keep-alive HTTP/1.1 connections to one TMS server, for stateless (Basic) authentication.

:class:`ConnectionPool` POSTs over ``http.client`` connections it keeps open between calls: at
most ``size`` at once (a caller beyond that waits for one to come back), an idle connection the
server has closed is replaced before use, and a connection whose answer says it will close is
not reused. Nothing is retried: a POST may have changed TMS state.

TLS follows requests' ``verify``: True checks the server against certifi's bundle (the one
requests uses), a path names a CA bundle file or directory, False turns checking off.
``timeout`` is ``(connect, read)`` seconds. Errors: :class:`ConnectTimeout`/``TimeoutError``
when the server does not answer in time, ``OSError`` or ``http.client.HTTPException`` when it
cannot be reached or breaks the exchange.
"""

from __future__ import annotations

import http.client
import os
import select
import ssl
import threading
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.certs import where as default_ca_bundle
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


class ConnectTimeout(TimeoutError):
    """The TCP (or TLS) connection was not established in time."""


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


def _decoded(content: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:  # raw deflate, as some servers send it
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


class ConnectionPool:
    """Connections to the scheme, host and port of ``base_url`` (see the module docstring)."""

    def __init__(self, base_url: str, *, verify: bool | str = True,
                 timeout: tuple[float, float] = (5.0, 30.0), size: int = 16) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme.lower()
        if self.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.timeout = timeout
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
        except TimeoutError as exc:
            connection.close()
            raise ConnectTimeout(f"connecting to {self.host}:{self.port} timed out") from exc
        except OSError:
            connection.close()
            raise
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
            try:
                connection.request("POST", path, body=body, headers=headers)
                connection.flush_request()
                response = connection.getresponse()
                content = response.read()
            except BaseException:
                connection.close()
                raise
            with self._lock:
                keep = not (response.will_close or self._closed)
                if keep:
                    self._idle.append(connection)
            if not keep:
                connection.close()
        answer_headers = CaseInsensitiveDict(response.getheaders())
        encoding = answer_headers.get("Content-Encoding")
        if encoding and content:
            content = _decoded(content, encoding)
        return HttpAnswer(status_code=response.status, reason=response.reason or "",
                          headers=answer_headers, content=content, url=url)

    def close(self) -> None:
        """Close the idle connections (connections in use close when they come back)."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for connection in idle:
            connection.close()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection was closed by the server (readable = EOF)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
