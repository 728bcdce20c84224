"""XML ↔ domain model for the simulator's SOAP layer.

Encoders append elements to a parent in exactly the order the project's WSDL declares them
(``tmscal/wsdl/*.wsdl``): value-typed elements (ints, booleans, enums) are always written, string
elements only when non-empty, conference times as ``yyyy-MM-dd HH:mm:ssZ``.

Decoders read request elements the way ASP.NET's XmlSerializer does: children are matched by
qualified name in the service namespace, unknown or misspelled children are ignored, a missing
value-typed child takes its type's default (0, false, ``Default``). A value that cannot be read
(bad number, unknown enum string, time without ``Z``) raises :class:`RequestFormatError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from dateutil import parser as date_parser
from lxml import etree

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
    TimeZoneRule,
    Transaction,
    TransitionRule,
    User,
    WireEnum,
    format_tms_time,
    parse_tms_time,
)

BOOKING_NS = "http://tandberg.net/2004/02/tms/external/booking/"
REMOTE_SETUP_NS = "http://tandberg.net/2004/02/tms/external/booking/remotesetup/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

#: .NET's DateTime.MinValue, what TMS writes for a rule valid "forever".
_MIN_VALID_FROM = "0001-01-01T00:00:00"


class RequestFormatError(ValueError):
    """The request body could not be read (the XmlSerializer would have thrown)."""


# --------------------------------------------------------------------------------------------
# Writing


def _add(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        child.text = text
    return child


def _string(parent: etree._Element, ns: str, name: str, value: str | None, *,
            always: bool = False) -> None:
    """A string element: written only when non-empty (TMS omits null strings), or ``always``
    (then empty: ``<Name />``)."""
    if value or always:
        _add(parent, ns, name, value or None)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _enum(value: WireEnum | str) -> str:
    return value.value if isinstance(value, WireEnum) else str(value)


def encode_conference(parent: etree._Element, conference: Conference, *, listing: bool = False,
                      ns: str = BOOKING_NS, transaction_id: bool = True) -> etree._Element:
    """Fill ``parent`` (a ``Conference``-typed element) from ``conference``, in WSDL order.

    ``listing`` is the GetConferencesFor* shape: no Participants, invitation texts or URIs.
    A saved conference read in full carries ``<EmailTo />`` and ``<ExternalSourceId />`` even
    when empty, as real answers do. ``transaction_id`` False leaves TransactionId out (older
    clients). Returns ``parent``.
    """
    c = conference
    always = not listing and c.conference_id > 0
    _add(parent, ns, "ConferenceId", str(c.conference_id))
    _string(parent, ns, "Title", c.title)
    _string(parent, ns, "StartTimeUTC", format_tms_time(c.start_utc))
    _string(parent, ns, "EndTimeUTC", format_tms_time(c.end_utc))
    _string(parent, ns, "RecurrenceInstanceIdUTC", format_tms_time(c.recurrence_instance_id_utc))
    _string(parent, ns, "RecurrenceInstanceType", c.recurrence_instance_type)
    _string(parent, ns, "FirstOccurrenceRecInstanceIdUTC", format_tms_time(c.first_occurrence_utc))
    if c.recurrence is not None:
        encode_recurrence_pattern(_add(parent, ns, "RecurrencePattern"), c.recurrence, ns=ns)
    _add(parent, ns, "OwnerId", str(c.owner_id))
    _string(parent, ns, "OwnerUserName", c.owner_user_name)
    _string(parent, ns, "OwnerFirstName", c.owner_first_name)
    _string(parent, ns, "OwnerLastName", c.owner_last_name)
    _string(parent, ns, "OwnerEmailAddress", c.owner_email_address)
    _add(parent, ns, "ConferenceType", _enum(c.conference_type))
    _add(parent, ns, "Bandwidth", _enum(c.bandwidth))
    _add(parent, ns, "PictureMode", _enum(c.picture_mode))
    _add(parent, ns, "Encrypted", _enum(c.encrypted))
    _add(parent, ns, "DataConference", _enum(c.data_conference))
    _add(parent, ns, "ShowExtendOption", _enum(c.show_extend_option))
    _string(parent, ns, "Password", c.password)
    _string(parent, ns, "BillingCode", c.billing_code)
    _add(parent, ns, "ISDNRestrict", _bool(c.isdn_restrict))
    # ExternalConference (WebEx): not modelled, never written.
    _string(parent, ns, "EmailTo", c.email_to, always=always)
    # ConfBundleId, ConfOwnerId: not modelled.
    if not listing:
        _string(parent, ns, "ConferenceInfoText", c.conference_info_text)
        _string(parent, ns, "ConferenceInfoHtml", c.conference_info_html)
    _string(parent, ns, "UserMessageText", c.user_message_text)
    _string(parent, ns, "ExternalSourceId", c.external_source_id, always=always)
    _string(parent, ns, "ExternalPrimaryKey", c.external_primary_key)
    # DetachedFromExternalSourceId / DetachedFromExternalPrimaryKey: not modelled.
    if not listing:
        participants = _add(parent, ns, "Participants")
        for participant in c.participants:
            encode_participant(_add(participants, ns, "Participant"), participant, ns=ns)
    # RecordedConferenceUri, WebConferencePresenterUri, WebConferenceAttendeeUri: not modelled.
    _add(_add(parent, ns, "ISDNBandwidth"), ns, "Bandwidth", _enum(c.isdn_bandwidth))
    _add(_add(parent, ns, "IPBandwidth"), ns, "Bandwidth", _enum(c.ip_bandwidth))
    _string(parent, ns, "ConferenceLanguage", c.language)
    if c.time_zone_rules:
        rules = _add(parent, ns, "ConferenceTimeZoneRules")
        for rule in c.time_zone_rules:
            encode_time_zone_rule(_add(rules, ns, "TimeZoneRule"), rule, ns=ns)
    _add(_add(parent, ns, "ConferenceState"), ns, "Status", _enum(c.status))
    if c.version:
        _add(parent, ns, "Version", str(c.version))
    _string(parent, ns, "Location", c.location)
    # Invitees, SecretCode, MeetingSource, PrivacyFlag, JoinUri, JoinUrl: not modelled.
    if transaction_id:
        _add(parent, ns, "TransactionId", str(c.transaction_id))
    return parent


def encode_participant(parent: etree._Element, p: Participant, *, ns: str = BOOKING_NS) -> None:
    _add(parent, ns, "ParticipantId", str(p.participant_id))
    _string(parent, ns, "NameOrNumber", p.name_or_number)
    _string(parent, ns, "EmailAddress", p.email_address)
    _add(parent, ns, "ParticipantCallType", _enum(p.call_type))


def encode_recurrence_pattern(parent: etree._Element, r: RecurrencePattern, *,
                              ns: str = BOOKING_NS) -> None:
    _add(parent, ns, "FrequencyType", _enum(r.frequency))
    _add(parent, ns, "Interval", str(r.interval))
    if r.days_of_week:
        days = _add(parent, ns, "DaysOfWeek")
        for day in r.days_of_week:
            _add(days, ns, "DayOfWeek", _enum(day))
    _add(parent, ns, "FirstDayOfWeek", _enum(r.first_day_of_week))
    _add(parent, ns, "BySetPosition", str(r.by_set_position))
    if r.by_month_day:
        _add(parent, ns, "ByMonthDay", str(r.by_month_day))
    _add(parent, ns, "PatternEndType", _enum(r.end_type))
    _string(parent, ns, "PatternEndDateUTC", format_tms_time(r.end_date_utc))
    _string(parent, ns, "FirstOccurrenceRecInstanceIdUTC", format_tms_time(r.first_occurrence_utc))
    _add(parent, ns, "PatternInstances", str(r.instances))
    if r.exceptions:
        exceptions = _add(parent, ns, "Exceptions")
        for exception in r.exceptions:
            encode_recurrence_exception(_add(exceptions, ns, "RecurrenceException"), exception,
                                        ns=ns)


def encode_recurrence_exception(parent: etree._Element, e: RecurrenceException, *,
                                ns: str = BOOKING_NS) -> None:
    _add(parent, ns, "ExceptionType", _enum(e.exception_type))
    _string(parent, ns, "RecurrenceIdUTC", format_tms_time(e.recurrence_id_utc))
    _add(parent, ns, "RecurrenceIdRange", _enum(e.id_range))
    _add(parent, ns, "ModifiedMask", str(e.modified_mask))
    if e.modified is not None:
        encode_conference(_add(parent, ns, "ModifiedData"), e.modified, ns=ns)


def encode_time_zone_rule(parent: etree._Element, rule: TimeZoneRule, *,
                          ns: str = BOOKING_NS) -> None:
    _add(parent, ns, "ValidFrom", _xs_date_time(rule.valid_from))
    _string(parent, ns, "Id", rule.id)
    _string(parent, ns, "DisplayName", rule.display_name)
    _add(parent, ns, "BaseOffsetInMinutes", str(rule.base_offset_minutes))
    if rule.daylight is not None:
        _encode_transition(_add(parent, ns, "Daylight"), rule.daylight, ns)
    _add(parent, ns, "DaylightOffsetInMinutes", str(rule.daylight_offset_minutes))
    if rule.standard is not None:
        _encode_transition(_add(parent, ns, "Standard"), rule.standard, ns)


def _xs_date_time(instant: datetime | None) -> str:
    """``2021-03-28T00:00:00`` (UTC, no zone, as .NET writes an unspecified DateTime);
    None or year 1 → DateTime.MinValue."""
    if instant is None or instant.year <= 1:
        return _MIN_VALID_FROM
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return (f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}T"
            f"{instant.hour:02d}:{instant.minute:02d}:{instant.second:02d}")


def _encode_transition(parent: etree._Element, t: TransitionRule, ns: str) -> None:
    _add(parent, ns, "ChangeSecondAtDay", str(t.change_second_at_day))
    relative = _add(parent, ns, "RelativeRule")
    _add(relative, ns, "Month", str(t.month))
    _add(relative, ns, "DayOfTheWeek", str(t.day_of_week))
    _add(relative, ns, "WeekOfTheMonthIndex", str(t.week_of_month))


def encode_transaction(parent: etree._Element, t: Transaction, *, ns: str = BOOKING_NS) -> None:
    _add(parent, ns, "TransactionId", str(t.transaction_id))
    _add(parent, ns, "ConferenceId", str(t.conference_id))
    _add(parent, ns, "TransType", _enum(t.trans_type))
    _add(parent, ns, "PerformedByUserId", str(t.performed_by_user_id))
    _string(parent, ns, "ParticipantIds", ",".join(str(i) for i in t.participant_ids))


def encode_system(parent: etree._Element, s: System, *, ns: str = REMOTE_SETUP_NS) -> None:
    _add(parent, ns, "SystemId", str(s.system_id))
    _string(parent, ns, "SystemName", s.name)
    _string(parent, ns, "Contact", s.contact)
    _string(parent, ns, "Manufacturer", s.manufacturer)
    _string(parent, ns, "Description", s.description)
    _string(parent, ns, "SystemType", s.system_type)
    _string(parent, ns, "NetworkAddress", s.network_address)
    _string(parent, ns, "Location", s.location)
    # ISDNNumber, QNumber, WebInterfaceURL: not modelled.
    _string(parent, ns, "SIPUri", s.sip_uri)
    _string(parent, ns, "H323Id", s.h323_id)
    _string(parent, ns, "E164Alias", s.e164_alias)
    if s.time_zone:
        _add(_add(parent, ns, "TimeZone"), ns, "TimezoneName", s.time_zone)
    _add(_add(parent, ns, "SystemCategory"), ns, "systemCategory", _enum(s.category))
    _add(_add(parent, ns, "SystemStatus"), ns, "systemStatus", _enum(s.status))


def encode_user(parent: etree._Element, u: User, *, ns: str = REMOTE_SETUP_NS) -> None:
    _string(parent, ns, "DisplayName", u.display_name)
    _string(parent, ns, "EmailAddress", u.email_address)
    _string(parent, ns, "FirstName", u.first_name)
    _string(parent, ns, "LastName", u.last_name)
    _string(parent, ns, "UserName", u.user_name)
    _add(parent, ns, "IsHiddenUser", _bool(u.is_hidden))


def encode_list(parent: etree._Element, item_name: str, items: Iterable, encode, *,
                ns: str, **kwargs) -> etree._Element:
    """Append one ``item_name`` element per item to ``parent`` (an ArrayOf… element)."""
    for item in items:
        encode(_add(parent, ns, item_name), item, ns=ns, **kwargs)
    return parent


# --------------------------------------------------------------------------------------------
# Reading


def _is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil") in ("true", "1")


class Fields:
    """The children of one request element, looked up by local name in ``ns``."""

    def __init__(self, element: etree._Element, ns: str) -> None:
        self.element = element
        self.ns = ns

    def _find(self, name: str) -> etree._Element | None:
        found = self.element.find(f"{{{self.ns}}}{name}")
        if found is None or _is_nil(found):
            return None
        return found

    def text(self, name: str) -> str | None:
        """The child's text ('' for an empty element), None when absent or nil."""
        found = self._find(name)
        if found is None:
            return None
        return found.text or ""

    def string(self, name: str) -> str:
        return self.text(name) or ""

    def int(self, name: str, default: int = 0) -> int:
        text = self.text(name)
        if text is None or not text.strip():
            return default
        try:
            return int(text.strip())
        except ValueError:
            raise RequestFormatError(
                f"Input string '{text.strip()}' in {name} was not in a correct format.") from None

    def ints(self, name: str) -> list[int]:
        """Every repeated ``name`` child as an int (for unwrapped arrays such as SystemIds)."""
        values = []
        for found in self.element.findall(f"{{{self.ns}}}{name}"):
            text = (found.text or "").strip()
            try:
                values.append(int(text))
            except ValueError:
                raise RequestFormatError(
                    f"Input string '{text}' in {name} was not in a correct format.") from None
        return values

    def bool(self, name: str, default: bool = False) -> bool:
        text = self.text(name)
        if text is None or not text.strip():
            return default
        value = text.strip()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise RequestFormatError(f"The string '{value}' in {name} is not a valid Boolean value.")

    def enum(self, name: str, enum_type: type[WireEnum], default: WireEnum) -> WireEnum:
        text = self.text(name)
        if text is None:
            return default
        try:
            return enum_type(text.strip())
        except ValueError:
            raise RequestFormatError(
                f"Instance validation error: '{text}' is not a valid value for "
                f"{enum_type.__name__}.") from None

    def time(self, name: str) -> datetime | None:
        """A TMS UTC time string (``…Z``); None when absent or empty."""
        try:
            return parse_tms_time(self.text(name))
        except ValueError as exc:
            raise RequestFormatError(str(exc)) from None

    def date_time(self, name: str) -> datetime | None:
        """An ``xs:dateTime``; a value without zone is taken as UTC. None when absent."""
        text = self.text(name)
        if text is None or not text.strip():
            return None
        try:
            value = date_parser.isoparse(text.strip())
        except ValueError:
            raise RequestFormatError(f"The string '{text}' is not a valid AllXsd value.") from None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def child(self, name: str) -> "Fields | None":
        found = self._find(name)
        return None if found is None else Fields(found, self.ns)

    def items(self, name: str) -> list["Fields"]:
        """Non-nil children called ``name`` (the items of an ArrayOf… element)."""
        return [Fields(found, self.ns) for found in self.element.findall(f"{{{self.ns}}}{name}")
                if not _is_nil(found)]


