"""What the syncer could not read: one bad record never stops the sync.

A conference TMS cannot send (its answer is a fault, e.g. a title with a control character) or
the bridge cannot render or store is set aside as an :class:`Unreadable` entry; so is a room and
day whose bookings TMS cannot list. The rest keeps syncing, the transaction cursor moves on,
``/health`` lists the entries, and the syncer retries them (see ``[mirror] unreadable_retry``)
until they read, vanish from TMS, or are replaced by a full import. The mirror keeps the last
good version of a set-aside conference.

Errors that mean TMS itself is unreachable (:data:`OUTAGE_ERRORS`) are never set aside: they fail
the round, which is retried with backoff.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from tmscal.model import ClientSessionError, DatabaseDown, TmsAuthenticationError, TmsUnavailable

#: TMS (or the way to it) is down: the whole round fails, nothing is set aside.
OUTAGE_ERRORS = (TmsUnavailable, TmsAuthenticationError, DatabaseDown, ClientSessionError,
                 OSError)


def is_outage(error: BaseException) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def reason_of(error: BaseException) -> str:
    """One line for logs and ``/health`` (without control characters)."""
    from tmscal.ical.content_lines import without_control_characters

    text = without_control_characters(f"{type(error).__name__}: {error}")
    return " ".join(text.split())[:300]


@dataclass(frozen=True)
class Unreadable:
    """A conference (``conference_id``) or a room's listing (``system_id`` from ``start`` to
    ``end``, ISO UTC) the syncer set aside, with the reason and when it was first seen."""

    reason: str
    since: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    conference_id: int | None = None
    system_id: int | None = None
    start: str | None = None
    end: str | None = None

    @property
    def key(self) -> str:
        if self.conference_id is not None:
            return f"conference {self.conference_id}"
        return f"room {self.system_id} listing {self.start}..{self.end}"

    def report(self) -> dict[str, object]:
        """JSON-ready, without empty fields."""
        return {name: value for name, value in asdict(self).items() if value is not None}


def dumps(entries: dict[str, Unreadable]) -> str:
    return json.dumps([entry.report() for entry in entries.values()], sort_keys=True)


def loads(text: str | None) -> dict[str, Unreadable]:
    entries = (Unreadable(**item) for item in json.loads(text or "[]"))
    return {entry.key: entry for entry in entries}


def merged(known: dict[str, Unreadable], failed: dict[str, Unreadable],
           cleared: set[str]) -> dict[str, Unreadable]:
    """``known`` without ``cleared``, plus ``failed`` (an entry known before keeps its
    ``since``, even when it was among ``cleared``)."""
    result = {key: entry for key, entry in known.items() if key not in cleared}
    for key, entry in failed.items():
        old = known.get(key)
        result[key] = entry if old is None else Unreadable(
            **{**asdict(entry), "since": old.since})
    return result
