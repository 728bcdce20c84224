"""Whole room calendars already rendered, kept per process for the next GET.

A GET of a room calendar (subscriptions, panels, clients that poll without ``If-None-Match``)
costs a pass over every stored object; most rooms hold a few hundred to a few thousand
bookings and are asked again long before they change. Texts are kept under the calendar's
ETag (its ctag and properties, see :attr:`radicale_plugin.mirrored.MirroredCalendar.etag`),
so any change, made by any process or node, is a new key and an old text is never served.
Memory stays bounded: a text longer than :data:`MAX_TEXT` characters is streamed each time
and never kept (a room of 20,000 bookings is about 27 MB), and the oldest texts go once all
kept ones pass :data:`MAX_TOTAL`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

#: the longest text kept (characters; about 2,500 bookings)
MAX_TEXT = 4 * 1024 * 1024
#: all kept texts together (characters)
MAX_TOTAL = 48 * 1024 * 1024


class CalendarTexts:
    """A least-recently-used set of rendered calendar texts, bounded in size."""

    def __init__(self, max_text: int = MAX_TEXT, max_total: int = MAX_TOTAL) -> None:
        self.max_text = max_text
        self.max_total = max_total
        self._texts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def chunks(self, key: tuple[str, str], render: Callable[[], Iterator[str]]
               ) -> Iterator[str]:
        """The text kept under ``key``, or ``render()``'s pieces, kept once all are given
        out (a reader that stops early keeps nothing)."""
        with self._lock:
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
        if text is not None:
            return iter((text,))
        return self._rendered(key, render)

    def _rendered(self, key: tuple[str, str], render: Callable[[], Iterator[str]]
                  ) -> Iterator[str]:
        pieces: list[str] | None = []
        size = 0
        for piece in render():
            if pieces is not None:
                size += len(piece)
                if size > self.max_text:
                    pieces = None
                else:
                    pieces.append(piece)
            yield piece
        if pieces is not None:
            self._keep(key, "".join(pieces))

    def _keep(self, key: tuple[str, str], text: str) -> None:
        with self._lock:
            old = self._texts.pop(key, None)
            self._total -= len(old) if old is not None else 0
            self._texts[key] = text
            self._total += len(text)
            while self._total > self.max_total:
                _, dropped = self._texts.popitem(last=False)
                self._total -= len(dropped)


#: this process's texts
TEXTS = CalendarTexts()
