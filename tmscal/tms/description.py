"""The project's WSDL files, parsed once per process and shared by every client.

The WSDL files ship as package data (``tmscal/wsdl/*.wsdl``) and are read through
:mod:`importlib.resources`; nothing is fetched over the network. Parsing a WSDL is the costly part
of building a zeep client, so the parsed :class:`zeep.wsdl.Document` objects are cached here and
handed to each :class:`zeep.Client` (zeep treats them as read-only after parsing).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

from zeep import Settings
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsdl.bindings.soap import Soap11Binding

BOOKING_NS = "http://tandberg.net/2004/02/tms/external/booking/"
REMOTESETUP_NS = "http://tandberg.net/2004/02/tms/external/booking/remotesetup/"

BOOKING_PATH = "/tms/external/booking/bookingservice.asmx"
REMOTESETUP_PATH = "/tms/external/booking/remotesetup/remotesetupservice.asmx"

#: The API version of the WSDL we ship (TMS 15.11+ reports ConfAPIVersion 22).
SHIPPED_API_VERSION = 22

#: The oldest API version the client speaks: ConferenceTimeZoneRules (API 11, TMS 14.2) on.
MIN_API_VERSION = 11


def zeep_settings() -> Settings:
    """Non-strict (15.x answers carry elements older WSDLs lack), hardened XML parsing."""
    return Settings(strict=False, xml_huge_tree=False, forbid_dtd=True,
                    forbid_entities=True, forbid_external=True)


@dataclass(frozen=True)
class ServiceDescription:
    """One parsed WSDL and the name of its SOAP 1.1 binding."""

    document: Document
    soap11_binding: str  # "{ns}Name"
    namespace: str


def _soap11_binding_name(document: Document, preferred: str) -> str:
    if preferred in document.bindings:
        return preferred
    for name, binding in document.bindings.items():
        if isinstance(binding, Soap11Binding):
            return name
    raise ValueError("the WSDL has no SOAP 1.1 binding")


def _parse(file_name: str, namespace: str, binding: str) -> ServiceDescription:
    ref = resources.files("tmscal") / "wsdl" / file_name
    # A plain transport only resolves local imports while parsing; calls use TmsTransport.
    loader = Transport()
    try:
        with resources.as_file(ref) as path:
            document = Document(str(path), loader, settings=zeep_settings())
    finally:
        loader.session.close()
        loader._close_session = False  # closed here, not again at interpreter exit
    return ServiceDescription(document, _soap11_binding_name(document, f"{{{namespace}}}{binding}"),
                              namespace)


_lock = threading.Lock()
_cache: dict[str, ServiceDescription] = {}


def booking_description() -> ServiceDescription:
    """The parsed BookingService WSDL."""
    return _cached("booking", "bookingservice.wsdl", BOOKING_NS, "BookingServiceSoap")


def remotesetup_description() -> ServiceDescription:
    """The parsed RemoteSetupService WSDL."""
    return _cached("remotesetup", "remotesetupservice.wsdl", REMOTESETUP_NS,
                   "RemoteSetupServiceSoap")


def _cached(key: str, file_name: str, namespace: str, binding: str) -> ServiceDescription:
    with _lock:
        description = _cache.get(key)
        if description is None:
            description = _parse(file_name, namespace, binding)
            _cache[key] = description
        return description
