"""The mirror back ends the contract suite (``tests/test_mirror_contract.py``) runs against.

A back end here is a small class over a test's temporary directory: ``open_store(name)`` gives a
new store on an empty database of that name (``"mirror"`` is the test's main one),
``another_instance()`` a second instance on the main database (as another process would
open it), ``personal(store)`` and ``preferences(store)`` the other concerns kept in a store's
database, ``close()`` closes all it opened. A second back end (PostgreSQL) is one more class
and one more entry in :data:`BACKENDS`.
"""

from __future__ import annotations

from pathlib import Path

from tmscal.mirror.sqlite.personal import SqlitePersonalCalendars
from tmscal.mirror.sqlite.preferences import SqliteCalendarPreferences
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore


class SqliteBackend:
    """SQLite files in the test's temporary directory (fresh instances, not process-wide)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.opened: list[SqliteMirrorStore] = []

    def open_store(self, name: str = "mirror") -> SqliteMirrorStore:
        store = SqliteMirrorStore(self.directory / f"{name}.sqlite3")
        self.opened.append(store)
        return store

    def another_instance(self) -> SqliteMirrorStore:
        return self.open_store()

    def personal(self, store: SqliteMirrorStore) -> SqlitePersonalCalendars:
        return SqlitePersonalCalendars(store)

    def preferences(self, store: SqliteMirrorStore) -> SqliteCalendarPreferences:
        return SqliteCalendarPreferences(store)

    def close(self) -> None:
        for store in self.opened:
            store.close()


BACKENDS = {"sqlite": SqliteBackend}
