"""``/<user>/inbox/``: the user's schedule inbox (RFC 6638 §2.2), served from the mirror.

It holds the iTIP messages the bridge delivered (:class:`tmscal.bridge.scheduling.inbox.Inbox`):
the rooms' REPLYs. Only its owner reads it (rights); the owner deletes processed messages; PUT
and deleting the inbox itself are refused. Reading it first lets the owner's meetings follow
TMS (rate-limited, as the meetings calendar does), so a client polling only the inbox still
sees the rooms' answers. Its resource type is made ``schedule-inbox`` by
:mod:`tmscal.web.inbox_type`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from radicale.item import Item
from radicale.storage import ComponentNotFoundError

from radicale_plugin import namespace, outcome
from radicale_plugin.mirrored import MirroredCalendar
from tmscal.bridge.invitations.meetings import meetings_for
from tmscal.bridge.refusals import RefusedOperation
from tmscal.bridge.scheduling.inbox import Inbox

if TYPE_CHECKING:
    from tmscal.bridge.runtime import BridgeRuntime

log = logging.getLogger(__name__)


class InboxCollection(MirroredCalendar):
    """One user's schedule inbox (its messages are VEVENT iTIP messages)."""

    _user_properties = ()

    def __init__(self, runtime: BridgeRuntime, user: str) -> None:
        self._runtime = runtime
        self._user = user
        meetings = meetings_for(runtime)
        self._inbox: Inbox = meetings.inbox
        self._calendar_id = Inbox.calendar_id(user)
        self._objects = meetings.calendars
        meetings.calendars.ensure(self._calendar_id)
        try:  # the rooms' answers arrive here when the meetings follow TMS
            meetings.reconciler.follow(user)
        except Exception:  # a read must never fail for it
            log.exception("could not reconcile the meetings of %s", user)
        self._path = namespace.schedule_inbox_path(user)
        self._meta = {
            "tag": "VCALENDAR",
            "D:displayname": "Scheduling inbox",
            "C:calendar-description": "The rooms' answers to your meetings, also to changes "
                                      "made in TMS.",
            "C:supported-calendar-component-set": "VEVENT",
        }
        self._add_preferences()

    def _fixed_reason(self, names: list[str]) -> str:
        return f"{', '.join(names)} of the scheduling inbox cannot be changed."

    def upload(self, href: str, item: Item) -> tuple[Item, Item | None]:
        outcome.refuse(RefusedOperation(
            "The scheduling inbox only receives the rooms' answers; save meetings in your "
            "meetings calendar."))

    def delete(self, href: str | None = None) -> None:
        """Delete a processed message; the inbox itself cannot be deleted."""
        if href is None:
            outcome.refuse(RefusedOperation("The scheduling inbox cannot be deleted."))
        if not self._inbox.delete(self._user, href):
            raise ComponentNotFoundError(href)
