"""The operations of the two ASMX services and how a parsed request reaches the engine.

:class:`Service` describes one endpoint (path, namespace, WSDL file, operations). :func:`invoke`
dispatches a :class:`~tmscal.simulator.soap.SoapRequest` on its Body element (never on the
SOAPAction, which is only checked for consistency), validates the ClientSession of licensed
operations, calls the engine, and returns the response headers and payload. Every failure leaves
as a :class:`~tmscal.simulator.soap.SoapFault`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dateutil import parser as date_parser
from lxml import etree

from tmscal.model import (
    UTC, BookingMode, ConferenceStatus, DatabaseDown, ErrorCode, TmsError, parse_tms_time,
)
from tmscal.simulator import codec
from tmscal.simulator.codec import BOOKING_NS, REMOTE_SETUP_NS, Fields, RequestFormatError
from tmscal.simulator.soap import SoapFault, SoapRequest

log = logging.getLogger(__name__)

#: The newest ClientVersionIn whose answers carry Conference/TransactionId (GUESS: a real
#: TMS 15.x answering a version-15 client sent none, TMS-API.md §5.4).
NO_TRANSACTION_ID_UP_TO = 15

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"


@dataclass
class Call:
    """One operation call: the engine, the authenticated user, and the request's children."""

    engine: object  # tmscal.simulator.engine.Tms
    user: object  # tmscal.simulator.accounts.SimUser
    args: Fields
    result: etree._Element  # the empty <Op>Result element to fill
    client_version: int = 0  # the request's ClientVersionIn (0 when absent, as TMS reads it)


#: A handler fills ``call.result`` (or returns False for a void operation's empty response).
Handler = Callable[[Call], bool | None]


@dataclass(frozen=True)
class Operation:
    name: str
    handler: Handler
    licensed: bool = False  # needs a valid ClientSession (TMS-API.md §4.3)
    writes: bool = False  # changes engine state (persisted after success)


@dataclass
class Service:
    """One ASMX endpoint."""

    name: str
    namespace: str
    path: str  # canonical, lower case
    wsdl_file: Path
    operations: dict[str, Operation] = field(default_factory=dict)

    def operation(self, name: str, *, licensed: bool = False, writes: bool = False):
        """Decorator registering a handler as operation ``name``."""
        def register(handler: Handler) -> Handler:
            self.operations[name] = Operation(name, handler, licensed, writes)
            return handler
        return register

    def action(self, operation: str) -> str:
        return f"{self.namespace}{operation}"


BOOKING = Service("BookingService", BOOKING_NS, "/tms/external/booking/bookingservice.asmx",
                  WSDL_DIR / "bookingservice.wsdl")
REMOTE_SETUP = Service("RemoteSetupService", REMOTE_SETUP_NS,
                       "/tms/external/booking/remotesetup/remotesetupservice.asmx",
                       WSDL_DIR / "remotesetupservice.wsdl")
SERVICES = (BOOKING, REMOTE_SETUP)


# --------------------------------------------------------------------------------------------
# Dispatch


@dataclass
class Answer:
    """A successful call: SOAP headers and the ``<Op>Response`` payload."""

    headers: list[etree._Element]
    payload: etree._Element
    writes: bool


def invoke(service: Service, engine, user, request: SoapRequest, action: str = "") -> Answer:
    """Run ``request`` against ``engine`` as ``user``. Raises :class:`SoapFault`."""
    name = request.operation_name
    operation = service.operations.get(name)
    if request.operation_namespace != service.namespace or operation is None:
        raise SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: "
                        f"{action or request.operation.tag}.")
    if action and action != service.action(name):
        raise SoapFault(f"The SOAPAction '{action}' does not match the operation '{name}' of "
                        f"the request body.")
    version_header = _read_version_header(request, service.namespace)
    client_version = int(version_header["ClientVersionIn"]) if version_header else 0
    if client_version > engine.api_version:
        # GUESS: TMS documents that ClientVersionIn must not exceed its own version, not how
        # it refuses one that does; the simulator refuses every operation.
        raise SoapFault(f"ClientVersionIn {client_version} is newer than this server's API "
                        f"version {engine.api_version}")
    try:
        if operation.licensed:
            session = version_header.get("ClientSession", "") if version_header else ""
            valid = engine.check_client_session(user, session)
            if version_header is not None:
                version_header["ClientSession"] = valid
        ns = service.namespace
        payload = etree.Element(f"{{{ns}}}{name}Response", nsmap={None: ns})
        result = etree.Element(f"{{{ns}}}{name}Result")
        call = Call(engine=engine, user=user, args=Fields(request.operation, ns), result=result,
                    client_version=client_version)
        if operation.handler(call) is not False:
            payload.append(result)
    except TmsError as error:
        raise fault_for(error) from None
    except RequestFormatError as error:
        raise SoapFault(f"Server was unable to read request. ---> {error}") from None
    except SoapFault:
        raise
    except Exception as error:  # an engine bug must not kill the connection
        log.exception("operation %s failed", name)
        raise SoapFault(f"Server was unable to process request. ---> {error}", code=None,
                        receiver=True) from None
    headers = []
    if version_header is not None:
        headers.append(_version_header(service.namespace, version_header))
    if name == "GetDefaultConference":
        element = etree.Element(f"{{{service.namespace}}}VersionSoapHeader",
                                nsmap={None: service.namespace})
        etree.SubElement(element, f"{{{service.namespace}}}ConfAPIVersion").text = str(
            engine.api_version)
        headers.append(element)
    return Answer(headers=headers, payload=payload, writes=operation.writes)


