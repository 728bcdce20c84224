"""The parts of :class:`~tmscal.mirror.sync_state.SyncState` kept as key/value rows of the
mirror's ``mirror_meta`` table — the cursor, the sync status and counters, the set-aside
records, an import's progress — written once for every back end.

A back end mixes :class:`MetaBookkeeping` in and provides two primitives:
``_meta_rows(keys)``, the values of ``keys`` (all rows when None), and ``_meta_writer()``, a
context manager around one write transaction yielding a :class:`MetaWriter`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol

from tmscal.mirror.objects import ImportProgress, SyncStatus

#: Keys of the syncer's counters start with this.
COUNTER_PREFIX = "counter."


class MetaWriter(Protocol):
    """Writes to ``mirror_meta`` inside one transaction."""

    def set(self, key: str, value: str) -> None:
        """Set ``key`` to ``value``."""

    def add(self, key: str, amount: int) -> None:
        """Add ``amount`` to the integer held by ``key`` (0 when absent)."""


def _instant(meta: dict[str, str], key: str) -> datetime | None:
    return datetime.fromtimestamp(float(meta[key]), UTC) if meta.get(key) else None


class MetaBookkeeping:
    """Cursor, status, counters, set-aside records and import progress over ``mirror_meta``."""

    def _meta_rows(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        raise NotImplementedError

    def _meta_writer(self) -> AbstractContextManager[MetaWriter]:
        raise NotImplementedError

    def get_cursor(self) -> int | None:
        value = self._meta_rows(["cursor"]).get("cursor")
        return int(value) if value else None

    def set_cursor(self, transaction_id: int | None) -> None:
        with self._meta_writer() as meta:
            meta.set("cursor", "" if transaction_id is None else str(transaction_id))

    def sync_status(self) -> SyncStatus:
        meta = self._meta_rows()
        cursor = meta.get("cursor")
        last_success = _instant(meta, "last_success")
        return SyncStatus(
            cursor=int(cursor) if cursor else None,
            last_success=last_success,
            last_attempt=_instant(meta, "last_attempt"),
            last_error=meta.get("last_error", ""),
            last_error_at=_instant(meta, "last_error_at"),
            last_full_import=_instant(meta, "last_full"),
            last_reconcile=_instant(meta, "last_reconcile"),
            lag_seconds=(time.time() - last_success.timestamp()) if last_success else None,
            counters={k[len(COUNTER_PREFIX):]: int(v) for k, v in meta.items()
                      if k.startswith(COUNTER_PREFIX)},
        )

    def record_sync(self, *, success: bool, error: str = "", kind: str = "incremental",
                    counters: dict[str, int] | None = None) -> None:
        now = str(time.time())
        with self._meta_writer() as meta:
            meta.set("last_attempt", now)
            if success:
                meta.set("last_success", now)
                if kind == "full":
                    meta.set("last_full", now)
                elif kind == "reconcile":
                    meta.set("last_reconcile", now)
            else:
                meta.set("last_error", error[:1000])
                meta.set("last_error_at", now)
            for name, amount in sorted((counters or {}).items()):
                meta.add(COUNTER_PREFIX + name, amount)

    def unreadable(self) -> str:
        return self._meta_rows(["unreadable"]).get("unreadable", "")

    def set_unreadable(self, text: str) -> None:
        with self._meta_writer() as meta:
            meta.set("unreadable", text)

    def import_progress(self) -> ImportProgress | None:
        meta = self._meta_rows(["import_head", "import_listed"])
        if not meta.get("import_head"):
            return None
        return ImportProgress(int(meta["import_head"]), meta.get("import_listed") == "1")

    def set_import_progress(self, progress: ImportProgress | None) -> None:
        with self._meta_writer() as meta:
            meta.set("import_head", "" if progress is None else str(progress.head))
            meta.set("import_listed", "1" if progress and progress.listed else "0")
