"""Content lines as text, byte-for-byte what icalendar writes, without its per-call overhead.

icalendar builds a property object, a parameter dictionary and a content line for every
property, and folds every line character by character. For the long, plain tails of our events
(the X-TMS properties) and for the common short line that needs no folding, this module gives
the same text directly:

* :func:`folded` — a content line folded as icalendar folds it (short ASCII lines as they are,
  others by icalendar itself);
* :func:`text_line` — ``NAME:value`` for a TEXT value without parameters, escaped as
  ``icalendar.vText`` escapes;
* :func:`calendar_text` — ``calendar.to_ical(sorted=False)`` as text, with pre-written lines
  spliced in before each ``END:VEVENT``.
"""

from __future__ import annotations

from collections.abc import Sequence

from icalendar import Calendar
from icalendar.parser import Contentline

#: icalendar writes at most this many octets per physical line (before the CRLF + space).
_WIDTH = 74
#: icalendar never ends a folded piece with one of these (it would split an escape).
_ESCAPES = "\\^"


def folded(line: str) -> str:
    r"""``line`` folded (CRLF + space) exactly as ``icalendar.Contentline.to_ical`` folds it:
    pieces of 74 octets, where a piece that would end in ``\`` or ``^`` leaves that character
    to the next. ASCII lines are cut here by position; others are folded by icalendar."""
    if not line.isascii():
        return Contentline(line).to_ical().decode("utf-8")
    if len(line) <= _WIDTH:
        return line
    pieces, start = [], 0
    while len(line) - start > _WIDTH:
        end = start + _WIDTH
        if line[end - 1] in _ESCAPES:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces)


def escaped_text(text: str) -> str:
    """RFC 5545 TEXT escaping, in ``icalendar.vText``'s order (line ends normalised to \\n)."""
    return (text.replace(r"\N", "\n").replace("\\", "\\\\").replace(";", r"\;")
            .replace(",", r"\,").replace("\r\n", r"\n").replace("\n", r"\n")
            .replace("\r", r"\n"))


def text_line(name: str, text: str) -> str:
    """The folded content line of TEXT property ``name`` (no parameters), without CRLF."""
    return folded(f"{name}:{escaped_text(text)}")


def calendar_text(calendar: Calendar, event_tails: Sequence[Sequence[str]] = ()) -> str:
    """The calendar's text (properties unsorted), each line ending in CRLF; the lines in
    ``event_tails[i]`` (already folded) close the i-th VEVENT, before its ``END:VEVENT``."""
    out: list[str] = []
    event = 0
    for line in calendar.content_lines(sorted=False):
        if not line:
            continue
        if line == "END:VEVENT" and event < len(event_tails):
            out.extend(tail + "\r\n" for tail in event_tails[event])
            event += 1
        out.append(folded(line) + "\r\n")
    return "".join(out)
