"""A sync-collection answered in slices: which part of the change list this REPORT serves.

Radicale holds every item of a REPORT in memory before writing any of its answer. To keep a
sync-collection of a large calendar bounded, :mod:`tmscal.web` runs the same REPORT once per
slice of :data:`SLICE` hrefs with a :class:`SyncWindow` open on the request thread; the
calendar's ``sync()`` works out the change list once (first slice), then hands Radicale one
slice per run, deleted hrefs first (the order Radicale writes them in: its 404 responses
before the items found). Without an open window ``sync()`` answers everything at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: hrefs per run of the REPORT (the size of the windows :mod:`tmscal.web` opens)
SLICE = 500


@dataclass
class SyncWindow:
    """The change list of one sync-collection request and how far it has been served."""

    size: int
    token: str | None = None
    names: list[str] | None = None
    start: int = 0

    def next_slice(self) -> list[str]:
        """The next ``size`` hrefs of :attr:`names` (which must be set)."""
        assert self.names is not None
        names = self.names[self.start:self.start + self.size]
        self.start += self.size
        return names

    @property
    def more(self) -> bool:
        """Whether a slice is left after the ones served."""
        return self.names is not None and self.start < len(self.names)


_local = threading.local()


def open_window(window: SyncWindow | None) -> None:
    """Serve this thread's next REPORT through ``window`` (None: close it)."""
    _local.window = window


def current() -> SyncWindow | None:
    """The window open on this thread, if any."""
    return getattr(_local, "window", None)
