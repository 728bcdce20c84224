"""Free/busy of rooms (RFC 6638 §5), answered from the mirror's occurrence index.

:meth:`FreeBusyService.answer` takes a VFREEBUSY REQUEST a user sent to their outbox and gives
one :class:`FreeBusyAnswer` per attendee: for a room the user may see, ``2.0;Success`` and a
VFREEBUSY REPLY whose busy periods are the room's occurrences in the window (UTC, clipped to the
window, overlapping and touching ones merged); ``3.8;No authority`` for a room they may not
see; ``3.7;Invalid calendar user`` for every other address (the bridge schedules rooms only and
holds no free/busy of people). No TMS call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tmscal.bridge.scheduling.principals import PrincipalDirectory, Recipient
from tmscal.ical.freebusy import FreeBusyRequest, freebusy_reply
from tmscal.mirror.store import MirrorStore, UnknownCalendar, room_calendar_id

SUCCESS = "2.0;Success"
NO_AUTHORITY = "3.8;No authority"
INVALID_USER = "3.7;Invalid calendar user"
#: The longest window one request may ask about.
MAX_WINDOW = timedelta(days=366)


class RequestRefused(ValueError):
    """The request may not be answered (``status`` 403: not the user's own; 400: too wide)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class FreeBusyAnswer:
    """The answer about one attendee: ``request_status`` and, on success, the REPLY text."""

    recipient: str
    request_status: str
    calendar_data: str = ""


def merged_busy(spans: Iterable[tuple[datetime, datetime]], start: datetime,
                end: datetime) -> list[tuple[datetime, datetime]]:
    """``spans`` clipped to ``[start, end)``, sorted, overlapping and touching ones merged;
    empty ones dropped."""
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted((max(b, start), min(f, end)) for b, f in spans):
        if finish <= begin:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


class FreeBusyService:
    """Free/busy answers for one bridge runtime; ``clock`` gives the replies' DTSTAMP."""

    def __init__(self, store: MirrorStore, directory: PrincipalDirectory,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._store = store
        self._directory = directory
        self._clock = clock

    def busy(self, system_id: int, start: datetime, end: datetime
             ) -> list[tuple[datetime, datetime]]:
        """Room ``system_id``'s busy periods in ``[start, end)`` (see :func:`merged_busy`)."""
        try:
            found = self._store.occurrences_in_range(room_calendar_id(system_id), start, end)
        except UnknownCalendar:
            return []
        return merged_busy(((o.start_utc, o.end_utc) for o in found), start, end)

    def answer(self, user: str, request: FreeBusyRequest, *, originator: str = "",
               groups: Iterable[str] = ()) -> list[FreeBusyAnswer]:
        """One answer per attendee of ``request`` (in its order, duplicates once). Raises
        :class:`RequestRefused` when the ORGANIZER (or ``originator``, Thunderbird's header)
        is not one of ``user``'s addresses, or the window is wider than :data:`MAX_WINDOW`."""
        for who in filter(None, (request.organizer, originator)):
            if not self._directory.is_own_address(user, who):
                raise RequestRefused(403, f"{who} is not your calendar-user address; you may "
                                          "ask for free/busy only as yourself")
        if request.end - request.start > MAX_WINDOW:
            raise RequestRefused(400, f"free/busy windows are limited to {MAX_WINDOW.days} "
                                      "days; ask for a shorter one")
        stamp = self._clock().replace(microsecond=0)
        attendees = list({a.address: a for a in request.attendees}.values())  # once each
        found = self._directory.recipients(user, ((a.address, a.params) for a in attendees),
                                           groups)
        answers = []
        for attendee, (kind, principal) in zip(attendees, found):
            if kind is Recipient.ROOM and principal is not None:
                busy = self.busy(principal.room.system_id, request.start, request.end)
                answers.append(FreeBusyAnswer(attendee.address, SUCCESS, freebusy_reply(
                    request, attendee.address, busy, stamp)))
            else:
                answers.append(FreeBusyAnswer(attendee.address, NO_AUTHORITY if kind is
                                              Recipient.HIDDEN_ROOM else INVALID_USER))
        return answers
