"""Principals in WebDAV XML: their properties, the principal searches, the user's scheduling
properties added to Radicale's answer.

* :class:`PrincipalProperties` — the value of each property a room or user principal has
  (RFC 3744, RFC 4791 §6, RFC 6638 §2 and §9, CalendarServer's ``email-address-set`` and
  ``record-type``), as ``DAV:response`` elements (unknown properties in a 404 propstat);
* :func:`search_request` — ``DAV:principal-property-search`` (RFC 3744 §9.4, with the
  ``match-type`` attribute clients send) and CalendarServer's ``calendarserver-principal-search``
  (``search-token``, ``context``, ``limit``) as criteria of
  :meth:`~tmscal.bridge.scheduling.principals.PrincipalDirectory.search`;
* :func:`search_property_set` — the answer to ``DAV:principal-search-property-set``;
* :func:`add_scheduling_properties` — a user's principal in Radicale's PROPFIND answer gets
  its addresses, calendar-user type, inbox, outbox and default calendar;
* :func:`outbox_value`, :func:`principal_collection_value` — the outbox's and the room
  principal collection's own properties.

Request bodies arrive checked by :mod:`tmscal.web.xml_guard` and are parsed with defusedxml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from radicale import xmlutils

from radicale_plugin import namespace
from tmscal.bridge.scheduling.principals import (
    INDIVIDUAL,
    ROOM,
    Criterion,
    Field,
    Match,
    Principal,
    RoomPrincipal,
    UserPrincipal,
)

D, C, CS = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}", "{http://calendarserver.org/ns/}"

#: Properties a principal search may look at, and what they are to the directory.
SEARCHABLE = {
    f"{D}displayname": Field.NAME,
    f"{CS}first-name": Field.NAME,
    f"{CS}last-name": Field.NAME,
    f"{C}calendar-user-address-set": Field.ADDRESS,
    f"{CS}email-address-set": Field.ADDRESS,
    f"{C}calendar-user-type": Field.CUTYPE,
}
#: The ones :func:`search_property_set` announces, with their description.
ANNOUNCED = {
    f"{D}displayname": "Display name",
    f"{C}calendar-user-address-set": "Calendar user address",
    f"{CS}email-address-set": "E-mail address",
    f"{C}calendar-user-type": "Calendar user type",
}
#: Properties of a user's principal this module answers instead of Radicale.
USER_SCHEDULING = (f"{C}calendar-user-address-set", f"{C}calendar-user-type",
                   f"{C}schedule-inbox-URL", f"{C}schedule-outbox-URL",
                   f"{C}schedule-default-calendar-URL", f"{D}principal-collection-set",
                   f"{CS}email-address-set", f"{CS}record-type")
#: What a PROPFIND of a principal without a ``prop`` list (allprop) shows.
PRINCIPAL_PROPERTIES = (f"{D}displayname", f"{D}resourcetype", f"{D}principal-URL",
                        f"{C}calendar-user-type", f"{C}calendar-user-address-set",
                        f"{C}calendar-home-set", f"{CS}email-address-set", f"{CS}record-type")
#: ... and of the outbox or the principal collection.
COLLECTION_PROPERTIES = (f"{D}resourcetype", f"{D}displayname")
#: CalendarServer's search contexts, as calendar-user types.
_CONTEXTS = {"location": frozenset({ROOM}), "resource": frozenset({ROOM}),
             "user": frozenset({INDIVIDUAL}), "attendee": None}
_MAX_RESULTS = 1000
#: The elements of a search request that are not properties asked for.
_SEARCH_PARTS = frozenset({f"{D}property-search", f"{D}prop",
                           f"{D}apply-to-principal-collection-set", f"{CS}search-token",
                           f"{CS}limit"})


def _element(tag: str, text: str | None = None, *children: ET.Element) -> ET.Element:
    element = ET.Element(tag)
    element.text = text
    element.extend(children)
    return element


class PrincipalProperties:
    """Property values of principals for one request (``base_prefix``, the asking ``user``,
    the path of their meetings calendar)."""

    def __init__(self, base_prefix: str, user: str, meetings: str) -> None:
        self._base = base_prefix
        self._user = user
        self._meetings = meetings

    def href(self, path: str) -> ET.Element:
        """``DAV:href`` of the collection at ``path`` (no slashes around it)."""
        return _element(f"{D}href", xmlutils.make_href(self._base, f"/{path}/"))

    def principal_path(self, principal: Principal) -> str:
        if isinstance(principal, RoomPrincipal):
            return namespace.room_principal_path(self._user, principal.room.system_id)
        return principal.user

    def value(self, principal: Principal, tag: str) -> ET.Element | None:
        """The property ``tag`` of ``principal`` (None: it has no such property)."""
        room = isinstance(principal, RoomPrincipal)
        user = self._user
        element = ET.Element(tag)
        if tag == f"{D}displayname":
            element.text = principal.name
        elif tag == f"{D}resourcetype":
            element.extend([ET.Element(f"{D}collection"), ET.Element(f"{D}principal")])
        elif tag == f"{D}principal-URL":
            element.append(self.href(self.principal_path(principal)))
        elif tag == f"{D}principal-collection-set":
            element.extend([_element(f"{D}href", xmlutils.make_href(self._base, "/")),
                            self.href(namespace.room_principals_path(user))])
        elif tag == f"{C}calendar-user-type":
            element.text = principal.cutype
        elif tag == f"{C}calendar-user-address-set":
            element.extend(_element(f"{D}href", address) for address in principal.addresses)
            if not room:
                element.append(self.href(principal.user))
        elif tag == f"{CS}email-address-set":
            element.extend(_element(f"{CS}email-address", address[7:])
                           for address in principal.addresses
                           if address.lower().startswith("mailto:"))
        elif tag == f"{CS}record-type":
            element.text = "locations" if room else "users"
        elif tag == f"{C}calendar-home-set":
            element.append(self.href(namespace.room_path(user, principal.room.system_id)
                                     if room else user))
        elif tag == f"{C}schedule-inbox-URL" and not room:
            element.append(self.href(namespace.schedule_inbox_path(user)))
        elif tag == f"{C}schedule-outbox-URL" and not room:
            element.append(self.href(namespace.schedule_outbox_path(user)))
        elif tag == f"{C}schedule-default-calendar-URL" and not room:
            element.append(self.href(f"{user}/{self._meetings}"))
        else:
            return None
        return element

    def response(self, principal: Principal, tags: Sequence[str]) -> ET.Element:
        """The ``DAV:response`` of ``principal`` with the properties ``tags``."""
        return self.listing(self.principal_path(principal),
                            [(tag, self.value(principal, tag)) for tag in tags])

    def listing(self, path: str, values: Iterable[tuple[str, ET.Element | None]]
                ) -> ET.Element:
        """A ``DAV:response`` for ``path`` with the :func:`propstats` of ``values``."""
        return _element(f"{D}response", None, self.href(path), *propstats(values))


def propstats(values: Iterable[tuple[str, ET.Element | None]]) -> list[ET.Element]:
    """Found properties in a 200 ``DAV:propstat``, the others (value None) in a 404 one."""
    found, missing = ET.Element(f"{D}prop"), ET.Element(f"{D}prop")
    for tag, value in values:
        if value is None:
            missing.append(ET.Element(tag))
        else:
            found.append(value)
    return [_element(f"{D}propstat", None, prop,
                     _element(f"{D}status", xmlutils.make_response(code)))
            for prop, code in ((found, 200), (missing, 404)) if len(prop)]


def multistatus(responses: Iterable[ET.Element]) -> ET.Element:
    return _element(f"{D}multistatus", None, *responses)


def requested_properties(root: ET.Element | None, known: Sequence[str]) -> list[str]:
    """The property tags a PROPFIND (or REPORT) body asks for: its ``DAV:prop`` children, or
    ``known`` for an empty body, ``allprop`` or ``propname``."""
    prop = None if root is None else root.find(f"{D}prop")
    return list(known) if prop is None else [child.tag for child in prop]


@dataclass(frozen=True)
class SearchRequest:
    """A principal search: criteria, how they combine, which types, how many, what to show."""

    criteria: tuple[Criterion, ...]
    match_all: bool
    cutypes: frozenset[str] | None
    limit: int
    properties: tuple[str, ...]


def _limit(root: ET.Element) -> int:
    text = root.findtext(f"{CS}limit/{CS}nresults", "").strip()
    return min(int(text), _MAX_RESULTS) if text.isdigit() and int(text) > 0 else _MAX_RESULTS


def search_request(root: ET.Element, known: Sequence[str]) -> SearchRequest | None:
    """The search ``root`` asks for, or None when it is no principal search. Property
    elements written beside ``DAV:prop`` instead of in it (the ``caldav`` library's
    ``search_principals``) are read as asked for too."""
    stray = [child.tag for child in root if child.tag not in _SEARCH_PARTS]
    properties = tuple(dict.fromkeys([*requested_properties(root, ()), *stray])) or tuple(known)
    if root.tag == f"{D}principal-property-search":
        criteria = []
        for search in root.findall(f"{D}property-search"):
            match = search.find(f"{D}match")
            text = "" if match is None else (match.text or "")
            how = Match.CONTAINS
            if match is not None and match.get("match-type") in {m.value for m in Match}:
                how = Match(match.get("match-type"))
            prop = search.find(f"{D}prop")
            fields = frozenset(SEARCHABLE[child.tag] for child in
                               (prop if prop is not None else ()) if child.tag in SEARCHABLE)
            criteria.append(Criterion(fields, text.strip(), how))
        return SearchRequest(tuple(criteria), root.get("test", "allof") != "anyof", None,
                             _limit(root), properties)
    if root.tag == f"{CS}calendarserver-principal-search":
        names = frozenset({Field.NAME, Field.ADDRESS})
        criteria = [Criterion(names, (token.text or "").strip())
                    for token in root.findall(f"{CS}search-token") if (token.text or "").strip()]
        context = root.get("context", "attendee")
        return SearchRequest(tuple(criteria), root.get("test", "allof") != "anyof",
                             _CONTEXTS.get(context), _limit(root), properties)
    return None


def search_property_set() -> ET.Element:
    """``DAV:principal-search-property-set``: the properties a search may name."""
    root = ET.Element(f"{D}principal-search-property-set")
    for tag, description in ANNOUNCED.items():
        description_element = _element(f"{D}description", description)
        description_element.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        root.append(_element(f"{D}principal-search-property", None,
                             _element(f"{D}prop", None, ET.Element(tag)), description_element))
    return root


def add_scheduling_properties(answer: bytes, properties: PrincipalProperties,
                              principal: UserPrincipal) -> bytes:
    """Radicale's PROPFIND ``answer`` with the :data:`USER_SCHEDULING` properties of
    ``principal`` (where asked for) moved into the 200 propstat of its response, valued."""
    root = ET.fromstring(answer)  # Radicale's own answer, not client input
    own = properties.href(properties.principal_path(principal)).text
    for response in root.findall(f"{D}response"):
        if response.findtext(f"{D}href") != own:
            continue
        asked = []
        for prop in response.findall(f"{D}propstat/{D}prop"):
            for element in list(prop):
                if element.tag in USER_SCHEDULING:
                    prop.remove(element)
                    asked.append(element.tag)
        if not asked:
            return answer
        kept = [(propstat.find(f"{D}status"), list(propstat.find(f"{D}prop")))
                for propstat in response.findall(f"{D}propstat")]
        for propstat in response.findall(f"{D}propstat"):
            response.remove(propstat)
        values = [(element.tag, element) for status, elements in kept
                  if status is not None and " 200 " in (status.text or "")
                  for element in elements]
        values += [(element.tag, None) for status, elements in kept
                   if status is None or " 200 " not in (status.text or "")
                   for element in elements]
        values += [(tag, properties.value(principal, tag)) for tag in asked]
        response.extend(propstats(values))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def outbox_value(tag: str) -> ET.Element | None:
    """A property of the schedule outbox (None: it has none such)."""
    element = ET.Element(tag)
    if tag == f"{D}resourcetype":
        element.extend([ET.Element(f"{D}collection"),
                        ET.Element(f"{C}schedule-outbox")])
    elif tag == f"{D}displayname":
        element.text = "Outbox"
    elif tag == f"{D}current-user-privilege-set":
        for name in (f"{D}read", f"{C}schedule-send"):
            privilege = ET.SubElement(element, f"{D}privilege")
            privilege.append(ET.Element(name))
    else:
        return None
    return element


def principal_collection_value(tag: str) -> ET.Element | None:
    """A property of the room principal collection ``/<user>/.rooms/``."""
    element = ET.Element(tag)
    if tag == f"{D}resourcetype":
        element.append(ET.Element(f"{D}collection"))
    elif tag == f"{D}displayname":
        element.text = "Rooms"
    else:
        return None
    return element

