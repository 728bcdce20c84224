"""The TMS domain: systems, conferences, recurrence, transactions and errors.

Plain dataclasses and enums, shared by every layer. Enum values are the exact strings TMS puts
on the wire (``IP Video <-``, ``Reservation Only``, ``30b/1920kbps`` ...). All instants are
timezone-aware ``datetime`` objects in UTC; the TMS wire format for them is produced and parsed by
:func:`format_tms_time` and :func:`parse_tms_time`. :class:`TmsCalls` lists the Booking API calls
the bridge, the syncer and the commands make. Nothing here knows XML, iCalendar or storage.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum, IntEnum
from typing import Protocol

UTC = timezone.utc


class WireEnum(str, Enum):
    """An enum whose value is the string TMS sends and expects."""

    def __str__(self) -> str:
        return self.value


class ConferenceStatus(WireEnum):
    ALL = "All"
    ALL_EXCEPT_DELETED = "AllExceptDeleted"
    PENDING = "Pending"
    ONGOING = "Ongoing"
    FINISHED = "Finished"
    PENDING_AND_ONGOING = "PendingAndOngoing"
    MEETING_REQUEST = "MeetingRequest"
    REJECTED = "Rejected"
    NOT_SAVED = "NotSaved"
    DEFECTIVE = "Defective"
    DELETED = "Deleted"


class ConferenceType(WireEnum):
    RESERVATION_ONLY = "Reservation Only"
    AUTOMATIC_CALL_LAUNCH = "Automatic Call Launch"
    MANUAL_CALL_LAUNCH = "Manual Call Launch"
    DEFAULT = "Default"
    AD_HOC = "Ad-Hoc conference"
    ONE_BUTTON_TO_PUSH = "One Button To Push"
    NO_CONNECT = "No Connect"


class Bandwidth(WireEnum):
    B1_64 = "1b/64kbps"
    B2_128 = "2b/128kbps"
    B3_192 = "3b/192kbps"
    B4_256 = "4b/256kbps"
    B5_320 = "5b/320kbps"
    B6_384 = "6b/384kbps"
    B8_512 = "8b/512kbps"
    B12_768 = "12b/768kbps"
    B18_1152 = "18b/1152kbps"
    B23_1472 = "23b/1472kbps"
    B30_1920 = "30b/1920kbps"
    B32_2048 = "32b/2048kbps"
    B48_3072 = "48b/3072kbps"
    B64_4096 = "64b/4096kbps"
    B7_448 = "7b/448kbps"
    B40_2560 = "40b/2560kbps"
    B96_6144 = "96b/6144kbps"
    MAX = "Max"
    K6000 = "6000kbps"
    DEFAULT = "Default"


class PictureMode(WireEnum):
    CONTINUOUS_PRESENCE = "Continuous Presence"
    ENHANCED_CP = "Enhanced CP"
    VOICE_SWITCHED = "Voice Switched"
    DEFAULT = "Default"


class EncryptionRequested(WireEnum):
    YES = "Yes"
    NO = "No"
    IF_POSSIBLE = "If Possible"
    DEFAULT = "Default"


class DataConferenceMode(WireEnum):
    YES = "Yes"
    NO = "No"
    IF_POSSIBLE = "If Possible"
    DEFAULT = "Default"


class ExtendOptionRequested(WireEnum):
    YES = "Yes"
    NO = "No"
    DEFAULT = "Default"
    AUTOMATIC_BEST_EFFORT = "AutomaticBestEffort"


class ParticipantCallType(WireEnum):
    TMS = "TMS"
    IP_VIDEO_IN = "IP Video <-"
    IP_TEL_IN = "IP Tel <-"
    ISDN_VIDEO_IN = "ISDN Video <-"
    TELEPHONE_IN = "Telephone <-"
    IP_VIDEO_OUT = "IP Video ->"
    IP_TEL_OUT = "IP Tel ->"
    ISDN_VIDEO_OUT = "ISDN Video ->"
    TELEPHONE_OUT = "Telephone ->"
    DIRECTORY = "Directory"
    USER = "User"
    SIP_IN = "SIP <-"
    SIP_OUT = "SIP ->"
    G3_IN = "3G <-"
    G3_OUT = "3G ->"
    TMS_MASTER = "TMS Master Participant"
    SIP_TEL_IN = "SIP Tel <-"
    SIP_TEL_OUT = "SIP Tel ->"

    @property
    def is_system(self) -> bool:
        """A TMS-managed system (ParticipantId is its SystemId); these can be double-booked."""
        return self in (ParticipantCallType.TMS, ParticipantCallType.TMS_MASTER)

    @property
    def is_dial_in(self) -> bool:
        return self.value.endswith("<-")

    @property
    def is_dial_out(self) -> bool:
        return self.value.endswith("->")


class RecurringFrequency(WireEnum):
    DAILY = "Daily"
    DAILY_WEEKDAY = "DailyWeekday"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
    YEARLY = "Yearly"
    SECONDLY = "Secondly"
    MINUTELY = "Minutely"
    HOURLY = "Hourly"
    DEFAULT = "Default"


#: The frequencies TMS can store; the others exist on the wire but are refused.
SUPPORTED_FREQUENCIES = frozenset(
    {RecurringFrequency.DAILY, RecurringFrequency.DAILY_WEEKDAY,
     RecurringFrequency.WEEKLY, RecurringFrequency.MONTHLY}
)

#: TMS refuses series with more occurrences than this.
MAX_OCCURRENCES = 100


class DayOfWeek(WireEnum):
    SUNDAY = "Sunday"
    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"

    @property
    def python_weekday(self) -> int:
        """Monday=0 ... Sunday=6, as ``datetime.weekday()``."""
        return _PY_WEEKDAY[self]

    @classmethod
    def from_python_weekday(cls, weekday: int) -> "DayOfWeek":
        return _FROM_PY_WEEKDAY[weekday]


_PY_WEEKDAY = {
    DayOfWeek.MONDAY: 0, DayOfWeek.TUESDAY: 1, DayOfWeek.WEDNESDAY: 2, DayOfWeek.THURSDAY: 3,
    DayOfWeek.FRIDAY: 4, DayOfWeek.SATURDAY: 5, DayOfWeek.SUNDAY: 6,
}
_FROM_PY_WEEKDAY = {v: k for k, v in _PY_WEEKDAY.items()}


class RecurrenceEndType(WireEnum):
    END_BY_DATE = "EndByDate"
    END_BY_INSTANCES = "EndByInstances"
    END_NEVER = "EndNever"
    DEFAULT = "Default"


class ExceptionType(WireEnum):
    ADD = "ADD"
    MODIFY = "MODIFY"
    DELETE = "DELETE"


class ExceptionIdRange(WireEnum):
    NONE = "None"
    THIS_AND_FUTURE = "ThisAndFuture"
    THIS_AND_PRIOR = "ThisAndPrior"
    DEFAULT = "Default"


class TransactionType(WireEnum):
    NEW = "New"
    UPDATED = "Updated"
    DELETED = "Deleted"
    LIST_INCOMPLETE = "ListIncomplete"


class BookingMode(WireEnum):
    STRICT = "Strict"
    BEST_EFFORT_FORCED = "BestEffortForced"


class SystemCategory(WireEnum):
    ENDPOINT = "Endpoint"
    EQUIPMENT = "Equipment"
    ROOM = "Room"
    RECORDING = "Recording"


class SystemStatus(WireEnum):
    ALIVE = "Alive"
    IDLE = "Idle"
    IN_CALL = "InCall"
    NO_RESPONSE = "NoResponse"
    UNKNOWN = "Unknown"


# --------------------------------------------------------------------------------------------
# Time on the wire


def format_tms_time(instant: datetime | None) -> str:
    """``2021-01-29 13:09:18Z``: the UTC string TMS returns for conference times ('' for None)."""
    if instant is None:
        return ""
    if instant.tzinfo is None:
        raise ValueError("TMS times must be timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def parse_tms_time(text: str | None) -> datetime | None:
    """Parse a TMS UTC time string (space or ``T`` separator, must end in ``Z``); '' → None.

    Raises ``ValueError`` for anything else, as TMS refuses times without ``Z``.
    """
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    if not text.endswith("Z"):
        raise ValueError(f"TMS time {text!r} must be UTC and end with 'Z'")
    core = text[:-1].replace("T", " ")
    if len(core) == 19 and core[4] == "-" and core[7] == "-" and core[10] == " " \
            and core[13] == ":" and core[16] == ":" and core.isascii() and core[:4].isdigit():
        try:  # the form TMS writes, read ten times faster than by strptime
            return datetime.fromisoformat(core).replace(tzinfo=UTC)
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(core, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"TMS time {text!r} is not yyyy-MM-dd HH:mm:ssZ")


# --------------------------------------------------------------------------------------------
# Rooms and users


@dataclass
class System:
    """A TMS system (endpoint or room) as the Remote Setup API returns it.

    ``time_zone`` is the system's zone as TMS names it (a Windows id such as
    ``W. Europe Standard Time``, or an IANA name); ``site`` is the folder/site the room lives in
    (TMS has no such field on the wire: the simulator and the config derive it).
    """

    system_id: int
    name: str
    description: str = ""
    location: str = ""
    site: str = ""
    time_zone: str = ""
    system_type: str = ""
    network_address: str = ""
    sip_uri: str = ""
    h323_id: str = ""
    e164_alias: str = ""
    contact: str = ""
    manufacturer: str = ""
    category: SystemCategory = SystemCategory.ROOM
    status: SystemStatus = SystemStatus.IDLE


@dataclass
class User:
    user_name: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    email_address: str = ""
    is_hidden: bool = False
    user_id: int = 0


# --------------------------------------------------------------------------------------------
# Conferences


@dataclass
class TransitionRule:
    """A daylight-saving transition, as .NET ``TransitionTime`` (relative form).

    ``day_of_week`` 0 = Sunday; ``week_of_month`` 5 = last; ``change_second_at_day`` is seconds
    after local midnight.
    """

    month: int
    day_of_week: int
    week_of_month: int
    change_second_at_day: int = 7200


@dataclass
class TimeZoneRule:
    """One adjustment rule of a conference's time zone (ConferenceTimeZoneRules)."""

    id: str
    display_name: str = ""
    base_offset_minutes: int = 0
    daylight_offset_minutes: int = 0
    valid_from: datetime | None = None
    daylight: TransitionRule | None = None
    standard: TransitionRule | None = None


