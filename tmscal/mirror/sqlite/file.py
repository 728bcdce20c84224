"""``SqliteFile``: one SQLite database file shared by the threads of a process.

One connection per thread (``threading.local``), opened with the pragmas given (WAL at least).
:meth:`~SqliteFile.write` is one write transaction, serialized in-process by a re-entrant lock
(a write inside a write of the same thread joins it) and across processes by ``BEGIN
IMMEDIATE`` with a busy timeout; :meth:`~SqliteFile.read` is a consistent snapshot for several
statements. :meth:`~SqliteFile.close` closes every connection opened. The room mirror, the
personal calendars and preferences (sharing the store's instance) and the feed token store
(same file, own tables) are built on it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteFile:
    """Connections and transactions of the SQLite file at ``path`` (not ``":memory:"``:
    threads need a file)."""

    #: The parameter mark of this driver (for SQL shared with other back ends).
    placeholder = "?"

    #: Pragmas every new connection runs.
    PRAGMAS: tuple[str, ...] = ("journal_mode=WAL",)

    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self.write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._opened = False
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit). Only the
        first connection may create the file: one opened while the file is away fails instead
        of making an empty database that its thread would keep after the file is back."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.uri("rw" if self._opened else "rwc"), uri=True,
                                 timeout=self._busy_timeout, isolation_level=None,
                                 check_same_thread=False)
            self._opened = True
            for pragma in self.PRAGMAS:
                db.execute(f"PRAGMA {pragma}")
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    def uri(self, mode: str) -> str:
        """The file's SQLite URI with open ``mode`` (``rw``: it must exist; ``rwc``: create)."""
        return f"{Path(self.path).resolve().as_uri()}?mode={mode}"

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: serialized in-process, BEGIN IMMEDIATE across processes."""
        with self.write_lock:
            db = self.connection()
            if db.in_transaction:  # re-entered from within a write of this thread
                yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for multi-statement reads."""
        db = self.connection()
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this instance opened (threads reopen on next use)."""
        with self._connections_lock:
            for db in self._connections:
                try:
                    db.close()
                except sqlite3.ProgrammingError:
                    pass
            self._connections.clear()
        self._local = threading.local()
