"""Depth-1 PROPFIND of a calendar, its items streamed from the mirror's href/ETag list.

Radicale builds a depth-1 PROPFIND answer item by item: a rights check, an item, an XML
element tree per item, the whole document in memory. For the property sets clients poll with
(``getetag``, ``getcontenttype``, ``resourcetype`` and any property an item does not have)
this WSGI middleware, around :class:`~tmscal.web.errors.RefusalTranslation`, asks Radicale for
the same request at depth 0 (authentication, rights, the calendar's own response: all of
Radicale's semantics for the collection), then writes one ``response`` per item itself, as
Radicale would write it, from ``(href, ETag)`` pairs (no texts read). The rights Radicale
checked for the calendar are the rights of its items (:mod:`radicale_plugin.rights`).

Anything else passes through: other depths and paths, ``allprop``/``propname``, properties
whose item value needs more than the href and ETag (:data:`_NEEDS_ITEM`), properties outside
the namespaces Radicale declares, and answers other than 207.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import quote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from tmscal.web.conditional import accepts_gzip, gzip_chunks
from tmscal.web.errors import OUTCOME_KEY
from tmscal.web.inner_answer import addresses_calendar, answer_of

#: the namespaces Radicale serializes with a prefix ('' is DAV:, the default namespace)
_PREFIXES = {"DAV:": "", "urn:ietf:params:xml:ns:caldav": "C",
             "urn:ietf:params:xml:ns:carddav": "CR", "http://calendarserver.org/ns/": "CS",
             "http://apple.com/ns/ical/": "ICAL", "http://me.com/_namespace/": "ME",
             "http://radicale.org/ns/": "RADICALE"}
#: item properties Radicale answers from more than the href and ETag: left to Radicale
_NEEDS_ITEM = frozenset("{DAV:}" + name for name in (
    "getlastmodified", "getcontentlength", "principal-collection-set",
    "current-user-principal", "current-user-privilege-set", "supported-report-set",
    "owner")) | {"{urn:ietf:params:xml:ns:caldav}max-resource-size"}
_OK, _MISSING = "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"
_CHUNK_BYTES = 1 << 16
#: hrefs ``urllib.parse.quote`` leaves as they are; others are quoted, as Radicale quotes them
_PLAIN_HREF = re.compile(r"[A-Za-z0-9_.~/-]*")


def requested_properties(body: bytes) -> list[str] | None:
    """The properties (Clark names) of a ``propfind``/``prop`` request this layer answers, or
    None when it leaves the request to Radicale."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    if root.tag != "{DAV:}propfind" or len(root) != 1 or root[0].tag != "{DAV:}prop":
        return None
    names = [element.tag for element in root[0]]
    for name in names:
        space = name[1:].partition("}")[0] if name.startswith("{") else ""
        if name in _NEEDS_ITEM or space not in _PREFIXES:
            return None
    return names


def _element(name: str, text: str | None = None) -> str:
    space, _, local = name[1:].partition("}")
    prefix = _PREFIXES[space]
    tag = f"{prefix}:{local}" if prefix else local
    return f"<{tag} />" if text is None else f"<{tag}>{escape(text)}</{tag}>"


class ItemResponses:
    """The ``response`` elements of a calendar's items for one list of properties, written as
    Radicale's ``xml_propfind_response`` writes them (propstats in the order their status
    first occurs, properties in the order asked, empty elements as ``<x />``)."""

    def __init__(self, names: list[str], collection_href: str, content_type: str) -> None:
        groups: dict[str, list[str]] = {}
        for name in names:
            if name == "{DAV:}getetag":
                groups.setdefault(_OK, []).append("<getetag>\0</getetag>")
            elif name == "{DAV:}getcontenttype":
                groups.setdefault(_OK, []).append(_element(name, content_type))
            elif name == "{DAV:}resourcetype":
                groups.setdefault(_OK, []).append(_element(name))
            else:
                groups.setdefault(_MISSING, []).append(_element(name))
        propstats = "".join(f"<propstat><prop>{''.join(parts)}</prop><status>{status}"
                            "</status></propstat>" for status, parts in groups.items())
        self._template = ("<response><href>" + collection_href.replace("%", "%%") + "%s</href>"
                          + propstats.replace("%", "%%").replace("\0", "%s") + "</response>")
        self._with_etag = "\0" in propstats

    def response(self, href: str, etag: str) -> str:
        if not _PLAIN_HREF.fullmatch(href):
            href = quote(href)
        if not self._with_etag:
            return self._template % href
        if "&" in etag or "<" in etag or ">" in etag:
            etag = escape(etag)
        return self._template % (href, etag)


class CalendarPropfind:
    """WSGI middleware (see the module docstring)."""

    def __init__(self, app: Callable, runtime) -> None:
        self._app = app
        self._runtime = runtime

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "PROPFIND" or environ.get("HTTP_DEPTH") != "1" \
                or not addresses_calendar(self._runtime, environ.get("PATH_INFO", "")):
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length > 0 else b""
        names = requested_properties(request) if request else None
        if names is None:
            return self._app({**environ, "wsgi.input": io.BytesIO(request)}, start_response)
        inner = {**environ, "wsgi.input": io.BytesIO(request), "HTTP_DEPTH": "0"}
        inner.pop("HTTP_ACCEPT_ENCODING", None)  # encoded here
        answer = answer_of(self._app, inner)
        notes = inner.get(OUTCOME_KEY)
        calendar = notes.calendar if notes is not None else None
        document = answer.body
        end = document.rfind(b"</multistatus>")
        href_start = document.find(b"<href>") + len(b"<href>")
        if answer.code != 207 or calendar is None or end < 0 or href_start < len(b"<href>"):
            start_response(answer.status, answer.headers)  # refused or absent at any depth
            return [document]
        collection_href = document[href_start:document.find(b"</href>", href_start)].decode()
        responses = ItemResponses(names, collection_href,
                                  f"text/calendar;charset=utf-8;component={calendar.component}")
        headers = answer.without("content-length", "content-encoding")
        gzip = accepts_gzip(environ)
        if gzip:
            headers.append(("Content-Encoding", "gzip"))
        start_response(answer.status, headers)
        chunks = _document(document[:end], calendar.href_etags(), responses)
        return gzip_chunks(chunks) if gzip else chunks


def _document(head: bytes, items: Iterable[tuple[str, str]],
              responses: ItemResponses) -> Iterator[bytes]:
    """Radicale's depth-0 document up to ``</multistatus>``, the items, the end tag."""
    yield head
    pending: list[str] = []
    size = 0
    for href, etag in items:
        text = responses.response(href, etag)
        pending.append(text)
        size += len(text)
        if size >= _CHUNK_BYTES:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    pending.append("</multistatus>")
    yield "".join(pending).encode("utf-8")
