"""DTSTAMP and LAST-MODIFIED: the instant the mirror stored the change.

TMS tells no modification time, so the mirror stamps what it stores: :func:`stamped` gives a
rendered text the instant of storing, except when it differs from the text already stored only
in its stamps (nothing changed: the stored text, stamps included, stays). The renderer writes
every stamp as one ``DTSTAMP:``/``LAST-MODIFIED:`` line of a UTC DATE-TIME
(:func:`utc_text`); those are the lines replaced here.
"""

from __future__ import annotations

import re
from datetime import datetime

from tmscal.model import UTC

_STAMP = re.compile(r"^(DTSTAMP|LAST-MODIFIED):(\d{8}T\d{6}Z)(?=\r?$)", re.MULTILINE)


def utc_text(instant: datetime) -> str:
    """A UTC DATE-TIME value (seconds precision), as icalendar writes it."""
    instant = instant.astimezone(UTC)
    return (f"{instant.year:04d}{instant.month:02d}{instant.day:02d}T"
            f"{instant.hour:02d}{instant.minute:02d}{instant.second:02d}Z")


def _restamped(text: str, stamp: str) -> str:
    return _STAMP.sub(lambda match: f"{match.group(1)}:{stamp}", text)


def stamped(text: str, stored: str | None, stored_at: datetime) -> str:
    """``text`` as the mirror stores it at ``stored_at``: ``stored`` (the text it replaces)
    when only the stamps differ, else ``text`` with every stamp set to ``stored_at``."""
    if stored is not None:
        previous = _STAMP.search(stored)
        if (_restamped(text, previous.group(2)) if previous else text) == stored:
            return stored
    return _restamped(text, utc_text(stored_at))
