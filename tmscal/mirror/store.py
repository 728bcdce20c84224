"""The mirror store: the narrow interface every reader and writer of the local mirror uses.

The mirror holds what the bridge knows of TMS: rooms, one calendar object per conference (at
series level) in every room calendar the conference books, an occurrence index per calendar,
a change sequence with tombstones per calendar, the TMS transaction cursor, the sync status and
the syncer lease. Readers (the Radicale plugin, the feeds) never talk to TMS; they ask this
interface, and every question below is answered from an index, never by scanning a calendar.

Calendar ids
    A calendar id is a string. A room calendar's id is the TMS SystemId in decimal (``"42"``);
    :func:`room_calendar_id` builds it. Ids of the form ``user:<name>/<calendar>`` are reserved
    for personal calendars (client-written events, a later issue); :func:`personal_calendar_id`
    builds them. Both kinds share the object, change-sequence and tombstone machinery.

Hrefs
    An object's deterministic href is ``<uid>.ics`` when the UID is a safe path segment
    (letters, digits and ``. _ - @ +``, not starting with ``.``, at most 200 characters);
    otherwise it is ``tmscal~<sha256(uid)[:40]>.ics`` (:func:`hashed_href`). ``~`` never occurs
    in a safe UID, so the two forms never collide. :func:`href_for_uid` is the one place that
    decides. A calendar client may file an object under a name of its own (RFC 4791 §5.3.2;
    :func:`client_href_allowed` says which): :meth:`MirrorStore.remember_href` records that
    choice per calendar and UID, and the object is served under it in that calendar from then
    on; every other calendar of the conference keeps the deterministic href. Within one
    calendar a UID has at most one live href.

Sync tokens
    Opaque strings ``<epoch>-<seq>``: ``epoch`` identifies this mirror database (a rebuilt
    mirror gets a new one, which invalidates every old token), ``seq`` is the calendar's change
    sequence. :meth:`MirrorStore.changes_since` raises :class:`UnknownSyncToken` (a
    ``ValueError``, which Radicale turns into ``403 valid-sync-token``) for tokens of another
    epoch, tokens ahead of the calendar, or tokens older than the oldest kept tombstone.

Consistency
    Every write is one transaction: a crash leaves the previous consistent state. Storing a
    record whose text (apart from its stamps) and rooms did not change is a no-op (no sequence
    bump), so applying the same TMS change twice is harmless. A conference's version never
    steps back: a record older than the stored one (a fetch that raced a newer write) is not
    stored.

Stamps
    DTSTAMP and LAST-MODIFIED of a stored text are the instant the mirror stored the change
    (TMS tells none): :func:`tmscal.ical.stamps.stamped` sets them when a text changes and
    keeps them when only they would.

Pending writes
    A write whose outcome in TMS is unknown (TMS did not answer, and could not be asked what it
    did) is marked pending by its UID and external ids; the syncer settles these first.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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


def room_id_of(calendar_id: str) -> int | None:
    """The SystemId of a room calendar id, or None for any other kind of calendar."""
    return int(calendar_id) if calendar_id.isdigit() else None


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
    """Answer of :meth:`MirrorStore.changes_since`: the current token, the hrefs added or
    changed (live now) and the hrefs deleted since the old token. Disjoint, sorted."""

    token: str
    changed: list[str]
    deleted: list[str]


@dataclass
class ConferenceRecord:
    """A conference as the mirror stores it: the input of :meth:`MirrorStore.store_conference`.

    ``series_id`` is the ConferenceId TMS uses for the whole series (or the single meeting);
    ``conference_ids`` every ConferenceId known to belong to it (occurrences included; they are
    merged with the ids already known). ``occurrences`` are ``(start_utc, end_utc)`` pairs,
    ``room_ids`` the SystemIds of the participating rooms: the object lives exactly in those
    room calendars.
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
    the deterministic one; :meth:`MirrorStore.object_for_uid` finds it in a given calendar."""

    uid: str
    href: str
    etag: str
    series_id: int
    conference_ids: list[int]
    version: int
    room_ids: list[int]
    external_source_id: str
    external_primary_key: str


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


# --------------------------------------------------------------------------------------------
# Errors


class MirrorError(Exception):
    """Base of the store's own errors."""


