"""Reading the few values a feed needs out of unfolded VEVENT lines: instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from tmscal.ical.content_lines import ContentLine, parse_line, property_name
from tmscal.ical.zones import zone_info


def first_line(lines: list[str], name: str) -> ContentLine | None:
    """The first top-level property ``name`` of a VEVENT block, parsed."""
    for line in lines:
        if property_name(line) == name:
            return parse_line(line)
    return None


def is_date(line: ContentLine) -> bool:
    return (line.param("VALUE") or "").upper() == "DATE" or len(line.value.strip()) == 8


def instant(line: ContentLine, fallback: tzinfo = UTC) -> datetime:
    """The UTC instant of a DATE-TIME (``Z``, ``TZID=`` or floating in ``fallback``) or of a
    DATE (local midnight in ``fallback``)."""
    value = line.value.strip()
    if is_date(line):
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        return datetime(day.year, day.month, day.day, tzinfo=fallback).astimezone(UTC)
    moment = datetime.strptime(value.rstrip("Zz")[:15], "%Y%m%dT%H%M%S")
    if value.upper().endswith("Z"):
        return moment.replace(tzinfo=UTC)
    zone_name = line.param("TZID")
    zone = zone_info(zone_name) if zone_name else fallback
    return moment.replace(tzinfo=zone).astimezone(UTC)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
