"""What the layers around Radicale share: its whole answer to a request, and whether a path
names a calendar collection (a room's or a user's meetings calendar)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from radicale_plugin import namespace
from radicale_plugin.meetings import personal_segments


@dataclass
class InnerAnswer:
    """Status line, headers and body of an answer, read whole."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case)."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def without(self, *names: str) -> list[tuple[str, str]]:
        """The headers but those called ``names`` (lower case)."""
        return [(key, value) for key, value in self.headers if key.lower() not in names]


def answer_of(app: Callable, environ: dict) -> InnerAnswer:
    """``app``'s answer to ``environ``, read whole (a small answer: Radicale's depth 0, one
    slice of a REPORT, an object, or the empty text of a streamed calendar)."""
    captured: dict = {}

    def capture(status: str, headers: list, exc_info=None):
        captured["status"], captured["headers"] = status, list(headers)
        return lambda data: None

    body = b"".join(app(environ, capture))
    return InnerAnswer(captured["status"], captured["headers"], body)


def addresses_calendar(runtime, path: str) -> bool:
    """Whether ``path`` is a calendar collection itself (not a home, not an object)."""
    location = namespace.parse_path(path, personal_segments(runtime))
    return isinstance(location, (namespace.RoomPath, namespace.MeetingsPath))
