"""What makes a text unreadable as iCalendar, said in one line with the line and property.

Radicale answers a body it cannot parse with a bare "400 Bad Request"; the web layer asks
:func:`first_problem` what is wrong so the person sees, e.g.
``line 7: DTSTART value '2026-13-01T10:00' is not a DATE or DATE-TIME``. Only what breaks
parsing is checked (RFC 5545 §3.1 content lines, BEGIN/END nesting, value types of the date,
duration and recurrence properties); what TMS cannot store is :mod:`tmscal.ical.parse`'s job.
"""

from __future__ import annotations

import re

from icalendar.prop import vDDDLists, vDDDTypes, vDuration, vRecur

#: name *(";" param) ":" value (RFC 5545 §3.1); parameter values may be quoted.
_CONTENT_LINE = re.compile(
    r'(?P<name>[A-Za-z0-9-]+)(?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*'
    r":(?P<value>.*)\Z", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_DATES = {"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "DTSTAMP", "CREATED", "LAST-MODIFIED"}
_DATE_LISTS = {"EXDATE", "RDATE"}


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """``(number of its first physical line, unfolded line)`` for every content line."""
    lines: list[tuple[int, str]] = []
    for number, physical in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        if physical[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + physical[1:])
        elif physical.strip():
            lines.append((number, _CONTROL.sub("", physical)))
    return lines


def _value_problem(name: str, value: str, params: str) -> str:
    """Why ``value`` is not of the type ``name`` needs, or ``""``."""
    try:
        if name in _DATES:
            vDDDTypes.from_ical(value)
        elif name in _DATE_LISTS and "VALUE=PERIOD" not in params.upper():
            vDDDLists.from_ical(value)
        elif name == "DURATION":
            vDuration.from_ical(value)
        elif name == "RRULE":
            vRecur.from_ical(value)
        else:
            return ""
    except (ValueError, TypeError, KeyError):
        kind = {"DURATION": "a DURATION (e.g. PT1H)", "RRULE": "a recurrence rule"}.get(
            name, "a DATE or DATE-TIME (e.g. 20261212T093000Z)")
        return f"{name} value {value[:60]!r} is not {kind}"
    return ""


def first_problem(data: bytes | str) -> str:
    """The first thing that makes ``data`` unreadable iCalendar, as one line (``""`` if none
    of the checks above finds one)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[:error.start].count(b"\n") + 1
            return (f"line {line}: the calendar data is not UTF-8 "
                    f"(byte 0x{data[error.start]:02X})")
    else:
        text = data
    lines = _logical_lines(text)
    if not lines:
        return "the request has no calendar data (an empty body)"
    open_components: list[tuple[str, int]] = []
    for number, line in lines:
        match = _CONTENT_LINE.match(line)
        if match is None:
            return f"line {number}: {line[:60]!r} is not a content line (NAME:value)"
        name, value = match.group("name").upper(), match.group("value")
        if name == "BEGIN":
            if not open_components and value.upper() != "VCALENDAR":
                return f"line {number}: the data must start with BEGIN:VCALENDAR, not {line[:40]}"
            open_components.append((value.upper(), number))
        elif name == "END":
            if not open_components:
                return f"line {number}: END:{value} without a BEGIN"
            begun, begun_at = open_components.pop()
            if begun != value.upper():
                return f"line {number}: END:{value} closes BEGIN:{begun} of line {begun_at}"
        elif not open_components:
            return f"line {number}: {name} outside BEGIN:VCALENDAR … END:VCALENDAR"
        else:
            params = line[len(match.group("name")):len(line) - len(value)]
            problem = _value_problem(name, value.strip(), params)
            if problem:
                return f"line {number}: {problem}"
    if open_components:
        begun, begun_at = open_components[-1]
        return f"line {begun_at}: BEGIN:{begun} is never closed by END:{begun}"
    return ""