def fault_for(error: TmsError) -> SoapFault:
    """The SOAP fault TMS sends for ``error`` (soap:Receiver only for DATABASE_DOWN)."""
    code = int(error.code)
    return SoapFault(error.message, code=code, client_session_id=error.client_session_id or "",
                     receiver=code == ErrorCode.DATABASE_DOWN)


def database_down_fault() -> SoapFault:
    return fault_for(DatabaseDown("The TMS database could not be reached."))


_VERSION_FIELDS = ("ClientVersionIn", "ClientIdentifierIn", "ClientLatestNamespaceIn",
                   "NewServiceURL", "ClientSession")


def _read_version_header(request: SoapRequest, ns: str) -> dict[str, str] | None:
    element = request.header_element(ns, "ExternalAPIVersionSoapHeader")
    if element is None:
        return None
    fields = Fields(element, ns)
    values = {name: fields.string(name) for name in _VERSION_FIELDS}
    try:
        values["ClientVersionIn"] = str(fields.int("ClientVersionIn"))
    except RequestFormatError as error:
        raise SoapFault(f"Server was unable to read request. ---> {error}") from None
    return values


def _version_header(ns: str, values: dict[str, str]) -> etree._Element:
    """The echoed ExternalAPIVersionSoapHeader (ClientVersionIn always, strings if set)."""
    element = etree.Element(f"{{{ns}}}ExternalAPIVersionSoapHeader", nsmap={None: ns})
    for name in _VERSION_FIELDS:
        if values.get(name) or name == "ClientVersionIn":
            etree.SubElement(element, f"{{{ns}}}{name}").text = values.get(name) or "0"
    return element


# --------------------------------------------------------------------------------------------
# Argument helpers