@dataclass
class Participant:
    """A conference participant. For TMS systems ``participant_id`` is the SystemId."""

    call_type: ParticipantCallType = ParticipantCallType.TMS
    participant_id: int = 0
    name_or_number: str = ""
    email_address: str = ""


@dataclass
class RecurrenceException:
    """A modified or deleted occurrence of a series, keyed by its original UTC start."""

    exception_type: ExceptionType
    recurrence_id_utc: datetime
    id_range: ExceptionIdRange = ExceptionIdRange.NONE
    modified_mask: int = 0
    modified: "Conference | None" = None


@dataclass
class RecurrencePattern:
    """A TMS recurrence pattern. ``days_of_week`` are in UTC, as TMS defines them."""

    frequency: RecurringFrequency
    interval: int = 1
    days_of_week: list[DayOfWeek] = field(default_factory=list)
    first_day_of_week: DayOfWeek = DayOfWeek.SUNDAY
    by_set_position: int = 0
    by_month_day: int = 0
    end_type: RecurrenceEndType = RecurrenceEndType.END_BY_INSTANCES
    end_date_utc: datetime | None = None
    first_occurrence_utc: datetime | None = None
    instances: int = 0
    exceptions: list[RecurrenceException] = field(default_factory=list)


@dataclass
class Conference:
    """A TMS booking: a single meeting, a whole series, or one occurrence of a series.

    ``conference_id`` ≤ 0 means "not yet saved". ``recurrence`` is set on a series;
    ``recurrence_instance_id_utc`` on an occurrence (its original start). ``version`` is the
    optimistic-concurrency token to echo on save.
    """

    conference_id: int = -1
    title: str = ""
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    recurrence_instance_id_utc: datetime | None = None
    recurrence_instance_type: str = ""
    first_occurrence_utc: datetime | None = None
    recurrence: RecurrencePattern | None = None
    owner_id: int = 0
    owner_user_name: str = ""
    owner_first_name: str = ""
    owner_last_name: str = ""
    owner_email_address: str = ""
    conference_type: ConferenceType = ConferenceType.DEFAULT
    bandwidth: Bandwidth = Bandwidth.DEFAULT
    picture_mode: PictureMode = PictureMode.DEFAULT
    encrypted: EncryptionRequested = EncryptionRequested.DEFAULT
    data_conference: DataConferenceMode = DataConferenceMode.DEFAULT
    show_extend_option: ExtendOptionRequested = ExtendOptionRequested.DEFAULT
    password: str = ""
    billing_code: str = ""
    isdn_restrict: bool = False
    email_to: str = ""
    conference_info_text: str = ""
    conference_info_html: str = ""
    user_message_text: str = ""
    external_source_id: str = ""
    external_primary_key: str = ""
    participants: list[Participant] = field(default_factory=list)
    isdn_bandwidth: Bandwidth = Bandwidth.DEFAULT
    ip_bandwidth: Bandwidth = Bandwidth.DEFAULT
    language: str = ""
    time_zone_rules: list[TimeZoneRule] = field(default_factory=list)
    status: ConferenceStatus = ConferenceStatus.PENDING
    version: int = 0
    location: str = ""
    transaction_id: int = 0

    @property
    def system_ids(self) -> list[int]:
        """SystemIds of the TMS systems (rooms) taking part, in participant order."""
        return [p.participant_id for p in self.participants if p.call_type.is_system]

    @property
    def is_series(self) -> bool:
        return self.recurrence is not None

    def copy(self, **changes) -> "Conference":
        """A deep copy with ``changes`` applied."""
        return dataclasses.replace(copy.deepcopy(self), **changes)


