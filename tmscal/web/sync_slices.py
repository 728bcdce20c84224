"""sync-collection REPORTs on a calendar answered in slices, so memory stays bounded.

Radicale reads every item of a REPORT before it writes a byte: an initial sync-collection of a
room with 100,000 bookings would hold them all. This WSGI middleware, around
:class:`~tmscal.web.errors.RefusalTranslation`, runs such a REPORT through Radicale once per
slice of the change list (:mod:`radicale_plugin.sync_window`: the list is worked out once,
on the first run) and streams the slices as one ``multistatus``: the first run's document
(its ``sync-token`` included) without its end tag, the responses of every further run, then
the end tag. Each run is a whole Radicale REPORT (authentication, rights, items, XML), so the
answer is what Radicale writes for the whole list, in the same order.

Only REPORTs whose properties are all in ``DAV:`` (``getetag``, ``getcontenttype`` …) are
sliced: the root element of each run then declares the same namespaces. Others, and answers
other than 207, pass through.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Iterator
from xml.etree import ElementTree

from radicale_plugin import sync_window
from tmscal.web.conditional import accepts_gzip, gzip_chunks
from tmscal.web.inner_answer import InnerAnswer, addresses_calendar, answer_of

log = logging.getLogger(__name__)
_END = b"</multistatus>"
_TOKEN_END = b"</sync-token>"


def sliceable(body: bytes) -> bool:
    """Whether ``body`` is a sync-collection asking for ``DAV:`` properties only."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return False
    prop = root.find("{DAV:}prop")
    return root.tag == "{DAV:}sync-collection" and prop is not None \
        and all(str(element.tag).startswith("{DAV:}") for element in prop)


class SyncSlices:
    """WSGI middleware (see the module docstring)."""

    def __init__(self, app: Callable, runtime) -> None:
        self._app = app
        self._runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "REPORT" \
                or not addresses_calendar(self._runtime, environ.get("PATH_INFO", "")):
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length > 0 else b""
        if not sliceable(request):
            return self._app({**environ, "wsgi.input": io.BytesIO(request)}, start_response)
        inner = {**environ}
        inner.pop("HTTP_ACCEPT_ENCODING", None)  # encoded here
        window = sync_window.SyncWindow(sync_window.SLICE)

        def run() -> InnerAnswer:
            sync_window.open_window(window)
            try:
                return answer_of(self._app, {**inner, "wsgi.input": io.BytesIO(request)})
            finally:
                sync_window.open_window(None)

        first = run()
        end = first.body.rfind(_END)
        if first.code != 207 or end < 0:
            start_response(first.status, first.headers)  # a refusal
            return [first.body]
        headers = first.without("content-length", "content-encoding")
        gzip = accepts_gzip(environ)
        if gzip:
            headers.append(("Content-Encoding", "gzip"))
        if not window.more:  # the whole answer in one run
            body = b"".join(gzip_chunks([first.body])) if gzip else first.body
            start_response(first.status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        start_response(first.status, headers)
        chunks = self._slices(first.body[:end], window, run)
        return gzip_chunks(chunks) if gzip else chunks

    @staticmethod
    def _slices(head: bytes, window: sync_window.SyncWindow,
                run: Callable[[], InnerAnswer]) -> Iterator[bytes]:
        yield head
        while window.more:
            answer = run()
            start, end = answer.body.find(_TOKEN_END), answer.body.rfind(_END)
            if answer.code != 207 or start < 0 or end < 0:
                # the client must not take a cut answer for the whole change list
                log.warning("sync-collection slice answered %s; answer cut", answer.status)
                raise RuntimeError(f"sync-collection slice answered {answer.status}")
            yield answer.body[start + len(_TOKEN_END):end]
        yield _END
