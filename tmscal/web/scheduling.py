"""Radicale with RFC 6638 discovery and free/busy: :class:`SchedulingApplication`.

Radicale authenticates every request and then calls ``do_<METHOD>``; this subclass answers,
for the authenticated user,

* ``PROPFIND`` of their principal ``/<user>/``: Radicale's answer plus the scheduling
  properties (:func:`~tmscal.web.principal_xml.add_scheduling_properties`);
* ``PROPFIND`` of ``/<user>/.rooms/`` (depth 1 lists the room principals the user may see),
  ``/<user>/.rooms/<SystemId>/`` (404 for a room the user may not see) and
  ``/<user>/outbox/``;
* ``REPORT`` ``principal-property-search``, ``calendarserver-principal-search`` and
  ``principal-search-property-set`` on ``/`` and anywhere in their home;
* ``POST`` to their outbox (:mod:`tmscal.web.outbox`);

and adds ``calendar-auto-schedule`` to every ``DAV`` header. Everything else is Radicale's.
The paths are :mod:`radicale_plugin.namespace`'s; the directory and free/busy are
:mod:`tmscal.bridge.scheduling`'s.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

import defusedxml.ElementTree as DefusedET
from radicale import Application, httputils

from radicale_plugin import namespace
from tmscal.bridge.runtime import BridgeRuntime
from tmscal.bridge.scheduling.freebusy import FreeBusyService
from tmscal.bridge.scheduling.principals import PrincipalDirectory
from tmscal.web import principal_xml as px
from tmscal.web.outbox import post_outbox, refusal

AUTO_SCHEDULE = "calendar-auto-schedule"
_SEARCH_REPORTS = (b"principal-property-search", b"calendarserver-principal-search",
                   b"principal-search-property-set")


def with_auto_schedule(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with ``calendar-auto-schedule`` added to the ``DAV`` header."""
    return [(name, f"{value}, {AUTO_SCHEDULE}" if name.lower() == "dav"
             and AUTO_SCHEDULE not in value else value) for name, value in headers]


def _xml(root: ET.Element, status: int = 207):
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return status, {"DAV": httputils.DAV_HEADERS, "Content-Type": "text/xml; charset=utf-8"}, \
        body, None


def _read_body(environ: dict) -> bytes:
    """The request body, left readable for Radicale."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class SchedulingApplication(Application):
    """Radicale's application with the scheduling answers of the module docstring."""

    def __init__(self, configuration, runtime: BridgeRuntime) -> None:
        super().__init__(configuration)
        self._runtime = runtime
        self.directory = PrincipalDirectory(runtime.settings, runtime.store, runtime.access)
        self.freebusy = FreeBusyService(runtime.store, self.directory)

    def __call__(self, environ: dict, start_response: Callable):
        def announcing(status: str, headers: list, exc_info=None):
            return start_response(status, with_auto_schedule(headers), exc_info)

        return super().__call__(environ, announcing)

    def _properties(self, base_prefix: str, user: str) -> px.PrincipalProperties:
        return px.PrincipalProperties(base_prefix, user,
                                      self._runtime.settings.invitations.calendar)

    # ---- POST --------------------------------------------------------------------------------

    def do_POST(self, environ, base_prefix, path, user, user_groups, request_info):
        location = namespace.parse_scheduling_path(path)
        if not isinstance(location, namespace.OutboxPath):
            return super().do_POST(environ, base_prefix, path, user, user_groups, request_info)
        if not user:
            return httputils.NOT_ALLOWED
        return post_outbox(self.freebusy, environ, user, location.user, user_groups)

    # ---- PROPFIND ----------------------------------------------------------------------------

    def do_PROPFIND(self, environ, base_prefix, path, user, user_groups, request_info):
        location = namespace.parse_scheduling_path(path)
        if location is not None:
            return self._scheduling_propfind(environ, base_prefix, location, user, user_groups)
        answer = super().do_PROPFIND(environ, base_prefix, path, user, user_groups,
                                     request_info)
        status, headers, body, xml_request = answer
        if (user and status == 207 and path.strip("/") == user and isinstance(body, bytes)
                and any(tag.rpartition("}")[2].encode() in body for tag in px.USER_SCHEDULING)):
            body = px.add_scheduling_properties(body, self._properties(base_prefix, user),
                                                self.directory.user(user))
            return status, headers, body, xml_request
        return answer

    def _scheduling_propfind(self, environ, base_prefix, location, user, groups):
        if not user:
            return httputils.NOT_ALLOWED
        if location.user != user:
            return httputils.NOT_ALLOWED if isinstance(location, namespace.OutboxPath) \
                else httputils.NOT_FOUND
        try:
            body = _read_body(environ)
            root = DefusedET.fromstring(body) if body.strip() else None
        except (ValueError, ET.ParseError) as error:
            return refusal(400, f"The PROPFIND body could not be read: {error}.")
        properties = self._properties(base_prefix, user)
        depth = environ.get("HTTP_DEPTH", "0")
        if isinstance(location, namespace.OutboxPath):
            tags = px.requested_properties(root, px.COLLECTION_PROPERTIES)
            return _xml(px.multistatus([properties.listing(
                namespace.schedule_outbox_path(user),
                [(tag, px.outbox_value(tag)) for tag in tags])]))
        tags = px.requested_properties(root, px.PRINCIPAL_PROPERTIES)
        if isinstance(location, namespace.RoomPrincipalPath):
            principal = self.directory.room(user, location.system_id, groups)
            if principal is None:
                return httputils.NOT_FOUND
            return _xml(px.multistatus([properties.response(principal, tags)]))
        collection = properties.listing(namespace.room_principals_path(user),
                                        [(tag, px.principal_collection_value(tag))
                                         for tag in tags])
        members = [] if depth == "0" else [properties.response(principal, tags)
                                           for principal in self.directory.rooms(user, groups)]
        return _xml(px.multistatus([collection, *members]))

    # ---- REPORT ------------------------------------------------------------------------------

    def do_REPORT(self, environ, base_prefix, path, user, user_groups, request_info):
        body = _read_body(environ)
        mine = path.strip("/") == "" or path.strip("/").split("/")[0] == user
        if not (user and mine and any(name in body for name in _SEARCH_REPORTS)):
            return super().do_REPORT(environ, base_prefix, path, user, user_groups,
                                     request_info)
        try:
            root = DefusedET.fromstring(body)
        except (ValueError, ET.ParseError) as error:
            return refusal(400, f"The REPORT body could not be read: {error}.")
        if root.tag == f"{px.D}principal-search-property-set":
            return _xml(px.search_property_set(), 200)
        search = px.search_request(root, px.PRINCIPAL_PROPERTIES)
        if search is None:
            return super().do_REPORT(environ, base_prefix, path, user, user_groups,
                                     request_info)
        found = self.directory.search(user, search.criteria, match_all=search.match_all,
                                      cutypes=search.cutypes, limit=search.limit,
                                      groups=user_groups)
        properties = self._properties(base_prefix, user)
        return _xml(px.multistatus(properties.response(principal, search.properties)
                                   for principal in found))

