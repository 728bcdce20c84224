"""The Basic-auth connection pool: keep-alive reuse, a connection the server dropped is
replaced, compressed answers are decoded, time-outs and refusals are errors."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tmscal.tms.connections import AnswerTooLarge, ConnectionPool, DeadlineExceeded, decoded


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/slow":
            time.sleep(1.0)
        answer = b"%d:%s" % (self.client_address[1], body)
        self.send_response(200)
        if self.path == "/gzip":
            answer = gzip.compress(answer)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.path == "/drop":  # close silently, as an idle keep-alive timeout does
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """Sets ``closed`` each time it has closed a connection."""

    closed = threading.Event()

    def shutdown_request(self, request) -> None:
        super().shutdown_request(request)
        self.closed.set()


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    _Server.closed = threading.Event()
    httpd.handle_error = lambda request, address: None  # the slow answer's client has gone
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_keep_alive_reuse_and_dropped_connection_replaced(server):
    pool = ConnectionPool(server)
    first = pool.post(server + "/a", b"one", {}).content
    second = pool.post(server + "/drop", b"two", {}).content
    assert first.split(b":")[0] == second.split(b":")[0]  # same client port: reused
    assert _Server.closed.wait(10)
    time.sleep(0.05)  # the FIN reaches the client's socket
    third = pool.post(server + "/a", b"three", {})
    assert third.status_code == 200 and third.content.endswith(b":three")
    assert third.content.split(b":")[0] != second.split(b":")[0]
    pool.close()


def test_gzip_answer_is_decoded(server):
    answer = ConnectionPool(server).post(server + "/gzip", b"zipped", {})
    assert answer.content.endswith(b":zipped")


def test_read_timeout_and_refused_connection(server):
    with pytest.raises(TimeoutError):
        ConnectionPool(server, timeout=(1.0, 0.3)).post(server + "/slow", b"x", {})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        ConnectionPool(f"http://127.0.0.1:{port}").post(f"http://127.0.0.1:{port}/", b"", {})


def test_a_whole_call_is_bounded_by_its_deadline(server):
    """The read timeout (5 s) would let the slow answer (1 s) through; the deadline does not."""
    pool = ConnectionPool(server, timeout=(2.0, 5.0), deadline=0.3)
    with pytest.raises(DeadlineExceeded):
        pool.post(server + "/slow", b"late", {})
    assert pool.post(server + "/a", b"next", {}).content.endswith(b":next")
    pool.close()


def test_decoding_stops_at_the_size_limit():
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    assert len(decoded(bomb, "gzip", max_bytes=8 * 1024 * 1024)) == 8 * 1024 * 1024
    with pytest.raises(AnswerTooLarge):
        decoded(bomb, "gzip", max_bytes=1024 * 1024)
    with pytest.raises(AnswerTooLarge):
        decoded(zlib.compress(b"\0" * (2 * 1024 * 1024)), "deflate", max_bytes=1024 * 1024)


def test_an_announced_oversize_answer_is_refused_unread(server):
    pool = ConnectionPool(server, max_bytes=4)
    with pytest.raises(AnswerTooLarge):
        pool.post(server + "/a", b"more than four bytes", {})
