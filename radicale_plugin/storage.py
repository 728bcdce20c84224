"""``Storage``: Radicale 3.9's storage contract over the tmscal mirror and booking service.

Radicale loads this class for ``[storage] type = radicale_plugin``. It may build several
instances (one for the app, one for sharing); all of them share the process's
:class:`~tmscal.bridge.runtime.BridgeRuntime`. Discovery is per user: ``/<user>/`` lists the
room calendars :class:`~tmscal.bridge.room_access.RoomAccess` grants that user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import ContextManager, Iterable, Optional

from radicale.item import Item
from radicale.storage import BaseCollection, BaseStorage

from radicale_plugin import namespace, outcome
from radicale_plugin.collection import HomeCollection, RoomCalendar, RootCollection, SiteColours
from radicale_plugin.inbox import InboxCollection
from radicale_plugin.meetings import MeetingsCalendar, personal_segments
from radicale_plugin.mirrored import MirroredCalendar
from radicale_plugin.options import PLUGIN_CONFIG_SCHEMA, config_path
from tmscal.bridge.refusals import RefusedOperation
from tmscal.bridge.runtime import BridgeRuntime, runtime_for

class Storage(BaseStorage):
    """Room calendars of TMS systems, served from the mirror."""

    _is_collision_free = True
    _supports_unicode = True
    _supports_trailing_whitespace = False
    _supports_problematic_chars = True

    def __init__(self, configuration) -> None:
        super().__init__(configuration.copy(PLUGIN_CONFIG_SCHEMA))
        self.runtime: BridgeRuntime = runtime_for(config_path(self.configuration))
        if self.configuration.get("storage", "tmscal_syncer"):
            self.runtime.start_syncer()

    # ---- discovery ---------------------------------------------------------------------------

    def discover(self, path: str, depth: str = "0",
                 child_context_manager: Optional[
                     Callable[[str, Optional[str]], ContextManager[None]]] = None,
                 user_groups: set[str] = set()) -> Iterator[BaseCollection | Item]:  # noqa: B006
        """The object at ``path`` and, unless ``depth == "0"``, its children (a generator)."""
        location = namespace.parse_path(path, personal_segments(self.runtime))
        if isinstance(location, namespace.Root):
            yield RootCollection()
            return
        if isinstance(location, namespace.Home):
            yield HomeCollection(location.user)
            if depth != "0":
                colours = SiteColours(self.runtime.store.site_names)  # read once per listing
                for room, bookable in self.runtime.access.rooms_for(location.user, user_groups):
                    yield RoomCalendar(self.runtime, location.user, room, bookable, colours)
                yield MeetingsCalendar(self.runtime, location.user)
            return
        href = getattr(location, "href", None)  # an item path, else the calendar itself
        calendar: MirroredCalendar | None = None
        if isinstance(location, (namespace.MeetingsPath, namespace.MeetingItemPath)):
            inbox = location.calendar == namespace.SCHEDULE_INBOX
            calendar = (InboxCollection if inbox else MeetingsCalendar)(self.runtime,
                                                                         location.user)
        elif isinstance(location, (namespace.RoomPath, namespace.ItemPath)):
            access = self.runtime.access.access(location.user, location.system_id,
                                                  user_groups)
            if access is not None:
                calendar = RoomCalendar(self.runtime, location.user, *access)
        if calendar is None:
            return
        if href is None and outcome.active() is not None:
            outcome.current().calendar = calendar  # for the web layer's depth-1 PROPFIND
        yield from calendar.discover(href, depth)

    # ---- collection management (refused) -----------------------------------------------------

    def create_collection(self, href: str, items: Optional[Iterable[Item]] = None,
                          props: Optional[Mapping[str, str]] = None
                          ) -> tuple[BaseCollection, dict[str, Item], list[str]]:
        """Homes exist implicitly; every other creation is refused (rooms come from TMS)."""
        location = namespace.parse_path(href)
        if isinstance(location, namespace.Home) and not props:
            return HomeCollection(location.user), {}, []
        outcome.refuse(RefusedOperation(
            "Calendars here are TMS rooms; new calendars cannot be created. "
            "Book a room by creating an event in its calendar."))

    def move(self, item: Item, to_collection: BaseCollection, to_href: str) -> None:
        outcome.refuse(RefusedOperation(
            "Bookings cannot be moved between rooms; delete the event and create it in the "
            "other room's calendar."))

    # ---- locking -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def acquire_lock(self, mode: str, user: str | None = "", *args, **kwargs) -> Iterator[None]:
        """Reads take no lock (the mirror is consistent per call); writes to one room are
        serialised across the processes sharing the mirror (writes to different rooms run in
        parallel), so Radicale's If-Match check and the TMS save happen atomically."""
        if mode != "w":
            yield
            return
        location = namespace.parse_path(str(kwargs.get("path") or ""))
        system_id = getattr(location, "system_id", None)
        with self.runtime.store.booking_lock(
                "writes" if system_id is None else f"room:{system_id}"):
            yield

    def verify(self) -> bool:
        """The mirror answers: every room's state can be read."""
        try:
            for room in self.runtime.store.list_rooms():
                self.runtime.store.calendar_state(room.calendar_id)
        except Exception:  # report, do not crash --verify-storage
            return False
        return True
