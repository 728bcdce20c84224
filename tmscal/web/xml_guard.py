"""Refuses hostile XML request bodies before anything parses them into a tree.

Radicale parses PROPFIND/REPORT/PROPPATCH/MKCALENDAR bodies with ElementTree and walks the tree
recursively: 200,000 nested elements crash the process (SIGSEGV) and a few thousand give a 500;
a body declaring entities (DOCTYPE) gives a 500 from defusedxml. :class:`XmlBodyGuard` reads the
body once (up to ``max_bytes``), scans it with expat (a streaming parser that builds nothing)
and answers

* 413 when the body is larger than ``max_bytes``,
* 400 when elements nest deeper than ``max_depth``, a DOCTYPE (or entity) is declared, or the
  body is not well-formed XML,

each with a one-line reason; otherwise the request goes on with the body it read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from xml.parsers import expat

from tmscal.web.errors import refusal_response

log = logging.getLogger(__name__)

#: Methods whose body Radicale parses as XML.
XML_METHODS = frozenset({"PROPFIND", "REPORT", "PROPPATCH", "MKCALENDAR", "MKCOL"})


class BodyRefused(ValueError):
    """The body may not be parsed; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_xml(body: bytes, max_depth: int) -> None:
    """Raise :class:`BodyRefused` unless ``body`` is well-formed XML without a DOCTYPE whose
    elements nest at most ``max_depth`` deep."""
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def start(name, attributes):
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise BodyRefused(400, f"the XML body nests elements more than {max_depth} deep")

    def end(name):
        nonlocal depth
        depth -= 1

    def doctype(*args):
        raise BodyRefused(400, "XML bodies may not declare a DOCTYPE or entities")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(body, True)
    except expat.ExpatError as error:
        raise BodyRefused(400, f"the body is not well-formed XML: {error}") from None


class XmlBodyGuard:
    """WSGI middleware: see the module docstring."""

    def __init__(self, app: Callable, *, max_bytes: int, max_depth: int) -> None:
        self._app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in XML_METHODS:
            return self._app(environ, start_response)
        try:
            body = self._read(environ)
            if body.strip():
                check_xml(body, self.max_depth)
        except BodyRefused as refused:
            log.info("%s %s refused (%d): %s", environ.get("REQUEST_METHOD"),
                     environ.get("PATH_INFO", ""), refused.status, refused.reason)
            status, headers, answer = refusal_response(refused.status, refused.reason, None, {})
            start_response(status, headers)
            return [answer]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._app(environ, start_response)

    def _read(self, environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BodyRefused(400, "Content-Length is not a number") from None
        if length > self.max_bytes:
            raise BodyRefused(413, f"XML bodies are limited to {self.max_bytes} bytes")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        return body
