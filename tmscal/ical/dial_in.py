"""The dial-in alias of a conference, read from the invitation text TMS renders.

TMS has no field for the routed dial-in address; it writes it into ConferenceInfoText. The
alias is the first SIP URI, else the first address (``user@host``) or number on a line that
talks about dialling or joining.
"""

from __future__ import annotations

import re

from icalendar import vUri

_SIP = re.compile(r"\bsips?:[^\s<>\"',;]+", re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d[\d \-()]{3,}\d")
_DIAL_WORDS = re.compile(r"dial|join|video|sip|call|ring", re.IGNORECASE)


def dial_in_alias(info_text: str) -> str:
    """The dial-in alias in ``info_text`` ('' when none is found)."""
    match = _SIP.search(info_text)
    if match:
        return match.group(0).rstrip(".")
    for line in info_text.splitlines():
        if not _DIAL_WORDS.search(line):
            continue
        address = _ADDRESS.search(line)
        if address:
            return address.group(0).rstrip(".")
        number = _NUMBER.search(line)
        if number:
            return number.group(0).strip()
    return ""


def conference_uri(alias: str) -> vUri:
    """An RFC 7986 CONFERENCE value for ``alias`` (``sip:`` for addresses, ``tel:`` numbers)."""
    if ":" in alias.split("@", 1)[0]:
        return vUri(alias)
    if "@" in alias:
        return vUri(f"sip:{alias}")
    return vUri("tel:" + re.sub(r"[ ()]", "", alias))
