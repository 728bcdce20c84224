"""Privacy levels of rendered events, each showing a subset of the level above it.

``full``: everything. ``title``: title, organizer name, times, rooms (no description, dial-in,
PIN, other attendees, e-mail addresses or X-TMS properties). ``busy``: SUMMARY "Busy" and
times only.
"""

from __future__ import annotations

from enum import Enum


class Privacy(str, Enum):
    FULL = "full"
    TITLE = "title"
    BUSY = "busy"

    @classmethod
    def of(cls, level: "str | Privacy") -> "Privacy":
        """The level named ``level``; ValueError for other names."""
        try:
            return cls(level)
        except ValueError:
            raise ValueError(f"privacy must be one of full, title, busy, not {level!r}") from None

    @property
    def shows_title(self) -> bool:
        return self is not Privacy.BUSY

    @property
    def shows_details(self) -> bool:
        return self is Privacy.FULL


BUSY_SUMMARY = "Busy"
