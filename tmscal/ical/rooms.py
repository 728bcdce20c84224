"""What the converter needs to know about rooms, and a dict-backed directory of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass(frozen=True)
class RoomInfo:
    """A bookable TMS system as the calendars show it.

    ``zone`` is an IANA zone name ("Europe/Oslo"); ``address`` a calendar-user address
    ("mailto:room-12@rooms.example.org"), empty when the room has none.
    """

    system_id: int
    name: str
    zone: str
    address: str = ""


class RoomDirectory(Protocol):
    """Room look-ups supplied by the mirror."""

    def room_by_id(self, system_id: int) -> RoomInfo | None: ...

    def room_by_address(self, address: str) -> RoomInfo | None:
        """Case-insensitive; ``mailto:`` is optional on either side."""
        ...

    def room_by_name(self, name: str) -> RoomInfo | None: ...


def address_key(address: str) -> str:
    """``address`` lower-cased and without a leading ``mailto:``, for comparisons."""
    text = address.strip().lower()
    return text[7:] if text.startswith("mailto:") else text


class RoomTable:
    """A :class:`RoomDirectory` over a fixed list of rooms (tests, benchmarks, small setups)."""

    def __init__(self, rooms: Iterable[RoomInfo] = ()) -> None:
        self._by_id: dict[int, RoomInfo] = {}
        self._by_address: dict[str, RoomInfo] = {}
        self._by_name: dict[str, RoomInfo] = {}
        for room in rooms:
            self.add(room)

    def add(self, room: RoomInfo) -> None:
        self._by_id[room.system_id] = room
        if room.address:
            self._by_address[address_key(room.address)] = room
        self._by_name[room.name.strip().lower()] = room

    def room_by_id(self, system_id: int) -> RoomInfo | None:
        return self._by_id.get(system_id)

    def room_by_address(self, address: str) -> RoomInfo | None:
        return self._by_address.get(address_key(address))

    def room_by_name(self, name: str) -> RoomInfo | None:
        return self._by_name.get(name.strip().lower())
