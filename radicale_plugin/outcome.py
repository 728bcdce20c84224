"""What the plugin tells the WSGI layer about the request it is serving.

Radicale answers storage exceptions with fixed statuses and bodies, and always sends the
uploaded item's ETag. The plugin records here, per request thread, the typed refusal it raised
and whether the stored object differs from what the client sent; :mod:`tmscal.web` reads it
after Radicale answered and rewrites the response. Without that layer (stock ``radicale``) the
notes are simply never read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from tmscal.bridge.refusals import BridgeError

if TYPE_CHECKING:
    from radicale_plugin.mirrored import MirroredCalendar


@dataclass
class RequestOutcome:
    """Notes about one request. ``refusal`` is the error behind a failed write;
    ``stored_differs`` means the client must refetch (no ETag on the PUT answer);
    ``read_only_room`` names a room the user may see but not change; ``method`` is the
    request's HTTP method. ``calendar`` is the calendar collection the request addressed
    (itself, not one of its items) once the storage found it; ``body`` gives the pieces of a
    large answer the web layer streams in place of the empty text Radicale was given (a
    whole-calendar GET; see :func:`defers_body`); ``store_loss`` is the store's
    :class:`~tmscal.mirror.objects.MirrorUnavailable` the request ran into (recorded by the web
    layer's log filter, answered 503)."""

    method: str = ""
    refusal: BridgeError | None = None
    stored_differs: bool = False
    read_only_room: str = ""
    notes: dict[str, str] = field(default_factory=dict)
    calendar: "MirroredCalendar | None" = None
    body: Callable[[], Iterator[str]] | None = None
    store_loss: ConnectionError | None = None


_local = threading.local()


def begin(method: str = "") -> RequestOutcome:
    """Start a fresh outcome for the ``method`` request running on this thread; return it."""
    outcome = RequestOutcome(method=method)
    _local.outcome = outcome
    return outcome


def current() -> RequestOutcome:
    """The outcome of this thread's request (a throw-away one outside :func:`begin`)."""
    outcome = getattr(_local, "outcome", None)
    if outcome is None:
        outcome = begin()
    return outcome


def active() -> RequestOutcome | None:
    """The outcome of the request this thread serves, or None outside :func:`begin`."""
    return getattr(_local, "outcome", None)


def defers_body() -> bool:
    """Whether this request's collection text is to be handed to the web layer as
    :attr:`RequestOutcome.body` rather than returned whole: only a GET or HEAD served behind
    :mod:`tmscal.web` (stock Radicale, and other methods asking for the text, get it whole)."""
    notes = active()
    return notes is not None and notes.method in ("GET", "HEAD")


def refuse(error: BridgeError) -> NoReturn:
    """Record ``error`` as this request's refusal (for the web layer) and raise it (for
    Radicale)."""
    current().refusal = error
    raise error


def end() -> None:
    """Forget this thread's outcome."""
    _local.outcome = None
