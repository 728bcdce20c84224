"""``MirroredCalendar``: what a room calendar and a user's meetings calendar share.

Both are one calendar id of the mirror: the ctag, last-modified and sync token come from its
change sequence and tombstones; items, multiget and time-range queries from its objects (a
reader with ``get_objects``, ``iter_objects`` and ``objects_in_range`` per calendar id: the
mirror store for rooms, the personal calendars for meetings). The properties come from TMS or
the settings, except those a user sets for their own client (colour, order: stored per user,
:mod:`tmscal.mirror.personal`). Both hold events only. Subclasses set the attributes
below in ``__init__`` (then call :meth:`_add_preferences`) and implement the writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Optional, overload

from radicale.item import Item
from radicale.item.filter import TIMESTAMP_MAX, TIMESTAMP_MIN, simplify_prefilters
from radicale.storage import BaseCollection

from radicale_plugin import outcome, sync_window
from radicale_plugin.items import http_date, item_from_object
from tmscal.bridge.refusals import InvalidCalendar, RefusedOperation
from tmscal.mirror import open_preferences
from tmscal.mirror.store import CalendarState, UnknownCalendar, UnknownSyncToken

if TYPE_CHECKING:
    from tmscal.bridge.runtime import BridgeRuntime

SYNC_TOKEN_PREFIX = "http://radicale.org/ns/sync/"

#: Properties every user may set for themselves on a room or meetings calendar.
USER_PROPERTIES = ("ICAL:calendar-color", "ICAL:calendar-order")


class FixedProperties:
    """``get_meta`` over ``self._meta``, the dict of WebDAV properties served."""

    _meta: dict[str, str]

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> Optional[str]: ...

    def get_meta(self, key: Optional[str] = None):
        if key is None:
            return dict(self._meta)
        return self._meta.get(key)


class MirroredCalendar(FixedProperties, BaseCollection):
    """A calendar collection answered from one calendar id of the mirror (see module doc)."""

    _runtime: BridgeRuntime
    _calendar_id: str
    _objects: Any  # get_objects, iter_objects, objects_in_range (per calendar id)
    _path: str
    _user: str
    #: what the user may set for themselves (see :data:`USER_PROPERTIES`)
    _user_properties: tuple[str, ...] = USER_PROPERTIES
    #: the component every item holds (the renderer writes events; writes of anything else
    #: are refused, :meth:`_check_component`)
    component = "VEVENT"

    # ---- properties --------------------------------------------------------------------------

    def _add_preferences(self) -> None:
        """Show what the user set for themselves over the calendar's own properties."""
        self._defaults = dict(self._meta)
        self._meta.update(open_preferences(self._runtime.store).get(self._user,
                                                                         self._calendar_id))

    def _fixed_reason(self, names: list[str]) -> str:
        """Why the properties ``names`` cannot be changed (one line, per kind of calendar)."""
        raise NotImplementedError

    def set_meta(self, props: Mapping[str, str]) -> None:
        """Store the user's own colour and order (and what else ``_user_properties`` allows);
        any other change is refused with the reason, and nothing is stored."""
        changed = sorted(name for name in set(props) | set(self._meta)
                         if props.get(name) != self._meta.get(name))
        fixed = [name for name in changed if name not in self._user_properties]
        if fixed:
            outcome.refuse(RefusedOperation(self._fixed_reason(fixed)))
        chosen = {name: props[name] for name in self._user_properties
                  if props.get(name) not in (None, "", self._defaults.get(name))}
        open_preferences(self._runtime.store).replace(self._user, self._calendar_id, chosen)
        self._meta = {**self._defaults, **chosen}

    # ---- writes ------------------------------------------------------------------------------

    def _check_component(self, item: Item) -> None:
        """Refuse anything but an event: the calendar says it holds VEVENTs only."""
        if item.component_name != "VEVENT":
            outcome.refuse(InvalidCalendar(
                f"This calendar holds events (VEVENT) only, not {item.component_name or 'this'}"
                "; save it in a calendar for tasks or journal entries.",
                "supported-calendar-component"))

    @property
    def path(self) -> str:
        return self._path

    def _state(self) -> CalendarState | None:
        try:
            return self._runtime.store.calendar_state(self._calendar_id)
        except UnknownCalendar:
            return None

    @property
    def etag(self) -> str:
        """The ctag: the mirror's per-calendar ctag combined with the properties."""
        state = self._state()
        ctag = state.ctag if state else ""
        digest = hashlib.sha256(
            (ctag + json.dumps(self._meta, sort_keys=True)).encode()).hexdigest()
        return f'"{digest}"'

    @property
    def last_modified(self) -> str:
        state = self._state()
        return http_date(state.last_modified if state else None)

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        """``(token, changed-or-deleted hrefs)`` from the mirror's change sequence; one slice
        of them per call while a :class:`~radicale_plugin.sync_window.SyncWindow` is open."""
        window = sync_window.current()
        if window is None:
            token, changed, deleted = self._changes(old_token)
            return token, changed if not deleted else [*changed, *deleted]
        if window.names is None:
            token, changed, deleted = self._changes(old_token)
            window.token, window.names = token, [*deleted, *changed]
        return window.token or "", window.next_slice()

    def _changes(self, old_token: str) -> tuple[str, Iterable[str], list[str]]:
        """``(token, hrefs changed, hrefs deleted)`` since ``old_token``; without one, every
        live href (listed lazily)."""
        if not old_token:
            # PROPFIND asks for the token only: list the hrefs lazily, if at all (a change
            # between the two reads is reported again from this token, which is harmless)
            state = self._state()
            if state is None:
                raise ValueError("unknown calendar")
            return SYNC_TOKEN_PREFIX + state.sync_token, self._live_hrefs(), []
        if not old_token.startswith(SYNC_TOKEN_PREFIX):
            raise ValueError("unknown sync token")
        old_token = old_token[len(SYNC_TOKEN_PREFIX):]
        try:
            changes = self._runtime.store.changes_since(self._calendar_id, old_token)
        except UnknownSyncToken:
            raise
        except UnknownCalendar as error:
            raise ValueError("unknown calendar") from error
        return SYNC_TOKEN_PREFIX + changes.token, list(changes.changed), list(changes.deleted)

    def _live_hrefs(self) -> Iterator[str]:
        for href, _etag in self.href_etags():
            yield href

    def href_etags(self) -> list[tuple[str, str]]:
        """``(href, ETag)`` of every item, in the order of :meth:`get_all`, without texts."""
        return self._runtime.store.list_hrefs(self._calendar_id)

    def discover(self, href: str | None, depth: str) -> Iterator[BaseCollection | Item]:
        """What :meth:`Storage.discover` yields: this calendar (and, unless ``depth`` is
        ``"0"``, its items) when ``href`` is None, else the item at ``href`` if there is one."""
        if href is None:
            yield self
            if depth != "0":
                yield from self.get_all()
            return
        yield from (item for _href, item in self.get_multi([href]) if item)

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Optional[Item]]]:
        wanted = list(dict.fromkeys(hrefs))
        if not wanted:
            return
        found = {stored.href: stored
                 for stored in self._objects.get_objects(self._calendar_id, wanted)}
        for href in wanted:
            stored = found.get(href)
            yield href, item_from_object(self, stored) if stored else None

    def get_all(self) -> Iterator[Item]:
        for stored in self._objects.iter_objects(self._calendar_id):
            yield item_from_object(self, stored)

    #: Whether ``objects_in_range`` is exact (an occurrence index: a pure VEVENT time-range
    #: filter needs no re-check) or a superset (an enclosing range per object).
    _exact_ranges = False

    def get_filtered(self, filters: Iterable) -> Iterator[tuple[Item, bool]]:
        """Objects that may match the REPORT's ``filters``, from the time-range index;
        ``True`` when they are known to match (Radicale re-checks the others)."""
        tag, start, end, simple = simplify_prefilters(filters, self.tag)
        if tag is not None and tag != "VEVENT":
            return
        start_utc = None if start <= TIMESTAMP_MIN else datetime.fromtimestamp(start, UTC)
        end_utc = None if end >= TIMESTAMP_MAX else datetime.fromtimestamp(end, UTC)
        for stored in self._objects.objects_in_range(self._calendar_id, start_utc, end_utc):
            yield item_from_object(self, stored), simple and self._exact_ranges

    def has_uid(self, uid: str) -> bool:
        """Whether the calendar holds ``uid`` under any href (Radicale's no-uid-conflict)."""
        return self._runtime.store.has_uid(self._calendar_id, uid)
