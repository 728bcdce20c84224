"""``SqlTables``: the SQL connections of a mirror's database as other packages use them for
tables they keep beside the mirror's (the feed tokens of :mod:`tmscal.feeds.tokens`), whichever
the back end. The tables themselves are created by the back end's schema."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class SqlTables(Protocol):
    """A DB-API-like connection per transaction: ``execute(sql, params)`` returning a cursor
    (``fetchone``, ``fetchall``, ``rowcount``); parameters marked by :attr:`placeholder`."""

    #: ``?`` (SQLite) or ``%s`` (PostgreSQL).
    placeholder: str

    def write(self) -> AbstractContextManager[Any]:
        """One write transaction."""

    def read(self) -> AbstractContextManager[Any]:
        """One consistent read."""
