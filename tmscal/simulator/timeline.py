"""A sorted index of conference occurrences in time, for overlap checks and range queries.

One :class:`Timeline` per system, plus one over every conference. Entries are
``(start, conference_id)`` keyed on epoch seconds; a query for [start, end) is a bisection plus
a scan bounded by the longest entry ever added, so it costs O(log n + hits).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from datetime import datetime


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


class Timeline:
    """Conference ids ordered by start; half-open [start, end) intervals."""

    __slots__ = ("_keys", "_ends", "_longest")

    def __init__(self) -> None:
        self._keys: list[tuple[int, int]] = []
        self._ends: dict[int, int] = {}
        self._longest = 0

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, conference_id: int) -> bool:
        return conference_id in self._ends

    def add(self, conference_id: int, start: datetime, end: datetime) -> None:
        """Index ``conference_id`` (which must not be indexed already)."""
        s, e = epoch(start), epoch(end)
        insort(self._keys, (s, conference_id))
        self._ends[conference_id] = e
        self._longest = max(self._longest, e - s)

    def bulk_load(self, entries: Iterable[tuple[int, int, int]]) -> None:
        """Add many ``(conference_id, start epoch, end epoch)`` at once (one sort at the
        end)."""
        for conference_id, s, e in entries:
            self._keys.append((s, conference_id))
            self._ends[conference_id] = e
            if e - s > self._longest:
                self._longest = e - s
        self._keys.sort()

    def remove(self, conference_id: int, start: datetime) -> None:
        """Drop ``conference_id`` indexed with ``start`` (no-op when absent)."""
        if self._ends.pop(conference_id, None) is None:
            return
        key = (epoch(start), conference_id)
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def overlapping(self, start: datetime | None, end: datetime | None) -> Iterator[int]:
        """Ids whose interval overlaps [start, end) in start order; None is unbounded."""
        keys = self._keys
        q_start = epoch(start) if start is not None else None
        if q_start is None:
            lo = 0
        else:
            lo = bisect_left(keys, (q_start - self._longest, -(1 << 62)))
        hi = len(keys) if end is None else bisect_left(keys, (epoch(end), -(1 << 62)))
        ends = self._ends
        for i in range(lo, hi):
            s, conference_id = keys[i]
            if q_start is None or ends[conference_id] > q_start:
                yield conference_id
