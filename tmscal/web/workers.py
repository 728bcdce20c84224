"""``tmscal serve --workers N``: N worker processes on one listening socket and one mirror.

The parent (:class:`WorkerPool`) binds the socket and starts each worker as a fresh
interpreter running ``tmscal serve --listen-fd FD --worker I`` (the socket handed down by
descriptor, so every worker accepts from the same queue). Each worker is a whole
:class:`~tmscal.web.server.BridgeServer` with its own threads; they share the mirror (SQLite in
WAL mode, or PostgreSQL), whose ``syncer`` lease lets exactly one of them sync, and whose
``booking_lock`` serialises writes of one booking across them. The parent serves nothing: it
restarts a worker that exits (after a pause growing up to 30 s while workers die young) and on
SIGTERM/SIGINT stops every worker (each finishes its running requests) and exits; a worker
whose parent is gone stops by itself.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: A worker that ran shorter than this counts as dying young (its restart waits).
_YOUNG = 10.0
#: Seconds a stopping worker gets to finish its requests before it is killed.
_STOP_GRACE = 20.0


def bind_listener(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one), inheritable by workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=backlog)
    listener.set_inheritable(True)
    return listener


def adopt_listener(fd: int) -> socket.socket:
    """The listening socket a worker was handed as descriptor ``fd``."""
    return socket.socket(fileno=fd)


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    restart_at: float = 0.0
    young_deaths: int = 0


class WorkerPool:
    """Worker processes ``first_index`` … ``first_index + count - 1`` serving ``listener``
    with the configuration ``config_path``; ``syncer`` False keeps the syncer out of them,
    ``threads`` overrides ``[server] threads``."""

    def __init__(self, config_path: str, listener: socket.socket, count: int, *,
                 first_index: int = 0, syncer: bool = True, threads: int | None = None) -> None:
        self.config_path = config_path
        self.listener = listener
        self.syncer = syncer
        self.threads = threads
        self._workers = [_Worker(index) for index in range(first_index, first_index + count)]
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}/"

    def _command(self, index: int) -> list[str]:
        command = [sys.executable, "-m", "tmscal.cli", "serve", "--config", self.config_path,
                   "--listen-fd", str(self.listener.fileno()), "--worker", str(index)]
        if not self.syncer:
            command.append("--no-sync")
        if self.threads:
            command += ["--threads", str(self.threads)]
        return command

    def _spawn(self, worker: _Worker) -> None:
        worker.process = subprocess.Popen(self._command(worker.index),
                                          pass_fds=(self.listener.fileno(),))
        worker.started = time.monotonic()
        log.info("worker %d started (pid %d)", worker.index, worker.process.pid)

    def start(self) -> "WorkerPool":
        """Start every worker; returns at once (they listen as soon as they are up)."""
        for worker in self._workers:
            self._spawn(worker)
        return self

    def supervise_once(self) -> None:
        """Restart the workers that exited (a worker dying young waits 1, 2, 4 … 30 s)."""
        now = time.monotonic()
        for worker in self._workers:
            process = worker.process
            if process is not None and process.poll() is not None:
                lived = now - worker.started
                worker.young_deaths = worker.young_deaths + 1 if lived < _YOUNG else 0
                pause = min(30.0, 2.0 ** (worker.young_deaths - 1)) if worker.young_deaths else 0
                log.warning("worker %d (pid %d) exited with %s after %.0f s; restarting it%s",
                            worker.index, process.pid, process.returncode, lived,
                            f" in {pause:.0f} s" if pause else "")
                worker.process = None
                worker.restart_at = now + pause
            if worker.process is None and now >= worker.restart_at \
                    and not self._stopping.is_set():
                self._spawn(worker)

    def serve_forever(self) -> None:
        """Start, supervise until SIGTERM/SIGINT, then :meth:`stop` (main thread only)."""
        def shutdown(signum, frame):
            log.info("signal %s: stopping the workers", signum)
            self._stopping.set()

        previous = {sig: signal.signal(sig, shutdown) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self._stopping.wait(0.5):
                self.supervise_once()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    def stop(self) -> None:
        """SIGTERM every worker, wait for them (killing any still running after the grace
        period), close the socket."""
        self._stopping.set()
        running = [w.process for w in self._workers
                   if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
        self.listener.close()


def stop_with_parent(interval: float = 1.0) -> None:
    """In a worker: SIGTERM this process once its parent is gone (the supervisor killed with
    SIGKILL), so no orphaned worker keeps serving."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        log.warning("the supervisor (pid %d) is gone; stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tmscal-parent-watch", daemon=True).start()


def default_worker_count(configured: int) -> int:
    """``[server] workers`` / ``--workers``: 0 means one per core."""
    return configured or os.cpu_count() or 1
