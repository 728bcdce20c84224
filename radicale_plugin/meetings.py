"""``/<user>/<personal>/``: the user's own meetings calendar, served from the mirror.

Reads come from :class:`tmscal.mirror.personal_store.PersonalCalendars`; the ctag, sync token
and last-modified are computed by the very same code as a room calendar's (the mirror's
change sequence and tombstones). Writes go to :class:`tmscal.invitations.meetings.
MeetingCalendars`, which stores the meeting and books the rooms it invites. When the bridge
wrote TMS's answer into the meeting, the PUT answer carries no ETag (the web layer drops it;
stock Radicale gets the client text's ETag), so the client fetches the changed event.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, overload

from radicale.item import Item
from radicale.item.filter import TIMESTAMP_MAX, TIMESTAMP_MIN, simplify_prefilters
from radicale.storage import BaseCollection, ComponentNotFoundError

from radicale_plugin import namespace, outcome
from radicale_plugin.collection import RoomCalendar
from radicale_plugin.items import item_from_object
from tmscal.bridge_errors import BridgeRefusal, RefusedOperation, TmsDown
from tmscal.invitations.meetings import MeetingCalendars, meetings_for

if TYPE_CHECKING:
    from tmscal.bridge_runtime import BridgeRuntime

log = logging.getLogger(__name__)


def personal_segments(runtime: BridgeRuntime) -> tuple[str, ...]:
    """The path segments of personal calendars (for :func:`namespace.parse_path`)."""
    return (meetings_for(runtime).settings.calendar,)


class MeetingsCalendar(BaseCollection):
    """One user's meetings calendar (VEVENT only)."""

    def __init__(self, runtime: BridgeRuntime, user: str) -> None:
        self._runtime = runtime
        self._user = user
        self._meetings: MeetingCalendars = meetings_for(runtime)
        settings = self._meetings.settings
        self._calendar_id = self._meetings.calendar_id(user)
        self._meetings.calendars.ensure(self._calendar_id)
        try:  # meetings follow changes TMS made to their bookings (rate-limited per user)
            self._meetings.reconciler.follow(user)
        except Exception:  # a read must never fail for it
            log.exception("could not reconcile the meetings of %s", user)
        self._path = f"{user}/{settings.calendar}"
        self._meta = {
            "tag": "VCALENDAR",
            "D:displayname": settings.calendar_name,
            "C:calendar-description": "Your meetings. Invite a room as an attendee to book it "
                                      "in TMS; its answer appears in the meeting.",
            "C:supported-calendar-component-set": "VEVENT",
        }

    @property
    def path(self) -> str:
        return self._path

    # the same ctag, last-modified and sync-token code as a room calendar (one mirror)
    _state = RoomCalendar._state
    etag = RoomCalendar.etag
    last_modified = RoomCalendar.last_modified
    sync = RoomCalendar.sync
    _live_hrefs = RoomCalendar._live_hrefs

    # ---- reads -------------------------------------------------------------------------------

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Item | None]]:
        wanted = list(dict.fromkeys(hrefs))
        if not wanted:
            return
        found = {stored.href: stored for stored in
                 self._meetings.calendars.get_objects(self._calendar_id, wanted)}
        for href in wanted:
            stored = found.get(href)
            yield href, item_from_object(self, stored) if stored else None

    def get_all(self) -> Iterator[Item]:
        for stored in self._meetings.calendars.iter_objects(self._calendar_id):
            yield item_from_object(self, stored)

    def get_filtered(self, filters: Iterable) -> Iterator[tuple[Item, bool]]:
        """Meetings whose enclosing range overlaps the filter's; Radicale re-checks them."""
        tag, start, end, _simple = simplify_prefilters(filters, self.tag)
        if tag is not None and tag != "VEVENT":
            return
        start_utc = None if start <= TIMESTAMP_MIN else datetime.fromtimestamp(start, UTC)
        end_utc = None if end >= TIMESTAMP_MAX else datetime.fromtimestamp(end, UTC)
        for stored in self._meetings.calendars.objects_in_range(self._calendar_id, start_utc,
                                                                end_utc):
            yield item_from_object(self, stored), False

    def has_uid(self, uid: str) -> bool:
        return self._meetings.calendars.has_uid(self._calendar_id, uid)

    # ---- properties --------------------------------------------------------------------------

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> str | None: ...

    def get_meta(self, key: str | None = None):
        if key is None:
            return dict(self._meta)
        return self._meta.get(key)

    def set_meta(self, props: Mapping[str, str]) -> None:
        self._refuse(RefusedOperation("The properties of the meetings calendar are fixed."))

    # ---- writes ------------------------------------------------------------------------------

    def upload(self, href: str, item: Item) -> tuple[Item, Item | None]:
        """Store the meeting and book its rooms; returns ``(stored item, previous item)``."""
        previous = next(iter(self.get_multi([href])))[1]
        text = item.serialize()
        try:
            result = self._meetings.put(user=self._user, href=href, uid=item.uid, text=text,
                                        time_range=item.time_range)
        except (BridgeRefusal, TmsDown) as error:
            self._refuse(error)
        stored = item_from_object(self, result.stored)
        if not result.differs:
            return stored, previous
        outcome.current().stored_differs = True
        client_etag = f'"{hashlib.sha256(text.encode()).hexdigest()}-client"'
        return Item(collection=self, href=stored.href, last_modified=stored.last_modified,
                    text=result.stored.ical, etag=client_etag, uid=stored.uid,
                    name="VCALENDAR", component_name="VEVENT",
                    time_range=(math.floor(result.stored.start_utc.timestamp()),
                                math.ceil(result.stored.end_utc.timestamp()))), previous

    def delete(self, href: str | None = None) -> None:
        """Delete the meeting at ``href`` (cancelling its rooms in TMS)."""
        if href is None:
            self._refuse(RefusedOperation("The meetings calendar cannot be deleted."))
        try:
            deleted = self._meetings.delete(user=self._user, href=href)
        except (BridgeRefusal, TmsDown) as error:
            self._refuse(error)
        if not deleted:
            raise ComponentNotFoundError(href)

    def _refuse(self, error: BaseException):
        if isinstance(error, (BridgeRefusal, TmsDown)):
            outcome.current().refusal = error
        raise error


def discover_meetings(runtime: BridgeRuntime, location, depth: str
                      ) -> Iterator[BaseCollection | Item]:
    """What :meth:`Storage.discover` yields for a meetings path of its own user."""
    calendar = MeetingsCalendar(runtime, location.user)
    if isinstance(location, namespace.MeetingsPath):
        yield calendar
        if depth != "0":
            yield from calendar.get_all()
        return
    found = calendar._meetings.calendars.get_objects(calendar._calendar_id, [location.href])
    if found:
        yield item_from_object(calendar, found[0])
