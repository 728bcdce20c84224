"""``/<user>/<personal>/``: the user's own meetings calendar, served from the mirror.

Reads come from :class:`tmscal.mirror.personal.PersonalCalendars`; the ctag, sync token
and last-modified are computed by the very same code as a room calendar's
(:class:`~radicale_plugin.mirrored.MirroredCalendar`: the mirror's change sequence and
tombstones). Writes go to :class:`tmscal.bridge.invitations.meetings.MeetingCalendars`, which stores
the meeting and books the rooms it invites. When the bridge wrote TMS's answer into the
meeting, the client is made to fetch it (:func:`radicale_plugin.items.uploaded_item`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from radicale.item import Item
from radicale.storage import ComponentNotFoundError

from radicale_plugin import outcome
from radicale_plugin.items import uploaded_item
from radicale_plugin.mirrored import USER_PROPERTIES, MirroredCalendar
from radicale_plugin.namespace import SCHEDULE_INBOX
from tmscal.bridge.refusals import BridgeRefusal, RefusedOperation, TmsDown
from tmscal.bridge.invitations.meetings import MeetingCalendars, meetings_for

if TYPE_CHECKING:
    from tmscal.bridge.runtime import BridgeRuntime

log = logging.getLogger(__name__)


def personal_segments(runtime: BridgeRuntime) -> tuple[str, ...]:
    """The path segments of personal calendars (for :func:`namespace.parse_path`): the
    meetings calendar and the schedule inbox."""
    return (meetings_for(runtime).settings.calendar, SCHEDULE_INBOX)


#: The colour of every meetings calendar (none of the site colours).
MEETINGS_COLOUR = "#008080ff"


class MeetingsCalendar(MirroredCalendar):
    """One user's meetings calendar (VEVENT only); its owner may also rename it."""

    _user_properties = (*USER_PROPERTIES, "D:displayname")

    def __init__(self, runtime: BridgeRuntime, user: str) -> None:
        self._runtime = runtime
        self._user = user
        self._meetings: MeetingCalendars = meetings_for(runtime)
        settings = self._meetings.settings
        self._calendar_id = self._meetings.calendar_id(user)
        self._objects = self._meetings.calendars
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
            "ICAL:calendar-color": MEETINGS_COLOUR,
            "C:supported-calendar-component-set": "VEVENT",
        }
        self._add_preferences()

    def _fixed_reason(self, names: list[str]) -> str:
        return (f"{', '.join(names)} of the meetings calendar cannot be changed; you may set "
                "its name, colour and order.")

    # ---- writes ------------------------------------------------------------------------------

    def upload(self, href: str, item: Item) -> tuple[Item, Item | None]:
        """Store the meeting and book its rooms; returns ``(stored item, previous item)``."""
        self._check_component(item)
        previous = next(iter(self.get_multi([href])))[1]
        text = item.serialize()
        try:
            result = self._meetings.put(user=self._user, href=href, uid=item.uid, text=text,
                                        time_range=item.time_range)
        except (BridgeRefusal, TmsDown) as error:
            outcome.refuse(error)
        return uploaded_item(self, result.stored, text, result.differs), previous

    def delete(self, href: str | None = None) -> None:
        """Delete the meeting at ``href`` (cancelling its rooms in TMS)."""
        if href is None:
            outcome.refuse(RefusedOperation("The meetings calendar cannot be deleted."))
        try:
            deleted = self._meetings.delete(user=self._user, href=href)
        except (BridgeRefusal, TmsDown) as error:
            outcome.refuse(error)
        if not deleted:
            raise ComponentNotFoundError(href)
