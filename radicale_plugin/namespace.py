"""The URL namespace the plugin serves.

::

    /                              root (always exists)
    /<user>/                       the user's home: one calendar per room the user may see
    /<user>/room-<SystemId>/       a room calendar (VEVENT only)
    /<user>/room-<SystemId>/<href> one booking (series or single meeting)

Paths arrive sanitized from Radicale (leading ``/``); :func:`parse_path` accepts them with or
without the slashes and never raises: anything else is :class:`Unknown` (→ 404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOM_PREFIX = "room-"
_ROOM_SEGMENT = re.compile(r"room-([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class Root:
    """``/``."""


@dataclass(frozen=True)
class Home:
    """``/<user>/``."""

    user: str


@dataclass(frozen=True)
class RoomPath:
    """``/<user>/room-<id>/``."""

    user: str
    system_id: int


@dataclass(frozen=True)
class ItemPath:
    """``/<user>/room-<id>/<href>``."""

    user: str
    system_id: int
    href: str


@dataclass(frozen=True)
class Unknown:
    """Anything the namespace does not define."""


Location = Root | Home | RoomPath | ItemPath | Unknown


def room_segment(system_id: int) -> str:
    """The path segment of a room calendar: ``room-<SystemId>``."""
    return f"{ROOM_PREFIX}{int(system_id)}"


def room_path(user: str, system_id: int) -> str:
    """The collection path (no slashes around it) of a user's room calendar."""
    return f"{user}/{room_segment(system_id)}"


def parse_path(path: str) -> Location:
    """Classify a (sanitized or stripped) path."""
    parts = [p for p in path.strip("/").split("/") if p] if path.strip("/") else []
    if not parts:
        return Root()
    user = parts[0]
    if len(parts) == 1:
        return Home(user)
    match = _ROOM_SEGMENT.fullmatch(parts[1])
    if not match:
        return Unknown()
    system_id = int(match.group(1))
    if len(parts) == 2:
        return RoomPath(user, system_id)
    if len(parts) == 3:
        return ItemPath(user, system_id, parts[2])
    return Unknown()
