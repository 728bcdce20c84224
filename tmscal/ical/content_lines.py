"""Content-line text (RFC 5545 3.1, 3.3.11): the one place the project escapes, unescapes,
folds, unfolds and splits iCalendar lines.

* :func:`escape_text` / :func:`unescape_text` — TEXT values;
* :func:`fold` / :func:`unfold` — 75-octet folding (the lines the feeds and calendar assembly
  write) and its inverse;
* :func:`folded` — a line folded as icalendar folds it (the renderer's stored text must stay
  icalendar's, byte for byte, so its ETags do not move);
* :class:`ContentLine`, :func:`parse_line`, :func:`property_name` — one unfolded line split
  into name, raw parameters and raw value, quoting preserved, so a line not rewritten comes
  out byte-identical;
* :func:`without_control_characters` — what TEXT may not hold, removed.

The renderer's whole lines (icalendar's text without its overhead) are :mod:`.render_lines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from icalendar.parser import Contentline

CRLF = "\r\n"
#: RFC 5545 3.1: a physical line holds at most 75 octets (without its CRLF).
_FOLD_OCTETS = 75
#: icalendar writes at most this many octets per physical line (before the CRLF + space).
_WIDTH = 74
#: icalendar never ends a folded piece with one of these (it would split an escape).
_ESCAPES = "\\^"
_NAME = re.compile(r"[^;:]*")
_PARAM = re.compile(r';([^=;:]+)=((?:"[^"]*"|[^;:"])*)')


def unfold(text: str) -> list[str]:
    """The logical lines of ``text`` (CRLF or LF endings; folded lines joined; empty dropped)."""
    joined = text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")
    return [line for line in joined.split("\n") if line]


def fold(line: str) -> str:
    """``line`` folded at 75 octets (never inside a UTF-8 sequence), without the final CRLF."""
    if line.isascii():
        if len(line) <= _FOLD_OCTETS:
            return line
        first, rest = line[:_FOLD_OCTETS], line[_FOLD_OCTETS:]
        step = _FOLD_OCTETS - 1
        return "\r\n ".join([first, *(rest[i:i + step] for i in range(0, len(rest), step))])
    if len(line.encode("utf-8")) <= _FOLD_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, _FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, _FOLD_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


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


#: Control characters (C0 but TAB, LF and CR; DEL; C1): RFC 5545 TEXT may not hold them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    """``text`` with the control characters iCalendar forbids removed (a TMS title such as
    ``"Board\x1b[1m meeting"`` then still shows, as ``"Board[1m meeting"``)."""
    return _CONTROL.sub("", text)


def escape_text(text: str) -> str:
    r"""Plain text as an RFC 5545 TEXT value: ``\``, ``;`` and ``,`` escaped, every line end
    (CRLF, LF, CR) written ``\n``."""
    return (text.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,")
            .replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n"))


def unescape_text(value: str) -> str:
    r"""An RFC 5545 TEXT value as plain text, read left to right: ``\n``/``\N`` is a line
    break, ``\\`` one backslash (so ``C:\\new`` stays ``C:\new``), ``\x`` is ``x``."""
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        following = next(chars, "")
        out.append("\n" if following in ("n", "N") else following)
    return "".join(out)


@dataclass(frozen=True)
class ContentLine:
    """One unfolded line: upper-case ``name``, raw ``(NAME, value)`` parameters, raw ``value``."""

    name: str
    params: tuple[tuple[str, str], ...]
    value: str

    def param(self, name: str) -> str | None:
        """The unquoted value of parameter ``name`` (case-insensitive), or None."""
        for key, value in self.params:
            if key == name:
                return value[1:-1] if value.startswith('"') and value.endswith('"') else value
        return None

    def text(self) -> str:
        """The unfolded line."""
        params = "".join(f";{key}={value}" for key, value in self.params)
        return f"{self.name}{params}:{self.value}"


def parse_line(line: str) -> ContentLine:
    """Split an unfolded line; ``:`` and ``;`` inside double quotes belong to the parameter."""
    match = _NAME.match(line)
    name = match.group() if match else ""
    position = len(name)
    params: list[tuple[str, str]] = []
    while position < len(line) and line[position] == ";":
        param = _PARAM.match(line, position)
        if param is None:
            break
        params.append((param.group(1).upper(), param.group(2)))
        position = param.end()
    if position >= len(line) or line[position] != ":":
        return ContentLine(line.upper(), (), "")
    return ContentLine(name.upper(), tuple(params), line[position + 1:])


def property_name(line: str) -> str:
    """The upper-case property name of an unfolded line (fast path: no parameter parsing)."""
    return _NAME.match(line).group().upper()  # type: ignore[union-attr]
