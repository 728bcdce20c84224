"""``KeyLocks``: exclusive locks by name, shared by every thread and process on one host.

One lock file beside the database (``<database>.locks``, empty); the lock of a key is one byte
of it (POSIX record lock, ``fcntl.lockf``) at an offset from the key's SHA-256, so no file is
made per key and two keys practically never share a byte. Record locks belong to a process, not
a thread, so the threads of a process first take an in-process re-entrant lock of the key; only
the outermost holder takes and releases the byte. The file stays open for the life of the
process (closing any descriptor of it would drop every lock the process holds on it).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tmscal.process_wide import ProcessWide

#: Record-lock offsets are taken below this bound (a positive off_t on every platform).
_OFFSETS = 1 << 62


class _KeyLock:
    """The in-process side of one key: a re-entrant lock, its depth and its users."""

    __slots__ = ("lock", "depth", "users")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.users = 0


class KeyLocks:
    """Named exclusive locks over the lock file ``path`` (created on first use)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._held: dict[str, _KeyLock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold ``key`` exclusively (re-entrant in one thread) until the block ends."""
        with self._guard:
            entry = self._held.setdefault(key, _KeyLock())
            entry.users += 1
        try:
            with entry.lock:
                entry.depth += 1
                try:
                    if entry.depth == 1:
                        self._lock_byte(key)
                    try:
                        yield
                    finally:
                        if entry.depth == 1:
                            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, _offset(key))
                finally:
                    entry.depth -= 1
        finally:
            with self._guard:
                entry.users -= 1
                if entry.users == 0:
                    del self._held[key]

    def _lock_byte(self, key: str) -> None:
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, _offset(key))
                return
            except OSError as error:
                # the kernel sees processes, not threads: two processes whose threads wait on
                # each other's other keys look deadlocked though neither is; wait and retry
                if error.errno != errno.EDEADLK:
                    raise
                time.sleep(0.01)


def _offset(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % _OFFSETS


_LOCKS: ProcessWide[str, KeyLocks] = ProcessWide(KeyLocks)


def key_locks_for(database: str) -> KeyLocks:
    """The process-wide locks of the database file ``database``."""
    return _LOCKS.get(os.path.abspath(database) + ".locks")
