"""How refusal reasons name a time: in the room's zone, with its offset from UTC.

``Sat 12 Dec 10:30–11:30 Europe/Oslo (UTC+01:00)`` (``… 10:30–11:30 UTC`` in UTC); a span
that ends on another local day names both days. The text depends on nothing but its arguments.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str) -> tuple[ZoneInfo, str]:
    from tmscal.ical.zones import iana_for_windows, is_known_zone

    if name and not is_known_zone(name):
        name = iana_for_windows(name) or "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), "UTC"


def _offset(instant: datetime) -> str:
    raw = instant.strftime("%z") or "+0000"
    return f"UTC{raw[:3]}:{raw[3:5]}"


def local_span(start: datetime | None, end: datetime | None, zone: str) -> str:
    """``start``–``end`` (aware datetimes) in ``zone`` (IANA or Windows) for a reason; ``at the
    requested time`` without a start."""
    if start is None:
        return "at the requested time"
    tz, name = _zone(zone)
    local_start = start.astimezone(tz)
    text = local_start.strftime("%a %d %b %H:%M")
    if end is not None:
        local_end = end.astimezone(tz)
        same_day = local_end.date() == local_start.date()
        text += "–" + local_end.strftime("%H:%M" if same_day else "%a %d %b %H:%M")
    if name == "UTC":
        return f"{text} UTC"
    return f"{text} {name} ({_offset(local_start)})"
