"""How a refusal names the booking a room is busy with: its title and the occurrence that
collides, in the room's zone, read from the mirror's text as data (the title unescaped by
:mod:`tmscal.ical.content_lines`, not by the icalendar version installed).

Both write paths use it: :class:`tmscal.bridge.booking.RoomBooking` for a double booking in a room
calendar and :mod:`tmscal.bridge.invitations.conflicts` for the blocked occurrence of a meeting.
"""

from __future__ import annotations

from datetime import datetime

from tmscal.ical.calendar_text import master_text
from tmscal.ical.rooms import RoomDirectory
from tmscal.ical.series import conference_zone, lay_out
from tmscal.mirror.store import MirrorStore, StoredObject, room_calendar_id
from tmscal.bridge.reason_time import local_span


def busy_with(store: MirrorStore, rooms: RoomDirectory, system_id: int, start: datetime,
              end: datetime, *, uid: str, default_zone: str) -> str:
    """``" by 'Weekly sync' (Mon 07 Dec 09:00–10:00 Europe/Oslo (UTC+01:00))"`` for the first
    booking of room ``system_id`` other than ``uid`` that overlaps ``[start, end)``, naming
    the occurrence that collides in the room's zone; '' when the mirror knows none."""
    for other in store.objects_in_range(room_calendar_id(system_id), start, end):
        if other.uid == uid:
            continue
        title, (first, last) = _occurrence(other, start, end, rooms, default_zone)
        room = rooms.room_by_id(system_id)
        zone = room.zone if room is not None and room.zone else default_zone
        by = f" by '{title}'" if title else ""
        return f"{by} ({local_span(first, last, zone)})"
    return ""


def _occurrence(other: StoredObject, start: datetime, end: datetime, rooms: RoomDirectory,
                default_zone: str) -> tuple[str, tuple[datetime, datetime]]:
    """The title of ``other`` and its occurrence overlapping ``[start, end)`` (its whole span
    when its text cannot be read)."""
    from tmscal import ical

    try:
        conference = ical.parse_event(other.ical, rooms, default_zone=default_zone).conference
        layout = lay_out(conference, conference_zone(conference, rooms, default_zone))
    except ical.IcalError:
        return "", (other.start_utc, other.end_utc)
    overlapping = next(((s, e) for s, e in layout.occurrences if s < end and e > start),
                       (other.start_utc, other.end_utc))
    return master_text(other.ical, "SUMMARY"), overlapping
