"""The bridge's WSGI application: Radicale (with the tmscal plugin) behind refusal translation,
plus ``/health``; other features add routes to :attr:`BridgeApplication.router`. While the
mirror's store does not answer, everything but ``/health`` answers 503."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tmscal.bridge.runtime import BridgeRuntime
from tmscal.feeds.app import mount as mount_feeds
from tmscal.web.address_hrefs import AddressHrefs
from tmscal.web.calendar_reads import ConditionalReads
from tmscal.web.errors import RefusalTranslation
from tmscal.web.health import HealthApp
from tmscal.web.inbox_type import InboxResourceType
from tmscal.web.login_delay import FailedLoginDelay
from tmscal.web.propfind_items import CalendarPropfind
from tmscal.web.router import Router
from tmscal.web.store_guard import StoreGuard
from tmscal.web.sync_slices import SyncSlices
from tmscal.web.write_slots import WriteSlots
from tmscal.web.xml_guard import XmlBodyGuard


class BridgeApplication:
    """The WSGI callable ``tmscal serve`` runs."""

    def __init__(self, runtime: BridgeRuntime, radicale_app: Callable,
                 threads: int | None = None) -> None:
        self.runtime = runtime
        self.radicale = radicale_app
        #: Radicale runs without ``[auth] delay`` (see :mod:`tmscal.web.login_delay`)
        self.login_delay = FailedLoginDelay(radicale_app, runtime.settings.auth.login_delay)
        translated = RefusalTranslation(self.login_delay)
        self.router = Router(InboxResourceType(AddressHrefs(CalendarPropfind(SyncSlices(
            ConditionalReads(translated), runtime), runtime))))
        self.router.add("/health", HealthApp(runtime))
        mount_feeds(self.router, runtime)  # /feeds/… and /display/… (tmscal.feeds)
        settings = runtime.settings
        self._guarded = WriteSlots(
            XmlBodyGuard(self.router, max_bytes=settings.server.max_xml_bytes,
                         max_depth=settings.server.max_xml_depth),
            slots=settings.write_slots(threads), retry_after=settings.bridge.retry_after)
        self._reachable = StoreGuard(self._guarded, runtime.store_watch,
                                     settings.bridge.retry_after)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self._reachable(environ, start_response)


def build_application(runtime: BridgeRuntime, radicale_configuration,
                      threads: int | None = None) -> BridgeApplication:
    """Radicale's app (with scheduling, :mod:`tmscal.web.scheduling`) for
    ``radicale_configuration`` wrapped for the bridge (on a server with ``threads`` worker
    threads; default ``[server] threads``)."""
    from tmscal.web.scheduling import SchedulingApplication

    return BridgeApplication(runtime, SchedulingApplication(radicale_configuration, runtime),
                             threads)
