"""From TMS to mirror rows: rooms from systems, :class:`ConferenceRecord` from a conference.

The rendering itself belongs to :mod:`tmscal.ical`; this module only feeds it the mirror's rooms
and packs its answer together with the TMS identity (series id, occurrence ids, version) the
store keeps for the sync and write paths.
"""

from __future__ import annotations

from collections.abc import Iterable

from tmscal.mirror.store import ConferenceRecord, MirrorStore, Room
from tmscal.model import Conference, System


def room_from_system(system: System) -> Room:
    """The mirror's view of a TMS system. The address is the SIP URI (as ``mailto:``) if any."""
    address = system.sip_uri or ""
    if address and ":" not in address:
        address = f"mailto:{address}"
    return Room(system_id=system.system_id, name=system.name or f"System {system.system_id}",
                zone=system.time_zone or "", site=system.site or system.location or "",
                description=system.description or "", address=address)


def iana_zone(zone: str, default: str = "UTC") -> str:
    """An IANA zone for a TMS zone name (Windows ids are translated; unknown → ``default``)."""
    from tmscal.ical.zones import iana_for_windows, is_known_zone

    if not zone:
        return default
    if is_known_zone(zone):
        return zone
    return iana_for_windows(zone) or default


class MirrorRoomDirectory:
    """A ``tmscal.ical.RoomDirectory`` over the mirror's rooms (snapshot taken at creation)."""

    def __init__(self, rooms: Iterable[Room], default_zone: str = "UTC") -> None:
        from tmscal.ical.rooms import RoomInfo, RoomTable

        self._table = RoomTable(
            RoomInfo(system_id=room.system_id, name=room.name,
                     zone=iana_zone(room.zone, default_zone), address=room.address)
            for room in rooms)

    @classmethod
    def of_store(cls, store: MirrorStore, default_zone: str = "UTC") -> "MirrorRoomDirectory":
        return cls(store.list_rooms(), default_zone)

    def room_by_id(self, system_id: int):
        return self._table.room_by_id(system_id)

    def room_by_address(self, address: str):
        return self._table.room_by_address(address)

    def room_by_name(self, name: str):
        return self._table.room_by_name(name)


def record_for(conference: Conference, rooms: MirrorRoomDirectory, *,
               default_zone: str = "UTC", privacy: str = "full",
               conference_ids: Iterable[int] = ()) -> ConferenceRecord | None:
    """The record of a series or single conference as TMS returned it in full, or None when
    the converter has nothing to show (deleted, or no participating room)."""
    from tmscal.ical import render_conference

    rendered = render_conference(conference, rooms, default_zone=default_zone, privacy=privacy)
    if rendered is None:
        return None
    occurrences = list(rendered.occurrences) or [(rendered.start_utc, rendered.end_utc)]
    ids = {conference.conference_id, *conference_ids}
    if conference.recurrence is not None:
        for exception in conference.recurrence.exceptions:
            if exception.modified is not None and exception.modified.conference_id > 0:
                ids.add(exception.modified.conference_id)
    room_ids = [system_id for system_id in dict.fromkeys(conference.system_ids)
                if rooms.room_by_id(system_id) is not None]
    _check_storable(conference.conference_id, conference.version, *ids)
    return ConferenceRecord(
        uid=rendered.uid, ical=rendered.ical, start_utc=rendered.start_utc,
        end_utc=rendered.end_utc, occurrences=occurrences, room_ids=room_ids,
        series_id=conference.conference_id, conference_ids=sorted(i for i in ids if i > 0),
        version=conference.version, external_source_id=conference.external_source_id,
        external_primary_key=conference.external_primary_key,
        title=rendered.title, shape=rendered.shape)


def listed_record_for(occurrences: list[Conference], room_ids: Iterable[int],
                      rooms: MirrorRoomDirectory, *, default_zone: str = "UTC",
                      privacy: str = "full") -> ConferenceRecord | None:
    """The preliminary record of one booking as a list answer showed it: its listed
    occurrences in the rooms it was listed for (see ``tmscal.ical.render.render_listed``);
    None when it shows in no known room or nothing is live."""
    from tmscal.ical.render import render_listed

    room_ids = sorted(r for r in set(room_ids) if rooms.room_by_id(r) is not None)
    if not room_ids:
        return None
    rendered = render_listed(occurrences, room_ids, rooms, default_zone=default_zone,
                             privacy=privacy)
    if rendered is None:
        return None
    ids = sorted({o.conference_id for o in occurrences if o.conference_id > 0})
    first = min(occurrences, key=lambda o: (o.start_utc, o.conference_id))
    version = max(o.version for o in occurrences)
    _check_storable(version, *ids)
    return ConferenceRecord(
        uid=rendered.uid, ical=rendered.ical, start_utc=rendered.start_utc,
        end_utc=rendered.end_utc, occurrences=rendered.occurrences, room_ids=room_ids,
        series_id=ids[0] if ids else first.conference_id, conference_ids=ids, version=version,
        external_source_id=first.external_source_id,
        external_primary_key=first.external_primary_key, title=rendered.title,
        preliminary=True)



#: The mirror keeps TMS's ids and versions as 64-bit integers (TMS's own are 32-bit).
_INT64 = range(-2**63, 2**63)


class UnstorableConference(ValueError):
    """TMS sent a conference the mirror cannot hold (an id or version out of range)."""


def storable(number: int) -> bool:
    """Whether the mirror can hold ``number`` as an id or version."""
    return number in _INT64


def _check_storable(*numbers: int) -> None:
    for number in numbers:
        if not storable(number):
            raise UnstorableConference(f"TMS sent an id or version out of range: {number}")
