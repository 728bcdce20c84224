"""How a refusal names the booking a room is busy with: its title and the occurrence that
collides, in the room's zone, from the mirror's data (title and occurrence index; no text is
read).

Both write paths use it: :class:`tmscal.bridge.booking.RoomBooking` for a double booking in a room
calendar and :mod:`tmscal.bridge.invitations.conflicts` for the blocked occurrence of a meeting.
"""

from __future__ import annotations

from datetime import datetime

from tmscal.ical.rooms import RoomDirectory
from tmscal.mirror.store import MirrorStore, room_calendar_id
from tmscal.bridge.reason_time import local_span


def busy_with(store: MirrorStore, rooms: RoomDirectory, system_id: int, start: datetime,
              end: datetime, *, uid: str, default_zone: str) -> str:
    """``" by 'Weekly sync' (Mon 07 Dec 09:00–10:00 Europe/Oslo (UTC+01:00))"`` for the first
    booking of room ``system_id`` other than ``uid`` that overlaps ``[start, end)``, naming
    the occurrence that collides in the room's zone; '' when the mirror knows none."""
    busy = store.occurrences_in_range(room_calendar_id(system_id), start, end)
    for other in sorted(busy, key=lambda o: (o.href, o.start_utc)):
        if other.uid == uid:
            continue
        room = rooms.room_by_id(system_id)
        zone = room.zone if room is not None and room.zone else default_zone
        by = f" by '{other.title}'" if other.title else ""
        return f"{by} ({local_span(other.start_utc, other.end_utc, zone)})"
    return ""
