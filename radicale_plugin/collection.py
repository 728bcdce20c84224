"""The collections the plugin serves: the root, each user's home, and room calendars.

All answers come from the mirror (:class:`tmscal.mirror.store.MirrorStore`) through indexed
questions: the ctag, sync token, ``has_uid``, multiget, time-range query and last-modified
never scan a calendar. Writes go to the booking service (:mod:`tmscal.bridge.booking`), which talks
to TMS and stores TMS's answer in the mirror before returning.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Optional

from radicale.item import Item
from radicale.storage import BaseCollection, ComponentNotFoundError

from radicale_plugin import calendar_cache, outcome
from radicale_plugin.feed_text import calendar_text_chunks
from radicale_plugin.items import EPOCH_HTTP_DATE, uploaded_item
from radicale_plugin.mirrored import SYNC_TOKEN_PREFIX, FixedProperties, MirroredCalendar
from radicale_plugin.namespace import room_path
from tmscal.bridge.refusals import BridgeRefusal, RefusedOperation, TmsDown
from tmscal.bridge.invitations.meetings import meetings_for
from tmscal.mirror.store import Room, room_calendar_id

if TYPE_CHECKING:
    from tmscal.bridge.runtime import BridgeRuntime

#: the property a site's colour is the default of
_COLOUR = "ICAL:calendar-color"
#: Colours of sites, given in the order of the site names (the meetings calendar has its own).
SITE_COLOURS = ("#1f77b4ff", "#2ca02cff", "#d62728ff", "#9467bdff", "#ff7f0eff",
                "#17becfff", "#8c564bff", "#e377c2ff", "#7f7f7fff", "#bcbd22ff")


class SiteColours:
    """One colour per site: the n-th name of the sites in the mirror (sorted) gets the n-th
    colour, so up to ``len(SITE_COLOURS)`` sites never share one. Made per request from the
    store (``sites()`` is read at the first question), never kept by a process: every process
    and node answers alike, and a site added anywhere shifts the colours everywhere at once."""

    def __init__(self, sites: Callable[[], Iterable[str]]) -> None:
        self._sites = sites
        self._colours: dict[str, str] | None = None

    def colour(self, site: str) -> str:
        """The colour of ``site`` (one the store did not list yet is counted in)."""
        if self._colours is None or site not in self._colours:
            known = set(self._sites() if self._colours is None else self._colours)
            self._colours = {name: SITE_COLOURS[index % len(SITE_COLOURS)]
                             for index, name in enumerate(sorted(known | {site}))}
        return self._colours[site]


def room_description(room: Room) -> str:
    """``Site — location/address`` shown as the calendar description."""
    parts = [part for part in (room.site, room.description or room.address) if part]
    return " — ".join(parts) or room.name


class _StaticCollection(FixedProperties, BaseCollection):
    """A collection without items or properties of its own (the root, a home)."""

    def __init__(self, path: str, meta: Mapping[str, str] | None = None) -> None:
        self._path = path
        self._meta = dict(meta or {})

    @property
    def path(self) -> str:
        return self._path

    @property
    def etag(self) -> str:
        return '"%s"' % hashlib.sha256(
            (self._path + json.dumps(self._meta, sort_keys=True)).encode()).hexdigest()

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        token = SYNC_TOKEN_PREFIX + self.etag.strip('"')
        if old_token and old_token != token:
            raise ValueError("unknown sync token")
        return token, []

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Optional[Item]]]:
        for href in hrefs:
            yield href, None

    def get_all(self) -> Iterator[Item]:
        return iter(())

    def get_filtered(self, filters):  # type: ignore[override]
        return iter(())

    def has_uid(self, uid: str) -> bool:
        return False

    def upload(self, href: str, item: Item):  # type: ignore[override]
        raise RefusedOperation("Events can only be created in a room calendar.")

    def delete(self, href: str | None = None) -> None:
        raise RefusedOperation("This collection cannot be deleted.")

    def set_meta(self, props: Mapping[str, str]) -> None:
        raise RefusedOperation("The properties of this collection cannot be changed.")

    @property
    def last_modified(self) -> str:
        return EPOCH_HTTP_DATE

    def serialize(self, vcf_to_ics: bool = False, ShareActions: dict = {}) -> str:  # noqa: B006
        return ""


class RootCollection(_StaticCollection):
    """``/``: always exists, lists nothing (clients go to their home)."""

    def __init__(self) -> None:
        super().__init__("")


class HomeCollection(_StaticCollection):
    """``/<user>/``: the principal; its children are the room calendars the user may see."""

    def __init__(self, user: str) -> None:
        super().__init__(user, {"D:displayname": user})


class RoomCalendar(MirroredCalendar):
    """A room as a calendar collection of one user's home.

    ``bookable`` False makes every write a :class:`~tmscal.bridge.refusals.NotAllowed` (the rights
    plugin already shows the calendar read-only to clients). ``colours`` are the request's
    (shared by the calendars of one listing); by default read from the store.
    """

    def __init__(self, runtime: "BridgeRuntime", user: str, room: Room, bookable: bool,
                 colours: SiteColours | None = None) -> None:
        self._runtime = runtime
        self._user = user
        self._room = room
        self._bookable = bookable
        self._calendar_id = room_calendar_id(room.system_id)
        self._objects = runtime.store
        self._path = room_path(user, room.system_id)
        self._meta = {
            "tag": "VCALENDAR",
            "D:displayname": room.name,
            "C:calendar-description": room_description(room),
            "C:supported-calendar-component-set": "VEVENT",
            "C:calendar-user-address-set": meetings_for(runtime).address_of(room),
        }
        self._colours = colours or SiteColours(runtime.store.site_names)
        self._add_preferences()

    # ---- identity ----------------------------------------------------------------------------

    @property
    def room(self) -> Room:
        return self._room

    @property
    def bookable(self) -> bool:
        return self._bookable

    # ---- reads -------------------------------------------------------------------------------

    #: the occurrence index answers a time range exactly
    _exact_ranges = True

    def serialize(self, vcf_to_ics: bool = False, ShareActions: dict = {}) -> str:  # noqa: B006
        """The whole calendar (kept for the next GET, :mod:`radicale_plugin.calendar_cache`);
        behind the web layer the text is streamed instead (see
        :func:`radicale_plugin.outcome.defers_body`) and Radicale gets ''."""
        calendar_id, store = self._calendar_id, self._runtime.store
        render = functools.partial(
            calendar_text_chunks, lambda: store.iter_objects(calendar_id),
            self._meta["D:displayname"], self._meta["C:calendar-description"])
        chunks = functools.partial(calendar_cache.TEXTS.chunks, (calendar_id, self.etag), render)
        if outcome.defers_body():
            outcome.current().body = chunks
            return ""
        return "".join(chunks())

    # ---- properties --------------------------------------------------------------------------

    def get_meta(self, key: Optional[str] = None):
        if key is None or key == _COLOUR:
            self._add_site_colour()
        return super().get_meta(key)

    def set_meta(self, props: Mapping[str, str]) -> None:
        self._add_site_colour()
        super().set_meta(props)

    def _add_site_colour(self) -> None:
        """The site's colour as the default ``calendar-color``, worked out only when asked for
        (it reads the store's sites); a colour the user chose stays in front of it."""
        if _COLOUR not in self._defaults:
            self._defaults[_COLOUR] = self._colours.colour(self._room.site)
            self._meta.setdefault(_COLOUR, self._defaults[_COLOUR])

    def _fixed_reason(self, names: list[str]) -> str:
        return (f"{', '.join(names)} of room {self._room.name} come from TMS and cannot be "
                "changed from a calendar client; you may set its colour and order.")

    # ---- writes ------------------------------------------------------------------------------

    def upload(self, href: str, item: Item) -> tuple[Item, Optional[Item]]:
        """Book (or change) the room in TMS, then answer from the mirror.

        Returns ``(stored item, previous item)``; when TMS changed what the client sent, the
        client is made to fetch TMS's version (:func:`~radicale_plugin.items.uploaded_item`).
        """
        self._check_component(item)
        previous = next(iter(self.get_multi([href])))[1]
        text = item.serialize()
        try:
            result = self._runtime.booking.put(
                user=self._user, system_id=self._room.system_id, href=href, text=text,
                bookable=self._bookable)
        except (BridgeRefusal, TmsDown) as error:
            outcome.refuse(error)
        meetings_for(self._runtime).follow_booking(item.uid)  # a meeting's booking: carried
        return uploaded_item(self, result.stored, text, result.differs), previous

    def delete(self, href: Optional[str] = None) -> None:
        """Cancel the booking at ``href`` in TMS; deleting the room calendar is refused."""
        if href is None:
            outcome.refuse(RefusedOperation(
                f"Room {self._room.name} is a TMS system; its calendar cannot be deleted."))
        stored = self._runtime.store.get_objects(self._calendar_id, [href])
        if not stored:
            raise ComponentNotFoundError(href)
        try:
            self._runtime.booking.delete(user=self._user, system_id=self._room.system_id,
                                         href=href, bookable=self._bookable)
        except (BridgeRefusal, TmsDown) as error:
            outcome.refuse(error)
        meetings_for(self._runtime).follow_booking(stored[0].uid)
