"""The URL namespace the plugin serves.

::

    /                              root (always exists)
    /<user>/                       the user's home: one calendar per room the user may see
    /<user>/room-<SystemId>/       a room calendar (VEVENT only)
    /<user>/room-<SystemId>/<href> one booking (series or single meeting)
    /<user>/<personal>/            the user's own meetings calendar (tmscal.bridge.invitations)
    /<user>/<personal>/<href>      one meeting
    /<user>/inbox/                 the user's schedule inbox (a personal calendar too)

Paths arrive sanitized from Radicale (leading ``/``); :func:`parse_path` accepts them with or
without the slashes and never raises: anything else is :class:`Unknown` (→ 404).
"""

from __future__ import annotations

import re
from collections.abc import Collection
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
class MeetingsPath:
    """``/<user>/<personal>/``: the user's own calendar, where invited rooms are booked."""

    user: str
    calendar: str


@dataclass(frozen=True)
class MeetingItemPath:
    """``/<user>/<personal>/<href>``."""

    user: str
    calendar: str
    href: str


@dataclass(frozen=True)
class Unknown:
    """Anything the namespace does not define."""


Location = Root | Home | RoomPath | ItemPath | MeetingsPath | MeetingItemPath | Unknown


def room_segment(system_id: int) -> str:
    """The path segment of a room calendar: ``room-<SystemId>``."""
    return f"{ROOM_PREFIX}{int(system_id)}"


def room_path(user: str, system_id: int) -> str:
    """The collection path (no slashes around it) of a user's room calendar."""
    return f"{user}/{room_segment(system_id)}"


def parse_path(path: str, personal: Collection[str] = ()) -> Location:
    """Classify a (sanitized or stripped) path; ``personal`` names the personal calendars."""
    parts = [p for p in path.strip("/").split("/") if p] if path.strip("/") else []
    if not parts:
        return Root()
    user = parts[0]
    if len(parts) == 1:
        return Home(user)
    match = _ROOM_SEGMENT.fullmatch(parts[1])
    if not match and parts[1] in personal and len(parts) <= 3:
        return MeetingsPath(user, parts[1]) if len(parts) == 2 else \
            MeetingItemPath(user, parts[1], parts[2])
    if not match:
        return Unknown()
    system_id = int(match.group(1))
    if len(parts) == 2:
        return RoomPath(user, system_id)
    if len(parts) == 3:
        return ItemPath(user, system_id, parts[2])
    return Unknown()


# ---- scheduling (RFC 6638): served by tmscal.web.scheduling, not by the storage -----------------
#
#     /<user>/inbox/                 the user's schedule inbox
#     /<user>/outbox/                the user's schedule outbox (POST: free/busy requests)
#     /<user>/.rooms/                the room principals the user may see (a principal collection)
#     /<user>/.rooms/<SystemId>/     one room principal
#
# ``.rooms`` can be no calendar's name (``[invitations] calendar`` starts with a letter or digit,
# room calendars are ``room-<id>``) and, being inside the user's home, no user's name.

SCHEDULE_INBOX = "inbox"
SCHEDULE_OUTBOX = "outbox"
ROOM_PRINCIPALS = ".rooms"


@dataclass(frozen=True)
class OutboxPath:
    """``/<user>/outbox/``."""

    user: str


@dataclass(frozen=True)
class RoomPrincipalsPath:
    """``/<user>/.rooms/``."""

    user: str


@dataclass(frozen=True)
class RoomPrincipalPath:
    """``/<user>/.rooms/<SystemId>/``."""

    user: str
    system_id: int


SchedulingLocation = OutboxPath | RoomPrincipalsPath | RoomPrincipalPath


def schedule_inbox_path(user: str) -> str:
    return f"{user}/{SCHEDULE_INBOX}"


def schedule_outbox_path(user: str) -> str:
    return f"{user}/{SCHEDULE_OUTBOX}"


def room_principals_path(user: str) -> str:
    return f"{user}/{ROOM_PRINCIPALS}"


def room_principal_path(user: str, system_id: int) -> str:
    return f"{user}/{ROOM_PRINCIPALS}/{int(system_id)}"


def parse_scheduling_path(path: str) -> SchedulingLocation | None:
    """The outbox or room-principal location ``path`` names, or None (anything else, also an
    unknown child of ``.rooms``, which then answers 404 like any unknown path)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 2 and parts[1] == SCHEDULE_OUTBOX:
        return OutboxPath(parts[0])
    if len(parts) < 2 or parts[1] != ROOM_PRINCIPALS:
        return None
    if len(parts) == 2:
        return RoomPrincipalsPath(parts[0])
    if len(parts) == 3 and re.fullmatch(r"[1-9][0-9]{0,17}", parts[2]):
        return RoomPrincipalPath(parts[0], int(parts[2]))
    return None
