"""Build zeep objects from plain nested dicts, guided by the WSDL's own schema.

The converters in :mod:`tmscal.tms.convert` describe a request as dicts and lists keyed by the
15.x element names. :func:`compose` turns such a dict into an instance of a zeep complex type,
dropping ``None`` values (so empty optional elements are omitted on the wire) and names the
loaded WSDL does not declare (so the same converter works with an older WSDL). The element order
on the wire is the schema's sequence order, whatever the dict order.
"""

from __future__ import annotations

import threading
from typing import Any

_ELEMENTS: dict[int, tuple[Any, dict[str, Any]]] = {}
_ELEMENTS_LOCK = threading.Lock()


def _elements_of(xsd_type: Any) -> dict[str, Any]:
    """Child elements of a complex type by name (cached per type object)."""
    entry = _ELEMENTS.get(id(xsd_type))
    if entry is not None and entry[0] is xsd_type:
        return entry[1]
    elements = dict(xsd_type.elements)
    with _ELEMENTS_LOCK:
        _ELEMENTS[id(xsd_type)] = (xsd_type, elements)  # keeps the type alive: id stays unique
    return elements


def compose(xsd_type: Any, values: dict[str, Any]) -> Any:
    """An instance of ``xsd_type`` holding ``values`` (nested dicts/lists become child types)."""
    elements = _elements_of(xsd_type)
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        element = elements.get(name)
        if element is None:
            continue
        kwargs[name] = _child_value(element, value)
    return xsd_type(**kwargs)


def _child_value(element: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return compose(element.type, value)
    if isinstance(value, list):
        return [compose(element.type, item) if isinstance(item, dict) else item
                for item in value if item is not None]
    return value
