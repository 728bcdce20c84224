"""Meetings follow what happened to their booking in TMS afterwards.

A booked meeting says ACCEPTED for its rooms. When the conference is later changed in TMS, or
through a room calendar, the mirror learns it (from the syncer, or from the room calendar's
write); :func:`reconcile_meetings` then writes the change into the meeting:

- a room TMS no longer holds (the booking cancelled, the room taken out) becomes DECLINED
  (SCHEDULE-STATUS 1.2) with a reason; saving the meeting again books it again;
- a room TMS added becomes an ACCEPTED room ATTENDEE (a room the meeting names as declined
  becomes ACCEPTED);
- a change of the booking's time, recurrence or title makes the meeting take TMS's version
  (:mod:`tmscal.bridge.scheduling.followed_event`).

Each change reaches the organizer's inbox as the rooms' REPLYs. The rewrite bumps the calendar's
sync token, so clients fetch it; it only happens while the meeting is unchanged since it was
read (a concurrent PUT wins).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from tmscal.bridge.invitations import decisions as answer
from tmscal.bridge.invitations.dial_in_text import mirrored_dial_in
from tmscal.bridge.invitations.writeback import write_answer, written_answer
from tmscal.bridge.scheduling import followed_event
from tmscal.bridge.scheduling.implicit import announce_answers, announce_change
from tmscal.mirror.store import Room, StoredObject, room_calendar_id

if TYPE_CHECKING:
    from tmscal.bridge.invitations.meetings import MeetingCalendars

log = logging.getLogger(__name__)

CANCELLED = "The booking was cancelled in TMS; save the meeting again to book the room again."
REMOVED = "Room {name} was taken out of the booking in TMS; save the meeting again to book it."


class MeetingReconciler:
    """Runs :func:`reconcile_meetings` for a user at most once per ``interval`` seconds."""

    def __init__(self, meetings: MeetingCalendars, interval: float) -> None:
        self._meetings = meetings
        self._interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def follow(self, user: str) -> int:
        """Reconcile ``user``'s meetings unless done recently; the number rewritten."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(user, -1e18) < self._interval:
                return 0
            self._last[user] = now
        return reconcile_meetings(self._meetings, user)


def reconcile_meetings(meetings: MeetingCalendars, user: str) -> int:
    """Write into ``user``'s booked meetings what TMS changed of their bookings; the number
    of meetings rewritten. One indexed query when nothing changed in TMS."""
    drifted = meetings.calendars.drifted_objects(meetings.calendar_id(user))
    if not drifted:
        return 0
    rooms = meetings.rooms()
    rewritten = 0
    for meeting, _holds, now_held in drifted:
        if _follow(meetings, user, meeting, now_held, rooms):
            rewritten += 1
    return rewritten


def _follow(meetings: MeetingCalendars, user: str, meeting: StoredObject,
            now_held: list[int] | None, rooms) -> bool:
    """Write into ``meeting`` what TMS holds now (``now_held``: the booking's rooms, None when
    it is gone); whether the meeting changed."""
    store = meetings.calendars.store
    held = set(now_held or ())
    before = written_answer(meeting.ical, rooms)
    decisions = dict(before)
    for decision in before.values():
        if decision.accepted and decision.system_id not in held:
            reason = CANCELLED if now_held is None else REMOVED.format(name=decision.name)
            decisions[decision.system_id] = answer.withdrawn(decision.system_id,
                                                             decision.name, reason)
        elif not decision.accepted and decision.system_id in held:  # TMS took it after all
            decisions[decision.system_id] = answer.accepted(decision.system_id, decision.name)
    text = meeting.ical
    added = _added_rooms(meetings, text, held, rooms)
    if added:
        text = followed_event.with_rooms(text, [(meetings.address_of(room), room.name)
                                                for room in added])
        decisions.update((room.system_id, answer.accepted(room.system_id, room.name))
                         for room in added)
    tms = _tms_version(store, meeting.uid, held)
    moved = tms is not None and _differs(meetings, meeting, tms, rooms)
    if moved:
        text = followed_event.carry(text, tms.ical, meetings.shows_titles)
    changed = moved or decisions != before
    if changed:
        ref = store.find_by_uid(meeting.uid)
        text = write_answer(text, rooms, decisions,
                            mirrored_dial_in(store, ref) if ref is not None else None)
    time_range = (int(tms.start_utc.timestamp()), int(tms.end_utc.timestamp())) \
        if moved else None
    # also when nothing changed for the meeting: remember what TMS holds now
    if not meetings.calendars.replace_if_unchanged(meetings.calendar_id(user), meeting.href,
                                                   meeting.etag, text, held, time_range):
        return False
    announce_answers(meetings.inbox, user, text, rooms, before, decisions)
    if moved:
        announce_change(meetings.inbox, user, text, rooms, decisions)
    return changed


def _added_rooms(meetings: MeetingCalendars, text: str, held: set[int], rooms) -> list[Room]:
    """The rooms of ``held`` that no ATTENDEE of the meeting ``text`` names (added in TMS)."""
    named = {reading.room.system_id for reading in _attendee_readings(text, rooms)
             if reading.room is not None}
    found = (meetings.calendars.store.get_room(system_id) for system_id in sorted(held - named))
    return [room for room in found if room is not None]


def _attendee_readings(text: str, rooms):
    from icalendar import Calendar

    from tmscal.ical.participants import read_attendee

    for event in Calendar.from_ical(text).walk("VEVENT"):
        values = event.get("ATTENDEE", [])
        for value in values if isinstance(values, list) else [values]:
            yield read_attendee(str(value), dict(value.params), rooms)


def _tms_version(store, uid: str, held: set[int]) -> StoredObject | None:
    """The room calendars' text of the booking ``uid`` (TMS's version), or None."""
    for system_id in sorted(held):
        found = store.object_for_uid(room_calendar_id(system_id), uid)
        if found is not None:
            return found
    return None


def _differs(meetings: MeetingCalendars, meeting: StoredObject, tms: StoredObject,
             rooms) -> bool:
    """Whether TMS's version has other occurrences or titles than the meeting."""
    from tmscal import ical
    from tmscal.ical.series import conference_zone

    default_zone = meetings.default_zone
    try:
        own = meetings.parse(meeting.ical, rooms).conference
        theirs = ical.parse_event(tms.ical, rooms, default_zone=default_zone,
                                  target_room=None).conference
    except ical.IcalError as error:  # a meeting TMS could store once: log, leave it
        log.warning("could not compare meeting %s with its booking: %s", meeting.uid, error)
        return False
    zone = conference_zone(theirs, rooms, default_zone)
    return followed_event.booking_shape(own, zone, meetings.shows_titles) != \
        followed_event.booking_shape(theirs, zone, meetings.shows_titles)