class UnknownSyncToken(MirrorError, ValueError):
    """The sync token is malformed, of another mirror, ahead of the calendar, or expired."""


class UnknownCalendar(MirrorError, KeyError):
    """No calendar with this id exists in the mirror."""


# --------------------------------------------------------------------------------------------
# The interface


class MirrorStore(ABC):
    """The mirror. One instance per process and database; every method is thread-safe.

    Readers: :meth:`list_rooms`, :meth:`get_room`, :meth:`calendar_state`, :meth:`list_hrefs`,
    :meth:`get_objects`, :meth:`objects_in_range`, :meth:`iter_objects`, :meth:`changes_since`,
    :meth:`has_uid`, :meth:`object_for_uid`, :meth:`find_by_uid`, :meth:`find_by_conference_id`,
    :meth:`sync_status`. Writers (the syncer and the write path): :meth:`replace_rooms`,
    :meth:`store_conference`, :meth:`store_conferences`, :meth:`remove_conference`,
    :meth:`remember_href`, :meth:`drop_unused_href`, :meth:`set_cursor`, the status and lease
    methods.
    """

    # ---- rooms -------------------------------------------------------------------------------

    @abstractmethod
    def list_rooms(self) -> list[Room]:
        """All rooms, ordered by SystemId."""

    @abstractmethod
    def get_room(self, system_id: int) -> Room | None:
        """One room, or None."""

    @abstractmethod
    def replace_rooms(self, rooms: Iterable[Room]) -> list[int]:
        """Make the room list exactly ``rooms``; return the SystemIds removed.

        A new room gets an empty calendar; a changed room bumps its calendar's sequence; a
        removed room's calendar disappears with its objects (conferences elsewhere stay).
        """

    # ---- calendars ---------------------------------------------------------------------------

    @abstractmethod
    def calendar_state(self, calendar_id: str) -> CalendarState:
        """ctag, sync token, last-modified and object count. Raises :class:`UnknownCalendar`."""

    @abstractmethod
    def list_hrefs(self, calendar_id: str) -> list[tuple[str, str]]:
        """``(href, etag)`` of every live object, sorted by href."""

    @abstractmethod
    def get_objects(self, calendar_id: str, hrefs: Iterable[str]) -> list[StoredObject]:
        """The live objects among ``hrefs`` (unknown or deleted hrefs are left out), one query."""

    @abstractmethod
    def iter_objects(self, calendar_id: str) -> Iterator[StoredObject]:
        """Every live object of the calendar (for a whole-calendar GET), sorted by href."""

    @abstractmethod
    def objects_in_range(self, calendar_id: str, start_utc: datetime | None,
                         end_utc: datetime | None) -> list[StoredObject]:
        """Objects with at least one occurrence overlapping ``[start_utc, end_utc)``.

        ``None`` means unbounded on that side. Answered from the occurrence index.
        """

    @abstractmethod
    def changes_since(self, calendar_id: str, token: str) -> ChangeSet:
        """Hrefs changed and deleted since ``token`` (``""`` = everything live now).

        Raises :class:`UnknownSyncToken` and :class:`UnknownCalendar`. O(changes).
        """

    @abstractmethod
    def has_uid(self, calendar_id: str, uid: str) -> bool:
        """Whether a live object with this UID is in the calendar (under any href)."""

    @abstractmethod
    def object_for_uid(self, calendar_id: str, uid: str) -> StoredObject | None:
        """The live object with this UID in a room calendar (under whichever href), or None."""

    @abstractmethod
    def remember_href(self, calendar_id: str, uid: str, href: str) -> None:
        """File the object ``uid`` of room calendar ``calendar_id`` under the client's ``href``
        from its next store on (a live object under another href moves: tombstone + new);
        the deterministic href forgets the choice. The other calendars are not affected."""

    @abstractmethod
    def drop_unused_href(self, calendar_id: str, uid: str) -> None:
        """Forget the client's href of ``uid`` in ``calendar_id`` unless a live object is
        filed under it (a write TMS refused, or one that stored nothing)."""

    # ---- conferences -------------------------------------------------------------------------

    @abstractmethod
    def find_by_uid(self, uid: str) -> ConferenceRef | None:
        """The mirrored conference with this UID (any calendar), or None."""

    @abstractmethod
    def find_by_conference_id(self, conference_id: int) -> ConferenceRef | None:
        """The conference that a series or occurrence ConferenceId belongs to, or None."""

    @abstractmethod
    def iter_conference_refs(self) -> Iterator[ConferenceRef]:
        """Every live conference, for reconciliation."""

    @abstractmethod
    def store_conference(self, record: ConferenceRecord) -> StoreOutcome:
        """Insert or replace the conference with ``record.uid``, in one transaction; a record
        whose version is below the stored one changes nothing (versions never step back).

        The object is written to every room calendar in ``record.room_ids`` that exists (under
        the href a client chose there, else the deterministic one; when another UID holds that
        href, under :func:`hashed_href`) and tombstoned in calendars that held it but are no
        longer listed. Calendars whose object
        text is unchanged are left alone (no sequence bump). ``record.ical`` becomes the text
        stored, stamped as the module docstring says. Used by the syncer and by the write path
        right after TMS answered a save (read-your-writes).
        """

    @abstractmethod
    def store_conferences(self, records: Sequence[ConferenceRecord]) -> list[StoreOutcome]:
        """:meth:`store_conference` for many records in one transaction (bulk import)."""

    @abstractmethod
    def remove_conference(self, uid: str) -> StoreOutcome:
        """Tombstone the conference in every calendar and forget its ConferenceIds. Removing
        an unknown UID is a no-op."""

    @abstractmethod
    def forget_conference_id(self, conference_id: int) -> None:
        """Drop one ConferenceId → UID mapping (an occurrence TMS deleted or re-numbered)."""

    # ---- writes of unknown outcome ------------------------------------------------------------

    @abstractmethod
    def mark_pending(self, write: PendingWrite) -> None:
        """Remember that TMS may or may not have carried out the last write of ``write.uid``."""

    @abstractmethod
    def pending_writes(self) -> list[PendingWrite]:
        """Every write marked pending, oldest first."""

    @abstractmethod
    def clear_pending(self, uid: str) -> None:
        """Forget the pending mark of ``uid`` (TMS's state of it is now in the mirror)."""

    # ---- sync bookkeeping --------------------------------------------------------------------

    @abstractmethod
    def get_cursor(self) -> int | None:
        """The last TMS transaction id whose changes are stored, or None before any import."""

    @abstractmethod
    def set_cursor(self, transaction_id: int | None) -> None:
        """Advance (or, after a full import, set) the cursor. Call only after the changes up to
        ``transaction_id`` are stored."""

    @abstractmethod
    def sync_status(self) -> SyncStatus:
        """The current :class:`SyncStatus`."""

    @abstractmethod
    def record_sync(self, *, success: bool, error: str = "", kind: str = "incremental",
                    counters: dict[str, int] | None = None) -> None:
        """Record one sync attempt. ``kind`` is ``incremental``, ``full`` or ``reconcile``;
        ``counters`` are added to the running totals (e.g. ``{"fetched": 3}``)."""

    @abstractmethod
    def purge_tombstones(self, older_than: datetime) -> int:
        """Drop tombstones older than ``older_than``; tokens from before them become unknown.
        Returns the number purged."""

    @abstractmethod
    def unreadable(self) -> str:
        """The syncer's set-aside records as stored by :meth:`set_unreadable` ('' if none)."""

    @abstractmethod
    def set_unreadable(self, text: str) -> None:
        """Replace the syncer's set-aside records (JSON text, see
        :mod:`tmscal.mirror.quarantine`)."""

    # ---- the syncer lease --------------------------------------------------------------------

    @abstractmethod
    def acquire_lease(self, name: str, owner: str, ttl_seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``owner`` until now + ttl. False if another
        owner holds an unexpired lease. One syncer per mirror uses ``name="syncer"``."""

    @abstractmethod
    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only if ``owner`` holds it, expired or not)."""

    @abstractmethod
    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """``(owner, expires_utc)`` of an unexpired lease, or None."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection this instance opened."""
