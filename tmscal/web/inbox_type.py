"""The schedule inbox's resource type (RFC 6638 §2.2): ``schedule-inbox``, not ``calendar``.

Radicale gives every calendar collection ``<C:calendar/>``; this WSGI middleware, around the
Radicale application, answers PROPFINDs of ``/<user>/inbox/`` with ``<C:schedule-inbox/>`` in
its place (so no client lists the inbox as a calendar). Other requests pass untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from radicale_plugin.namespace import SCHEDULE_INBOX

_INBOX_PATH = re.compile(rf"/[^/]+/{SCHEDULE_INBOX}/?")
_COLLECTION = re.compile(rb"(<href>[^<]*/" + SCHEDULE_INBOX.encode() + rb"/</href>.*?)"
                         rb"<C:calendar\s*/>", re.DOTALL)


def inbox_resourcetype(body: bytes) -> bytes:
    """The multistatus ``body`` with the inbox's resource type said as ``schedule-inbox``."""
    return _COLLECTION.sub(rb"\1<C:schedule-inbox />", body, count=1)


class InboxResourceType:
    """WSGI middleware rewriting the inbox's PROPFIND answer (see the module docstring)."""

    def __init__(self, app: Callable) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "PROPFIND" or \
                not _INBOX_PATH.fullmatch(environ.get("PATH_INFO", "")):
            return self._app(environ, start_response)
        environ = {**environ}
        environ.pop("HTTP_ACCEPT_ENCODING", None)  # rewritten here: let the answer come plain
        captured: dict[str, object] = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = inbox_resourcetype(b"".join(self._app(environ, capture)))
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v)
                   for k, v in captured["headers"]]  # type: ignore[union-attr]
        start_response(captured["status"], headers)
        return [body]
