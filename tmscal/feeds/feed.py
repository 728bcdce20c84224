"""The VCALENDAR of a feed token: which rooms, which version, which body.

:meth:`FeedBuilder.version` answers from the mirror's calendar states only (no rendering), so
HEAD and conditional GETs are cheap; :meth:`FeedBuilder.body` renders on a cache miss. Bodies
are cached by (scope, privacy, window, expand, change sequences of every room in scope), which
is also what the ETag hashes, so a cached body is never stale; only the newest version of each
feed is kept (a change makes the old body useless), up to 64 MB in all.

Calendar properties: ``X-WR-CALNAME`` and ``NAME`` (the room, site or "All rooms"),
``REFRESH-INTERVAL;VALUE=DURATION`` and ``X-PUBLISHED-TTL`` (``[feeds] refresh_minutes``), and
**no METHOD**: a subscribed feed is a published calendar, not an iTIP message (RFC 5545 3.7.2
makes METHOD optional; without it Outlook, Google, Apple and Thunderbird all subscribe), and
``METHOD:PUBLISH`` would oblige an ORGANIZER on every event (RFC 5546 3.2.1), which the
``busy`` level must not show. The body is assembled by
:class:`tmscal.ical.calendar_text.CalendarAssembly` (one VTIMEZONE per TZID covering every
event that uses it); expanded feeds use UTC and need none.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from tmscal.feeds.expansion import expand_blocks
from tmscal.feeds.occurrences import OccurrenceIndex
from tmscal.feeds.redacted_objects import RedactedObjects
from tmscal.settings import FeedSettings
from tmscal.feeds.tokens import FeedToken
from tmscal.feeds.window import FeedWindow
from tmscal.ical.calendar_text import CalendarAssembly
from tmscal.ical.content_lines import CRLF, escape_text, fold
from tmscal.ical.privacy import Privacy
from tmscal.ical.zones import zone_info
from tmscal.mirror.records import iana_zone
from tmscal.mirror.store import MirrorStore, Room, StoredObject, UnknownCalendar

PRODID = "-//tmscal//tmscal feeds//EN"
FORMAT = "2"  # bump when the body format changes, so old ETags stop matching
_CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FeedRequest:
    """What one feed request asks for."""

    token: FeedToken
    window: FeedWindow
    expand: bool = False


@dataclass(frozen=True)
class FeedVersion:
    """The validators of a feed and the rooms it covers (None from :meth:`version` = 404)."""

    key: str
    etag: str
    last_modified: datetime
    name: str
    rooms: list[Room] = field(default_factory=list)
    #: the feed itself (the key without the rooms' change sequences): one version is kept
    feed: str = ""


@dataclass
class FeedBody:
    """A rendered body and, once asked for, its gzip form."""

    identity: bytes
    compressed: bytes | None = None

    def gzip(self) -> bytes:
        if self.compressed is None:
            self.compressed = gzip.compress(self.identity, compresslevel=6, mtime=0)
        return self.compressed


class FeedBuilder:
    """Builds feeds from one mirror. Thread-safe."""

    def __init__(self, store: MirrorStore, index: OccurrenceIndex, settings: FeedSettings,
                 default_zone: str = "UTC") -> None:
        self.store = store
        self.index = index
        self.settings = settings
        self.default_zone = default_zone
        self._cache: OrderedDict[str, FeedBody] = OrderedDict()
        self._latest: dict[str, str] = {}  # feed → the key of its cached version
        self._cache_bytes = 0
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}
        self.redacted = RedactedObjects()

    # ---- scope and version -------------------------------------------------------------------

    def rooms_for(self, token: FeedToken) -> list[Room] | None:
        """The rooms a token covers (None when its room no longer exists)."""
        if token.scope == "room":
            room = self.store.get_room(int(token.target))
            return None if room is None else [room]
        rooms = self.store.list_rooms()
        if token.scope == "site":
            rooms = [room for room in rooms if room.site == token.target]
        return rooms

    def feed_name(self, token: FeedToken, rooms: list[Room]) -> str:
        if token.scope == "room":
            return rooms[0].name
        if token.scope == "site":
            return f"{token.target} rooms"
        return "All rooms"

    def version(self, request: FeedRequest) -> FeedVersion | None:
        """Validators from the calendar states of the rooms in scope; None when the token's
        room is gone."""
        rooms = self.rooms_for(request.token)
        if rooms is None:
            return None
        window, token = request.window, request.token
        states = []
        last_modified = window.day
        for room in rooms:
            try:
                state = self.store.calendar_state(room.calendar_id)
            except UnknownCalendar:
                continue
            states.append(f"{room.system_id}:{state.ctag}:{room.name}")
            last_modified = max(last_modified, state.last_modified)
        name = self.feed_name(token, rooms)
        feed = "|".join([FORMAT, token.scope, token.target, token.privacy.value,
                         "expand" if request.expand else "series", window.start.isoformat(),
                         window.end.isoformat(), str(self.settings.refresh_minutes), name])
        key = "|".join([feed, *states])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return FeedVersion(key, f'"{digest}"', last_modified.replace(microsecond=0), name,
                           rooms, feed)

    # ---- bodies ------------------------------------------------------------------------------

    def cached(self, version: FeedVersion) -> FeedBody | None:
        with self._lock:
            body = self._cache.get(version.key)
            if body is not None:
                self._cache.move_to_end(version.key)
            return body

    def body(self, request: FeedRequest, version: FeedVersion) -> FeedBody:
        """The body for ``version`` (rendered once, then served from the cache)."""
        body = self.cached(version)
        if body is not None:
            return body
        with self._lock:
            flight = self._rendering.setdefault(version.key, threading.Lock())
        with flight:  # one render per version; concurrent requests wait for it
            body = self.cached(version)
            if body is not None:
                return body
            body = FeedBody(self.render(request, version).encode("utf-8"))
            with self._lock:
                replaced = self._latest.get(version.feed)
                if replaced is not None and replaced in self._cache:  # an older version
                    self._cache_bytes -= len(self._cache.pop(replaced).identity)
                self._latest[version.feed] = version.key
                self._cache[version.key] = body
                self._cache_bytes += len(body.identity)
                evicted = False
                while self._cache_bytes > _CACHE_BYTES and len(self._cache) > 1:
                    _, old = self._cache.popitem(last=False)
                    self._cache_bytes -= len(old.identity)
                    evicted = True
                if evicted:
                    self._latest = {feed: key for feed, key in self._latest.items()
                                    if key in self._cache}
                self._rendering.pop(version.key, None)
        return body

    def room_zone(self, room: Room):
        return zone_info(iana_zone(room.zone, self.default_zone))

    def render(self, request: FeedRequest, version: FeedVersion) -> str:
        """The VCALENDAR text (CRLF line ends) of ``version``."""
        level = request.token.privacy
        window = request.window
        calendar = CalendarAssembly()
        expanded: list[tuple[tuple[datetime, str], str]] = []
        seen: set[str] = set()
        for room in version.rooms:
            try:
                objects = self.store.objects_in_range(room.calendar_id, window.start, window.end)
            except UnknownCalendar:
                continue
            objects = [o for o in objects if o.uid not in seen]
            seen.update(o.uid for o in objects)
            if request.expand:
                expanded.extend(self._expanded(room, objects, window, level))
                continue
            for stored in sorted(objects, key=lambda o: (o.start_utc, o.uid)):
                calendar.add_object(stored.ical, stored.start_utc, stored.end_utc,
                                    self.redacted.text(stored, level))
        calendar.add_components(text for _, text in sorted(expanded))
        head = [
            "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
            f"X-WR-CALNAME:{escape_text(version.name)}", f"NAME:{escape_text(version.name)}",
            f"REFRESH-INTERVAL;VALUE=DURATION:PT{self.settings.refresh_minutes}M",
            f"X-PUBLISHED-TTL:PT{self.settings.refresh_minutes}M",
        ]
        return calendar.text(fold(line) for line in head)

    def _expanded(self, room: Room, objects: list[StoredObject], window: FeedWindow,
                  level: Privacy) -> list[tuple[tuple[datetime, str], str]]:
        by_href = {stored.href: stored for stored in objects}
        spans: dict[str, list[tuple[datetime, datetime]]] = {}
        for span in self.index.spans(room.calendar_id, window.start, window.end):
            if span.href in by_href:
                spans.setdefault(span.href, []).append((span.start, span.end))
        zone = self.room_zone(room)
        out = []
        for href, occurrences in spans.items():
            blocks = self.redacted.blocks(by_href[href], level)
            for event in expand_blocks(blocks, occurrences, zone):
                text = CRLF.join(fold(line) for line in event.lines) + CRLF
                out.append(((event.start, event.uid), text))
        return out