def decode_conference(fields: Fields) -> Conference:
    """A Conference from a ``Conference``-typed request element."""
    f = fields
    conference = Conference(
        conference_id=f.int("ConferenceId", 0),
        title=f.string("Title"),
        start_utc=f.time("StartTimeUTC"),
        end_utc=f.time("EndTimeUTC"),
        recurrence_instance_id_utc=f.time("RecurrenceInstanceIdUTC"),
        recurrence_instance_type=f.string("RecurrenceInstanceType"),
        first_occurrence_utc=f.time("FirstOccurrenceRecInstanceIdUTC"),
        owner_id=f.int("OwnerId"),
        owner_user_name=f.string("OwnerUserName"),
        owner_first_name=f.string("OwnerFirstName"),
        owner_last_name=f.string("OwnerLastName"),
        owner_email_address=f.string("OwnerEmailAddress"),
        conference_type=f.enum("ConferenceType", ConferenceType, ConferenceType.DEFAULT),
        bandwidth=f.enum("Bandwidth", Bandwidth, Bandwidth.DEFAULT),
        picture_mode=f.enum("PictureMode", PictureMode, PictureMode.DEFAULT),
        encrypted=f.enum("Encrypted", EncryptionRequested, EncryptionRequested.DEFAULT),
        data_conference=f.enum("DataConference", DataConferenceMode, DataConferenceMode.DEFAULT),
        show_extend_option=f.enum("ShowExtendOption", ExtendOptionRequested,
                                  ExtendOptionRequested.DEFAULT),
        password=f.string("Password"),
        billing_code=f.string("BillingCode"),
        isdn_restrict=f.bool("ISDNRestrict"),
        email_to=f.string("EmailTo"),
        conference_info_text=f.string("ConferenceInfoText"),
        conference_info_html=f.string("ConferenceInfoHtml"),
        user_message_text=f.string("UserMessageText"),
        external_source_id=f.string("ExternalSourceId"),
        external_primary_key=f.string("ExternalPrimaryKey"),
        language=f.string("ConferenceLanguage"),
        version=f.int("Version"),
        location=f.string("Location"),
        transaction_id=f.int("TransactionId"),
    )
    pattern = f.child("RecurrencePattern")
    if pattern is not None:
        conference.recurrence = decode_recurrence_pattern(pattern)
    participants = f.child("Participants")
    if participants is not None:
        conference.participants = [decode_participant(p)
                                   for p in participants.items("Participant")]
    for name, attribute in (("ISDNBandwidth", "isdn_bandwidth"), ("IPBandwidth", "ip_bandwidth")):
        override = f.child(name)
        if override is not None:
            setattr(conference, attribute,
                    override.enum("Bandwidth", Bandwidth, Bandwidth.DEFAULT))
    rules = f.child("ConferenceTimeZoneRules")
    if rules is not None:
        conference.time_zone_rules = [decode_time_zone_rule(r) for r in rules.items("TimeZoneRule")]
    state = f.child("ConferenceState")
    if state is not None:
        conference.status = state.enum("Status", ConferenceStatus, ConferenceStatus.PENDING)
    return conference


