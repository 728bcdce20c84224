"""Conversion between TMS messages and :mod:`tmscal.model`: the one field mapping.

Reading (``*_from_wire``) takes any object whose attributes are the message's child elements:
zeep's objects, or the :class:`tmscal.tms.answers.ElementView` of an answer read without zeep
(values are then text; the primitives below convert text and typed values alike). Reading is
lenient: zeep runs non-strict, so any element may be missing and reads as ``None``; missing
strings become ``''``, missing numbers ``0``, missing enums their ``Default`` (or the field's
model default), unknown enum strings from a newer TMS likewise.
Writing (``*_to_wire``) produces plain dicts in the 15.x element names for
:func:`tmscal.tms.schema.compose`: empty strings are left out (``None``), value-typed elements
are always present, times are ``yyyy-MM-dd HH:mm:ssZ`` via :func:`format_tms_time`, and
fields TMS computes itself (ConferenceInfoText/Html, ConferenceState) are not sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from tmscal.model import (
    UTC,
    Bandwidth,
    Conference,
    ConferenceStatus,
    ConferenceType,
    DataConferenceMode,
    DayOfWeek,
    EncryptionRequested,
    ExceptionIdRange,
    ExceptionType,
    ExtendOptionRequested,
    Participant,
    ParticipantCallType,
    PictureMode,
    RecurrenceEndType,
    RecurrenceException,
    RecurrencePattern,
    RecurringFrequency,
    System,
    SystemCategory,
    SystemStatus,
    TimeZoneRule,
    Transaction,
    TransactionType,
    TransitionRule,
    User,
    WireEnum,
    format_tms_time,
    parse_tms_time,
)
from tmscal.tms.answers import ElementView

E = TypeVar("E", bound=WireEnum)

# ----------------------------------------------------------------------------------------------
# reading primitives


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if type(obj) is ElementView:
        return obj.get(name)
    return getattr(obj, name, None)


def _text(obj: Any, name: str) -> str:
    value = _get(obj, name)
    return "" if value is None else str(value)


def _int(obj: Any, name: str) -> int:
    value = _get(obj, name)
    if value is None or value == "":
        return 0
    return int(value)


def _bool(obj: Any, name: str) -> bool:
    value = _get(obj, name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _time(obj: Any, name: str) -> datetime | None:
    return parse_tms_time(_get(obj, name))


def _enum(cls: type[E], obj: Any, name: str, default: E) -> E:
    """The member for the wire string, or ``default`` if absent or unknown to this model."""
    value = _get(obj, name)
    if value is None or value == "":
        return default
    try:
        return cls(str(value))
    except ValueError:
        return default


def _items(obj: Any, array_name: str, item_name: str) -> list[Any]:
    """The (non-nil) items of an ASMX ``ArrayOfX`` wrapper element."""
    return array_items(_get(obj, array_name), item_name)


def array_items(array: Any, item_name: str) -> list[Any]:
    """The (non-nil) items of an ``ArrayOfX`` result object (``None`` → ``[]``)."""
    if array is None:
        return []
    if isinstance(array, ElementView):
        return array.items(item_name)
    items = array if isinstance(array, list) else (_get(array, item_name) or [])
    return [item for item in items if item is not None]


def _aware(value: Any) -> datetime | None:
    """An xs:dateTime value from zeep as an aware UTC datetime (naive means UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# ----------------------------------------------------------------------------------------------
# Remote Setup


def system_from_wire(obj: Any) -> System:
    """A ``TMSSystem`` as :class:`System` (``time_zone`` is TimeZone/TimezoneName)."""
    return System(
        system_id=_int(obj, "SystemId"),
        name=_text(obj, "SystemName"),
        description=_text(obj, "Description"),
        location=_text(obj, "Location"),
        time_zone=_text(_get(obj, "TimeZone"), "TimezoneName"),
        system_type=_text(obj, "SystemType"),
        network_address=_text(obj, "NetworkAddress"),
        sip_uri=_text(obj, "SIPUri"),
        h323_id=_text(obj, "H323Id"),
        e164_alias=_text(obj, "E164Alias"),
        contact=_text(obj, "Contact"),
        manufacturer=_text(obj, "Manufacturer"),
        category=_enum(SystemCategory, _get(obj, "SystemCategory"), "systemCategory",
                       SystemCategory.ROOM),
        status=_enum(SystemStatus, _get(obj, "SystemStatus"), "systemStatus",
                     SystemStatus.UNKNOWN),
    )


def user_from_wire(obj: Any) -> User:
    return User(
        user_name=_text(obj, "UserName"),
        display_name=_text(obj, "DisplayName"),
        first_name=_text(obj, "FirstName"),
        last_name=_text(obj, "LastName"),
        email_address=_text(obj, "EmailAddress"),
        is_hidden=_bool(obj, "IsHiddenUser"),
    )


# ----------------------------------------------------------------------------------------------
# Transactions


def parse_participant_ids(text: str | None) -> list[int]:
    """``"12, 13,14"`` → ``[12, 13, 14]``; blanks and non-numbers are skipped."""
    ids: list[int] = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            ids.append(int(part))
    return ids


def _trans_type(text: str) -> TransactionType:
    """The TransType; the guide's "Incomplete" is the ListIncomplete marker, and an unknown type
    counts as Updated (the safe reading: the conference is fetched again)."""
    if text == "Incomplete":
        return TransactionType.LIST_INCOMPLETE
    try:
        return TransactionType(text)
    except ValueError:
        return TransactionType.UPDATED


def transaction_from_wire(obj: Any) -> Transaction:
    return Transaction(
        transaction_id=_int(obj, "TransactionId"),
        conference_id=_int(obj, "ConferenceId"),
        trans_type=_trans_type(_text(obj, "TransType")),
        performed_by_user_id=_int(obj, "PerformedByUserId"),
        participant_ids=parse_participant_ids(_get(obj, "ParticipantIds")),
    )


# ----------------------------------------------------------------------------------------------
# Time zone rules


def _transition_from_wire(obj: Any) -> TransitionRule | None:
    if obj is None:
        return None
    relative = _get(obj, "RelativeRule")
    if relative is not None:
        return TransitionRule(month=_int(relative, "Month"),
                              day_of_week=_int(relative, "DayOfTheWeek"),
                              week_of_month=_int(relative, "WeekOfTheMonthIndex"),
                              change_second_at_day=_int(obj, "ChangeSecondAtDay"))
    return None  # FixedRule has no model counterpart; TMS zones use relative rules


def time_zone_rule_from_wire(obj: Any) -> TimeZoneRule:
    return TimeZoneRule(
        id=_text(obj, "Id"),
        display_name=_text(obj, "DisplayName"),
        base_offset_minutes=_int(obj, "BaseOffsetInMinutes"),
        daylight_offset_minutes=_int(obj, "DaylightOffsetInMinutes"),
        valid_from=_aware(_get(obj, "ValidFrom")),
        daylight=_transition_from_wire(_get(obj, "Daylight")),
        standard=_transition_from_wire(_get(obj, "Standard")),
    )


def _transition_to_wire(rule: TransitionRule | None) -> dict | None:
    if rule is None:
        return None
    return {"ChangeSecondAtDay": rule.change_second_at_day,
            "RelativeRule": {"Month": rule.month, "DayOfTheWeek": rule.day_of_week,
                             "WeekOfTheMonthIndex": rule.week_of_month}}


_VALID_FROM_DEFAULT = datetime(1, 1, 1)


def time_zone_rule_to_wire(rule: TimeZoneRule) -> dict:
    valid_from = rule.valid_from
    if valid_from is not None:
        valid_from = valid_from.astimezone(UTC).replace(tzinfo=None)
    return {
        "ValidFrom": valid_from or _VALID_FROM_DEFAULT,
        "Id": rule.id or None,
        "DisplayName": rule.display_name or None,
        "BaseOffsetInMinutes": rule.base_offset_minutes,
        "Daylight": _transition_to_wire(rule.daylight),
        "DaylightOffsetInMinutes": rule.daylight_offset_minutes,
        "Standard": _transition_to_wire(rule.standard),
    }


# ----------------------------------------------------------------------------------------------
# Participants and recurrence


def participant_from_wire(obj: Any) -> Participant:
    return Participant(
        call_type=_enum(ParticipantCallType, obj, "ParticipantCallType", ParticipantCallType.TMS),
        participant_id=_int(obj, "ParticipantId"),
        name_or_number=_text(obj, "NameOrNumber"),
        email_address=_text(obj, "EmailAddress"),
    )


def participant_to_wire(participant: Participant) -> dict:
    return {
        "ParticipantId": participant.participant_id,
        "NameOrNumber": participant.name_or_number or None,
        "EmailAddress": participant.email_address or None,
        "ParticipantCallType": participant.call_type.value,
    }


def _exception_from_wire(obj: Any) -> RecurrenceException:
    modified = _get(obj, "ModifiedData")
    return RecurrenceException(
        exception_type=_enum(ExceptionType, obj, "ExceptionType", ExceptionType.MODIFY),
        recurrence_id_utc=_time(obj, "RecurrenceIdUTC"),
        id_range=_enum(ExceptionIdRange, obj, "RecurrenceIdRange", ExceptionIdRange.NONE),
        modified_mask=_int(obj, "ModifiedMask"),
        modified=conference_from_wire(modified) if modified is not None else None,
    )


def _exception_to_wire(exception: RecurrenceException) -> dict:
    return {
        "ExceptionType": exception.exception_type.value,
        "RecurrenceIdUTC": format_tms_time(exception.recurrence_id_utc) or None,
        "RecurrenceIdRange": exception.id_range.value,
        "ModifiedMask": exception.modified_mask,
        "ModifiedData": (conference_to_wire(exception.modified)
                         if exception.modified is not None else None),
    }


def pattern_from_wire(obj: Any) -> RecurrencePattern:
    days = _items(obj, "DaysOfWeek", "DayOfWeek")
    return RecurrencePattern(
        frequency=_enum(RecurringFrequency, obj, "FrequencyType", RecurringFrequency.DEFAULT),
        interval=_int(obj, "Interval"),
        days_of_week=[DayOfWeek(str(day)) for day in days],
        first_day_of_week=_enum(DayOfWeek, obj, "FirstDayOfWeek", DayOfWeek.SUNDAY),
        by_set_position=_int(obj, "BySetPosition"),
        by_month_day=_int(obj, "ByMonthDay"),
        end_type=_enum(RecurrenceEndType, obj, "PatternEndType", RecurrenceEndType.DEFAULT),
        end_date_utc=_time(obj, "PatternEndDateUTC"),
        first_occurrence_utc=_time(obj, "FirstOccurrenceRecInstanceIdUTC"),
        instances=_int(obj, "PatternInstances"),
        exceptions=[_exception_from_wire(item)
                    for item in _items(obj, "Exceptions", "RecurrenceException")],
    )


def pattern_to_wire(pattern: RecurrencePattern) -> dict:
    return {
        "FrequencyType": pattern.frequency.value,
        "Interval": pattern.interval,
        "DaysOfWeek": ({"DayOfWeek": [day.value for day in pattern.days_of_week]}
                       if pattern.days_of_week else None),
        "FirstDayOfWeek": pattern.first_day_of_week.value,
        "BySetPosition": pattern.by_set_position,
        "ByMonthDay": pattern.by_month_day or None,
        "PatternEndType": pattern.end_type.value,
        "PatternEndDateUTC": format_tms_time(pattern.end_date_utc) or None,
        "FirstOccurrenceRecInstanceIdUTC": format_tms_time(pattern.first_occurrence_utc) or None,
        "PatternInstances": pattern.instances,
        "Exceptions": ({"RecurrenceException": [_exception_to_wire(e)
                                                for e in pattern.exceptions]}
                       if pattern.exceptions else None),
    }


# ----------------------------------------------------------------------------------------------
# Conferences


def _bandwidth_override(obj: Any, name: str) -> Bandwidth:
    return _enum(Bandwidth, _get(obj, name), "Bandwidth", Bandwidth.DEFAULT)


def conference_from_wire(obj: Any) -> Conference:
    """A ``Conference`` (booking namespace) as :class:`Conference`."""
    pattern = _get(obj, "RecurrencePattern")
    return Conference(
        conference_id=_int(obj, "ConferenceId"),
        title=_text(obj, "Title"),
        start_utc=_time(obj, "StartTimeUTC"),
        end_utc=_time(obj, "EndTimeUTC"),
        recurrence_instance_id_utc=_time(obj, "RecurrenceInstanceIdUTC"),
        recurrence_instance_type=_text(obj, "RecurrenceInstanceType"),
        first_occurrence_utc=_time(obj, "FirstOccurrenceRecInstanceIdUTC"),
        recurrence=pattern_from_wire(pattern) if pattern is not None else None,
        owner_id=_int(obj, "OwnerId"),
        owner_user_name=_text(obj, "OwnerUserName"),
        owner_first_name=_text(obj, "OwnerFirstName"),
        owner_last_name=_text(obj, "OwnerLastName"),
        owner_email_address=_text(obj, "OwnerEmailAddress"),
        conference_type=_enum(ConferenceType, obj, "ConferenceType", ConferenceType.DEFAULT),
        bandwidth=_enum(Bandwidth, obj, "Bandwidth", Bandwidth.DEFAULT),
        picture_mode=_enum(PictureMode, obj, "PictureMode", PictureMode.DEFAULT),
        encrypted=_enum(EncryptionRequested, obj, "Encrypted", EncryptionRequested.DEFAULT),
        data_conference=_enum(DataConferenceMode, obj, "DataConference",
                              DataConferenceMode.DEFAULT),
        show_extend_option=_enum(ExtendOptionRequested, obj, "ShowExtendOption",
                                 ExtendOptionRequested.DEFAULT),
        password=_text(obj, "Password"),
        billing_code=_text(obj, "BillingCode"),
        isdn_restrict=_bool(obj, "ISDNRestrict"),
        email_to=_text(obj, "EmailTo"),
        conference_info_text=_text(obj, "ConferenceInfoText"),
        conference_info_html=_text(obj, "ConferenceInfoHtml"),
        user_message_text=_text(obj, "UserMessageText"),
        external_source_id=_text(obj, "ExternalSourceId"),
        external_primary_key=_text(obj, "ExternalPrimaryKey"),
        participants=[participant_from_wire(p)
                      for p in _items(obj, "Participants", "Participant")],
        isdn_bandwidth=_bandwidth_override(obj, "ISDNBandwidth"),
        ip_bandwidth=_bandwidth_override(obj, "IPBandwidth"),
        language=_text(obj, "ConferenceLanguage"),
        time_zone_rules=[time_zone_rule_from_wire(r)
                         for r in _items(obj, "ConferenceTimeZoneRules", "TimeZoneRule")],
        status=_enum(ConferenceStatus, _get(obj, "ConferenceState"), "Status",
                     ConferenceStatus.PENDING),
        version=_int(obj, "Version"),
        location=_text(obj, "Location"),
        transaction_id=_int(obj, "TransactionId"),
    )


def conference_to_wire(conference: Conference, *, with_pattern: bool = True) -> dict:
    """The request form of ``conference`` for SaveConference*.

    ``with_pattern=False`` leaves out the RecurrencePattern (SaveConferenceRecInstance saves one
    occurrence, where a pattern is not valid).
    """
    c = conference
    pattern = c.recurrence if with_pattern else None
    return {
        "ConferenceId": c.conference_id,
        "Title": c.title or None,
        "StartTimeUTC": format_tms_time(c.start_utc) or None,
        "EndTimeUTC": format_tms_time(c.end_utc) or None,
        "RecurrenceInstanceIdUTC": format_tms_time(c.recurrence_instance_id_utc) or None,
        "RecurrenceInstanceType": c.recurrence_instance_type or None,
        "FirstOccurrenceRecInstanceIdUTC": format_tms_time(c.first_occurrence_utc) or None,
        "RecurrencePattern": pattern_to_wire(pattern) if pattern is not None else None,
        "OwnerId": c.owner_id,
        "OwnerUserName": c.owner_user_name or None,
        "OwnerFirstName": c.owner_first_name or None,
        "OwnerLastName": c.owner_last_name or None,
        "OwnerEmailAddress": c.owner_email_address or None,
        "ConferenceType": c.conference_type.value,
        "Bandwidth": c.bandwidth.value,
        "PictureMode": c.picture_mode.value,
        "Encrypted": c.encrypted.value,
        "DataConference": c.data_conference.value,
        "ShowExtendOption": c.show_extend_option.value,
        "Password": c.password or None,
        "BillingCode": c.billing_code or None,
        "ISDNRestrict": c.isdn_restrict,
        "EmailTo": c.email_to or None,
        "UserMessageText": c.user_message_text or None,
        "ExternalSourceId": c.external_source_id or None,
        "ExternalPrimaryKey": c.external_primary_key or None,
        "Participants": {"Participant": [participant_to_wire(p) for p in c.participants]},
        "ISDNBandwidth": {"Bandwidth": c.isdn_bandwidth.value},
        "IPBandwidth": {"Bandwidth": c.ip_bandwidth.value},
        "ConferenceLanguage": c.language or None,
        "ConferenceTimeZoneRules": ({"TimeZoneRule": [time_zone_rule_to_wire(r)
                                                      for r in c.time_zone_rules]}
                                    if c.time_zone_rules else None),
        "Version": c.version,
        "Location": c.location or None,
        "TransactionId": c.transaction_id,
    }
