"""Now/next data of a room display: is the room free, busy or about to be busy, what is on
now and what is next today (in the room's own zone), at the token's privacy level.

:func:`room_display` is the JSON the page polls (``/display/<token>.json``) and the page's
first state; times are given as UTC ISO strings, epoch milliseconds (for the page's clock
arithmetic) and preformatted local ``HH:MM`` (old browsers cannot convert zones).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tmscal.feeds.event_values import first_line
from tmscal.feeds.expansion import ExpandedEvent, expand_blocks
from tmscal.feeds.feed import FeedBuilder
from tmscal.feeds.tokens import FeedToken
from tmscal.ical.content_lines import unescape_text
from tmscal.ical.privacy import BUSY_SUMMARY, Privacy
from tmscal.mirror.records import iana_zone
from tmscal.mirror.store import Room

MAX_NEXT = 6


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _booking(event: ExpandedEvent, level: Privacy, zone) -> dict[str, object]:
    summary = first_line(event.lines, "SUMMARY")
    title = unescape_text(summary.value) if summary is not None else BUSY_SUMMARY
    organizer = ""
    if level.shows_title:
        line = first_line(event.lines, "ORGANIZER")
        organizer = (line.param("CN") or "") if line is not None else ""
    return {
        "title": title if level.shows_title else BUSY_SUMMARY,
        "organizer": organizer,
        "start": event.start.isoformat().replace("+00:00", "Z"),
        "end": event.end.isoformat().replace("+00:00", "Z"),
        "start_ms": _ms(event.start), "end_ms": _ms(event.end),
        "start_local": event.start.astimezone(zone).strftime("%H:%M"),
        "end_local": event.end.astimezone(zone).strftime("%H:%M"),
    }


def today_events(builder: FeedBuilder, room: Room, level: Privacy, now: datetime
                 ) -> tuple[list[ExpandedEvent], object]:
    """Occurrences in ``room`` from ``now`` to the end of the room's local day (the one in
    progress included), sorted, and the room's zone."""
    zone = builder.room_zone(room)
    local = now.astimezone(zone)
    day_end = (local.replace(hour=0, minute=0, second=0, microsecond=0)
               + timedelta(days=1)).replace(tzinfo=None)
    end = day_end.replace(tzinfo=zone).astimezone(UTC)
    spans = builder.index.spans(room.calendar_id, now, max(end, now + timedelta(minutes=1)))
    by_href: dict[str, list[tuple[datetime, datetime]]] = {}
    for span in spans:
        by_href.setdefault(span.href, []).append((span.start, span.end))
    events: list[ExpandedEvent] = []
    for stored in builder.store.get_objects(room.calendar_id, by_href):
        blocks = builder.redacted.blocks(stored, level)
        events.extend(expand_blocks(blocks, by_href[stored.href], zone))
    events.sort(key=lambda event: (event.start, event.uid))
    return events, zone


def room_display(builder: FeedBuilder, token: FeedToken, room: Room, now: datetime
                 ) -> dict[str, object]:
    """The display data of ``room`` at ``now`` for ``token``."""
    level = token.privacy
    events, zone = today_events(builder, room, level, now)
    current = next((e for e in events if e.start <= now < e.end), None)
    upcoming = [e for e in events if e.start > now]
    soon = timedelta(minutes=builder.settings.soon_minutes)
    if current is not None:
        state = "busy"
    elif upcoming and upcoming[0].start - now <= soon:
        state = "soon"
    else:
        state = "free"
    offset = now.astimezone(zone).utcoffset() or timedelta(0)
    return {
        "room": room.name,
        "site": room.site,
        "zone": iana_zone(room.zone, builder.default_zone),
        "privacy": level.value,
        "now": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "now_ms": _ms(now),
        "utc_offset_minutes": int(offset.total_seconds() // 60),
        "state": state,
        "soon_minutes": builder.settings.soon_minutes,
        "current": _booking(current, level, zone) if current is not None else None,
        "next": [_booking(e, level, zone) for e in upcoming[:MAX_NEXT]],
        "refresh_seconds": builder.settings.display_refresh_seconds,
    }

