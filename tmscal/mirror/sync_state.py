"""The syncer's state in the mirror: the TMS transaction cursor, the sync status, the lease
that lets one syncer run per mirror, writes of unknown outcome and the records set aside, the
locks that serialise writes of one booking across processes, and whether the store answers.

Pending writes
    A write whose outcome in TMS is unknown (TMS did not answer, and could not be asked what it
    did) is marked pending by its UID and external ids; the syncer settles these first.

Imports and details
    A full import stores what its list scan tells at once (preliminary records), then fetches
    every conference in full. Its :class:`~tmscal.mirror.objects.ImportProgress` and the
    conferences still awaiting their details are kept here, so an interrupted import resumes
    where it stopped: storing a preliminary record marks its conference as awaiting details;
    storing a full record of it (stored, or refused as older) or removing it settles the mark.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from datetime import datetime

from tmscal.mirror.objects import ImportProgress, PendingWrite, SyncStatus


class SyncState(ABC):
    """Cursor, status, lease, pending writes and set-aside records. Thread-safe."""

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
    def unreadable(self) -> str:
        """The syncer's set-aside records as stored by :meth:`set_unreadable` ('' if none)."""

    @abstractmethod
    def set_unreadable(self, text: str) -> None:
        """Replace the syncer's set-aside records (JSON text, see
        :mod:`tmscal.mirror.quarantine`)."""

    # ---- imports ------------------------------------------------------------------------------

    @abstractmethod
    def import_progress(self) -> ImportProgress | None:
        """The full import under way, or None."""

    @abstractmethod
    def set_import_progress(self, progress: ImportProgress | None) -> None:
        """Record the import under way (None: none is, the import ended)."""

    @abstractmethod
    def awaiting_details(self) -> list[int]:
        """The series ids of the conferences awaiting their details (see the module
        docstring), in the order they were marked."""

    @abstractmethod
    def details_pending(self, uid: str) -> bool:
        """Whether the conference ``uid`` awaits its details."""

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

    # ---- across processes ---------------------------------------------------------------------

    @abstractmethod
    def booking_lock(self, key: str) -> AbstractContextManager[None]:
        """Hold ``key`` (a booking's UID, or a name such as ``room:<SystemId>``) exclusively
        against every thread and process using this mirror until the block ends; re-entrant in
        one thread. Writes of one booking run under its UID so two workers never book it twice."""

    @abstractmethod
    def reachability(self, timeout: float) -> str:
        """'' when the store answers a read within ``timeout`` seconds, else a one-line reason
        (no secrets) why it does not."""
