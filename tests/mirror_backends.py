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


class PostgresBackend:
    """Fresh databases on the test process's PostgreSQL server (instances not process-wide)."""

    def __init__(self, directory: Path) -> None:
        from postgres_server import shared_server

        self.server = shared_server()
        self.databases: dict[str, str] = {}
        self.opened: list = []

    def open_store(self, name: str = "mirror"):
        from tmscal.mirror.postgres.rooms import PostgresMirrorStore

        if name not in self.databases:
            self.databases[name] = self.server.create_database()
        store = PostgresMirrorStore(self.databases[name], max_connections=4)
        self.opened.append(store)
        return store

    def another_instance(self):
        return self.open_store()

    def personal(self, store):
        from tmscal.mirror.postgres.personal import PostgresPersonalCalendars

        return PostgresPersonalCalendars(store)

    def preferences(self, store):
        from tmscal.mirror.postgres.preferences import PostgresCalendarPreferences

        return PostgresCalendarPreferences(store)

    def close(self) -> None:
        for store in self.opened:
            store.close()
        self.server.drop_databases(self.databases.values())


BACKENDS = {"sqlite": SqliteBackend, "postgresql": PostgresBackend}
