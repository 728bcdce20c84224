"""Turn a zeep SOAP fault into the typed error of :mod:`tmscal.model`.

TMS reports every API error as a SoapException: ``faultstring`` is a human-readable message and
``detail`` carries ``errorcode`` (a negative int) and, for session faults, ``clientsessionid``
(both in the ``…/tms/external/exception/`` namespace, although only local names are compared
here). A fault without an error code becomes a plain :class:`TmsError` with code UNSPECIFIED.
"""

from __future__ import annotations

from lxml import etree
from zeep.exceptions import Fault

from tmscal.model import ErrorCode, TmsError, error_for_code

#: Namespace TMS uses for the children of a fault's ``detail``.
EXCEPTION_NS = "http://tandberg.net/2004/02/tms/external/exception/"


def _detail_text(detail: etree._Element | None, local_name: str) -> str:
    """Text of the first descendant of ``detail`` named ``local_name`` ('' if none)."""
    if detail is None:
        return ""
    for node in detail.iter():
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).localname.lower() == local_name:
            return (node.text or "").strip()
    return ""


def error_from_fault(fault: Fault) -> TmsError:
    """The :class:`TmsError` subclass for ``fault``'s ``detail/errorcode``."""
    message = (fault.message or "").strip() or "TMS returned a fault without a message"
    raw_code = _detail_text(fault.detail, "errorcode")
    session_id = _detail_text(fault.detail, "clientsessionid")
    try:
        code = int(raw_code)
    except ValueError:
        code = int(ErrorCode.UNSPECIFIED)
    return error_for_code(code, message, session_id)


def is_session_fault(error: TmsError) -> bool:
    """True for a blank/expired ClientSession fault that suggests a fresh session id."""
    return error.code in (ErrorCode.ERR_CLIENT_SESSION_EXPIRED,
                          ErrorCode.ERR_CLIENT_SESSION_BLANK) and bool(error.client_session_id)