@dataclass
class Transaction:
    """One entry of the TMS transaction log (GetTransactionsSince)."""

    transaction_id: int
    conference_id: int
    trans_type: TransactionType
    performed_by_user_id: int = 0
    participant_ids: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Errors


class ErrorCode(IntEnum):
    """TMS Booking API error codes (``detail/errorcode`` of a fault).

    Codes marked GUESS are not in any public source; the simulator uses them for refusals TMS
    documents without a code (stale Version, unsupported recurrence, start after end).
    """

    LICENSE = -2147219503
    DATABASE_DOWN = -2147219500
    MEETINGNOTFOUND = -2147218302
    SYSTEMNOTFOUND = -2147218301
    SYSTEM_ALREADY_BOOKED = -2147218300
    MEETINGNOTACTIVE = -2147218272
    MEETINGISDELETED = -2147218271
    MEETINGACTIVE = -2147218270
    CANNOTBOOKINTHEPAST = -2147218269
    NO_ACCESS_TO_CONFERENCE = -2147218266
    START_TIME_AFTER_MAX_NUMBER_OF_DAYS_IN_FUTURE = -2147218265
    NEVER_ENDING_RECURRENCE_NOT_SUPPORTED = -2147218264
    START_TIME_AFTER_END_TIME = -2147218263  # GUESS
    SYSTEM_NOT_ALLOWED_IN_BOOKING = -2147218262
    RECURRENCE_NOT_SUPPORTED = -2147218258  # GUESS: yearly, >100 occurrences, bad pattern
    ERR_USER_NOT_FOUND = -2147218255
    ERR_CLIENT_SESSION_EXPIRED = -2147218253
    INSTANCE_NOT_FOUND_WITHIN_PATTERN = -2147218252
    SAVE_DECLINED_STALE_VERSION = -2147218250  # GUESS
    ERR_CLIENT_SESSION_BLANK = -2147218247
    UNSPECIFIED = -2147220991  # GUESS: "Unspecified Exception" for syntax problems


