"""Conditional GET (RFC 9110 13.1): does a request's validator still match the feed?

``If-None-Match`` wins over ``If-Modified-Since``. The gzip'ed variant's ETag is the identity
ETag with ``-gz`` inside the quotes; both forms (and weak ``W/`` forms) match the feed.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

GZIP_SUFFIX = "-gz"


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
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= since
    return False


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
