"""``PostgresDatabase``: a pool of connections to one PostgreSQL database, shared by the
threads of a process (psycopg 3 and ``psycopg_pool``).

:meth:`~PostgresDatabase.write` is one read-write transaction (READ COMMITTED; writers of one
calendar serialize on its row lock, see :mod:`tmscal.mirror.postgres.calendars`);
:meth:`~PostgresDatabase.read` one read-only REPEATABLE READ snapshot for several statements.
:meth:`~PostgresDatabase.query` one statement without a transaction around it. All are
re-entrant within a thread (an inner block joins the outer transaction). Losing the
server (refused connection, no connection within the pool's timeout, a connection cut) raises
:class:`~tmscal.mirror.objects.MirrorUnavailable`. A pooled connection is checked when it is
borrowed (:func:`closed_by_server`, no round trip), so the connections a restarted server
closed are replaced instead of failing the first requests after it is back. The password is handed to libpq apart from the
URL and never appears in an error or log line.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from tmscal.mirror.objects import MirrorUnavailable
from tmscal.settings.mirror import redacted_url

#: SQLSTATEs that mean the connection or the server went away (class 08, shutdown, crash).
_GONE_STATES = ("57P01", "57P02", "57P03")


def is_connection_lost(error: BaseException) -> bool:
    """Whether ``error`` means the server cannot be reached (as opposed to a bad statement)."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = getattr(error, "sqlstate", None)
    return state is None or state.startswith("08") or state in _GONE_STATES


def closed_by_server(db: psycopg.Connection) -> None:
    """Raise when the server has closed this idle connection (shut down, restarted, or the
    connection was terminated): it then has a message or end-of-file waiting to be read. No
    round trip, so borrowing a connection stays free; a server that vanished without closing
    (a cut network) is found by the next statement instead."""
    if db.closed or db.broken:
        raise psycopg.OperationalError("connection closed")
    readable, _, _ = select.select([db.fileno()], [], [], 0)
    if readable:
        raise psycopg.OperationalError("connection closed by the server")


class PostgresDatabase:
    """The connections of one database; thread-safe."""

    #: The parameter mark of this driver (for SQL shared with other back ends).
    placeholder = "%s"

    def __init__(self, url: str, password: str = "", *, max_connections: int = 20,
                 timeout: float = 5.0, connect_timeout: int = 5) -> None:
        self.url = redacted_url(url)
        kwargs: dict[str, object] = {"connect_timeout": connect_timeout,
                                     "application_name": "tmscal"}
        if password:
            kwargs["password"] = password
        self._local = threading.local()
        self.pool = ConnectionPool(url, min_size=1, max_size=max_connections, kwargs=kwargs,
                                   timeout=timeout, open=False, name="tmscal-mirror",
                                   check=closed_by_server)
        self.pool.open(wait=False)

    def unavailable(self, error: BaseException) -> MirrorUnavailable:
        """The typed error for a lost server (naming the database, never the password)."""
        reason = " ".join(str(error).split()) or type(error).__name__
        return MirrorUnavailable(f"PostgreSQL mirror {self.url} unreachable: {reason[:300]}")

    @contextmanager
    def _transaction(self, level: psycopg.IsolationLevel | None,
                     read_only: bool) -> Iterator[psycopg.Connection]:
        current = getattr(self._local, "db", None)
        if current is not None:  # re-entered from within a transaction of this thread
            yield current
            return
        try:
            with self.pool.connection() as db:
                db.autocommit = level is None
                db.isolation_level, db.read_only = level, read_only
                self._local.db = db
                try:
                    yield db
                finally:
                    self._local.db = None
        except (psycopg.OperationalError, PoolTimeout) as error:
            if is_connection_lost(error):
                raise self.unavailable(error) from error
            raise

    def write(self):
        """One read-write transaction (committed when the block ends, rolled back on error)."""
        return self._transaction(psycopg.IsolationLevel.READ_COMMITTED, False)

    def read(self):
        """One read-only snapshot for several statements."""
        return self._transaction(psycopg.IsolationLevel.REPEATABLE_READ, True)

    def query(self):
        """A connection for one reading statement (no transaction round trips)."""
        return self._transaction(None, False)

    @contextmanager
    def session(self) -> Iterator[psycopg.Connection]:
        """A connection of its own in autocommit mode, for session-level advisory locks held
        across transactions (see :mod:`tmscal.mirror.postgres.locks`)."""
        try:
            with self.pool.connection() as db:
                db.autocommit = True  # every borrower sets the mode it needs
                yield db
        except (psycopg.OperationalError, PoolTimeout) as error:
            if is_connection_lost(error):
                raise self.unavailable(error) from error
            raise

    def close(self) -> None:
        """Close every connection (the instance is unusable afterwards)."""
        self.pool.close()
