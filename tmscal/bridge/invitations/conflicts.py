"""Which occurrence of a recurring meeting a busy room blocks, told from the mirror.

TMS refuses a whole series when one occurrence double-books a room, and names the time of the
series (or nothing useful). The mirror's occurrence index answers which occurrence collides and
with what, without a TMS call.
"""

from __future__ import annotations

from tmscal.bridge.conflict_text import busy_with
from tmscal.ical.rooms import RoomDirectory
from tmscal.ical.series import conference_zone, lay_out
from tmscal.mirror.store import MirrorStore
from tmscal.bridge.reason_time import local_span


def blocked_occurrence(store: MirrorStore, parsed, rooms: RoomDirectory, system_id: int,
                       room_name: str, default_zone: str) -> str:
    """``Room X is already booked on the occurrence of … by 'Title' (…)``, or '' when the
    mirror knows no booking colliding with an occurrence of ``parsed``."""
    conference = parsed.conference
    layout = lay_out(conference, conference_zone(conference, rooms, default_zone))
    room = rooms.room_by_id(system_id)
    zone = room.zone if room is not None and room.zone else default_zone
    for start, end in layout.occurrences:
        detail = busy_with(store, rooms, system_id, start, end, uid=parsed.uid,
                           default_zone=default_zone)
        if detail:
            return (f"Room {room_name} is already booked on the occurrence of "
                    f"{local_span(start, end, zone)}{detail}.")
    return ""
