"""Room calendar-user addresses, and which ATTENDEEs of a meeting are rooms.

Every room has an address made from the ``room_address`` template (``mailto:room-{id}@…``) and
the TMS system name as CN. An ATTENDEE is a room when its address is a room's template address,
its TMS address (SIP URI) or ``urn:x-tms:system:<id>``, or when it has CUTYPE=ROOM and a room's
name as CN (the rules of :func:`tmscal.ical.participants.read_attendee`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tmscal.ical.participants import SYSTEM_URN
from tmscal.ical.rooms import RoomInfo, address_key
from tmscal.mirror.records import MirrorRoomDirectory
from tmscal.mirror.store import Room

_NON_WORD = re.compile(r"[^a-z0-9]+")


def name_slug(name: str) -> str:
    """``Oslo – Fjord room`` → ``oslo-fjord-room``."""
    return _NON_WORD.sub("-", name.lower()).strip("-") or "room"


def room_address(template: str, room: Room) -> str:
    """The calendar-user address of ``room`` (always with a scheme, ``mailto:`` by default)."""
    return with_scheme(template.replace("{id}", str(room.system_id)).replace(
        "{name}", name_slug(room.name)))


def with_scheme(address: str) -> str:
    """``address`` as a calendar-user address: ``mailto:`` added when it has no scheme."""
    return address if ":" in address.split("@", 1)[0] else f"mailto:{address}"


def room_addresses(template: str, room: Room) -> tuple[str, ...]:
    """Every calendar-user address of ``room``, preferred first: the template address, its TMS
    (SIP) address if any, ``urn:x-tms:system:<id>``."""
    found = [room_address(template, room), room.address, f"{SYSTEM_URN}{room.system_id}"]
    return tuple(dict.fromkeys(address for address in found if address))


class InvitationRooms:
    """A :class:`tmscal.ical.RoomDirectory` over the mirror's rooms that also knows each room's
    template address (a snapshot, taken at creation)."""

    def __init__(self, rooms: Iterable[Room], template: str, default_zone: str = "UTC") -> None:
        rooms = list(rooms)
        self._mirror = MirrorRoomDirectory(rooms, default_zone)
        self._by_address: dict[str, RoomInfo] = {}
        for room in rooms:
            info = self._mirror.room_by_id(room.system_id)
            if info is not None:
                self._by_address[address_key(room_address(template, room))] = info

    def room_by_id(self, system_id: int) -> RoomInfo | None:
        return self._mirror.room_by_id(system_id)

    def room_by_address(self, address: str) -> RoomInfo | None:
        return self._by_address.get(address_key(address)) or \
            self._mirror.room_by_address(address)

    def room_by_name(self, name: str) -> RoomInfo | None:
        return self._mirror.room_by_name(name)
