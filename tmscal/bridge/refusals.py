"""Refusals of the bridge that a calendar user can act on.

Each error is one HTTP answer: ``status``, an optional CalDAV/WebDAV precondition element, extra
headers (``Retry-After``) and a one-line ``reason`` naming the room and the time. The booking
layer raises them; the WSGI layer (:mod:`tmscal.web`) turns them into responses. They subclass
``ValueError`` so that a stock Radicale, which only understands ``ValueError`` texts, still maps
them onto the nearest status it can produce (``[Errno 13]`` → 403, otherwise 400); ``TmsDown``
is deliberately not a ``ValueError`` so that stock Radicale answers 500 rather than blaming the
request.
"""

from __future__ import annotations

import errno


class BridgeRefusal(ValueError):
    """A write the bridge refused; ``reason`` is one line for the person who made it."""

    status: int = 400
    #: ``(namespace prefix, element)`` of an RFC 4791/4918 precondition,
    #: e.g. ``("C", "valid-calendar-data")``
    precondition: tuple[str, str] | None = None
    #: stock-Radicale errno to embed in the text (13 → 403), or None for a plain 400
    stock_errno: int | None = None

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        prefix = f"[Errno {self.stock_errno}] " if self.stock_errno else ""
        super().__init__(prefix + self.reason)

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers."""
        return {}


class BookingConflict(BridgeRefusal):
    """Double booking: the room (or another room of the booking) is busy then.

    403, not 409: Thunderbird and Apple Calendar read 409 as "changed on the server" and offer
    to resend, which gets the same answer again; DAVx5 drops a 409 silently. A 403 is shown
    as an error and the client keeps (or goes back to) what the server holds.
    """

    status = 403
    stock_errno = errno.EACCES


class LicenceDenied(BridgeRefusal):
    """TMS has no free "Allow Remote Bookings" licence for the room."""

    status = 403
    stock_errno = errno.EACCES


class NotAllowed(BridgeRefusal):
    """The user has no booking right on the room, or the room accepts no bookings."""

    status = 403
    stock_errno = errno.EACCES
    precondition = ("D", "need-privileges")


class InvalidCalendar(BridgeRefusal):
    """Malformed, oversized or unconvertible iCalendar, or a recurrence TMS cannot store.

    With ``precondition`` (an RFC 4791 element name such as ``valid-calendar-data``,
    ``valid-calendar-object-resource``, ``supported-calendar-component`` or
    ``max-resource-size``) the answer is 403 carrying that element; without, a plain 400.
    """

    status = 400

    def __init__(self, reason: str, precondition: str | None = None) -> None:
        if precondition:
            self.status = 403
            self.precondition = ("C", precondition)
            self.stock_errno = errno.EACCES
        super().__init__(reason)


class OutsideWindow(BridgeRefusal):
    """The booking is in the past or beyond TMS's booking window."""

    status = 403
    stock_errno = errno.EACCES


class PreconditionFailed(BridgeRefusal):
    """The client's copy is stale: TMS changed the booking since the client read it."""

    status = 412
    stock_errno = errno.EACCES


class RefusedOperation(BridgeRefusal):
    """An operation the bridge never performs (MKCALENDAR, PROPPATCH or DELETE of a room)."""

    status = 403
    stock_errno = errno.EACCES


class TmsDown(RuntimeError):
    """TMS did not answer; nothing was written. Answered with 503 and ``Retry-After``."""

    status = 503
    precondition: tuple[str, str] | None = None

    def __init__(self, reason: str, retry_after: int = 30) -> None:
        self.reason = " ".join(reason.split())
        self.retry_after = retry_after
        super().__init__(self.reason)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TmsNotReached(TmsDown):
    """The change never reached TMS (no connection, or TMS refused the login): nothing was
    changed, so there is nothing to find out (503, as for ``TmsDown``)."""


class OutcomeUnknown(TmsDown):
    """TMS did not answer a change and could not be asked what it did: the booking is marked
    pending and settled as soon as TMS answers (503, as for ``TmsDown``)."""


class DetailsPending(TmsDown):
    """The booking written is still being imported: the calendar shows what TMS's list told
    (a series as single dates), which cannot be written back before its details are in
    (503, as for ``TmsDown``)."""


class TmsAnswerInvalid(TmsDown):
    """TMS answered a write with something the bridge cannot read or store: 502, and the
    change is shown once the syncer reads it from TMS."""

    status = 502


#: Everything :mod:`tmscal.web` translates into a response.
BridgeError = BridgeRefusal | TmsDown
