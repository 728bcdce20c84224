"""Turns the plugin's typed refusals into the responses a person can act on.

Radicale can only answer a failed ``upload()`` with 400/403/507/500 and fixed bodies, and it
always sends the uploaded item's ETag. :class:`RefusalTranslation` wraps the Radicale app: it
opens a :mod:`radicale_plugin.outcome` for the request, lets Radicale answer, then

* replaces the answer by the refusal's status (409, 403, 400, 412, 503 + ``Retry-After``) with
  a one-line reason (plain text, or a DAV:error body carrying the precondition element);
* explains a plain 403 on a write into a room the user may only see;
* says what is wrong with calendar data Radicale could not read (its bare "400 Bad Request":
  the line and property, :mod:`tmscal.ical.diagnosis`), and why Radicale's own 409 and 412
  happened;
* drops the ETag of a PUT answer when the stored object differs from the request body, so
  clients fetch TMS's version (RFC 4791 §5.3.4).

A refusal is an expected answer, not a server error: it is logged as one line (a warning for
TMS being down, info otherwise), and Radicale's error, traceback and "500" lines for the
exception that carried it are dropped (:class:`ExpectedRefusalFilter`). So is the store
becoming unreachable in the middle of a request (Radicale turns every exception into a bare
500): the filter notes the :class:`~tmscal.mirror.objects.MirrorUnavailable`, and
:class:`RefusalTranslation` raises it again for :mod:`tmscal.web.store_guard` to answer 503.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from xml.sax.saxutils import escape

from radicale_plugin import outcome
from tmscal.ical.diagnosis import first_problem
from tmscal.mirror.objects import MirrorUnavailable

log = logging.getLogger(__name__)

_NAMESPACES = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}
_WRITE_METHODS = ("PUT", "DELETE", "MOVE", "PROPPATCH", "MKCALENDAR", "MKCOL")
#: PUT bodies up to this size are kept to explain a refusal (the bridge refuses more than
#: 512 KiB anyway).
_KEPT_BODY = 1 << 20


def unreadable_calendar_reason(body: bytes) -> str:
    """Why Radicale could not read ``body`` as a calendar object, in one line."""
    problem = first_problem(body)
    if not problem:
        from radicale import item as radicale_item

        try:
            radicale_item.check_and_sanitize_items(
                radicale_item.read_components(body.decode("utf-8")), tag="VCALENDAR")
        except Exception as error:  # what Radicale itself refused, in its words
            problem = " ".join(str(error).split())
        else:
            problem = "the calendar data could not be read"
    return f"Malformed iCalendar: {problem}."


def _stale_reason(environ: dict) -> str:
    if environ.get("HTTP_IF_NONE_MATCH", "").strip() == "*":
        return ("An object already exists under this name (If-None-Match: *); fetch the "
                "calendar again.")
    return ("The object changed on the server since you read it (If-Match "
            f"{environ.get('HTTP_IF_MATCH', '')} no longer matches); fetch it again and "
            "redo your change.")


def store_loss(record: logging.LogRecord) -> MirrorUnavailable | None:
    """The :class:`MirrorUnavailable` behind a logged exception (its ``exc_info`` or an
    exception among its arguments, or their causes), or None."""
    found = [record.exc_info[1]] if record.exc_info and record.exc_info[1] else []
    found += [arg for arg in record.args if isinstance(arg, BaseException)] \
        if isinstance(record.args, tuple) else []
    for error in found:
        while error is not None:
            if isinstance(error, MirrorUnavailable):
                return error
            error = error.__cause__ or error.__context__
    return None


class ExpectedRefusalFilter(logging.Filter):
    """Drops error records logged while this thread's request carries a typed refusal (the
    refusal is logged once by :class:`RefusalTranslation`) or ran into an unreachable store
    (noted in the request's outcome; :mod:`tmscal.web.store_guard` logs nothing per request,
    :mod:`tmscal.bridge.store_watch` one line per change)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        notes = outcome.active()
        if notes is None:
            return True
        if notes.store_loss is None:
            notes.store_loss = store_loss(record)
        return notes.refusal is None and notes.store_loss is None


_FILTER = ExpectedRefusalFilter()


