"""The time window of a feed request: ``past`` / ``future`` days around today, capped.

Windows are aligned to UTC midnight, so the same request gives the same window (and the same
cache entry and ETag) for a whole day; the content can change at midnight, which is why the
window start also bounds Last-Modified from below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tmscal.settings import FeedSettings


class BadWindow(ValueError):
    """A ``past`` / ``future`` parameter that is not a whole number of days ≥ 0."""


@dataclass(frozen=True)
class FeedWindow:
    """``[start, end)`` in UTC; ``day`` is the UTC midnight the window was computed on."""

    start: datetime
    end: datetime
    day: datetime


def _days(text: str | None, default: int, cap: int, name: str) -> int:
    if text is None or text == "":
        return min(default, cap)
    if not text.isdigit() or len(text) > 6:
        raise BadWindow(f"{name} must be a whole number of days (0 to {cap})")
    return min(int(text), cap)


def feed_window(settings: FeedSettings, now: datetime, past: str | None = None,
                future: str | None = None) -> FeedWindow:
    """The window for the query parameters ``past``/``future`` (None = default); values above
    the configured caps are reduced to the caps."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    back = _days(past, settings.past_days, settings.max_past_days, "past")
    ahead = _days(future, settings.future_days, settings.max_future_days, "future")
    return FeedWindow(day - timedelta(days=back), day + timedelta(days=ahead + 1), day)
