"""The process-wide parts of a running bridge: one per configuration file and process.

Radicale builds two storage objects per application (and a WSGI server may run many threads);
all of them share the one :class:`BridgeRuntime` that :func:`runtime_for` returns: the service
TMS client, the mirror store, the background syncer, the booking service, room access and the
per-user logins. Nothing here knows Radicale.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from tmscal.bridge.booking import RoomBooking
from tmscal.mirror import MirrorUnavailable, open_store, quarantine
from tmscal.mirror.store import MirrorStore
from tmscal.process_wide import ProcessWide, path_key
from tmscal.settings import Settings, load_settings
from tmscal.bridge.room_access import RoomAccess
from tmscal.bridge.store_watch import StoreWatch
from tmscal.model import TmsCalls
from tmscal.tms import client_for
from tmscal.tms.client import TmsClient
from tmscal.bridge.credentials import UserCredentials

if TYPE_CHECKING:
    from tmscal.mirror.runner import SyncRunner

log = logging.getLogger(__name__)


def new_syncer(settings: Settings, store: MirrorStore):
    """The syncer of ``store`` as ``settings`` configure it (the mirror's settings and what it
    stores of each booking, ``[bridge] privacy``): ``tmscal serve`` and ``tmscal sync`` both
    sync through it."""
    from tmscal.mirror.sync import Syncer

    return Syncer(store, lambda: client_for(settings.tms), settings.mirror,
                  privacy=settings.bridge.privacy)


class BridgeRuntime:
    """Everything one bridge process shares across requests and threads."""

    def __init__(self, settings: Settings, store: MirrorStore | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings.mirror)
        self.credentials = UserCredentials(self._user_client)
        self.access = RoomAccess(settings, self.store, self.credentials)
        self._service_client: TmsClient | None = None
        self._client_lock = threading.Lock()
        self.booking = RoomBooking(settings, self.store, self.client_for,
                                   may_see=self.access.may_see, may_book=self.access.may_book)
        self.runner: SyncRunner | None = None
        self.store_watch = StoreWatch(self.store, settings.mirror.store_timeout)
        #: this process's number among the workers of ``tmscal serve --workers`` (None: alone)
        self.worker: int | None = None

    # ---- TMS clients -------------------------------------------------------------------------

    @property
    def service_client(self) -> TmsClient:
        """The process's service-user client (created on first use)."""
        with self._client_lock:
            if self._service_client is None:
                self._service_client = client_for(self.settings.tms)
            return self._service_client

    def _user_client(self, user: str, password: str) -> TmsCalls:
        return self.service_client.with_credentials(user, password)

    def client_for(self, user: str) -> TmsCalls:
        """The client that books for ``user`` under the configured booking model."""
        if self.settings.bridge.booking_model == "per-user":
            return self.credentials.client(user)
        return self.service_client

    # ---- the syncer --------------------------------------------------------------------------

    def start_syncer(self) -> None:
        """Start the background syncer of this mirror (once per process)."""
        from tmscal.mirror.runner import start_background_syncer

        if self.runner is not None:
            return
        self.runner = start_background_syncer(new_syncer(self.settings, self.store),
                                              self.settings.mirror.loggable_database)

    def stop_syncer(self, timeout: float = 10.0) -> None:
        from tmscal.mirror.runner import stop_background_syncer

        if self.runner is not None:
            stop_background_syncer(self.settings.mirror.loggable_database, timeout)
            self.runner = None

    # ---- health ------------------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """This process, the store's reachability, the syncer's holder, sync lag, last TMS
        contact and refusal counters, for ``/health``."""
        process = {"host": socket.gethostname(), "pid": os.getpid(), "worker": self.worker}
        unreachable = self.store_watch.reason()
        if not unreachable:
            try:
                return self._health(process)
            except MirrorUnavailable as error:  # lost since the watch last asked
                unreachable = str(error)
        return {"status": "unavailable", "process": process,
                "store": {"reachable": False, "reason": unreachable}}

    def _health(self, process: dict[str, object]) -> dict[str, object]:
        status = self.store.sync_status()
        contact = status.last_attempt if not status.last_error or (
            status.last_success and status.last_error_at
            and status.last_success >= status.last_error_at) else status.last_success
        synced = status.cursor is not None
        lag = status.lag_seconds
        limit = self.settings.mirror.tms_silence_limit
        healthy = synced and not status.stale(limit)
        return {
            "status": "ok" if healthy else "degraded",
            "process": process,
            "store": {"reachable": True, "reason": ""},
            "syncer": self._syncer_holder(),
            "mirror": {"imported": synced, "cursor": status.cursor,
                       "sync_lag_seconds": None if lag is None else round(lag, 1),
                       "stale_after_seconds": limit,
                       "last_full_import": _iso(status.last_full_import),
                       "unreadable": [entry.report() for entry in
                                      quarantine.loads(self.store.unreadable()).values()]},
            "tms": {"last_contact": _iso(contact), "last_error": status.last_error,
                    "last_error_at": _iso(status.last_error_at)},
            "licence_denials": self.booking.counters.get("LicenceDenied", 0),
            "writes": dict(self.booking.counters),
            "rooms": len(self.store.list_rooms()),
        }

    def _syncer_holder(self) -> dict[str, object] | None:
        """Who runs the syncer (host, pid, lease expiry; ``here`` when it is this process), or
        None while nobody holds its lease."""
        from tmscal.mirror.runner import LEASE_NAME, holder_process

        holder = self.store.lease_holder(LEASE_NAME)
        if holder is None:
            return None
        host, pid = holder_process(holder[0])
        return {"host": host, "pid": pid, "lease_expires": _iso(holder[1]),
                "here": host == socket.gethostname() and pid == os.getpid()}


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def _build_runtime(config_path: str) -> BridgeRuntime:
    runtime = BridgeRuntime(load_settings(config_path))
    log.info("bridge runtime ready: %s", runtime.settings.describe())
    return runtime


_RUNTIMES: ProcessWide[str, BridgeRuntime] = ProcessWide(_build_runtime)


def runtime_for(config_path: str) -> BridgeRuntime:
    """The process's runtime for the configuration file ``config_path`` (built on first use)."""
    return _RUNTIMES.get(path_key(config_path))


def forget_runtime(config_path: str) -> None:
    """Drop the runtime of ``config_path`` (tests that start the bridge again)."""
    _RUNTIMES.forget(path_key(config_path))
