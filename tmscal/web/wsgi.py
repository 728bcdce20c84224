"""``tmscal.web.wsgi:application``: the bridge for another WSGI server (gunicorn, uWSGI …).

The configuration file is named by the ``TMSCAL_CONFIG`` environment variable. Each worker
process builds the bridge (runtime, Radicale, the WSGI stack) on its first request, not at
import, so a server that imports the application before forking its workers (gunicorn
``--preload``) shares no database connection between them, and starts the background syncer
there; the store's lease keeps one syncer running among all processes. Set
``TMSCAL_NO_SYNC=1`` to keep the syncer out of these processes (e.g. ``tmscal sync --watch``
runs it elsewhere).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable


class LazyBridgeApplication:
    """The WSGI stack of ``tmscal serve``, built once per process on the first request."""

    def __init__(self) -> None:
        self._built: tuple[int, Callable] | None = None
        self._lock = threading.Lock()

    def _application(self) -> Callable:
        with self._lock:
            if self._built is None or self._built[0] != os.getpid():
                self._built = (os.getpid(), self._build())
            return self._built[1]

    @staticmethod
    def _build() -> Callable:
        from tmscal.bridge.runtime import runtime_for
        from tmscal.web.app import build_application
        from tmscal.web.server import radicale_configuration

        config = os.environ.get("TMSCAL_CONFIG")
        if not config:
            raise RuntimeError("TMSCAL_CONFIG must name the bridge's configuration file")
        runtime = runtime_for(config)
        application = build_application(runtime, radicale_configuration(runtime.settings,
                                                                        config))
        if os.environ.get("TMSCAL_NO_SYNC", "") not in ("1", "true", "yes"):
            runtime.start_syncer()
        return application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self._application()(environ, start_response)


application = LazyBridgeApplication()
