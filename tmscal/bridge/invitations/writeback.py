"""TMS's answer written into a meeting of a personal calendar.

Every VEVENT of the object (series and overrides) gets, on each ATTENDEE that is an invited
room the server schedules (:func:`tmscal.bridge.scheduling.implicit.server_schedules`),
``PARTSTAT``, ``SCHEDULE-STATUS`` and, unless booked, ``X-TMSCAL-REASON`` (one readable
line). When TMS booked the meeting, LOCATION names the booked rooms and the dial-in address,
and DESCRIPTION ends with a block (after :data:`BLOCK_MARKER`) holding TMS's dial-in text and one
line per room. The block is replaced on every write and never sent to TMS as the user's message.
"""

from __future__ import annotations

from collections.abc import Mapping

from icalendar import Calendar, vCalAddress, vText

from tmscal.ical.dial_in import dial_in_alias
from tmscal.ical.participants import read_attendee
from tmscal.ical.rooms import RoomDirectory
from tmscal.bridge.invitations.decisions import RoomDecision
from tmscal.bridge.scheduling.implicit import server_schedules
from tmscal.model import Conference

BLOCK_MARKER = "-- Video meeting (TMS) --"
REASON_PARAM = "X-TMSCAL-REASON"


def user_text(description: str) -> str:
    """The user's own part of a DESCRIPTION (without the bridge's block)."""
    head, marker, _ = description.partition(BLOCK_MARKER)
    return head.rstrip() if marker else description


def _param_text(text: str) -> str:
    """A parameter value: one line, no double quotes."""
    return " ".join(text.replace('"', "'").split())


def write_answer(text: str, rooms: RoomDirectory, decisions: Mapping[int, RoomDecision],
                 conference: Conference | None) -> str:
    """``text`` (one VCALENDAR) with the decisions and TMS's details written in."""
    calendar = Calendar.from_ical(text)
    booked = [d for d in decisions.values() if d.accepted]
    info = conference.conference_info_text if conference is not None and booked else ""
    alias = dial_in_alias(info) if info else ""
    for event in calendar.walk("VEVENT"):
        _mark_attendees(event, rooms, decisions)
        _describe(event, decisions, info, conference)
        if booked:
            where = ", ".join(d.name for d in booked)
            event.pop("LOCATION", None)
            event.add("LOCATION", f"{where} · {alias}" if alias else where)
    return calendar.to_ical(sorted=False).decode("utf-8")


def _mark_attendees(event, rooms: RoomDirectory, decisions: Mapping[int, RoomDecision]) -> None:
    values = event.get("ATTENDEE", [])
    values = values if isinstance(values, list) else [values]
    if not values:
        return
    marked = []
    for value in values:
        reading = read_attendee(str(value), dict(value.params), rooms)
        decision = decisions.get(reading.room.system_id) \
            if reading.room and server_schedules(value.params) else None
        if decision is not None:
            value = _copy(value)
            value.params["CUTYPE"] = "ROOM"
            value.params.setdefault("CN", decision.name)
            value.params["PARTSTAT"] = decision.partstat
            value.params["SCHEDULE-STATUS"] = decision.schedule_status
            value.params.pop("RSVP", None)
            if decision.reason and not decision.accepted:
                value.params[REASON_PARAM] = _param_text(decision.reason)
            else:
                value.params.pop(REASON_PARAM, None)
        marked.append(value)
    event.pop("ATTENDEE")
    for value in marked:
        event.add("ATTENDEE", value, encode=0)


def _copy(value) -> vCalAddress:
    copied = vCalAddress(str(value))
    copied.params.update(dict(value.params))
    return copied


def _describe(event, decisions: Mapping[int, RoomDecision], info: str,
              conference: Conference | None) -> None:
    own = user_text(str(event.get("DESCRIPTION", "")))
    lines = [BLOCK_MARKER]
    if info:
        lines.append(info.strip())
        if conference is not None and conference.password and \
                conference.password not in info:
            lines.append(f"PIN: {conference.password}")
    lines += [decision.summary for decision in decisions.values()]
    block = "\n".join(lines)
    event.pop("DESCRIPTION", None)
    event.add("DESCRIPTION", vText(f"{own}\n\n{block}" if own else block))


def written_answer(text: str, rooms: RoomDirectory) -> dict[int, RoomDecision]:
    """The decisions a previous :func:`write_answer` left on the room ATTENDEEs of the master
    VEVENT of ``text`` (rooms without SCHEDULE-STATUS are left out)."""
    found: dict[int, RoomDecision] = {}
    for event in Calendar.from_ical(text).walk("VEVENT"):
        if "RECURRENCE-ID" in event:
            continue
        values = event.get("ATTENDEE", [])
        for value in values if isinstance(values, list) else [values]:
            room = read_attendee(str(value), dict(value.params), rooms).room
            status = value.params.get("SCHEDULE-STATUS")
            if room is None or not status or room.system_id in found or \
                    not server_schedules(value.params):
                continue
            found[room.system_id] = RoomDecision(
                room.system_id, room.name, str(value.params.get("PARTSTAT", "NEEDS-ACTION")),
                str(status), str(value.params.get(REASON_PARAM, "")))
    return found
