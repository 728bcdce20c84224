"""Participants ↔ ATTENDEE, owner ↔ ORGANIZER.

TMS systems become ``CUTYPE=ROOM`` attendees addressed by the room's calendar address (or
``urn:x-tms:system:<SystemId>``); dial-out participants get a dialable URI (``sip:``, ``h323:``,
``tel:``); dial-in participants, which have only a display name, ``urn:x-tms:dial-in:<id>``.
``X-TMS-CALL-TYPE``/``X-TMS-PARTICIPANT-ID`` parameters keep what a URI cannot say.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from icalendar import vCalAddress

from tmscal.model import Conference, Participant, ParticipantCallType

from .rooms import RoomDirectory, RoomInfo

SYSTEM_URN = "urn:x-tms:system:"
DIAL_IN_URN = "urn:x-tms:dial-in:"
USER_URN = "urn:x-tms:user:"
_SCHEME_CALL_TYPES = {
    "sip": ParticipantCallType.SIP_OUT,
    "h323": ParticipantCallType.IP_VIDEO_OUT,
    "tel": ParticipantCallType.TELEPHONE_OUT,
}
_SIP_TYPES = (ParticipantCallType.SIP_OUT, ParticipantCallType.SIP_TEL_OUT)
_TEL_TYPES = (ParticipantCallType.ISDN_VIDEO_OUT, ParticipantCallType.TELEPHONE_OUT,
              ParticipantCallType.G3_OUT)


def dial_uri(call_type: ParticipantCallType, number: str) -> str:
    """A URI for dialling ``number`` with ``call_type`` (spaces kept, percent-encoded)."""
    number = number.strip()
    lowered = number.lower()
    for scheme in ("sip:", "sips:", "h323:", "tel:"):
        if lowered.startswith(scheme):
            return quote(number, safe=":@+;=.-_()/~*!,&$?#[]'")
    if call_type in _SIP_TYPES:
        scheme = "sip:"
    elif call_type in _TEL_TYPES:
        scheme = "tel:"
    else:
        scheme = "h323:"
    return scheme + quote(number, safe="@+;=.-_()/~*!,&$'")


def attendee(participant: Participant, rooms: RoomDirectory, *, with_details: bool
             ) -> vCalAddress | None:
    """The ATTENDEE for ``participant``; without details only rooms appear (None otherwise)."""
    call_type = participant.call_type
    if call_type.is_system:
        room = rooms.room_by_id(participant.participant_id)
        value = vCalAddress(room.address if room and room.address
                            else f"{SYSTEM_URN}{participant.participant_id}")
        name = (room.name if room else participant.name_or_number
                or f"System {participant.participant_id}")
        value.params["CUTYPE"] = "ROOM"
        value.params["ROLE"] = "REQ-PARTICIPANT"
        value.params["PARTSTAT"] = "ACCEPTED"
        value.params["CN"] = name
        if with_details:
            value.params["X-TMS-CALL-TYPE"] = call_type.value
            value.params["X-TMS-PARTICIPANT-ID"] = str(participant.participant_id)
        return value
    if not with_details:
        return None
    if call_type.is_dial_out and participant.name_or_number:
        value = vCalAddress(dial_uri(call_type, participant.name_or_number))
    elif participant.email_address:
        value = vCalAddress(f"mailto:{participant.email_address}")
    else:
        value = vCalAddress(f"{DIAL_IN_URN}{participant.participant_id}")
    value.params["CUTYPE"] = "UNKNOWN"
    value.params["ROLE"] = "REQ-PARTICIPANT"
    value.params["PARTSTAT"] = "ACCEPTED"
    if participant.name_or_number:
        value.params["CN"] = participant.name_or_number
    if participant.email_address:
        value.params["EMAIL"] = participant.email_address
    value.params["X-TMS-CALL-TYPE"] = call_type.value
    value.params["X-TMS-PARTICIPANT-ID"] = str(participant.participant_id)
    return value


def owner_name(conference: Conference) -> str:
    """The owner's display name: first and last name, else the user name."""
    name = f"{conference.owner_first_name} {conference.owner_last_name}".strip()
    return name or conference.owner_user_name


def organizer(conference: Conference, *, with_address: bool) -> vCalAddress | None:
    """The ORGANIZER (owner); the e-mail address only ``with_address``; None without owner."""
    name = owner_name(conference)
    if not name and not conference.owner_email_address and not conference.owner_id:
        return None
    if with_address and conference.owner_email_address:
        value = vCalAddress(f"mailto:{conference.owner_email_address}")
    else:
        value = vCalAddress(f"{USER_URN}{conference.owner_id if with_address else 'owner'}")
    if name:
        value.params["CN"] = name
    return value


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass
class AttendeeReading:
    """What one ATTENDEE means for TMS: a room, another participant, or nothing (a person)."""

    room: RoomInfo | None = None
    participant: Participant | None = None


def _int(text: object) -> int:
    try:
        return int(str(text))
    except ValueError:
        return 0


def read_attendee(address: str, params: dict, rooms: RoomDirectory) -> AttendeeReading:
    """Interpret one ATTENDEE (its value and parameters)."""
    address = str(address).strip()
    lowered = address.lower()
    name = str(params.get("CN", "")).strip()
    email = str(params.get("EMAIL", "")).strip()
    call_type = None
    if "X-TMS-CALL-TYPE" in params:
        try:
            call_type = ParticipantCallType(str(params["X-TMS-CALL-TYPE"]))
        except ValueError:
            call_type = None
    participant_id = _int(params.get("X-TMS-PARTICIPANT-ID", 0))
    if lowered.startswith(SYSTEM_URN):
        room = rooms.room_by_id(_int(address[len(SYSTEM_URN):]))
        return AttendeeReading(room=room)
    room = rooms.room_by_address(address) if address else None
    if room is None and (str(params.get("CUTYPE", "")).upper() == "ROOM" or call_type is None):
        room = rooms.room_by_name(name) if name else None
    if room is not None or (call_type is not None and call_type.is_system):
        if room is None and participant_id:
            room = rooms.room_by_id(participant_id)
        return AttendeeReading(room=room)
    if call_type is not None and call_type.is_dial_in:
        return AttendeeReading(participant=Participant(
            call_type=call_type, participant_id=participant_id, name_or_number=name,
            email_address=email or (address[7:] if lowered.startswith("mailto:") else "")))
    scheme = lowered.split(":", 1)[0]
    if scheme in _SCHEME_CALL_TYPES and ":" in address:
        number = unquote(address.split(":", 1)[1])
        if call_type is None or not call_type.is_dial_out:
            call_type = _SCHEME_CALL_TYPES[scheme]
        return AttendeeReading(participant=Participant(
            call_type=call_type, participant_id=participant_id, name_or_number=number,
            email_address=email))
    return AttendeeReading()


def read_organizer(address: str, params: dict, conference: Conference) -> None:
    """Copy the ORGANIZER's name and e-mail into the conference's owner fields."""
    address = str(address).strip()
    if address.lower().startswith("mailto:"):
        conference.owner_email_address = address[7:]
    name = str(params.get("CN", "")).strip()
    if name:
        first, _, last = name.partition(" ")
        conference.owner_first_name, conference.owner_last_name = first, last
