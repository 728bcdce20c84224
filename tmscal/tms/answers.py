"""Reading SOAP answers: one hardened lxml parse, elements read by local name.

Every answer the client receives is read here (zeep only builds requests): SOAP 1.1 and SOAP 1.2
envelopes alike, the version chosen by the envelope's namespace. zeep's deserialisation would
build a typed object tree for every answer, which for the answers the sync engine reads by the
thousand costs more than the HTTP round trip, and zeep's SOAP 1.1 binding cannot read a SOAP 1.2
answer at all. :func:`read_answer` hands back :class:`ElementView` objects that answer attribute
access the way zeep's objects do, so the one field mapping in :mod:`tmscal.tms.convert` reads
both:

* ``view.Name`` is the first child ``{namespace}Name``: ``None`` when absent or ``xsi:nil``, its
  text (``''`` when empty) when it has no child elements, otherwise an :class:`ElementView`;
* :meth:`ElementView.items` lists every child of a name (the items of an ``ArrayOfX``);
* children in other namespaces, comments and unknown elements are ignored (a newer TMS adds
  elements; the schema order is not checked).

Values stay text; the converters turn them into ints, booleans, enums and times. Parsing is
hardened as zeep's is configured: no DTD, no entity expansion, no network, no huge trees.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP_NAMESPACES = (SOAP11_NS, SOAP12_NS)
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class UnreadableAnswer(ValueError):
    """The answer is not a SOAP 1.1 or 1.2 envelope this reader accepts."""


class ElementView:
    """Read-only view of one element's children in ``namespace`` (see the module docstring)."""

    __slots__ = ("_children", "_element", "_prefix")

    def __init__(self, element: etree._Element, namespace: str) -> None:
        self._element = element
        self._prefix = f"{{{namespace}}}"
        self._children: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"ElementView({etree.QName(self._element).localname})"

    def _first_children(self) -> dict[str, Any]:
        """Every child's value by name (the first of a name), read in one pass. Text is read
        first: a SOAP answer has no mixed content, and a nil element no text."""
        children: dict[str, Any] = {}
        prefix, cut, namespace = self._prefix, len(self._prefix), self._prefix[1:-1]
        for child in self._element:
            tag = child.tag
            if isinstance(tag, str) and tag.startswith(prefix):
                name = tag[cut:]
                if name not in children:
                    text = child.text
                    if text and not text.isspace():
                        children[name] = text
                    elif child.get(XSI_NIL) in ("true", "1"):
                        children[name] = None
                    elif len(child):
                        children[name] = ElementView(child, namespace)
                    else:
                        children[name] = text or ""
        self._children = children
        return children

    def _value(self, element: etree._Element) -> Any:
        if element.get(XSI_NIL) in ("true", "1"):
            return None
        if len(element):
            return ElementView(element, self._prefix[1:-1])
        return element.text or ""

    def get(self, name: str) -> Any:
        """``view.name``, or None when there is no such child (no AttributeError to catch)."""
        children = self._children
        if children is None:
            children = self._first_children()
        return children.get(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self.get(name)
        if value is None and name not in (self._children or {}):
            raise AttributeError(name)
        return value

    def items(self, name: str) -> list[Any]:
        """The non-nil values of every child called ``name``, in document order."""
        tag = self._prefix + name
        values = (self._value(child) for child in self._element if child.tag == tag)
        return [value for value in values if value is not None]


@dataclass(frozen=True)
class Answer:
    """A successful answer: the SOAP Header and the ``<Operation>Response`` element as views
    (the shape zeep gives a response with output headers: ``header`` and ``body``)."""

    header: ElementView | None
    body: ElementView


_parsers = threading.local()


def _parser() -> etree.XMLParser:
    parser = getattr(_parsers, "parser", None)
    if parser is None:  # lxml parsers must not be shared between threads
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            remove_comments=True, remove_pis=True)
    return parser


def parse_envelope(content: bytes) -> etree._Element:
    """The root of a SOAP 1.1 or 1.2 envelope; :class:`UnreadableAnswer` for anything else
    (empty or malformed XML, a DTD, another root element)."""
    if not content.strip():
        raise UnreadableAnswer("an empty body")
    try:
        root = etree.fromstring(content, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise UnreadableAnswer(f"malformed XML: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise UnreadableAnswer("a DTD in a SOAP answer is forbidden")
    if envelope_namespace(root) is None:
        raise UnreadableAnswer(f"not a SOAP envelope: {root.tag}")
    return root


def envelope_namespace(root: etree._Element) -> str | None:
    """The SOAP namespace of an Envelope root (1.1 or 1.2), None for any other element."""
    qname = etree.QName(root)
    if qname.localname == "Envelope" and qname.namespace in SOAP_NAMESPACES:
        return qname.namespace
    return None


def fault_in(root: etree._Element) -> etree._Element | None:
    """The envelope's soap:Fault, None when its Body holds none."""
    soap = envelope_namespace(root)
    return root.find(f"{{{soap}}}Body/{{{soap}}}Fault")


def read_answer(root: etree._Element, namespace: str, operation: str) -> Answer:
    """The :class:`Answer` in a (fault-free) envelope for ``operation`` of ``namespace``."""
    soap = envelope_namespace(root)
    body = root.find(f"{{{soap}}}Body/{{{namespace}}}{operation}Response")
    if body is None:
        raise UnreadableAnswer(f"the answer has no {operation}Response")
    header = root.find(f"{{{soap}}}Header")
    return Answer(header=None if header is None else ElementView(header, namespace),
                  body=ElementView(body, namespace))
