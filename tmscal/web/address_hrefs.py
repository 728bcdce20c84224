"""``calendar-user-address-set`` of a room calendar as RFC 6638 wants it: ``DAV:href`` values.

Radicale serves a collection property it does not know as the text of the property element; the
room calendars carry their calendar-user address that way
(:meth:`tmscal.bridge.invitations.meetings.MeetingCalendars.address_of`). This WSGI middleware,
placed around the Radicale application, wraps that text in ``<href>`` (the responses' default
namespace is ``DAV:``). Only PROPFINDs that ask for it (by name, allprop, or an empty body) are
buffered, and uncompressed; everything else passes through untouched.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable

_PROPERTY = re.compile(rb"<(C:calendar-user-address-set)>([^<]+)</\1>")


def wrap_address_hrefs(body: bytes) -> bytes:
    """``<C:calendar-user-address-set>mailto:…</…>`` → ``…><href>mailto:…</href></…>``."""
    return _PROPERTY.sub(rb"<\1><href>\2</href></\1>", body)


class AddressHrefs:
    """WSGI middleware rewriting PROPFIND answers (see the module docstring)."""

    def __init__(self, app: Callable) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "PROPFIND":
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length > 0 else b""
        environ = {**environ, "wsgi.input": io.BytesIO(request)}
        if request and b"calendar-user-address-set" not in request \
                and b"allprop" not in request:
            return self._app(environ, start_response)
        environ.pop("HTTP_ACCEPT_ENCODING", None)  # rewritten here: let the answer come plain
        captured: dict[str, object] = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self._app(environ, capture))
        if b"calendar-user-address-set>" in body:
            body = wrap_address_hrefs(body)
            captured["headers"] = [(k, str(len(body)) if k.lower() == "content-length" else v)
                                   for k, v in captured["headers"]]  # type: ignore[union-attr]
        start_response(captured["status"], captured["headers"])
        return [body]
