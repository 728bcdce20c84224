"""Conditional GET, HEAD and gzip for calendar collections and objects (RFC 9110 13, 15.4.5).

WSGI middleware around :class:`~tmscal.web.errors.RefusalTranslation`. Radicale answers a GET
with the ETag and Last-Modified of the collection or object (a collection's ETag is its
ctag-derived value, so it changes with every change in the calendar); this layer then

* answers ``If-None-Match`` / ``If-Modified-Since`` that still match with 304 and no body;
* answers HEAD as a GET would, without the body (a HEAD reaches Radicale as a GET, so both
  get the same headers; a whole calendar is never rendered for either, see below);
* streams a whole calendar: the plugin hands Radicale an empty text and leaves the pieces in
  the request's outcome (:func:`radicale_plugin.outcome.defers_body`), so the answer has no
  Content-Length and is written as it is rendered;
* gzips (``Accept-Encoding: gzip``) a streamed calendar and any object of
  :data:`GZIP_MIN_BYTES` or more, with ``Vary: Accept-Encoding``. The ETag stays the one
  PROPFIND and REPORT give (unlike the feeds' ``-gz`` variant): CalDAV clients send the ETag of
  a GET back in ``If-Match`` when they change the object.

Other answers pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tmscal.web.conditional import (accepts_gzip, gzip_chunks, not_modified,
                                    not_modified_headers, parse_http_date)
from tmscal.web.errors import OUTCOME_KEY
from tmscal.web.inner_answer import answer_of

#: smaller answers are sent as they are (gzip would save little)
GZIP_MIN_BYTES = 1400


class ConditionalReads:
    """WSGI middleware (see the module docstring)."""

    def __init__(self, app: Callable) -> None:
        self._app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self._app(environ, start_response)
        inner = {**environ, "REQUEST_METHOD": "GET"}
        inner.pop("HTTP_ACCEPT_ENCODING", None)  # encoded here
        answer = answer_of(self._app, inner)
        status, body = answer.status, answer.body
        etag = answer.header("etag")
        last_modified = parse_http_date(answer.header("last-modified"))
        if answer.code != 200 or etag is None or last_modified is None:
            start_response(status, answer.headers)
            return [] if method == "HEAD" else [body]
        notes = inner.get(OUTCOME_KEY)
        streamed = notes.body if notes is not None else None
        gzip = accepts_gzip(environ) and (streamed is not None or len(body) >= GZIP_MIN_BYTES)
        headers = answer.without("content-length", "content-encoding", "etag", "vary")
        headers += [("ETag", etag), ("Vary", "Accept-Encoding")]
        if not_modified(environ, etag, last_modified):
            start_response("304 Not Modified", not_modified_headers(headers))
            return []
        if gzip:
            headers.append(("Content-Encoding", "gzip"))
        if streamed is None:
            if gzip:
                body = b"".join(gzip_chunks([body]))
            headers.append(("Content-Length", str(len(body))))
            start_response(status, headers)
            return [] if method == "HEAD" else [body]
        start_response(status, headers)
        if method == "HEAD":
            return []
        chunks = (text.encode("utf-8") for text in streamed())
        return gzip_chunks(chunks) if gzip else chunks
