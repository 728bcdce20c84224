"""What the mirror holds, by value: calendar ids, hrefs, ETags, the records read and written
through its interfaces (:mod:`tmscal.mirror.rooms`, :mod:`tmscal.mirror.personal`,
:mod:`tmscal.mirror.sync_state`) and its errors. No back end is imported here.

Calendar ids
    A calendar id is a string. A room calendar's id is the TMS SystemId in decimal (``"42"``);
    :func:`room_calendar_id` builds it. Ids of the form ``user:<name>/<calendar>`` are personal
    calendars (client-written events); :func:`personal_calendar_id` builds them. Both kinds
    share the object, change-sequence and tombstone machinery; a back end keeps the kind of
    each calendar as data, so room queries never look at the form of an id.

Hrefs
    An object's deterministic href is ``<uid>.ics`` when the UID is a safe path segment
    (letters, digits and ``. _ - @ +``, not starting with ``.``, at most 200 characters);
    otherwise it is ``tmscal~<sha256(uid)[:40]>.ics`` (:func:`hashed_href`). ``~`` never occurs
    in a safe UID, so the two forms never collide. :func:`href_for_uid` is the one place that
    decides. A calendar client may file an object under a name of its own (RFC 4791 §5.3.2;
    :func:`client_href_allowed` says which):
    :meth:`~tmscal.mirror.rooms.RoomMirror.remember_href` records that choice per calendar and
    UID, and the object is served under it in that calendar from then on; every other calendar
    of the conference keeps the deterministic href. Within one calendar a UID has at most one
    live href.

Sync tokens
    Opaque strings ``<epoch>-<seq>``: ``epoch`` identifies this mirror database (a rebuilt
    mirror gets a new one, which invalidates every old token), ``seq`` is the calendar's change
    sequence. :meth:`~tmscal.mirror.rooms.RoomMirror.changes_since` raises
    :class:`UnknownSyncToken` (a ``ValueError``, which Radicale turns into
    ``403 valid-sync-token``) for tokens of another epoch, tokens ahead of the calendar, or
    tokens older than the oldest kept tombstone.

Stamps
    DTSTAMP and LAST-MODIFIED of a stored text are the instant the mirror stored the change
    (TMS tells none): :func:`tmscal.ical.stamps.stamped` sets them when a text changes and
    keeps them when only they would.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from tmscal.ical.shape import SeriesShape

# --------------------------------------------------------------------------------------------
# Identifiers

PERSONAL_PREFIX = "user:"
RESERVED_HREF_PREFIX = "tmscal~"
_SAFE_UID = re.compile(r"[A-Za-z0-9_@+\-][A-Za-z0-9._@+\-]{0,199}")
_CLIENT_HREF = re.compile(r"[^/\\\x00-\x1f\x7f]{1,255}")


def room_calendar_id(system_id: int) -> str:
    """The calendar id of a room: its TMS SystemId as a decimal string."""
    return str(int(system_id))


def personal_calendar_id(user: str, calendar: str) -> str:
    """The (reserved) calendar id of a user's own calendar: ``user:<user>/<calendar>``."""
    if "/" in user or not user or not calendar:
        raise ValueError("user and calendar names must be non-empty; user without '/'")
    return f"{PERSONAL_PREFIX}{user}/{calendar}"


def href_for_uid(uid: str) -> str:
    """The deterministic href of the object with this UID (see the module docstring)."""
    if _SAFE_UID.fullmatch(uid):
        return f"{uid}.ics"
    return hashed_href(uid)


def hashed_href(uid: str) -> str:
    """``tmscal~<sha256(uid)[:40]>.ics``: no safe UID's href, and no client may choose it."""
    digest = hashlib.sha256(uid.encode("utf-8")).hexdigest()[:40]
    return f"{RESERVED_HREF_PREFIX}{digest}.ics"


def client_href_allowed(href: str, uid: str) -> bool:
    """Whether a client may file the object ``uid`` under ``href``: its deterministic href, or
    1 to 255 characters without ``/``, ``\\`` or control characters, not ``.``/``..`` and not
    starting with ``tmscal~``."""
    return href == href_for_uid(uid) or (
        bool(_CLIENT_HREF.fullmatch(href)) and href not in (".", "..")
        and not href.startswith(RESERVED_HREF_PREFIX))


def etag_for_text(ical: str) -> str:
    """The quoted strong ETag of a rendered object: ``"<sha256 of the text>"``."""
    return '"' + hashlib.sha256(ical.encode("utf-8")).hexdigest() + '"'


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Room:
    """A TMS system shown as a room calendar. ``zone`` is an IANA or Windows zone name."""

    system_id: int
    name: str
    zone: str = ""
    site: str = ""
    description: str = ""
    address: str = ""

    @property
    def calendar_id(self) -> str:
        return room_calendar_id(self.system_id)


@dataclass(frozen=True)
class CalendarState:
    """What a client polls: ``ctag`` (quoted, changes with every change to the calendar),
    ``sync_token`` (see module docstring), ``last_modified`` (UTC) and the live object count."""

    calendar_id: str
    ctag: str
    sync_token: str
    last_modified: datetime
    object_count: int


