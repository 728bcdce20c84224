"""TMS's answer for one invited room, as the meeting's ATTENDEE will say it.

TMS acts as the room's scheduling agent. PARTSTAT is the room's answer: ACCEPTED when the room
is in the saved conference, DECLINED when TMS (or the bridge's rights) refused it, NEEDS-ACTION
when the answer is still open (TMS did not answer, or the booking changed in TMS meanwhile).
SCHEDULE-STATUS is the delivery status of RFC 6638 §3.2.9 (did the request reach the room);
``request_status`` is the iTIP REQUEST-STATUS (RFC 5546 §3.6) of the room's REPLY, which also
says why a room declined:

======  ============  ===============  ================================================
SCHED.  PARTSTAT      REQUEST-STATUS   when
======  ============  ===============  ================================================
1.2     ACCEPTED      2.0              booked
1.2     DECLINED      4.0              the room is busy then
1.2     DECLINED      3.1              time or recurrence TMS cannot store (past, window)
1.2     DECLINED      2.0              cancelled, or the room taken out, in TMS afterwards
3.8     DECLINED      3.8              no right to book the room (not sent to TMS)
5.3     DECLINED      5.3              no licence ("Allow Remote Bookings") for the room
5.1     NEEDS-ACTION  5.1              TMS did not answer, or the booking changed meanwhile
======  ============  ===============  ================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tmscal.bridge import refusals as refusal

ACCEPTED = "ACCEPTED"
DECLINED = "DECLINED"
NEEDS_ACTION = "NEEDS-ACTION"

#: RFC 6638 SCHEDULE-STATUS: the request reached the room (TMS answered for it)
DELIVERED = "1.2"

#: iTIP REQUEST-STATUS values (RFC 5546 §3.6) of the rooms' REPLYs
SUCCESS = "2.0;Success"
_INVALID = "3.1;Invalid property value"
_NO_AUTHORITY = "3.8;No authority"
_BUSY = "4.0;Event conflict. Date-time is busy"
_UNAVAILABLE = "5.1;Service unavailable"
_NO_SCHEDULING = "5.3;No scheduling support for user"

_STATUS: list[tuple[type, str, str, str]] = [
    (refusal.BookingConflict, DELIVERED, DECLINED, _BUSY),
    (refusal.LicenceDenied, "5.3", DECLINED, _NO_SCHEDULING),
    (refusal.NotAllowed, "3.8", DECLINED, _NO_AUTHORITY),
    (refusal.InvalidCalendar, DELIVERED, DECLINED, _INVALID),
    (refusal.OutsideWindow, DELIVERED, DECLINED, _INVALID),
    (refusal.PreconditionFailed, "5.1", NEEDS_ACTION, _UNAVAILABLE),
    (refusal.TmsDown, "5.1", NEEDS_ACTION, _UNAVAILABLE),
]


@dataclass(frozen=True)
class RoomDecision:
    """The answer for room ``system_id`` (``name`` is the TMS system name)."""

    system_id: int
    name: str
    partstat: str
    schedule_status: str
    reason: str = ""
    #: the REPLY's REQUEST-STATUS (not written into the meeting, so not compared)
    request_status: str = field(default=SUCCESS, compare=False)

    @property
    def accepted(self) -> bool:
        return self.partstat == ACCEPTED

    @property
    def summary(self) -> str:
        """``Room A: booked`` / ``Room B: declined — <reason>`` for the meeting's text."""
        if self.accepted:
            return f"{self.name}: booked"
        word = "declined" if self.partstat == DECLINED else "not booked yet"
        return f"{self.name}: {word} — {self.reason}" if self.reason else f"{self.name}: {word}"


def accepted(system_id: int, name: str) -> RoomDecision:
    return RoomDecision(system_id, name, ACCEPTED, DELIVERED)


def withdrawn(system_id: int, name: str, reason: str) -> RoomDecision:
    """A room TMS no longer holds for the meeting (changed or cancelled in TMS afterwards)."""
    return RoomDecision(system_id, name, DECLINED, DELIVERED, reason)


def refused(system_id: int, name: str, error: BaseException) -> RoomDecision:
    """The decision for a room that ``error`` (a bridge refusal or TmsDown) kept out."""
    reason = getattr(error, "reason", "") or str(error)
    for kind, status, partstat, request_status in _STATUS:
        if isinstance(error, kind):
            return RoomDecision(system_id, name, partstat, status, reason, request_status)
    return RoomDecision(system_id, name, DECLINED, DELIVERED, reason, _INVALID)


def is_per_room(error: BaseException) -> bool:
    """Whether ``error`` may concern only some of the rooms (then each room is tried alone)."""
    return isinstance(error, (refusal.BookingConflict, refusal.LicenceDenied,
                              refusal.NotAllowed))
