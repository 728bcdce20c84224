"""RFC 6638 organizer rules for the room ATTENDEEs of a meeting in its organizer's calendar.

The server schedules an ATTENDEE whose SCHEDULE-AGENT is absent or SERVER (§7.1); with CLIENT
or NONE the room is left alone: no TMS call, and its parameters (SCHEDULE-STATUS too) stay as
the client wrote them (§7.3). Every change of a scheduled room's answer (PARTSTAT) reaches the
organizer's inbox as the room's REPLY (:func:`announce_answers`); NEEDS-ACTION is no answer.
A change TMS made to the booking's time, recurrence or title reaches it as a REPLY of each room
still holding it, with the meeting's new time and a COMMENT (:func:`announce_change`): a REQUEST
is what an organizer sends, never receives, and Thunderbird files any inbox item other than a
REPLY as the event itself (its next edit of the meeting would then go to the inbox).
"""

from __future__ import annotations

from collections.abc import Mapping

from icalendar import Calendar

from tmscal.bridge.invitations.decisions import NEEDS_ACTION, RoomDecision
from tmscal.bridge.scheduling.inbox import Inbox
from tmscal.ical import itip
from tmscal.ical.participants import read_attendee
from tmscal.ical.rooms import RoomDirectory

_SERVER = "SERVER"


def server_schedules(params: Mapping) -> bool:
    """Whether the server schedules the ATTENDEE with ``params`` (SCHEDULE-AGENT)."""
    return str(params.get("SCHEDULE-AGENT", _SERVER)).upper() == _SERVER


def scheduled_rooms(text: str, rooms: RoomDirectory) -> dict[int, str]:
    """``{SystemId: ATTENDEE address}`` of the rooms the server schedules in the master
    VEVENT of ``text`` (first mention)."""
    found: dict[int, str] = {}
    for event in Calendar.from_ical(text).walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        values = event.get("ATTENDEE", [])
        for value in values if isinstance(values, list) else [values]:
            if not server_schedules(value.params):
                continue
            room = read_attendee(str(value), dict(value.params), rooms).room
            if room is not None:
                found.setdefault(room.system_id, str(value))
    return found


def announce_answers(inbox: Inbox, user: str, meeting_text: str, rooms: RoomDirectory,
                     before: Mapping[int, RoomDecision],
                     after: Mapping[int, RoomDecision]) -> int:
    """Deliver to ``user``'s inbox a REPLY of every room whose answer in ``after`` (the
    meeting ``meeting_text`` as now stored) differs from ``before``; the number delivered."""
    addresses = scheduled_rooms(meeting_text, rooms)
    delivered = 0
    for system_id, decision in after.items():
        previous = before.get(system_id)
        if decision.partstat == NEEDS_ACTION or system_id not in addresses or (
                previous is not None and previous.partstat == decision.partstat):
            continue
        inbox.deliver(user, itip.reply(meeting_text, addresses[system_id], decision.partstat,
                                       decision.request_status,
                                       "" if decision.accepted else decision.reason))
        delivered += 1
    return delivered


#: the COMMENT of a room's REPLY when TMS changed the booking
CHANGED_IN_TMS = ("The booking was changed in TMS (time, recurrence or title); the meeting "
                  "now shows TMS's version.")


def announce_change(inbox: Inbox, user: str, meeting_text: str, rooms: RoomDirectory,
                    decisions: Mapping[int, RoomDecision]) -> int:
    """Deliver to ``user``'s inbox a REPLY of every room that still accepts the meeting
    ``meeting_text`` (as TMS changed it); the number delivered."""
    addresses = scheduled_rooms(meeting_text, rooms)
    delivered = 0
    for system_id, decision in decisions.items():
        if decision.accepted and system_id in addresses:
            inbox.deliver(user, itip.reply(meeting_text, addresses[system_id], decision.partstat,
                                           decision.request_status, CHANGED_IN_TMS))
            delivered += 1
    return delivered
