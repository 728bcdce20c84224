"""``[invitations]``: room addresses and each user's own meetings calendar.

::

    [invitations]
    room_address = mailto:room-{id}@rooms.example.org   calendar-user address of each room;
                                                       {id} = SystemId, {name} = system name
                                                       (lower case, non-alphanumerics as '-')
    calendar = meetings                                 path segment of each user's own calendar
    calendar_name = Meetings                            its display name
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tmscal.settings.reader import Section

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: the scheduling collections of every home (RFC 6638)
_SCHEDULING = ("inbox", "outbox")


@dataclass(frozen=True)
class InvitationSettings:
    """Room addresses and the personal meetings calendar."""

    room_address: str = "mailto:room-{id}@rooms.example.org"
    calendar: str = "meetings"
    calendar_name: str = "Meetings"


def read_invitations(section: Section, base: Path | None) -> InvitationSettings:
    defaults = InvitationSettings()
    settings = InvitationSettings(
        room_address=section.text("room_address", defaults.room_address),
        calendar=section.text("calendar", defaults.calendar),
        calendar_name=section.text("calendar_name", defaults.calendar_name))
    if not _SEGMENT.fullmatch(settings.calendar) or settings.calendar.startswith("room-") or \
            settings.calendar in _SCHEDULING:
        raise section.error("calendar", "must be a simple path segment not starting with "
                                        f"'room-', nor inbox or outbox, not {settings.calendar!r}")
    if "{id}" not in settings.room_address and "{name}" not in settings.room_address:
        raise section.error("room_address", "needs {id} or {name}")
    return settings
