"""The ``[invitations]`` section of the bridge's configuration file.

::

    [invitations]
    room_address = mailto:room-{id}@rooms.example.org   calendar-user address of each room;
                                                       {id} = SystemId, {name} = system name
                                                       (lower case, non-alphanumerics as '-')
    calendar = meetings                                 path segment of each user's own calendar
    calendar_name = Meetings                            its display name
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class InvitationSettings:
    """Room addresses and the personal meetings calendar."""

    room_address: str = "mailto:room-{id}@rooms.example.org"
    calendar: str = "meetings"
    calendar_name: str = "Meetings"


def invitation_settings(config_path: str) -> InvitationSettings:
    """Read ``[invitations]`` from the bridge configuration file (defaults when absent)."""
    parser = configparser.RawConfigParser()
    if config_path:
        parser.read(config_path, encoding="utf-8")
    if not parser.has_section("invitations"):
        return InvitationSettings()
    section = parser["invitations"]
    defaults = InvitationSettings()
    settings = InvitationSettings(
        room_address=section.get("room_address", defaults.room_address).strip(),
        calendar=section.get("calendar", defaults.calendar).strip(),
        calendar_name=section.get("calendar_name", defaults.calendar_name).strip())
    if not _SEGMENT.fullmatch(settings.calendar) or settings.calendar.startswith("room-"):
        raise ValueError("[invitations] calendar must be a simple path segment not starting "
                         f"with 'room-', not {settings.calendar!r}")
    if "{id}" not in settings.room_address and "{name}" not in settings.room_address:
        raise ValueError("[invitations] room_address needs {id} or {name}")
    return settings
