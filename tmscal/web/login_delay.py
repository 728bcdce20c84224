"""Only a failed login waits.

Radicale's ``[auth] delay`` also slows every 403 it answers to a logged-in user, and the
bridge's refusals of bookings (busy room, no licence, outside the window) are 403s: they would
wait 0.5–1.5 s for nothing. The bridge therefore gives Radicale no delay and waits here, only
when a request carrying credentials is answered 401 (a failed login), ``delay`` × 0.5–1.5 s
as Radicale would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable


class FailedLoginDelay:
    """WSGI middleware around the Radicale application; ``pause`` is the sleep it uses."""

    def __init__(self, app: Callable, delay: float,
                 pause: Callable[[float], None] = time.sleep) -> None:
        self._app = app
        self.delay = delay
        self.pause = pause

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def delayed(status: str, headers: list, exc_info=None):
            if self.delay > 0 and status.startswith("401") and environ.get(
                    "HTTP_AUTHORIZATION"):
                self.pause(self.delay * (0.5 + random.random()))
            return start_response(status, headers, exc_info)

        return self._app(environ, delayed)
