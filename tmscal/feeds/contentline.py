"""iCalendar content lines (RFC 5545 3.1): unfolding, folding, and splitting one line into
name, parameters and value without losing quoting.

Only what the feeds need: values are kept as raw text, parameters as raw ``NAME=value`` pairs
(quotes preserved), so a line that is not rewritten comes out byte-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CRLF = "\r\n"
_FOLD_OCTETS = 75
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
