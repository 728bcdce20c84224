"""The syncer's loop: poll, reconcile when due, back off while TMS fails, hold the lease.

:class:`SyncRunner` runs one :class:`~tmscal.mirror.sync.Syncer` until stopped, either in the
foreground (``tmscal sync --watch``) or as a daemon thread in the serving process
(:func:`start_background_syncer`, at most one per process and database). Across processes, the
store's ``syncer`` lease makes sure only one runner per mirror works; the others wait and take
over when the holder's lease expires (``[mirror] lease_seconds``; a waiting runner asks every
third of it, and the holder renews its lease as often, also while it waits between polls or
backs off). A lease holder is ``host:pid:nonce``; a holder on this host whose process no longer
runs (killed, crashed) is dead, and its lease is taken over at once instead of after the lease
time. The new holder continues from the stored cursor.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from tmscal.mirror.backoff import Backoff
from tmscal.mirror.objects import MirrorUnavailable
from tmscal.mirror.sync import Syncer
from tmscal.model import TmsAuthenticationError, TmsError, TmsUnavailable

log = logging.getLogger(__name__)

LEASE_NAME = "syncer"


class SyncRunner:
    """Drives a syncer: one step per poll interval while it holds the lease."""

    def __init__(self, syncer: Syncer, *, owner: str | None = None) -> None:
        self.syncer = syncer
        self.settings = syncer.settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.backoff = Backoff(initial=min(1.0, self.settings.poll_interval),
                               maximum=self.settings.max_backoff)
        self.lease_ttl = self.settings.lease_seconds
        self.holding = False
        self.stop_event = threading.Event()
        self._last_reconcile = time.monotonic()
        syncer.on_lease_renewal = self._renew

    def _renew(self) -> None:
        self.holding = self.syncer.store.acquire_lease(LEASE_NAME, self.owner, self.lease_ttl)

    def _acquire(self) -> bool:
        """Take or renew the lease, breaking the lease of a dead process on this host."""
        store = self.syncer.store
        holder = store.lease_holder(LEASE_NAME)
        if holder is not None and holder[0] != self.owner and holder_is_dead(holder[0]):
            log.warning("sync lease holder %s no longer runs; taking its lease over", holder[0])
            store.release_lease(LEASE_NAME, holder[0])
        was_holding = self.holding
        self.holding = store.acquire_lease(LEASE_NAME, self.owner, self.lease_ttl)
        if self.holding and not was_holding:
            log.info("this process (%s) now runs the syncer, from cursor %s", self.owner,
                     store.get_cursor())
        return self.holding

    def step(self) -> float:
        """One round (a sync, or a reconciliation when due); returns the seconds to wait."""
        store = self.syncer.store
        if not self._acquire():
            return min(self.settings.poll_interval, self.lease_ttl / 3)
        try:
            interval = self.settings.reconcile_interval
            if interval and time.monotonic() - self._last_reconcile >= interval \
                    and store.get_cursor() is not None:
                self.syncer.reconcile()
                self._last_reconcile = time.monotonic()
            self.syncer.sync_once()
        except (TmsUnavailable, TmsError, TmsAuthenticationError, OSError) as error:
            delay = self.backoff.failure()
            message = f"{type(error).__name__}: {error}"
            log.warning("sync failed (%s); retrying in %.1f s", message, delay)
            store.record_sync(success=False, error=message)
            return delay
        self.backoff.success()
        return self.settings.poll_interval

    def run(self) -> None:
        """Loop until :meth:`stop`; releases the lease on the way out."""
        try:
            while not self.stop_event.is_set():
                try:
                    delay = self.step()
                except MirrorUnavailable as error:  # the store is away: one line, retry later
                    log.warning("syncer waits for the store: %s", error)
                    self.holding = False
                    delay = self.backoff.failure()
                except Exception:  # a bug must not kill the serving process's syncer
                    log.exception("unexpected error in the syncer")
                    delay = self.backoff.failure()
                self._wait(delay)
        finally:
            self.syncer.store.release_lease(LEASE_NAME, self.owner)

    def _wait(self, delay: float) -> None:
        """Wait ``delay`` seconds (or until stopped), renewing a held lease every third of its
        time so a long poll interval or back-off never lets it lapse."""
        deadline = time.monotonic() + delay
        while not self.stop_event.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.stop_event.wait(min(left, self.lease_ttl / 3)) or not self.holding:
                continue
            if time.monotonic() < deadline:
                try:
                    self._renew()
                except Exception:  # the store is away; the next step retries
                    log.warning("could not renew the sync lease", exc_info=True)

    def stop(self) -> None:
        self.stop_event.set()


def holder_process(owner: str) -> tuple[str, int | None]:
    """``(host, pid)`` of lease holder ``owner`` (``host:pid:…``; pid None in another form)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    return host, int(pid_text) if pid_text.isdigit() else None


def holder_is_dead(owner: str) -> bool:
    """Whether lease holder ``owner`` (``host:pid:…``) is a process on this host that no
    longer runs. Holders on other hosts, or in another form, are never declared dead."""
    host, pid = holder_process(owner)
    if host != socket.gethostname() or pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # runs, under another user
        return False
    return False


_BACKGROUND: dict[str, tuple[SyncRunner, threading.Thread]] = {}
_BACKGROUND_LOCK = threading.Lock()


def start_background_syncer(syncer: Syncer, key: str) -> SyncRunner:
    """Start the process's syncer for mirror ``key`` (e.g. the database path) in a daemon
    thread, unless one already runs; return the runner either way."""
    with _BACKGROUND_LOCK:
        running = _BACKGROUND.get(key)
        if running is not None and running[1].is_alive():
            return running[0]
        runner = SyncRunner(syncer)
        thread = threading.Thread(target=runner.run, name="tmscal-syncer", daemon=True)
        _BACKGROUND[key] = (runner, thread)
        thread.start()
        return runner


def stop_background_syncer(key: str, timeout: float = 10.0) -> None:
    """Stop the background syncer of ``key`` (if any) and wait for it."""
    with _BACKGROUND_LOCK:
        running = _BACKGROUND.pop(key, None)
    if running is not None:
        running[0].stop()
        running[1].join(timeout)
