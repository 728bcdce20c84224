"""The bridge's HTTP server: Radicale with the tmscal plugin behind :mod:`tmscal.web` (refusal
translation, ``/health``, feeds) on waitress, plus the background syncer. :class:`BridgeServer`
is what ``tmscal serve`` and ``tmscal demo`` run, and what the tests and benchmarks start; each
worker of ``tmscal serve --workers N`` (:mod:`tmscal.web.workers`) is one, on the socket it was
handed. SIGINT/SIGTERM stop accepting, let running requests finish, stop the syncer.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from pathlib import Path

from tmscal.bridge.runtime import BridgeRuntime, runtime_for
from tmscal.settings import Settings

log = logging.getLogger(__name__)


def radicale_configuration(settings: Settings, config_path: str):
    """Radicale's configuration for the bridge: the plugin as storage, its room rights, the
    configured authentication, no web UI, no delay after errors (Radicale's ``[auth] delay``
    would slow every 403 refusal too; :mod:`tmscal.web.login_delay` delays failed logins)."""
    from radicale import config

    configuration = config.load([])
    auth = dict(settings.auth.options) or {"type": "htpasswd"}
    if settings.bridge.booking_model == "per-user" and "type" not in settings.auth.options:
        auth = {"type": "radicale_plugin.auth", **auth}
    auth["delay"] = "0"
    rights = dict(settings.rights) or {"type": "radicale_plugin.rights"}
    configuration.update({
        "storage": {"type": "radicale_plugin", "tmscal_config": config_path,
                    "tmscal_syncer": "False"},
        "rights": rights,
        "auth": auth,
        "web": {"type": "none"},
        "server": {"delay_on_error": "0"},
        "logging": {"mask_passwords": "True", "level": settings.logging.level},
    }, "tmscal serve", privileged=True)
    return configuration


class BridgeServer:
    """The bridge's HTTP server. ``port`` 0 picks a free port (see :attr:`url`); a
    ``listener`` (a bound, listening socket, e.g. shared with other workers) replaces host and
    port; ``worker`` is this process's number among the workers (for logs and ``/health``)."""

    def __init__(self, config_path: str, *, host: str | None = None, port: int | None = None,
                 threads: int | None = None, syncer: bool = True,
                 listener: socket.socket | None = None, worker: int | None = None) -> None:
        from tmscal.web import build_application

        self.config_path = str(Path(config_path).resolve())
        self.runtime: BridgeRuntime = runtime_for(self.config_path)
        settings = self.runtime.settings
        self.host = host or settings.server.host
        self.port = settings.server.port if port is None else port
        self.threads = threads or settings.server.threads
        self.run_syncer = syncer
        self.listener = listener
        if listener is not None:
            self.host, self.port = listener.getsockname()[:2]
        self.runtime.worker = worker
        self.application = build_application(
            self.runtime, radicale_configuration(settings, self.config_path), self.threads)
        self._server = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _create(self) -> None:
        from tmscal.web.listener import create_listener

        settings = self.runtime.settings
        self._server = create_listener(
            self.application, host=self.host, port=self.port, threads=self.threads,
            connection_limit=settings.server.connection_limit,
            idle_timeout=settings.server.idle_timeout, retry_after=settings.bridge.retry_after,
            listener=self.listener)
        self.port = self._server.effective_port  # type: ignore[attr-defined]

    def start(self) -> "BridgeServer":
        """Listen and serve in a background thread; returns once the socket is bound."""
        self._create()
        if self.run_syncer:
            self.runtime.start_syncer()
        self._thread = threading.Thread(target=self._serve, name="tmscal-serve", daemon=True)
        self._thread.start()
        log.info("tmscal serving CalDAV on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve until SIGINT/SIGTERM, then shut down gracefully."""
        self.start()
        self.wait_for_signal()

    def wait_for_signal(self) -> None:
        """Block until SIGINT or SIGTERM (main thread only), then :meth:`stop`."""
        received = threading.Event()

        def shutdown(signum, frame):
            log.info("signal %s: shutting down", signum)
            received.set()

        previous = {sig: signal.signal(sig, shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not received.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    def _serve(self) -> None:
        """The event loop; on :meth:`stop` it closes the listener and lets the worker threads
        finish the requests already running (up to 10 s)."""
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=0.2, map=server._map, use_poll=True, count=1)
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=10)

    def stop(self) -> None:
        """Stop accepting, finish running requests, stop the syncer."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self.runtime.stop_syncer()
