"""Process-wide instances (DESIGN.md decision 5): one per key, made on first use and shared by
every thread of the process.

A key is a file (the resolved path of a mirror database or a configuration file, see
:func:`path_key`) or an object held weakly (the instance goes away with it).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def path_key(path: str | Path) -> str:
    """The key of a file: its resolved absolute path (two spellings share one instance)."""
    return str(Path(path).resolve())


class ProcessWide(Generic[K, V]):
    """The instances ``make(key)`` builds, at most one per key (thread-safe)."""

    def __init__(self, make: Callable[[K], V], *, weak_keys: bool = False) -> None:
        self._make = make
        self._made: MutableMapping[K, V] = weakref.WeakKeyDictionary() if weak_keys else {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V:
        """The instance for ``key``, made on first use."""
        with self._lock:
            found = self._made.get(key)
            if found is None:
                found = self._made[key] = self._make(key)
            return found

    def install(self, key: K, instance: V) -> None:
        """Make ``instance`` the one :meth:`get` returns for ``key``."""
        with self._lock:
            self._made[key] = instance

    def forget(self, key: K) -> None:
        """Drop the instance of ``key`` (the next :meth:`get` makes a new one)."""
        with self._lock:
            self._made.pop(key, None)
