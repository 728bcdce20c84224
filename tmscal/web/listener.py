"""The bridge's TCP listener: waitress, but no client is left hanging at the connection limit.

Stock waitress stops accepting when ``connection_limit`` connections are open, so a client
beyond it waits unanswered in the listen backlog until some keep-alive connection times out
(a minute). :class:`BoundedListener` keeps accepting instead; at the limit it

* closes the longest-idle keep-alive connection (no request running or queued, nothing
  received for :data:`MIN_IDLE` seconds, so a client that just connected is not cut off) to
  make room, or,
* when no connection is idle that long, answers the newcomer ``503 Service Unavailable`` with
  ``Retry-After`` and closes it.
"""

from __future__ import annotations

import logging
import socket
import time

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

log = logging.getLogger(__name__)

#: Bytes of a request head read before the refusal is sent (the rest is not needed).
_HEAD_LIMIT = 16384
#: Seconds without traffic after which a keep-alive connection may be closed to make room.
MIN_IDLE = 2.0


class _Refusal(wasyncore.dispatcher):
    """One connection beyond capacity: read the request head, answer 503, close."""

    def __init__(self, sock: socket.socket, map: dict, answer: bytes) -> None:
        super().__init__(sock, map)
        self._answer = answer
        self._head = b""
        self._deadline = time.monotonic() + 5.0

    def readable(self) -> bool:
        if time.monotonic() > self._deadline:  # a client that never sends gets its answer
            self._head = b"\r\n\r\n"
        return b"\r\n\r\n" not in self._head and len(self._head) < _HEAD_LIMIT

    def handle_read(self) -> None:
        data = self.recv(_HEAD_LIMIT)
        if not data:
            self.close()
        self._head += data

    def writable(self) -> bool:
        return not self.readable()

    def handle_write(self) -> None:
        sent = self.send(self._answer)
        self._answer = self._answer[sent:]
        if not self._answer:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.close()


def refusal_answer(retry_after: int) -> bytes:
    body = b"The calendar server is at its connection limit; try again shortly.\n"
    return (f"HTTP/1.1 503 Service Unavailable\r\nRetry-After: {retry_after}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode("ascii") + body


class BoundedListener(TcpWSGIServer):
    """See the module docstring. ``retry_after`` is the 503's ``Retry-After`` (seconds)."""

    retry_after = 5

    def readable(self) -> bool:
        super().readable()  # idle-channel maintenance and waitress's own bookkeeping
        return bool(self.accepting)

    def handle_accept(self) -> None:
        if len(self._map) < self.adj.connection_limit:
            return super().handle_accept()
        quiet_since = time.time() - MIN_IDLE
        idle = [channel for channel in self.active_channels.values()
                if not channel.requests and not channel.total_outbufs_len
                and not channel.will_close and channel.last_activity < quiet_since]
        if idle:
            min(idle, key=lambda channel: channel.last_activity).will_close = True
            return super().handle_accept()
        try:
            accepted = self.accept()
        except OSError:
            return
        if accepted is None:
            return
        log.warning("connection limit (%d) reached and no connection idle: 503 to %s",
                    self.adj.connection_limit, accepted[1][0])
        _Refusal(accepted[0], self._map, refusal_answer(self.retry_after))


def create_listener(application, *, host: str, port: int, threads: int,
                    connection_limit: int, idle_timeout: float, retry_after: int,
                    listener: socket.socket | None = None) -> BoundedListener:
    """A started (bound, listening) :class:`BoundedListener` for ``application``, on
    ``listener`` when given (a socket already bound, perhaps shared with other processes).

    Requests waiting for a worker thread are normal under load (reads queue behind busy
    threads), so waitress's warning for every queued task is turned off."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    adj = Adjustments(host=host, port=port, threads=threads, ident="tmscal",
                      clear_untrusted_proxy_headers=True, channel_timeout=idle_timeout,
                      connection_limit=connection_limit)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = BoundedListener(application, {}, dispatcher=dispatcher, adj=adj,
                             sockinfo=adj.listen[0], _sock=listener,
                             bind_socket=listener is None)
    server.retry_after = retry_after
    return server
