"""Writes never starve reads: a bounded number of writes may wait on TMS at a time.

A write (PUT, DELETE, MOVE) calls TMS while the client waits; when TMS hangs, every such write
holds a server thread for up to the TMS timeout. :class:`WriteSlots` lets at most ``slots``
writes run at once (fewer than the server's threads, so reads always find one). When all slots
are taken, a write waits for one only while TMS is answering — the last write that finished
was not answered 5xx, and some slot holder has run for less than ``patience`` seconds — and for
at most ``patience`` seconds; otherwise (TMS hangs or is down) it is answered at once with
``503 Service Unavailable`` and ``Retry-After``: nothing is sent to TMS and nothing is written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from tmscal.web.errors import refusal_response

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"PUT", "DELETE", "MOVE"})


class WriteSlots:
    """WSGI middleware: see the module docstring."""

    def __init__(self, app: Callable, *, slots: int, retry_after: int,
                 patience: float = 1.0) -> None:
        self._app = app
        self.slots = slots
        self.patience = patience
        self._retry_after = retry_after
        self._changed = threading.Condition()
        self._started: dict[int, float] = {}  # running writes: id → monotonic start
        self._last_failed = False  # the last write that finished was answered 5xx

    @property
    def running(self) -> int:
        return len(self._started)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in WRITE_METHODS:
            return self._app(environ, start_response)
        token = object()
        if not self._take(id(token)):
            log.warning("%s %s refused (503): %d writes already waiting on TMS",
                        environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""), self.slots)
            status, headers, body = refusal_response(
                503, f"{self.slots} changes are already waiting for TMS; nothing was changed. "
                "Try again shortly.", None, {"Retry-After": str(self._retry_after)})
            start_response(status, headers)
            return [body]
        status = ["500"]

        def noting_status(line: str, headers: list, exc_info=None):
            status[0] = line
            return start_response(line, headers, exc_info)

        try:
            # the Radicale app answers with a list, so the work is done when it returns
            return list(self._app(environ, noting_status))
        finally:
            with self._changed:
                del self._started[id(token)]
                self._last_failed = status[0].startswith("5")
                self._changed.notify()

    def _take(self, key: int) -> bool:
        """Take a slot (see the module docstring for when to wait); False to refuse."""
        deadline = time.monotonic() + self.patience
        with self._changed:
            while len(self._started) >= self.slots:
                now = time.monotonic()
                tms_answers = not self._last_failed \
                    and now - max(self._started.values()) < self.patience
                if not tms_answers or now >= deadline:
                    return False
                self._changed.wait(deadline - now)
            self._started[key] = time.monotonic()
            return True