def _recurrence_id(args: Fields, name: str) -> datetime | None:
    """RecurrenceIdUTC: a TMS time (``…Z``), or an ISO date/time taken as UTC."""
    text = args.string(name).strip()
    if not text:
        return None
    try:
        return parse_tms_time(text)
    except ValueError:
        pass
    try:
        value = date_parser.isoparse(text)
    except ValueError:
        raise RequestFormatError(f"'{text}' in {name} is not a UTC time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _status(args: Fields) -> ConferenceStatus:
    # GUESS: an absent ConferenceStatus lists everything except deleted conferences.
    return args.enum("ConferenceStatus", ConferenceStatus, ConferenceStatus.ALL_EXCEPT_DELETED)


def _conference_arg(args: Fields):
    conference = args.child("Conference")
    if conference is None:
        raise RequestFormatError("The Conference element is missing.")
    return codec.decode_conference(conference)


def _mode(args: Fields) -> BookingMode:
    return args.enum("BookingMode", BookingMode, BookingMode.STRICT)


def _with_transaction_id(call: Call) -> bool:
    return call.client_version > NO_TRANSACTION_ID_UP_TO


def _fill_conference(call: Call, conference) -> None:
    codec.encode_conference(call.result, conference, ns=BOOKING_NS,
                            transaction_id=_with_transaction_id(call))


def _fill_save_result(call: Call, conference) -> None:
    wrapper = etree.SubElement(call.result, f"{{{BOOKING_NS}}}Conference")
    codec.encode_conference(wrapper, conference, ns=BOOKING_NS,
                            transaction_id=_with_transaction_id(call))


def _fill_listing(call: Call, conferences) -> None:
    codec.encode_list(call.result, "Conference", conferences, codec.encode_conference,
                      ns=BOOKING_NS, listing=True, transaction_id=_with_transaction_id(call))


# --------------------------------------------------------------------------------------------
# BookingService


@BOOKING.operation("GetDefaultConference")
def _get_default_conference(call: Call) -> None:
    _fill_conference(call, call.engine.get_default_conference(call.user))


@BOOKING.operation("GetConferenceById")
def _get_conference_by_id(call: Call) -> None:
    conference_id = call.args.int("ConferenceId")
    _fill_conference(call, call.engine.get_conference_by_id(call.user, conference_id))


@BOOKING.operation("GetRecurrentConferenceById")
def _get_recurrent_conference_by_id(call: Call) -> None:
    conference_id = call.args.int("ConferenceId")
    _fill_conference(call, call.engine.get_recurrent_conference_by_id(call.user, conference_id))


@BOOKING.operation("GetConferenceIdByExternalId")
def _get_conference_id_by_external_id(call: Call) -> None:
    conference_id = call.engine.get_conference_id_by_external_id(
        call.user, call.args.string("ExternalSourceId"), call.args.string("ExternalConferenceId"),
        _recurrence_id(call.args, "RecurrenceIdUTC"))
    call.result.text = str(conference_id)


@BOOKING.operation("GetConferenceByExternalId")
def _get_conference_by_external_id(call: Call) -> None:
    _fill_conference(call, call.engine.get_conference_by_external_id(
        call.user, call.args.string("ExternalSourceId"), call.args.string("ExternalConferenceId")))


@BOOKING.operation("GetConferencesForSystems")
def _get_conferences_for_systems(call: Call) -> None:
    args = call.args
    _fill_listing(call, call.engine.get_conferences_for_systems(
        call.user, args.ints("SystemIds"), args.date_time("StartTime"), args.date_time("EndTime"),
        _status(args)))


@BOOKING.operation("GetConferencesForUser")
def _get_conferences_for_user(call: Call) -> None:
    args = call.args
    _fill_listing(call, call.engine.get_conferences_for_user(
        call.user, args.string("UserName"), args.date_time("StartTime"),
        args.date_time("EndTime"), _status(args)))


@BOOKING.operation("SaveConference", licensed=True, writes=True)
def _save_conference(call: Call) -> None:
    _fill_conference(call, call.engine.save_conference(call.user, _conference_arg(call.args)))


@BOOKING.operation("SaveConferenceWithMode", licensed=True, writes=True)
def _save_conference_with_mode(call: Call) -> None:
    saved = call.engine.save_conference(call.user, _conference_arg(call.args), _mode(call.args))
    _fill_save_result(call, saved)


@BOOKING.operation("SaveConferenceRecInstance", licensed=True, writes=True)
def _save_conference_rec_instance(call: Call) -> None:
    _fill_conference(call, call.engine.save_conference_rec_instance(
        call.user, _conference_arg(call.args)))


@BOOKING.operation("SaveConferenceRecInstanceWithMode", licensed=True, writes=True)
def _save_conference_rec_instance_with_mode(call: Call) -> None:
    saved = call.engine.save_conference_rec_instance(call.user, _conference_arg(call.args),
                                                     _mode(call.args))
    _fill_save_result(call, saved)


@BOOKING.operation("DeleteConferenceById", writes=True)
def _delete_conference_by_id(call: Call) -> bool:
    call.engine.delete_conference_by_id(call.user, call.args.int("ConferenceId"))
    return False


@BOOKING.operation("DeleteConferenceRecInstanceById", writes=True)
def _delete_conference_rec_instance_by_id(call: Call) -> bool:
    call.engine.delete_conference_rec_instance_by_id(call.user, call.args.int("ConferenceId"))
    return False


@BOOKING.operation("EndConferenceById", writes=True)
def _end_conference_by_id(call: Call) -> bool:
    call.engine.end_conference_by_id(call.user, call.args.int("ConferenceId"))
    return False


@BOOKING.operation("GetTransactionsSince", licensed=True)
def _get_transactions_since(call: Call) -> None:
    transactions = call.engine.get_transactions_since(call.user,
                                                      call.args.int("CurrentTransactionId"))
    codec.encode_list(call.result, "Transaction", transactions, codec.encode_transaction,
                      ns=BOOKING_NS)


@BOOKING.operation("GetTimeZoneRulesById")
def _get_time_zone_rules_by_id(call: Call) -> None:
    rules = call.engine.get_time_zone_rules_by_id(call.user, call.args.string("idString"))
    codec.encode_list(call.result, "TimeZoneRule", rules, codec.encode_time_zone_rule,
                      ns=BOOKING_NS)


# --------------------------------------------------------------------------------------------
# RemoteSetupService


@REMOTE_SETUP.operation("GetSystems")
def _get_systems(call: Call) -> None:
    codec.encode_list(call.result, "TMSSystem", call.engine.get_systems(call.user),
                      codec.encode_system, ns=REMOTE_SETUP_NS)


@REMOTE_SETUP.operation("GetSystemsForUser")
def _get_systems_for_user(call: Call) -> None:
    codec.encode_list(call.result, "TMSSystem", call.engine.get_systems_for_user(call.user),
                      codec.encode_system, ns=REMOTE_SETUP_NS)


@REMOTE_SETUP.operation("GetSystemById")
def _get_system_by_id(call: Call) -> None:
    system = call.engine.get_system_by_id(call.user, call.args.int("TMSSystemId"))
    codec.encode_system(call.result, system, ns=REMOTE_SETUP_NS)


@REMOTE_SETUP.operation("IsAlive")
def _is_alive(call: Call) -> None:
    call.result.text = "true" if call.engine.is_alive() else "false"


@REMOTE_SETUP.operation("GetUsers")
def _get_users(call: Call) -> None:
    codec.encode_list(call.result, "User", call.engine.get_users(call.user), codec.encode_user,
                      ns=REMOTE_SETUP_NS)
