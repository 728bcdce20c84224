"""``POST /<user>/outbox/``: a free/busy request answered with a ``CALDAV:schedule-response``.

RFC 6638 §5: the body is a VFREEBUSY REQUEST (:func:`tmscal.ical.freebusy.read_freebusy_request`);
the answer holds one ``CALDAV:response`` per attendee with its ``recipient``,
``request-status`` and, for a room the user may see, ``calendar-data`` with the VFREEBUSY REPLY
(:class:`tmscal.bridge.scheduling.freebusy.FreeBusyService`). Thunderbird's ``Originator``
header (from the pre-RFC drafts) is accepted and must be the user's address too; its
``Recipient`` headers name the same people as the ATTENDEEs and are not needed.

Answers: 200 with the schedule-response; 403 for another user's outbox or an ORGANIZER (or
Originator) that is not the user; 400 for a body that is not a free/busy request, 413 when it
is larger than :data:`tmscal.ical.limits.MAX_BYTES`, 415 when it is not ``text/calendar``;
each refusal with a one-line reason.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from tmscal.bridge.scheduling.freebusy import FreeBusyAnswer, FreeBusyService, RequestRefused
from tmscal.ical.errors import IcalError
from tmscal.ical.freebusy import read_freebusy_request
from tmscal.ical.limits import MAX_BYTES

log = logging.getLogger(__name__)

_D, _C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
#: A Radicale answer: (status, headers, body, request for the log).
Answer = tuple[int, dict[str, str], "str | bytes", None]


def refusal(status: int, reason: str) -> Answer:
    """A plain-text answer carrying ``reason`` (Radicale adds the charset)."""
    return status, {"Content-Type": "text/plain"}, reason, None


def schedule_response(answers: list[FreeBusyAnswer]) -> bytes:
    """The ``CALDAV:schedule-response`` body of ``answers``."""
    root = ET.Element(f"{_C}schedule-response")
    for answer in answers:
        response = ET.SubElement(root, f"{_C}response")
        recipient = ET.SubElement(response, f"{_C}recipient")
        ET.SubElement(recipient, f"{_D}href").text = answer.recipient
        ET.SubElement(response, f"{_C}request-status").text = answer.request_status
        if answer.calendar_data:
            ET.SubElement(response, f"{_C}calendar-data").text = answer.calendar_data
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def post_outbox(service: FreeBusyService, environ: dict, user: str, owner: str,
                groups: set[str]) -> Answer:
    """Answer ``user``'s POST to the outbox of ``owner`` (see the module docstring)."""
    if owner != user:
        return refusal(403, "You may send free/busy requests only from your own outbox.")
    media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if media_type != "text/calendar":
        return refusal(415, "The outbox takes free/busy requests as text/calendar.")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return refusal(400, "Content-Length is not a number.")
    if length > MAX_BYTES:
        return refusal(413, f"Free/busy requests are limited to {MAX_BYTES} bytes.")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        request = read_freebusy_request(body)
        answers = service.answer(user, request, groups=groups,
                                 originator=environ.get("HTTP_ORIGINATOR", "").strip())
    except IcalError as error:
        return refusal(400, f"Not a free/busy request: {error.reason}.")
    except RequestRefused as refused:
        return refusal(refused.status, refused.reason + ".")
    log.info("free/busy for %s: %s", user,
             ", ".join(f"{a.recipient} {a.request_status}" for a in answers))
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, schedule_response(answers), None
