"""Conference fields kept as ``X-TMS-…`` properties, and ConferenceState ↔ STATUS.

Only values that differ from TMS defaults are written, in the fixed order of
:data:`TMS_FIELDS`. Reading them back never sets ConferenceId, Version, TransactionId or
Status (a client could name any conference there): the write path takes them from the mirror.
"""

from __future__ import annotations

import hashlib

from tmscal.model import (
    Bandwidth, Conference, ConferenceStatus, ConferenceType, DataConferenceMode,
    EncryptionRequested, ExtendOptionRequested, PictureMode,
)

#: (property name, Conference attribute, enum class or type) in rendering order.
TMS_FIELDS: tuple[tuple[str, str, type], ...] = (
    ("X-TMS-CONFERENCE-ID", "conference_id", int),
    ("X-TMS-VERSION", "version", int),
    ("X-TMS-TRANSACTION-ID", "transaction_id", int),
    ("X-TMS-STATE", "status", ConferenceStatus),
    ("X-TMS-CONFERENCE-TYPE", "conference_type", ConferenceType),
    ("X-TMS-BANDWIDTH", "bandwidth", Bandwidth),
    ("X-TMS-ISDN-BANDWIDTH", "isdn_bandwidth", Bandwidth),
    ("X-TMS-IP-BANDWIDTH", "ip_bandwidth", Bandwidth),
    ("X-TMS-PICTURE-MODE", "picture_mode", PictureMode),
    ("X-TMS-ENCRYPTED", "encrypted", EncryptionRequested),
    ("X-TMS-DATA-CONFERENCE", "data_conference", DataConferenceMode),
    ("X-TMS-EXTEND-OPTION", "show_extend_option", ExtendOptionRequested),
    ("X-TMS-ISDN-RESTRICT", "isdn_restrict", bool),
    ("X-TMS-PIN", "password", str),
    ("X-TMS-BILLING-CODE", "billing_code", str),
    ("X-TMS-LANGUAGE", "language", str),
    ("X-TMS-EMAIL-TO", "email_to", str),
    ("X-TMS-EXTERNAL-SOURCE-ID", "external_source_id", str),
    ("X-TMS-OWNER-ID", "owner_id", int),
    ("X-TMS-OWNER-USER-NAME", "owner_user_name", str),
    ("X-TMS-USER-MESSAGE", "user_message_text", str),
)
#: Never read back: TMS owns them (see module docstring).
_NOT_READ = {"conference_id", "version", "transaction_id", "status"}
INFO_DIGEST = "X-TMS-INFO-DIGEST"

_DEFAULTS = Conference()


def tms_properties(conference: Conference, info_text: str) -> list[tuple[str, str]]:
    """(name, text) of every X-TMS property ``conference`` needs, in fixed order;
    ``info_text`` is the DESCRIPTION written beside them (fingerprinted)."""
    found = []
    for name, attribute, kind in TMS_FIELDS:
        value = getattr(conference, attribute)
        if value == getattr(_DEFAULTS, attribute) and attribute != "status":
            continue
        if kind is bool:
            found.append((name, "TRUE" if value else "FALSE"))
        else:
            found.append((name, str(value.value if hasattr(value, "value") else value)))
    if info_text:
        found.append((INFO_DIGEST, info_digest(info_text)))
    return found


def info_digest(text: str) -> str:
    """A short fingerprint of an invitation text, to tell it apart from a user's edit."""
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()[:16]


def read_tms_properties(properties: dict[str, str], conference: Conference) -> None:
    """Copy X-TMS values into ``conference``, except the ids and state TMS owns (a client's
    copy of them is never trusted). Unknown enum values are ignored (the TMS default stays).
    """
    for name, attribute, kind in TMS_FIELDS:
        if name not in properties or attribute in _NOT_READ:
            continue
        text = properties[name].strip()
        try:
            if kind is bool:
                value: object = text.upper() == "TRUE"
            elif kind is int:
                value = int(text)
            elif kind is str:
                value = text
            else:
                value = kind(text)
        except ValueError:
            continue
        setattr(conference, attribute, value)


_STATUS = {
    ConferenceStatus.PENDING: "CONFIRMED",
    ConferenceStatus.ONGOING: "CONFIRMED",
    ConferenceStatus.FINISHED: "CONFIRMED",
    ConferenceStatus.DEFECTIVE: "TENTATIVE",
    ConferenceStatus.MEETING_REQUEST: "TENTATIVE",
    ConferenceStatus.NOT_SAVED: "TENTATIVE",
    ConferenceStatus.REJECTED: "CANCELLED",
}


def event_status(state: ConferenceStatus) -> str | None:
    """STATUS for a ConferenceState; None for Deleted (not rendered at all)."""
    if state == ConferenceStatus.DELETED:
        return None
    return _STATUS.get(state, "CONFIRMED")
