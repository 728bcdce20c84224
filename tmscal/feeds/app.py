"""WSGI app for ``/feeds/<token>.ics``, ``/display/<token>`` and ``/display/<token>.json``.

No login: the token in the path is the credential. Unknown, revoked and malformed tokens all
get the same 404. Only GET and HEAD; HEAD answers from the validators without rendering.
Logs name tokens by their public id only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib import resources
from urllib.parse import parse_qs, quote

from tmscal.web.conditional import (accepts_gzip, gzip_etag, http_date, not_modified,
                                    not_modified_headers)
from tmscal.feeds.display import room_display
from tmscal.feeds.feed import FeedBuilder, FeedRequest
from tmscal.feeds.occurrences import OccurrenceIndex
from tmscal.feeds.tokens import FeedToken, FeedTokenStore, open_token_store
from tmscal.feeds.window import BadWindow, feed_window

log = logging.getLogger(__name__)
_FEED_PATH = re.compile(r"/feeds/([^/]+)\.ics")
_DISPLAY_PATH = re.compile(r"/display/([^/.]+)(\.json)?")
_TRUE = ("1", "true", "yes", "on")


def _now() -> datetime:
    return datetime.now(UTC)


class FeedsApp:
    """Serves feeds and displays from a mirror and its token table."""

    def __init__(self, builder: FeedBuilder, tokens: FeedTokenStore,
                 clock: Callable[[], datetime] = _now) -> None:
        self.builder = builder
        self.tokens = tokens
        self.clock = clock
        self._page = resources.files("tmscal.feeds").joinpath(
            "static/display.html").read_text(encoding="utf-8")

    @classmethod
    def for_runtime(cls, runtime) -> FeedsApp:
        """The app for a :class:`tmscal.bridge.runtime.BridgeRuntime`."""
        settings = runtime.settings
        builder = FeedBuilder(runtime.store, OccurrenceIndex(settings.mirror), settings.feeds,
                              settings.mirror.default_zone)
        return cls(builder, open_token_store(runtime.store))

    # ---- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD"):
            return self._plain(start_response, "405 Method Not Allowed",
                               "Feeds are read-only.", [("Allow", "GET, HEAD")])
        feed = _FEED_PATH.fullmatch(path)
        if feed:
            return self._feed(environ, start_response, feed.group(1))
        display = _DISPLAY_PATH.fullmatch(path)
        if display:
            return self._display(environ, start_response, display.group(1),
                                 bool(display.group(2)))
        return self._not_found(start_response)

    def _token(self, secret: str) -> FeedToken | None:
        token = self.tokens.lookup(secret)
        if token is None:
            log.info("feed request with an unknown or revoked token")
        return token

    # ---- feeds -------------------------------------------------------------------------------

    def _feed(self, environ: dict, start_response: Callable, secret: str) -> Iterable[bytes]:
        token = self._token(secret)
        if token is None:
            return self._not_found(start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            window = feed_window(self.builder.settings, self.clock(),
                                 query.get("past", [None])[0], query.get("future", [None])[0])
        except BadWindow as error:
            return self._plain(start_response, "400 Bad Request", str(error))
        expand = query.get("expand", ["0"])[0].lower() in _TRUE
        request = FeedRequest(token, window, expand)
        version = self.builder.version(request)
        if version is None:
            log.info("feed %s: its room is gone", token.token_id)
            return self._not_found(start_response)
        gzip_wanted = accepts_gzip(environ)
        etag = gzip_etag(version.etag) if gzip_wanted else version.etag
        filename = quote(f"{version.name}.ics")
        headers = [
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("ETag", etag),
            ("Last-Modified", http_date(version.last_modified)),
            ("Cache-Control", "private, max-age=0, must-revalidate"),
            ("Vary", "Accept-Encoding"),
            ("Content-Disposition", f"inline; filename*=utf-8''{filename}"),
            ("X-Robots-Tag", "noindex"),
        ]
        if not_modified(environ, version.etag, version.last_modified):
            start_response("304 Not Modified", not_modified_headers(headers))
            return [b""]
        if environ.get("REQUEST_METHOD") == "HEAD":
            cached = self.builder.cached(version)
            if cached is not None:
                size = len(cached.gzip() if gzip_wanted else cached.identity)
                headers.append(("Content-Length", str(size)))
            if gzip_wanted:
                headers.append(("Content-Encoding", "gzip"))
            start_response("200 OK", headers)
            return [b""]
        body = self.builder.body(request, version)
        data = body.gzip() if gzip_wanted else body.identity
        if gzip_wanted:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK", headers)
        return [data]

    # ---- displays ----------------------------------------------------------------------------

    def _display(self, environ: dict, start_response: Callable, secret: str,
                 as_json: bool) -> Iterable[bytes]:
        token = self._token(secret)
        if token is None or token.scope != "room":
            return self._not_found(start_response)
        room = self.builder.store.get_room(int(token.target))
        if room is None:
            return self._not_found(start_response)
        data = room_display(self.builder, token, room, self.clock())
        if as_json:
            body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        else:
            embedded = json.dumps(data, ensure_ascii=True, sort_keys=True).replace("<", "\\u003c")
            body = (self._page.replace("__TITLE__", _html_escape(room.name))
                    .replace("__JSON_URL__", f"{secret}.json")
                    .replace("__DATA__", embedded)).encode("utf-8")
            content_type = "text/html; charset=utf-8"
        start_response("200 OK", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"),
            ("X-Robots-Tag", "noindex"), ("X-Content-Type-Options", "nosniff")])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    # ---- plain answers -----------------------------------------------------------------------

    @staticmethod
    def _plain(start_response: Callable, status: str, text: str,
               extra: list[tuple[str, str]] | None = None) -> Iterable[bytes]:
        body = (text + "\n").encode("utf-8")
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body))),
                                ("Cache-Control", "no-store"), *(extra or [])])
        return [body]

    def _not_found(self, start_response: Callable) -> Iterable[bytes]:
        return self._plain(start_response, "404 Not Found", "No such feed.")


def _html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def mount(router, runtime) -> FeedsApp:
    """Serve ``/feeds`` and ``/display`` of ``router`` (a :class:`tmscal.web.Router`)."""
    app = FeedsApp.for_runtime(runtime)
    router.add("/feeds", app)
    router.add("/display", app)
    return app
