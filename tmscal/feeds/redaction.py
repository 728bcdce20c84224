"""What each privacy level keeps of a stored (full) VEVENT.

The mirror stores every conference rendered at the bridge's privacy (normally ``full``).
A feed at a lower level keeps only an allow-list of properties, so nothing new the renderer
may add later can leak:

* ``busy``: UID, DTSTAMP, the times and the recurrence (DTSTART, DTEND, DURATION, RRULE,
  RDATE, EXDATE, RECURRENCE-ID) and ``SUMMARY:Busy``.
* ``title``: ``busy`` plus the real SUMMARY, STATUS, SEQUENCE, LAST-MODIFIED, TRANSP, the
  ORGANIZER reduced to its name (``urn:x-tms:user:owner``, CN only) and the room ATTENDEEs
  (``CUTYPE=ROOM``) reduced to CUTYPE, ROLE, PARTSTAT and CN.
* ``full``: the stored event unchanged.

Nested components (alarms) are dropped below ``full``. The result matches what
:func:`tmscal.ical.render_conference` renders at that level.
"""

from __future__ import annotations

from tmscal.ical.content_lines import ContentLine, parse_line, property_name
from tmscal.ical.privacy import BUSY_SUMMARY, Privacy

OWNER_URN = "urn:x-tms:user:owner"
_TIMES = frozenset({"UID", "DTSTAMP", "RECURRENCE-ID", "DTSTART", "DTEND", "DURATION",
                    "RRULE", "RDATE", "EXDATE"})
_TITLE = _TIMES | {"SUMMARY", "STATUS", "SEQUENCE", "LAST-MODIFIED", "TRANSP"}
_ROOM_PARAMS = ("CUTYPE", "ROLE", "PARTSTAT", "CN")


def redact_event(block: list[str], level: Privacy) -> list[str]:
    """The unfolded lines of VEVENT ``block`` that ``level`` may show (BEGIN/END kept)."""
    if level is Privacy.FULL:
        return block
    kept = [block[0]]
    depth = 0
    summary_seen = False
    for line in block[1:-1]:
        name = property_name(line)
        if name == "BEGIN":
            depth += 1
            continue
        if name == "END":
            depth -= 1
            continue
        if depth:
            continue
        if name == "SUMMARY":
            summary_seen = True
            kept.append(line if level.shows_title else f"SUMMARY:{BUSY_SUMMARY}")
        elif name in _TIMES or (level.shows_title and name in _TITLE):
            kept.append(line)
        elif level.shows_title and name == "ORGANIZER":
            kept.append(_organizer_name_only(parse_line(line)))
        elif level.shows_title and name == "ATTENDEE":
            room = _room_attendee(parse_line(line))
            if room is not None:
                kept.append(room)
    if not summary_seen:
        kept.append(f"SUMMARY:{BUSY_SUMMARY}")
    kept.append(block[-1])
    return kept


def _organizer_name_only(line: ContentLine) -> str:
    params = tuple((key, value) for key, value in line.params if key == "CN")
    return ContentLine("ORGANIZER", params, OWNER_URN).text()


def _room_attendee(line: ContentLine) -> str | None:
    if (line.param("CUTYPE") or "").upper() != "ROOM":
        return None
    params = tuple((key, value) for key, value in line.params if key in _ROOM_PARAMS)
    return ContentLine("ATTENDEE", params, line.value).text()
