"""``[feeds]``: ICS feeds and room displays.

Keys (all optional)::

    [feeds]
    public_url = https://cal.example.com/   base URL printed by ``tmscal feeds`` (default:
                                            http://<[server] host>:<[server] port>/)
    refresh_minutes = 15                    REFRESH-INTERVAL / X-PUBLISHED-TTL of every feed
    past_days = 30                          default window before today (UTC midnight)
    future_days = 180                       default window after today
    max_past_days = 365                     caps of the ``past`` / ``future`` query parameters
    max_future_days = 730
    soon_minutes = 10                       a display shows "starting soon" this long before
    display_refresh_seconds = 30            how often a display page polls
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tmscal.settings.reader import Section


@dataclass(frozen=True)
class FeedSettings:
    """How feeds and displays behave (see the module docstring)."""

    public_url: str = ""
    refresh_minutes: int = 15
    past_days: int = 30
    future_days: int = 180
    max_past_days: int = 365
    max_future_days: int = 730
    soon_minutes: int = 10
    display_refresh_seconds: int = 30


def read_feeds(section: Section, base: Path | None) -> FeedSettings:
    defaults = FeedSettings()
    return FeedSettings(
        public_url=section.text("public_url", defaults.public_url),
        **{name: section.whole_number(name, getattr(defaults, name))
           for name in ("refresh_minutes", "past_days", "future_days", "max_past_days",
                        "max_future_days", "soon_minutes", "display_refresh_seconds")})