def install_refusal_filter() -> None:
    """Install :class:`ExpectedRefusalFilter` on Radicale's logger and the root logger (which
    Radicale logs tracebacks to); idempotent."""
    for logger in (logging.getLogger("radicale"), logging.getLogger()):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def _status_line(code: int) -> str:
    return f"{code} {HTTPStatus(code).phrase}"


def refusal_response(status: int, reason: str, precondition: tuple[str, str] | None,
                     headers: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    """``(status line, headers, body)`` of a refusal."""
    if precondition:
        prefix, element = precondition
        body = ('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<D:error xmlns:D="DAV:" xmlns:C="{_NAMESPACES["C"]}">'
                f"<{prefix}:{element}/>"
                f"<D:responsedescription>{escape(reason)}</D:responsedescription>"
                "</D:error>\n").encode("utf-8")
        content_type = "application/xml; charset=utf-8"
    else:
        body = (reason + "\n").encode("utf-8")
        content_type = "text/plain; charset=utf-8"
    response_headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    response_headers += list(headers.items())
    return _status_line(status), response_headers, body


#: where :class:`RefusalTranslation` leaves the request's :class:`~radicale_plugin.outcome.
#: RequestOutcome` in the WSGI environ, for the layers around it to read after the answer
OUTCOME_KEY = "tmscal.outcome"


class RefusalTranslation:
    """WSGI middleware around the Radicale application."""

    def __init__(self, app: Callable) -> None:
        self._app = app
        install_refusal_filter()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        notes = outcome.begin(method)
        environ[OUTCOME_KEY] = notes  # for the middlewares around this one
        captured: dict[str, object] = {}

        def capture(status: str, headers: list, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None  # Radicale never uses write()

        request_body = b""
        length = environ.get("CONTENT_LENGTH") or ""
        if method == "PUT" and length.isdigit() and int(length) <= _KEPT_BODY:
            request_body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(request_body)
        try:
            body = b"".join(self._app(environ, capture))
        finally:
            outcome.end()
        status = str(captured.get("status", "500 Internal Server Error"))
        headers = list(captured.get("headers", []))  # type: ignore[arg-type]
        code = int(status.split(" ", 1)[0])
        if notes.store_loss is not None and code >= 500:
            raise notes.store_loss
        refusal = notes.refusal
        if refusal is not None and code >= 400:
            log.log(logging.WARNING if refusal.status >= 500 else logging.INFO,
                    "%s %s refused (%d): %s", method, environ.get("PATH_INFO", ""),
                    refusal.status, refusal.reason)
            status, headers, body = refusal_response(refusal.status, refusal.reason,
                                                     refusal.precondition, refusal.headers)
        elif code == 403 and method == "DELETE" and notes.notes.get("target") == "calendar":
            status, headers, body = refusal_response(
                403, f"Room {notes.notes.get('room', '')} is a TMS system; its calendar cannot "
                "be deleted.", None, {})
        elif code == 403 and method in ("MKCALENDAR", "MKCOL"):
            status, headers, body = refusal_response(
                403, "Calendars here are TMS rooms; new calendars cannot be created. Book a room "
                "by creating an event in its calendar.", None, {})
        elif code == 403 and method in _WRITE_METHODS and notes.read_only_room:
            status, headers, body = refusal_response(
                403, f"You may see room {notes.read_only_room} but not book it or change its "
                "bookings; ask your TMS administrator for booking rights.",
                ("D", "need-privileges"), {})
        elif code == 400 and method == "PUT":
            status, headers, body = refusal_response(
                400, unreadable_calendar_reason(request_body), None, {})
        elif code == 409 and method == "PUT":  # Radicale's no-uid-conflict, without a reason
            status, headers, body = refusal_response(
                409, "Another event in this calendar already has this UID under another name; "
                "change that event instead of saving a copy.", ("C", "no-uid-conflict"), {})
        elif code == 412 and method in ("PUT", "DELETE"):
            status, headers, body = refusal_response(412, _stale_reason(environ), None, {})
        elif method == "PUT" and code in (200, 201, 204) and notes.stored_differs:
            headers = [(name, value) for name, value in headers if name.lower() != "etag"]
        start_response(status, headers)
        return [body]
