"""Meetings follow what happened to their booking in TMS afterwards.

A booked meeting says ACCEPTED for its rooms. When the conference is later cancelled in TMS,
or a room is taken out of it (in TMS, or through a room calendar), the mirror learns it from the
syncer; :func:`reconcile_meetings` then writes the change into the meeting: the rooms TMS no
longer holds become DECLINED with SCHEDULE-STATUS 5.1 and a reason (saving the meeting again
books them again). The rewrite bumps the calendar's sync token, so clients fetch it; it only
happens while the meeting is unchanged since it was read (a concurrent PUT wins).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from tmscal.bridge.invitations import decisions as answer
from tmscal.bridge.invitations.dial_in_text import mirrored_dial_in
from tmscal.bridge.invitations.writeback import write_answer, written_answer

if TYPE_CHECKING:
    from tmscal.bridge.invitations.meetings import MeetingCalendars

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
    """Write into ``user``'s booked meetings the rooms TMS no longer holds; the number of
    meetings rewritten. One indexed query when nothing changed in TMS."""
    calendar_id = meetings.calendar_id(user)
    drifted = meetings.calendars.drifted_objects(calendar_id)
    if not drifted:
        return 0
    store = meetings.calendars.store
    rooms = meetings.rooms()
    rewritten = 0
    for meeting, _holds, now_held in drifted:
        held = set(now_held or ())
        decisions = written_answer(meeting.ical, rooms)
        lost = [d for d in decisions.values() if d.accepted and d.system_id not in held]
        for decision in lost:
            reason = CANCELLED if now_held is None else REMOVED.format(name=decision.name)
            decisions[decision.system_id] = answer.withdrawn(decision.system_id,
                                                             decision.name, reason)
        text = meeting.ical
        if lost:
            ref = store.find_by_uid(meeting.uid)
            text = write_answer(meeting.ical, rooms, decisions,
                                mirrored_dial_in(store, ref) if ref is not None else None)
        # also when nothing was lost (TMS added a room): remember what TMS holds now
        if meetings.calendars.replace_if_unchanged(calendar_id, meeting.href, meeting.etag,
                                                   text, held) and lost:
            rewritten += 1
    return rewritten
