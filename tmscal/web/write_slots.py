"""Writes never starve reads: a bounded number of writes may wait on TMS at a time.

A write (PUT, DELETE, MOVE) calls TMS while the client waits; when TMS hangs, every such write
holds a server thread for up to the TMS timeout. :class:`WriteSlots` lets at most ``slots``
writes run at once (fewer than the server's threads, so reads always find one) and answers
every write beyond them at once with ``503 Service Unavailable`` and ``Retry-After`` — nothing
is sent to TMS and nothing is written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from tmscal.web.errors import refusal_response

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"PUT", "DELETE", "MOVE"})


class WriteSlots:
    """WSGI middleware: see the module docstring."""

    def __init__(self, app: Callable, *, slots: int, retry_after: int) -> None:
        self._app = app
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._retry_after = retry_after

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in WRITE_METHODS:
            return self._app(environ, start_response)
        if not self._free.acquire(blocking=False):
            log.warning("%s %s refused (503): %d writes already waiting on TMS",
                        environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""), self.slots)
            status, headers, body = refusal_response(
                503, f"{self.slots} changes are already waiting for TMS; nothing was changed. "
                "Try again shortly.", None, {"Retry-After": str(self._retry_after)})
            start_response(status, headers)
            return [body]
        try:
            # the Radicale app answers with a list, so the work is done when it returns
            return list(self._app(environ, start_response))
        finally:
            self._free.release()
