"""``[invitations]``: room addresses and each user's own meetings calendar.

::

    [invitations]
    room_address = mailto:room-{id}@rooms.example.org   calendar-user address of each room;
                                                       {id} = SystemId, {name} = system name
                                                       (lower case, non-alphanumerics as '-')
    calendar = meetings                                 path segment of each user's own calendar
    calendar_name = Meetings                            its display name
    user_address = mailto:{user}@example.org            calendar-user address of each user
                                                       (principal, free/busy ORGANIZER);
                                                       {user} = the login name
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tmscal.settings.reader import Section

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Paths every user's home holds already (radicale_plugin.namespace: RFC 6638 inbox, outbox).
_SCHEDULING_SEGMENTS = ("inbox", "outbox")


@dataclass(frozen=True)
class InvitationSettings:
    """Room addresses and the personal meetings calendar."""

    room_address: str = "mailto:room-{id}@rooms.example.org"
    calendar: str = "meetings"
    calendar_name: str = "Meetings"
    user_address: str = "mailto:{user}@example.org"


def read_invitations(section: Section, base: Path | None) -> InvitationSettings:
    defaults = InvitationSettings()
    settings = InvitationSettings(
        room_address=section.text("room_address", defaults.room_address),
        calendar=section.text("calendar", defaults.calendar),
        calendar_name=section.text("calendar_name", defaults.calendar_name),
        user_address=section.text("user_address", defaults.user_address))
    if not _SEGMENT.fullmatch(settings.calendar) or settings.calendar.startswith("room-"):
        raise section.error("calendar", "must be a simple path segment not starting with "
                                        f"'room-', not {settings.calendar!r}")
    if settings.calendar in _SCHEDULING_SEGMENTS:
        raise section.error("calendar", f"{settings.calendar!r} is the schedule "
                                        f"{settings.calendar} of every user")
    if "{id}" not in settings.room_address and "{name}" not in settings.room_address:
        raise section.error("room_address", "needs {id} or {name}")
    if "{user}" not in settings.user_address:
        raise section.error("user_address", "needs {user}")
    return settings
