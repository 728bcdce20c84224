"""The parts of a stored calendar object a feed reuses: its VEVENT blocks and its zones.

The mirror keeps one VCALENDAR per conference (a master VEVENT, its overrides and the
VTIMEZONEs they need). Feeds merge many of them into one calendar, so they take the VEVENTs
out as unfolded lines and rebuild the VTIMEZONEs once per TZID.
"""

from __future__ import annotations

import re

from tmscal.feeds.contentline import unfold

_TZID_PARAM = re.compile(r';TZID=("[^"]*"|[^;:]*)')


def event_blocks(ical: str) -> list[list[str]]:
    """Every top-level VEVENT of ``ical`` as unfolded lines, BEGIN and END lines included."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    depth = 0
    for line in unfold(ical):
        upper = line.upper()
        if current is None:
            if upper == "BEGIN:VEVENT":
                current, depth = [line], 0
            continue
        current.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            if depth == 0:
                blocks.append(current)
                current = None
            else:
                depth -= 1
    return blocks


def events_text(ical: str) -> str:
    """The VEVENTs of ``ical`` as the stored (folded) text, CRLF-terminated: the fast path for
    a feed that shows objects unchanged."""
    start = ical.find("BEGIN:VEVENT")
    end = ical.rfind("END:VCALENDAR")
    if start < 0 or end < 0:
        return ""
    text = ical[start:end]
    if "\r\n" not in text:
        text = text.replace("\n", "\r\n")
    return text


def referenced_zones(lines: list[str]) -> set[str]:
    """TZIDs named by ``;TZID=`` parameters in ``lines``."""
    found: set[str] = set()
    for line in lines:
        for match in _TZID_PARAM.findall(line.split(":", 1)[0] + ":"):
            found.add(match.strip('"'))
    return found
