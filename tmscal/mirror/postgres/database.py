"""``PostgresDatabase``: a pool of connections to one PostgreSQL database, shared by the
threads of a process (psycopg 3 and ``psycopg_pool``).

:meth:`~PostgresDatabase.write` is one read-write transaction (READ COMMITTED; writers of one
calendar serialize on its row lock, see :mod:`tmscal.mirror.postgres.calendars`);
:meth:`~PostgresDatabase.read` one read-only REPEATABLE READ snapshot for several statements.
:meth:`~PostgresDatabase.query` one statement without a transaction around it. All are
re-entrant within a thread (an inner block joins the outer transaction). Losing the
server (refused connection, no connection within the pool's timeout, a connection cut) raises
:class:`~tmscal.mirror.objects.MirrorUnavailable`. A pooled connection is checked when it is
borrowed (:func:`closed_by_server`, no round trip), and one the server closed is dropped and
the next taken, so the connections a restarted server closed are replaced instead of failing
the first requests after it is back. While the server is away the pool retries with a growing
back-off (1, 2, 4 … s); :meth:`~PostgresDatabase.reachability` notices a server that answers
again while the pool still waits, and replaces the pool, so a node is back within a second or
two of the server, however long it was away. The password is handed to libpq apart from the
URL and never appears in an error or log line.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from tmscal.mirror.objects import MirrorUnavailable
from tmscal.settings.mirror import redacted_url

#: SQLSTATEs that mean the connection or the server went away (class 08, shutdown, crash).
_GONE_STATES = ("57P01", "57P02", "57P03")


def is_connection_lost(error: BaseException) -> bool:
    """Whether ``error`` means the server cannot be reached (as opposed to a bad statement)."""
    if isinstance(error, (PoolTimeout, PoolClosed)):  # closed: replaced, see reachability
        return True
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = getattr(error, "sqlstate", None)
    return state is None or state.startswith("08") or state in _GONE_STATES


def closed_by_server(db: psycopg.Connection) -> bool:
    """Whether the server has closed this idle connection (shut down, restarted, or the
    connection was terminated): it then has a message or end-of-file waiting to be read. No
    round trip, so borrowing a connection stays free; a server that vanished without closing
    (a cut network) is found by the next statement instead."""
    if db.closed or db.broken:
        return True
    waiting = select.poll()  # not select(): a busy process has descriptors beyond 1023
    waiting.register(db.fileno(), select.POLLIN)
    return bool(waiting.poll(0))


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
        self._conninfo, self._kwargs = url, kwargs
        self._pool_options = {"min_size": 1, "max_size": max_connections, "timeout": timeout}
        self.pool = self._new_pool()

    def _new_pool(self) -> ConnectionPool:
        pool = ConnectionPool(self._conninfo, kwargs=self._kwargs, open=False,
                              name="tmscal-mirror", **self._pool_options)
        pool.open(wait=False)
        return pool

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection]:
        """A pooled connection the server has not closed (as ``ConnectionPool.connection``:
        the block's transaction committed, or rolled back on error; then returned)."""
        pool = self.pool
        for _ in range(self._pool_options["max_size"]):
            db = pool.getconn(timeout)
            if not closed_by_server(db):
                break
            db.close()
            pool.putconn(db)  # dropped; the pool connects a new one
        else:
            db = pool.getconn(timeout)
        try:
            with db:
                yield db
        finally:
            pool.putconn(db)

    def reachability(self, timeout: float) -> str:
        """'' when a pooled connection answers within ``timeout``, else the one-line reason.
        A pool that has none to give while a new connection succeeds is waiting out its
        reconnection back-off: it is replaced (requests on the old one get
        :class:`MirrorUnavailable`, as while the server was away)."""
        try:
            with self.connection(timeout) as db:
                db.execute("SELECT 1").fetchone()
        except (psycopg.Error, PoolTimeout, PoolClosed) as error:
            if not isinstance(error, PoolTimeout) or not self._server_answers(timeout):
                return str(self.unavailable(error))
            stale, self.pool = self.pool, self._new_pool()
            threading.Thread(target=stale.close, name="tmscal-mirror-close",
                             daemon=True).start()
        return ""

    def _server_answers(self, timeout: float) -> bool:
        try:
            psycopg.connect(self._conninfo, **{
                **self._kwargs, "connect_timeout": max(1, round(timeout))}).close()
        except psycopg.Error:
            return False
        return True

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
            with self.connection() as db:
                db.autocommit = level is None
                db.isolation_level, db.read_only = level, read_only
                self._local.db = db
                try:
                    yield db
                finally:
                    self._local.db = None
        except (psycopg.OperationalError, PoolTimeout, PoolClosed) as error:
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
            with self.connection() as db:
                db.autocommit = True  # every borrower sets the mode it needs
                yield db
        except (psycopg.OperationalError, PoolTimeout, PoolClosed) as error:
            if is_connection_lost(error):
                raise self.unavailable(error) from error
            raise

    def close(self) -> None:
        """Close every connection (the instance is unusable afterwards)."""
        self.pool.close()
