"""Meetings follow what happened to their booking in TMS afterwards.

A booked meeting says ACCEPTED for its rooms. When the conference is later cancelled in TMS,
or a room is taken out of it (in TMS, or through a room calendar), the mirror learns it from the
syncer (or the room calendar's write); :func:`reconcile_meetings` then writes the change into
the meeting: the rooms TMS no longer holds become DECLINED (SCHEDULE-STATUS 1.2) with a reason
(saving the meeting again books them again), and each such room's REPLY goes to the
organizer's inbox. When TMS changed the booking's time, recurrence or title (in TMS or through
a room calendar), the meeting takes TMS's version
(:mod:`tmscal.bridge.scheduling.followed_event`) and each room still holding it sends a REPLY
with the new time to the inbox. The rewrite bumps the calendar's sync token, so clients fetch
it; it only happens while the meeting is unchanged since it was read (a concurrent PUT wins).
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
from tmscal.mirror.store import StoredObject, room_calendar_id

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
    calendar_id = meetings.calendar_id(user)
    drifted = meetings.calendars.drifted_objects(calendar_id)
    if not drifted:
        return 0
    store = meetings.calendars.store
    rooms = meetings.rooms()
    rewritten = 0
    for meeting, _holds, now_held in drifted:
        held = set(now_held or ())
        before = written_answer(meeting.ical, rooms)
        decisions = dict(before)
        lost = [d for d in decisions.values() if d.accepted and d.system_id not in held]
        for decision in lost:
            reason = CANCELLED if now_held is None else REMOVED.format(name=decision.name)
            decisions[decision.system_id] = answer.withdrawn(decision.system_id,
                                                             decision.name, reason)
        tms = _tms_version(store, meeting.uid, held)
        text = meeting.ical
        moved = tms is not None and _differs(meetings, meeting, tms, rooms)
        if moved:
            text = followed_event.carry(text, tms.ical, meetings.shows_titles)
        if lost or moved:
            ref = store.find_by_uid(meeting.uid)
            text = write_answer(text, rooms, decisions,
                                mirrored_dial_in(store, ref) if ref is not None else None)
        time_range = (int(tms.start_utc.timestamp()), int(tms.end_utc.timestamp())) \
            if moved else None
        # also when nothing changed for the meeting: remember what TMS holds now
        if not meetings.calendars.replace_if_unchanged(calendar_id, meeting.href, meeting.etag,
                                                       text, held, time_range):
            continue
        if lost or moved:
            rewritten += 1
            announce_answers(meetings.inbox, user, text, rooms, before, decisions)
        if moved:
            announce_change(meetings.inbox, user, text, rooms, decisions)
    return rewritten


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
