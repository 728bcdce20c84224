"""Turn a SOAP fault (1.1 or 1.2) into the typed error of :mod:`tmscal.model`.

TMS reports every API error as a SoapException: the message is ``faultstring`` (SOAP 1.1) or
``Reason/Text`` (SOAP 1.2), and ``detail`` (lowercase and unqualified in both shapes, as ASMX
writes it; ``soap:Detail`` is read too) carries ``errorcode`` (a negative int) and, for session
faults, ``clientsessionid`` (in the ``…/tms/external/exception/`` namespace, although only local
names are compared here). A fault without a known error code is classified by its message
(:func:`tmscal.model.error_for_code`), else a plain :class:`TmsError` with code UNSPECIFIED.
"""

from __future__ import annotations

from lxml import etree

from tmscal.model import ErrorCode, TmsError, error_for_code

#: Namespace TMS uses for the children of a fault's ``detail``.
EXCEPTION_NS = "http://tandberg.net/2004/02/tms/external/exception/"


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname.lower() if isinstance(node.tag, str) else ""


def _detail_text(detail: etree._Element | None, local_name: str) -> str:
    """Text of the first descendant of ``detail`` named ``local_name`` ('' if none)."""
    if detail is None:
        return ""
    for node in detail.iter():
        if _local(node) == local_name:
            return (node.text or "").strip()
    return ""


def _message(fault: etree._Element) -> str:
    """faultstring (1.1) or the first Reason/Text (1.2)."""
    for child in fault:
        name = _local(child)
        if name == "faultstring":
            return (child.text or "").strip()
        if name == "reason":
            texts = [node for node in child if _local(node) == "text"]
            return (texts[0].text or "").strip() if texts else ""
    return ""


def error_from_fault(fault: etree._Element) -> TmsError:
    """The :class:`TmsError` subclass for a ``soap:Fault`` element of either SOAP version."""
    message = _message(fault) or "TMS returned a fault without a message"
    detail = next((child for child in fault if _local(child) == "detail"), None)
    raw_code = _detail_text(detail, "errorcode")
    session_id = _detail_text(detail, "clientsessionid")
    try:
        code = int(raw_code)
    except ValueError:
        code = int(ErrorCode.UNSPECIFIED)
    return error_for_code(code, message, session_id)


def is_session_fault(error: TmsError) -> bool:
    """True for a blank/expired ClientSession fault that suggests a fresh session id."""
    return error.code in (ErrorCode.ERR_CLIENT_SESSION_EXPIRED,
                          ErrorCode.ERR_CLIENT_SESSION_BLANK) and bool(error.client_session_id)