def decode_participant(f: Fields) -> Participant:
    return Participant(
        call_type=f.enum("ParticipantCallType", ParticipantCallType, ParticipantCallType.TMS),
        participant_id=f.int("ParticipantId"),
        name_or_number=f.string("NameOrNumber"),
        email_address=f.string("EmailAddress"),
    )


def decode_recurrence_pattern(f: Fields) -> RecurrencePattern:
    days = f.child("DaysOfWeek")
    exceptions = f.child("Exceptions")
    return RecurrencePattern(
        frequency=f.enum("FrequencyType", RecurringFrequency, RecurringFrequency.DEFAULT),
        interval=f.int("Interval"),
        days_of_week=[] if days is None else [
            _day(item) for item in days.element.findall(f"{{{f.ns}}}DayOfWeek")],
        first_day_of_week=f.enum("FirstDayOfWeek", DayOfWeek, DayOfWeek.SUNDAY),
        by_set_position=f.int("BySetPosition"),
        by_month_day=f.int("ByMonthDay"),
        end_type=f.enum("PatternEndType", RecurrenceEndType, RecurrenceEndType.DEFAULT),
        end_date_utc=f.time("PatternEndDateUTC"),
        first_occurrence_utc=f.time("FirstOccurrenceRecInstanceIdUTC"),
        instances=f.int("PatternInstances"),
        exceptions=[] if exceptions is None else [
            decode_recurrence_exception(e) for e in exceptions.items("RecurrenceException")],
    )


