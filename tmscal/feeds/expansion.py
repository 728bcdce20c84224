"""Series → single events, for panels that cannot expand RRULEs (``expand=1``) and for the
display page.

Which occurrences exist comes from the mirror's occurrence index (what TMS holds, moved and
deleted occurrences already applied); what each occurrence shows comes from the object's
override VEVENT whose DTSTART is that occurrence's start, else from the master. An expanded
event of a series gets the UID ``<uid>-<RECURRENCE-ID in UTC>`` (stable when the occurrence
moves), times in UTC (DATE values for all-day events), and no RRULE, RDATE, EXDATE or
RECURRENCE-ID; every other property of the (redacted) source event is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from tmscal.ical.content_lines import property_name
from tmscal.feeds.event_values import UTC, first_line, instant, is_date, utc_stamp

_DROPPED = frozenset({"UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE",
                      "EXDATE", "RECURRENCE-ID"})


@dataclass(frozen=True)
class ExpandedEvent:
    """One occurrence as a standalone VEVENT (unfolded ``lines``)."""

    uid: str
    start: datetime
    end: datetime
    lines: list[str]


@dataclass
class _Source:
    lines: list[str]
    original: datetime | None


def expand_blocks(blocks: list[list[str]], spans: list[tuple[datetime, datetime]],
                  zone: tzinfo = UTC) -> list[ExpandedEvent]:
    """Standalone events for the occurrences ``spans`` (UTC start, end) of one object whose
    (already redacted) VEVENT blocks are ``blocks``. ``zone`` places all-day dates."""
    master: list[str] | None = None
    by_start: dict[datetime, _Source] = {}
    for block in blocks:
        recurrence_id = first_line(block, "RECURRENCE-ID")
        if recurrence_id is None:
            master = block
            continue
        start_line = first_line(block, "DTSTART")
        if start_line is not None:
            by_start[instant(start_line, zone)] = _Source(block, instant(recurrence_id, zone))
    if master is None and not by_start:
        return []
    recurring = master is None or bool(by_start) or any(
        property_name(line) in ("RRULE", "RDATE") for line in master)
    events = []
    for start, end in spans:
        source = by_start.get(start) or _Source(master or [], start)
        if not source.lines:
            continue
        events.append(_standalone(source, start, end, recurring, zone))
    return events


def _standalone(source: _Source, start: datetime, end: datetime, recurring: bool,
                zone: tzinfo) -> ExpandedEvent:
    uid_line = first_line(source.lines, "UID")
    uid = uid_line.value if uid_line is not None else ""
    if recurring and source.original is not None:
        uid = f"{uid}-{utc_stamp(source.original)}"
    stamp = first_line(source.lines, "DTSTAMP")
    start_line = first_line(source.lines, "DTSTART")
    lines = ["BEGIN:VEVENT", f"UID:{uid}"]
    if stamp is not None:
        lines.append(stamp.text())
    if start_line is not None and is_date(start_line):
        lines.append(f"DTSTART;VALUE=DATE:{start.astimezone(zone).strftime('%Y%m%d')}")
        lines.append(f"DTEND;VALUE=DATE:{end.astimezone(zone).strftime('%Y%m%d')}")
    else:
        lines.append(f"DTSTART:{utc_stamp(start)}")
        lines.append(f"DTEND:{utc_stamp(end)}")
    depth = 0
    for line in source.lines[1:-1]:
        name = property_name(line)
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
            lines.append(line)
            continue
        if depth == 0 and name in _DROPPED:
            continue
        lines.append(line)
    lines.append("END:VEVENT")
    return ExpandedEvent(uid, start, end, lines)