class TmsError(Exception):
    """A fault returned by TMS, carrying its error code and message.

    ``client_session_id`` is the suggested session id TMS puts in session faults.
    Subclasses exist per code family; use :func:`error_for_code` to build the right one.
    """

    code: ErrorCode | int = ErrorCode.UNSPECIFIED

    def __init__(self, message: str, code: int | None = None,
                 client_session_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            try:
                self.code = ErrorCode(code)
            except ValueError:
                self.code = code
        self.client_session_id = client_session_id

    def __str__(self) -> str:
        name = self.code.name if isinstance(self.code, ErrorCode) else str(self.code)
        return f"{self.message} ({name})"


class LicenseError(TmsError):
    """No licence: the system cannot get "Allow Remote Bookings" (pool exhausted)."""

    code = ErrorCode.LICENSE


class DatabaseDown(TmsError):
    code = ErrorCode.DATABASE_DOWN


class ConferenceNotFound(TmsError):
    code = ErrorCode.MEETINGNOTFOUND


class SystemNotFound(TmsError):
    code = ErrorCode.SYSTEMNOTFOUND


class SystemAlreadyBooked(TmsError):
    """Double booking: a participating system is busy in the requested period."""

    code = ErrorCode.SYSTEM_ALREADY_BOOKED


class ConferenceNotActive(TmsError):
    code = ErrorCode.MEETINGNOTACTIVE


class ConferenceDeleted(TmsError):
    code = ErrorCode.MEETINGISDELETED


class ConferenceActive(TmsError):
    code = ErrorCode.MEETINGACTIVE


class CannotBookInPast(TmsError):
    code = ErrorCode.CANNOTBOOKINTHEPAST


class NoAccessToConference(TmsError):
    code = ErrorCode.NO_ACCESS_TO_CONFERENCE


class OutsideBookingWindow(TmsError):
    code = ErrorCode.START_TIME_AFTER_MAX_NUMBER_OF_DAYS_IN_FUTURE


class RecurrenceNotSupported(TmsError):
    """Never-ending, yearly, sub-daily or over-long series."""

    code = ErrorCode.RECURRENCE_NOT_SUPPORTED


class InvalidTimes(TmsError):
    code = ErrorCode.START_TIME_AFTER_END_TIME


class SystemNotAllowed(TmsError):
    """The user may not book this system, or the system does not allow bookings."""

    code = ErrorCode.SYSTEM_NOT_ALLOWED_IN_BOOKING


class UserNotFound(TmsError):
    code = ErrorCode.ERR_USER_NOT_FOUND


class ClientSessionError(TmsError):
    """The ClientSession was blank or expired; ``client_session_id`` holds a fresh one."""

    code = ErrorCode.ERR_CLIENT_SESSION_EXPIRED


class InstanceNotFound(TmsError):
    code = ErrorCode.INSTANCE_NOT_FOUND_WITHIN_PATTERN


class StaleVersion(TmsError):
    """The save carried an old Version: somebody changed the conference meanwhile."""

    code = ErrorCode.SAVE_DECLINED_STALE_VERSION


class TmsUnavailable(Exception):
    """TMS could not be reached or did not answer in time (connection, timeout, HTTP 5xx
    without a SOAP fault). Nothing is known to have been saved."""


class TmsUnreachable(TmsUnavailable):
    """No connection to TMS could be made (refused, unknown host, connect timeout): the
    request was never sent, so TMS changed nothing."""


class TmsAuthenticationError(Exception):
    """TMS answered HTTP 401: the credentials were refused."""


_ERROR_CLASSES: dict[int, type[TmsError]] = {
    ErrorCode.LICENSE: LicenseError,
    ErrorCode.DATABASE_DOWN: DatabaseDown,
    ErrorCode.MEETINGNOTFOUND: ConferenceNotFound,
    ErrorCode.SYSTEMNOTFOUND: SystemNotFound,
    ErrorCode.SYSTEM_ALREADY_BOOKED: SystemAlreadyBooked,
    ErrorCode.MEETINGNOTACTIVE: ConferenceNotActive,
    ErrorCode.MEETINGISDELETED: ConferenceDeleted,
    ErrorCode.MEETINGACTIVE: ConferenceActive,
    ErrorCode.CANNOTBOOKINTHEPAST: CannotBookInPast,
    ErrorCode.NO_ACCESS_TO_CONFERENCE: NoAccessToConference,
    ErrorCode.START_TIME_AFTER_MAX_NUMBER_OF_DAYS_IN_FUTURE: OutsideBookingWindow,
    ErrorCode.NEVER_ENDING_RECURRENCE_NOT_SUPPORTED: RecurrenceNotSupported,
    ErrorCode.RECURRENCE_NOT_SUPPORTED: RecurrenceNotSupported,
    ErrorCode.START_TIME_AFTER_END_TIME: InvalidTimes,
    ErrorCode.SYSTEM_NOT_ALLOWED_IN_BOOKING: SystemNotAllowed,
    ErrorCode.ERR_USER_NOT_FOUND: UserNotFound,
    ErrorCode.ERR_CLIENT_SESSION_EXPIRED: ClientSessionError,
    ErrorCode.ERR_CLIENT_SESSION_BLANK: ClientSessionError,
    ErrorCode.INSTANCE_NOT_FOUND_WITHIN_PATTERN: InstanceNotFound,
    ErrorCode.SAVE_DECLINED_STALE_VERSION: StaleVersion,
}


#: Codes no public source documents (see :class:`ErrorCode`): a real TMS sends these refusals
#: with some other number, so they are recognised by their message as well.
GUESSED_CODES = frozenset({ErrorCode.START_TIME_AFTER_END_TIME, ErrorCode.RECURRENCE_NOT_SUPPORTED,
                           ErrorCode.SAVE_DECLINED_STALE_VERSION, ErrorCode.UNSPECIFIED})

#: Message wording of the refusals TMS documents without a number (TMS-API.md §4.1: "save
#: declined" on a stale Version, "Yearly recurrence is not supported", start after end), first
#: match wins. The patterns are deliberately narrow: a miss stays a generic refusal.
_REFUSALS_BY_MESSAGE: tuple[tuple[re.Pattern[str], ErrorCode], ...] = (
    (re.compile(r"save declined|\bversion\b.*\b(stale|outdated|old|mismatch|changed|modified)"
                r"|(modified|changed) by (another|someone)", re.I),
     ErrorCode.SAVE_DECLINED_STALE_VERSION),
    (re.compile(r"recurrence (pattern )?is not supported|not a supported recurrence"
                r"|never.ending recurrence|more than 100 occurrences", re.I),
     ErrorCode.RECURRENCE_NOT_SUPPORTED),
    (re.compile(r"start time .*(after|not before|later than) (the )?end time", re.I),
     ErrorCode.START_TIME_AFTER_END_TIME),
)


def _code_by_message(message: str) -> ErrorCode | None:
    for pattern, code in _REFUSALS_BY_MESSAGE:
        if pattern.search(message):
            return code
    return None


def error_for_code(code: int, message: str, client_session_id: str = "") -> TmsError:
    """The typed error for a TMS fault code (plain :class:`TmsError` for unknown codes).

    A code that is unknown or one of :data:`GUESSED_CODES` is classified by ``message`` when
    its wording names a refusal TMS documents without a number (the error then carries the
    code the simulator uses for it)."""
    if code not in _ERROR_CLASSES or code in GUESSED_CODES:
        by_message = _code_by_message(message)
        if by_message is not None:
            code = by_message
    cls = _ERROR_CLASSES.get(code, TmsError)
    return cls(message, code=code, client_session_id=client_session_id)


class TmsCalls(Protocol):
    """The Booking API calls the bridge, the syncer and the commands make, as
    :class:`tmscal.tms.TmsClient` offers them (and the fakes of the unit tests).

    Every call either returns TMS's answer or raises a :class:`TmsError` (TMS refused),
    :class:`TmsUnavailable` (no usable answer; :class:`TmsUnreachable` when nothing reached
    TMS) or :class:`TmsAuthenticationError`.
    """

    # ---- systems and users
    def get_systems(self) -> list[System]: ...
    def get_systems_for_user(self) -> list[System]: ...
    def get_users(self) -> list[User]: ...

    # ---- reading bookings
    def get_default_conference(self) -> Conference: ...
    def get_recurrent_conference_by_id(self, conference_id: int) -> Conference: ...
    def get_conference_id_by_external_id(self, source: str, key: str,
                                         recurrence_id_utc: datetime | None = None) -> int: ...
    def get_conference_by_external_id(self, source: str, key: str) -> Conference: ...
    def get_conferences_for_systems(
            self, system_ids: list[int], start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]: ...
    def get_transactions_since(self, transaction_id: int) -> list[Transaction]: ...

    # ---- booking
    def save_conference(self, conference: Conference) -> Conference: ...
    def save_conference_with_mode(self, conference: Conference,
                                  mode: BookingMode) -> Conference: ...
    def save_conference_rec_instance(self, conference: Conference,
                                     mode: BookingMode | None = None) -> Conference: ...
    def delete_conference_by_id(self, conference_id: int) -> None: ...
    def delete_conference_rec_instance_by_id(self, conference_id: int) -> None: ...