@dataclass(frozen=True)
class StoredObject:
    """One live calendar object: pre-rendered text plus everything needed to serve it unparsed.

    ``start_utc``/``end_utc`` enclose all occurrences; ``last_modified`` is when the mirror
    last changed the object in this calendar.
    """

    calendar_id: str
    href: str
    uid: str
    etag: str
    ical: str
    start_utc: datetime
    end_utc: datetime
    last_modified: datetime


@dataclass(frozen=True)
class ChangeSet:
    """Answer of :meth:`~tmscal.mirror.rooms.RoomMirror.changes_since`: the current token,
    the hrefs added or changed (live now) and the hrefs deleted since the old token.
    Disjoint, sorted."""

    token: str
    changed: list[str]
    deleted: list[str]


@dataclass
class ConferenceRecord:
    """A conference as the mirror stores it: the input of
    :meth:`~tmscal.mirror.rooms.RoomMirror.store_conference`.

    ``series_id`` is the ConferenceId TMS uses for the whole series (or the single meeting);
    ``conference_ids`` every ConferenceId known to belong to it (occurrences included; they are
    merged with the ids already known). ``occurrences`` are ``(start_utc, end_utc)`` pairs,
    ``room_ids`` the SystemIds of the participating rooms: the object lives exactly in those
    room calendars. ``title`` is the title as ``ical`` shows it (privacy applied): refusals
    name a booking by it without reading the text; ``shape`` what the write path compares of a
    series (None for a single meeting, and where a mirror older than schema 5 does not know it).
    ``preliminary`` marks a record rendered from a list answer only (times, title, rooms):
    storing it marks the conference as awaiting its details (see
    :meth:`~tmscal.mirror.rooms.RoomMirror.store_conference`).
    """

    uid: str
    ical: str
    start_utc: datetime
    end_utc: datetime
    occurrences: list[tuple[datetime, datetime]]
    room_ids: list[int]
    series_id: int
    conference_ids: list[int] = field(default_factory=list)
    version: int = 0
    external_source_id: str = ""
    external_primary_key: str = ""
    title: str = ""
    shape: SeriesShape | None = None
    preliminary: bool = False

    @property
    def href(self) -> str:
        """The deterministic href (a room calendar may file it under a client's href)."""
        return href_for_uid(self.uid)

    @property
    def etag(self) -> str:
        return etag_for_text(self.ical)


@dataclass(frozen=True)
class ConferenceRef:
    """What the write path needs to know about a mirrored conference (no text). ``href`` is
    the deterministic one; :meth:`~tmscal.mirror.rooms.RoomMirror.object_for_uid` finds it in
    a given calendar."""

    uid: str
    href: str
    etag: str
    series_id: int
    conference_ids: list[int]
    version: int
    room_ids: list[int]
    external_source_id: str
    external_primary_key: str
    shape: SeriesShape | None = None


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of the object ``href`` (conference ``uid``, titled ``title``) in a room
    calendar: what expanded feeds show and a double-booking refusal names."""

    start_utc: datetime
    end_utc: datetime
    href: str
    uid: str
    title: str


@dataclass(frozen=True)
class PendingWrite:
    """A booking whose last write has an unknown outcome in TMS (see the module docstring)."""

    uid: str
    external_source_id: str
    external_primary_key: str


@dataclass(frozen=True)
class StoreOutcome:
    """What a write changed: the calendars whose sequence was bumped (empty = no-op)."""

    changed_calendars: list[str]
    removed_from: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.changed_calendars or self.removed_from)


@dataclass(frozen=True)
class ImportProgress:
    """A full import under way. ``listed`` says whether the list scan is stored completely
    (then a restart goes on with the details; otherwise it scans again). Once it is, ``head``
    is the TMS transaction id the import's changes are stored up to (the log's head when the
    scan ended, advanced as the log is followed while details are fetched); before, it is
    the cursor the import started from."""

    head: int
    listed: bool = False


@dataclass(frozen=True)
class SyncStatus:
    """The syncer's health. ``cursor`` is the last TMS transaction id fully stored (None before
    the first full import); ``lag_seconds`` is now − ``last_success`` (None if never)."""

    cursor: int | None
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_full_import: datetime | None
    last_reconcile: datetime | None
    lag_seconds: float | None
    counters: dict[str, int]

    def stale(self, limit_seconds: float) -> bool:
        """The one freshness rule: never synced, or the last success is more than
        ``limit_seconds`` (at least 1 s) ago."""
        return self.lag_seconds is None or self.lag_seconds > max(limit_seconds, 1.0)

    def describe(self) -> str:
        """One line for people: cursor, lag and the last error if newer than the last
        success."""
        lag = "never synced" if self.lag_seconds is None else f"lag {self.lag_seconds:.1f} s"
        text = f"mirror: cursor {self.cursor}, {lag}"
        if self.last_error and (self.last_success is None or (
                self.last_error_at and self.last_error_at > self.last_success)):
            text += f", last error: {self.last_error}"
        return text


# --------------------------------------------------------------------------------------------
# Errors


class MirrorError(Exception):
    """Base of the store's own errors."""


class UnknownSyncToken(MirrorError, ValueError):
    """The sync token is malformed, of another mirror, ahead of the calendar, or expired."""


class UnknownCalendar(MirrorError, KeyError):
    """No calendar with this id exists in the mirror."""


class MirrorUnavailable(MirrorError, ConnectionError):
    """The mirror's database cannot be reached (its server is down or cut off); the message
    names the database, never a password. The same call may succeed once it is back."""
