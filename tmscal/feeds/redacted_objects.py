"""A bounded cache of stored objects as a privacy level shows them, keyed by the object's
ETag (a hash of its stored text) and the level, so a feed re-rendered after a change
re-redacts only the objects that changed."""

from __future__ import annotations

import threading
from collections import OrderedDict

from tmscal.feeds.redaction import redact_event
from tmscal.ical.calendar_text import components_text, event_blocks
from tmscal.ical.content_lines import CRLF, fold
from tmscal.ical.privacy import Privacy
from tmscal.mirror.store import StoredObject


class RedactedObjects:
    """Thread-safe LRU of redacted VEVENT blocks and their folded text."""

    def __init__(self, max_entries: int = 150_000) -> None:
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, str, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: tuple[str, str, str]):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def _put(self, key: tuple[str, str, str], value) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def blocks(self, stored: StoredObject, level: Privacy) -> list[list[str]]:
        """The object's VEVENTs (unfolded lines) as ``level`` shows them."""
        key = (stored.etag, level.value, "blocks")
        value = self._get(key)
        if value is None:
            value = [redact_event(block, level) for block in event_blocks(stored.ical)]
            self._put(key, value)
        return value  # type: ignore[return-value]

    def text(self, stored: StoredObject, level: Privacy) -> str:
        """The object's VEVENTs as folded, CRLF-terminated text at ``level``."""
        if level is Privacy.FULL:
            return components_text(stored.ical)
        key = (stored.etag, level.value, "text")
        value = self._get(key)
        if value is None:
            lines = [line for block in event_blocks(stored.ical)
                     for line in redact_event(block, level)]
            value = CRLF.join(fold(line) for line in lines) + CRLF
            self._put(key, value)
        return value  # type: ignore[return-value]
