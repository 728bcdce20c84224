"""SOAP envelopes as an ASMX service reads and writes them.

:func:`parse_envelope` reads a request (SOAP 1.1 or 1.2, chosen by the envelope namespace, not by
the Content-Type) with a hardened parser: no DTDs, no entities, no network, no huge trees.
:func:`render_response` and :func:`render_fault` write responses with the ``soap`` prefix and
``xsi``/``xsd`` declarations ASMX uses; faults have the shape real TMS sends (TMS-API.md §4.2),
including the *unqualified* lowercase ``<detail>`` in SOAP 1.2.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lxml import etree

from tmscal.model import ErrorCode

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XML_NS = "http://www.w3.org/XML/1998/namespace"
#: Namespace of the ``errorcode`` / ``clientsessionid`` children of a fault's detail.
EXCEPTION_NS = "http://tandberg.net/2004/02/tms/external/exception/"


class SoapVersion(enum.Enum):
    SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
    SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

    @property
    def namespace(self) -> str:
        return self.value

    @property
    def content_type(self) -> str:
        if self is SoapVersion.SOAP12:
            return "application/soap+xml; charset=utf-8"
        return "text/xml; charset=utf-8"

    @classmethod
    def guess(cls, content_type: str, body: bytes) -> "SoapVersion":
        """The version to answer in when the envelope itself cannot be read."""
        if "application/soap+xml" in (content_type or "").lower():
            return cls.SOAP12
        if cls.SOAP12.value.encode() in body[:2048]:
            return cls.SOAP12
        return cls.SOAP11


class SoapFault(Exception):
    """A fault to send back. ``receiver`` selects soap:Receiver / soap:Server (server's fault).

    ``code`` goes to ``detail/errorcode`` (None: no errorcode, as ASMX protocol faults);
    ``client_session_id`` to ``detail/clientsessionid``. ``version`` is set when the fault
    happened before the envelope's version was known.
    """

    def __init__(self, message: str, code: int | None = ErrorCode.UNSPECIFIED, *,
                 client_session_id: str = "", receiver: bool = False,
                 version: SoapVersion | None = None, version_mismatch: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.client_session_id = client_session_id
        self.receiver = receiver
        self.version = version
        self.version_mismatch = version_mismatch


@dataclass
class SoapRequest:
    """A parsed request envelope: its version, Header (may be None), and first Body child."""

    version: SoapVersion
    header: etree._Element | None
    operation: etree._Element

    @property
    def operation_name(self) -> str:
        return etree.QName(self.operation).localname

    @property
    def operation_namespace(self) -> str | None:
        return etree.QName(self.operation).namespace

    def header_element(self, namespace: str, name: str) -> etree._Element | None:
        if self.header is None:
            return None
        return self.header.find(f"{{{namespace}}}{name}")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True,
                           remove_pis=True)


_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")


def parse_envelope(body: bytes, content_type: str = "") -> SoapRequest:
    """Parse a SOAP request body. Raises :class:`SoapFault` (client) for anything unreadable,
    for any DTD or entity declaration, and for an unknown envelope namespace."""
    fallback = SoapVersion.guess(content_type, body)
    if any(marker in body for marker in _FORBIDDEN_MARKUP):
        raise SoapFault("Server was unable to read request. DTD is prohibited in this document.",
                        version=fallback)
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SoapFault(f"Server was unable to read request. {exc}", version=fallback) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapFault("Server was unable to read request. DTD is prohibited in this document.",
                        version=fallback)
    qname = etree.QName(root)
    if qname.localname != "Envelope":
        raise SoapFault("Server was unable to read request. The root element is not a SOAP "
                        "Envelope.", version=fallback)
    try:
        version = SoapVersion(qname.namespace)
    except ValueError:
        raise SoapFault(f"Possible SOAP version mismatch: Envelope namespace {qname.namespace} "
                        f"was unexpected.", code=None, version=fallback,
                        version_mismatch=True) from None
    header = root.find(f"{{{version.namespace}}}Header")
    soap_body = root.find(f"{{{version.namespace}}}Body")
    if soap_body is None:
        raise SoapFault("Server was unable to read request. The SOAP Body is missing.",
                        version=version)
    operation = next((child for child in soap_body if isinstance(child.tag, str)), None)
    if operation is None:
        raise SoapFault("Server was unable to read request. The SOAP Body is empty.",
                        version=version)
    return SoapRequest(version=version, header=header, operation=operation)


def soap_action(content_type: str, soap_action_header: str | None) -> str:
    """The action a request names: the SOAPAction header (1.1) or the ``action`` parameter of
    ``application/soap+xml`` (1.2); '' when none is given."""
    if soap_action_header is not None and soap_action_header.strip().strip('"'):
        return soap_action_header.strip().strip('"')
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.strip().partition("=")
        if key.strip().lower() == "action":
            return value.strip().strip('"')
    return ""


def _envelope(version: SoapVersion) -> etree._Element:
    return etree.Element(f"{{{version.namespace}}}Envelope",
                         nsmap={"soap": version.namespace, "xsi": XSI_NS, "xsd": XSD_NS})


def _serialize(envelope: etree._Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>' + etree.tostring(
        envelope, xml_declaration=False, encoding="utf-8")


def render_response(version: SoapVersion, headers: list[etree._Element],
                    payload: etree._Element) -> bytes:
    """An envelope with ``headers`` (omitted when empty) and ``payload`` as the Body child."""
    envelope = _envelope(version)
    if headers:
        header = etree.SubElement(envelope, f"{{{version.namespace}}}Header")
        header.extend(headers)
    body = etree.SubElement(envelope, f"{{{version.namespace}}}Body")
    body.append(payload)
    return _serialize(envelope)


def render_fault(version: SoapVersion, fault: SoapFault, node_url: str) -> bytes:
    """The fault envelope for ``fault``; ``node_url`` is the request URL (Node / faultactor)."""
    ns = version.namespace
    envelope = _envelope(version)
    body = etree.SubElement(envelope, f"{{{ns}}}Body")
    element = etree.SubElement(body, f"{{{ns}}}Fault")
    if version is SoapVersion.SOAP12:
        code = etree.SubElement(element, f"{{{ns}}}Code")
        value = etree.SubElement(code, f"{{{ns}}}Value")
        if fault.version_mismatch:
            value.text = "soap:VersionMismatch"
        else:
            value.text = "soap:Receiver" if fault.receiver else "soap:Sender"
        reason = etree.SubElement(element, f"{{{ns}}}Reason")
        text = etree.SubElement(reason, f"{{{ns}}}Text")
        text.set(f"{{{XML_NS}}}lang", "en")
        text.text = fault.message
        etree.SubElement(element, f"{{{ns}}}Node").text = node_url
    else:
        if fault.version_mismatch:
            code = "soap:VersionMismatch"
        else:
            code = "soap:Server" if fault.receiver else "soap:Client"
        etree.SubElement(element, "faultcode").text = code
        etree.SubElement(element, "faultstring").text = fault.message
        etree.SubElement(element, "faultactor").text = node_url
    detail = etree.SubElement(element, "detail")  # unqualified, lowercase: as TMS sends it
    if fault.code is not None:
        etree.SubElement(detail, f"{{{EXCEPTION_NS}}}errorcode",
                         nsmap={None: EXCEPTION_NS}).text = str(int(fault.code))
        etree.SubElement(detail, f"{{{EXCEPTION_NS}}}clientsessionid",
                         nsmap={None: EXCEPTION_NS}).text = fault.client_session_id or ""
    return _serialize(envelope)
