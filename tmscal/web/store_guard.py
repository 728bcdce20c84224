"""503 with ``Retry-After`` and a one-line reason while the mirror's store does not answer.

Every request but ``/health`` (which reports the store's state itself) asks
:class:`~tmscal.bridge.store_watch.StoreWatch` first; a request that loses the store on its way
(:class:`~tmscal.mirror.objects.MirrorUnavailable` raised by the application, see
:mod:`tmscal.web.errors`) gets the same answer instead of a 500. Answers resume by themselves
once the store is back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from tmscal.bridge.store_watch import StoreWatch
from tmscal.mirror.objects import MirrorUnavailable


class StoreGuard:
    """WSGI middleware: ``app`` while the store answers, else 503 (``/health`` always passes)."""

    def __init__(self, app: Callable, watch: StoreWatch, retry_after: int) -> None:
        self._app = app
        self._watch = watch
        self._retry_after = retry_after

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != "/health":
            reason = self._watch.reason()
            if reason:
                return self._unavailable(start_response, reason)
        try:
            return self._app(environ, start_response)
        except MirrorUnavailable as error:
            return self._unavailable(start_response, str(error), sys.exc_info())

    def _unavailable(self, start_response: Callable, reason: str,
                     exc_info=None) -> Iterable[bytes]:
        body = f"Calendar store unavailable: {reason}\n".encode("utf-8")
        start_response("503 Service Unavailable", [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Retry-After", str(self._retry_after)),
            ("Content-Length", str(len(body)))], exc_info)
        return [body]
