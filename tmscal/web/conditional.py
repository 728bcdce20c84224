"""Conditional GET (RFC 9110 13.1) and gzip, one implementation for feeds and calendars.

``If-None-Match`` wins over ``If-Modified-Since``. The gzip'ed variant's ETag is the identity
ETag with ``-gz`` inside the quotes; both forms (and weak ``W/`` forms) match the resource.
A 304 carries only the validators and caching headers (:func:`not_modified_headers`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

GZIP_SUFFIX = "-gz"
#: the headers a 304 answer repeats from the 200 it stands for
_NOT_MODIFIED_HEADERS = ("etag", "last-modified", "cache-control", "vary", "expires")


def gzip_etag(etag: str) -> str:
    return etag[:-1] + GZIP_SUFFIX + '"'


def _core(tag: str) -> str:
    tag = tag.strip()
    tag = tag.removeprefix("W/")
    tag = tag.strip('"')
    return tag.removesuffix(GZIP_SUFFIX)


def not_modified(environ: dict, etag: str, last_modified: datetime) -> bool:
    """Whether the request's validators say the client already has this version."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        wanted = _core(etag)
        return any(_core(tag) == wanted for tag in if_none_match.split(","))
    since = parse_http_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return since is not None and last_modified.replace(microsecond=0) <= since


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def accepts_gzip(environ: dict) -> bool:
    """Whether ``Accept-Encoding`` lists gzip with a non-zero q-value."""
    for part in environ.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        params = params.replace(" ", "")
        return not (params.startswith("q=0") and params.strip("q=0.") == "")
    return False


def parse_http_date(value: str | None) -> datetime | None:
    """The instant of an HTTP date, or None when absent or unreadable."""
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def not_modified_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of the 304 standing for a 200 with ``headers``."""
    return [(name, value) for name, value in headers
            if name.lower() in _NOT_MODIFIED_HEADERS]


def gzip_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` gzip'ed as they come (one gzip member)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()