def _day(element: etree._Element) -> DayOfWeek:
    text = (element.text or "").strip()
    try:
        return DayOfWeek(text)
    except ValueError:
        raise RequestFormatError(
            f"Instance validation error: '{text}' is not a valid value for DayOfWeek.") from None


def decode_recurrence_exception(f: Fields) -> RecurrenceException:
    recurrence_id = f.time("RecurrenceIdUTC")
    if recurrence_id is None:
        raise RequestFormatError("RecurrenceException without RecurrenceIdUTC")
    modified = f.child("ModifiedData")
    return RecurrenceException(
        exception_type=f.enum("ExceptionType", ExceptionType, ExceptionType.MODIFY),
        recurrence_id_utc=recurrence_id,
        id_range=f.enum("RecurrenceIdRange", ExceptionIdRange, ExceptionIdRange.NONE),
        modified_mask=f.int("ModifiedMask"),
        modified=None if modified is None else decode_conference(modified),
    )


def decode_time_zone_rule(f: Fields) -> TimeZoneRule:
    valid_from = f.date_time("ValidFrom")
    if valid_from is not None and valid_from.year <= 1:
        valid_from = None
    return TimeZoneRule(
        id=f.string("Id"),
        display_name=f.string("DisplayName"),
        base_offset_minutes=f.int("BaseOffsetInMinutes"),
        daylight_offset_minutes=f.int("DaylightOffsetInMinutes"),
        valid_from=valid_from,
        daylight=_decode_transition(f.child("Daylight")),
        standard=_decode_transition(f.child("Standard")),
    )


def _decode_transition(f: Fields | None) -> TransitionRule | None:
    if f is None:
        return None
    relative = f.child("RelativeRule")
    if relative is None:
        return None
    return TransitionRule(
        month=relative.int("Month"),
        day_of_week=relative.int("DayOfTheWeek"),
        week_of_month=relative.int("WeekOfTheMonthIndex"),
        change_second_at_day=f.int("ChangeSecondAtDay"),
    )
