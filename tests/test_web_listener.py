"""The bridge's listener at its connection limit (issue 11 §4): a newcomer is answered at once,
by closing an idle keep-alive connection or with 503 when every connection is busy. A tiny WSGI
app that blocks on demand stands in for requests waiting on TMS."""

from __future__ import annotations

import socket
import threading
import time

from tmscal.web.listener import create_listener


def blocking_app(release: threading.Event):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/block":
            release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    return app


def request(port: int, path: str) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return connection


def test_a_newcomer_gets_503_at_once_when_every_connection_is_busy():
    release = threading.Event()
    listener = create_listener(blocking_app(release), host="127.0.0.1", port=0, threads=8,
                               connection_limit=6, idle_timeout=60, retry_after=3)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            listener.asyncore.loop(timeout=0.1, map=listener._map, use_poll=True, count=1)

    serving = threading.Thread(target=serve, daemon=True)
    serving.start()
    busy = []
    try:
        for _ in range(8):  # more than the limit: all busy, so the last ones are refused
            busy.append(request(listener.effective_port, "/block"))
            time.sleep(0.1)
        # the socket gives up after 10 s; stock waitress would not accept it at all
        answer = request(listener.effective_port, "/").recv(4096).decode()
        assert answer.startswith("HTTP/1.1 503") and "Retry-After: 3" in answer
    finally:
        release.set()
        for connection in busy:
            connection.close()
        stop.set()
        serving.join(5)
        listener.close()
        listener.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
