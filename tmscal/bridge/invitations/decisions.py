"""TMS's answer for one invited room, as the meeting's ATTENDEE will say it.

PARTSTAT is ACCEPTED when the room is in the saved conference, DECLINED when TMS (or the
bridge's rights) refused it, NEEDS-ACTION when the answer is still open (TMS did not answer, or
the booking changed in TMS meanwhile). SCHEDULE-STATUS carries an RFC 5546 status code:

====  ===========================================================
2.0   booked
5.1   (DECLINED) the booking or the room was removed in TMS afterwards; saving books again
3.1   the time or recurrence cannot be stored in TMS (or past / outside the booking window)
3.8   no right to book the room
4.0   the room is busy then
5.1   TMS did not answer, or the booking changed meanwhile: try again
5.3   no licence ("Allow Remote Bookings") for the room
====  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from tmscal.bridge import refusals as refusal

ACCEPTED = "ACCEPTED"
DECLINED = "DECLINED"
NEEDS_ACTION = "NEEDS-ACTION"

_STATUS: list[tuple[type, str, str]] = [
    (refusal.BookingConflict, "4.0", DECLINED),
    (refusal.LicenceDenied, "5.3", DECLINED),
    (refusal.NotAllowed, "3.8", DECLINED),
    (refusal.InvalidCalendar, "3.1", DECLINED),
    (refusal.OutsideWindow, "3.1", DECLINED),
    (refusal.PreconditionFailed, "5.1", NEEDS_ACTION),
    (refusal.TmsDown, "5.1", NEEDS_ACTION),
]


@dataclass(frozen=True)
class RoomDecision:
    """The answer for room ``system_id`` (``name`` is the TMS system name)."""

    system_id: int
    name: str
    partstat: str
    schedule_status: str
    reason: str = ""

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
    return RoomDecision(system_id, name, ACCEPTED, "2.0")


def withdrawn(system_id: int, name: str, reason: str) -> RoomDecision:
    """A room TMS no longer holds for the meeting (changed or cancelled in TMS afterwards)."""
    return RoomDecision(system_id, name, DECLINED, "5.1", reason)


def refused(system_id: int, name: str, error: BaseException) -> RoomDecision:
    """The decision for a room that ``error`` (a bridge refusal or TmsDown) kept out."""
    reason = getattr(error, "reason", "") or str(error)
    for kind, status, partstat in _STATUS:
        if isinstance(error, kind):
            return RoomDecision(system_id, name, partstat, status, reason)
    return RoomDecision(system_id, name, DECLINED, "3.1", reason)


def is_per_room(error: BaseException) -> bool:
    """Whether ``error`` may concern only some of the rooms (then each room is tried alone)."""
    return isinstance(error, (refusal.BookingConflict, refusal.LicenceDenied,
                              refusal.NotAllowed))
