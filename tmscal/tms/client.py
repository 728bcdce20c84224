"""The TMS Booking API and Remote Setup API over SOAP, as calls on :mod:`tmscal.model` objects.

:class:`TmsClient` is safe to share between threads: the zeep clients and parsed WSDLs are
read-only after construction, HTTP goes through :class:`TmsTransport` (one shared keep-alive
session for Basic, one per thread for NTLM), and the only mutable state (the ClientSession id,
the call counter, the server's API version) is updated under a lock.

Every call carries ``ExternalAPIVersionSoapHeader`` (ClientVersionIn, ClientIdentifierIn and the
last good ClientSession). A blank/expired-session fault is answered by storing the suggested id
from the fault's detail and retrying the call once. Errors:

* SOAP faults → the :class:`tmscal.model.TmsError` subclass for ``detail/errorcode``;
* HTTP 401/403 → :class:`TmsAuthenticationError`;
* unreachable, timed out, HTTP errors without a SOAP fault, unreadable answers →
  :class:`TmsUnavailable`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import zeep
from lxml import etree
from lxml.etree import XMLSyntaxError
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault

from tmscal.model import (
    UTC,
    BookingMode,
    Conference,
    ConferenceStatus,
    ErrorCode,
    System,
    TimeZoneRule,
    TmsError,
    TmsUnavailable,
    Transaction,
    TransactionType,
    User,
    format_tms_time,
)
from tmscal.tms import answers, convert
from tmscal.tms.description import (
    BOOKING_NS,
    SHIPPED_API_VERSION,
    ServiceDescription,
    booking_description,
    remotesetup_description,
    zeep_settings,
)
from tmscal.tms.endpoints import service_urls
from tmscal.tms.faults import error_from_fault, is_session_fault
from tmscal.tms.schema import compose
from tmscal.tms.transport import TmsTransport

log = logging.getLogger("tmscal.tms")

#: Upper bound on ListIncomplete pages followed by one :meth:`TmsClient.iter_transactions_since`.
MAX_TRANSACTION_PAGES = 10_000

#: Reads a sync makes by the thousand: zeep builds their requests and reads their faults, and
#: :mod:`tmscal.tms.answers` reads their successful answers (zeep's deserialisation of a
#: Conference costs more than the HTTP round trip).
LEAN_OPERATIONS = frozenset({
    "GetConferenceById", "GetRecurrentConferenceById", "GetConferenceByExternalId",
    "GetConferencesForSystems", "GetConferencesForUser", "GetTransactionsSince",
})


class _Service:
    """One SOAP 1.1 port of one WSDL, bound to an address, with its version header element."""

    def __init__(self, description: ServiceDescription, address: str,
                 transport: TmsTransport) -> None:
        self.client = zeep.Client(description.document, transport=transport,
                                  settings=zeep_settings())
        self.proxy = self.client.create_service(description.soap11_binding, address)
        self.binding = self.client.wsdl.bindings[description.soap11_binding]
        self.namespace = description.namespace
        self.address = address
        self.version_header = self.client.get_element(
            f"{{{description.namespace}}}ExternalAPIVersionSoapHeader")
        self.header_fields = {name for name, _ in self.version_header.type.elements}

    def type(self, name: str) -> Any:
        return self.client.get_type(f"{{{BOOKING_NS}}}{name}")

    def invoke(self, operation: str, params: dict[str, Any], headers: list[Any]) -> Any:
        """Send ``operation``; the response as zeep gives it, or an :class:`answers.Answer`
        for :data:`LEAN_OPERATIONS`. Faults raise ``zeep.exceptions.Fault`` either way."""
        call = getattr(self.proxy, operation)
        if operation not in LEAN_OPERATIONS:
            return call(**params, _soapheaders=headers)
        with self.client.settings(raw_response=True):
            raw = call(**params, _soapheaders=headers)
        try:
            root = answers.parse_envelope(raw.content)
        except answers.UnreadableAnswer as error:
            raise TmsUnavailable(f"TMS answered {operation} with something that is not a "
                                 f"SOAP response ({error})") from None
        if raw.status_code != 200 or answers.fault_in(root):
            return self.binding.process_reply(self.client, self.binding.get(operation), raw)
        try:
            return answers.read_answer(root, self.namespace, operation)
        except answers.UnreadableAnswer as error:
            raise TmsUnavailable(f"TMS answered {operation} without its result ({error})") \
                from None


class TmsClient:
    """A client of one TMS server for one user (see the module docstring for the contract)."""

    def __init__(self, base_url: str, username: str, password: str, *, auth: str = "basic",
                 verify: bool | str = True, timeout: tuple[float, float] = (5.0, 30.0),
                 client_identifier: str = "tmscal",
                 api_version: int = SHIPPED_API_VERSION) -> None:
        self.base_url = base_url
        self.username = username
        self.booking_url, self.remotesetup_url = service_urls(base_url)
        self.client_identifier = client_identifier
        self.api_version = api_version
        self._options = dict(auth=auth, verify=verify, timeout=timeout,
                             client_identifier=client_identifier, api_version=api_version)
        self._transport = TmsTransport(username, password, auth=auth, verify=verify,
                                       timeout=timeout, user_agent=f"tmscal ({client_identifier})")
        self._booking = _Service(booking_description(), self.booking_url, self._transport)
        self._remotesetup = _Service(remotesetup_description(), self.remotesetup_url,
                                     self._transport)
        self._conference_type = self._booking.type("Conference")
        self._lock = threading.Lock()
        self._client_session = ""
        self._headers: dict[str, tuple[str, Any]] = {}  # address → (session, header element)
        self.call_count = 0
        #: ConfAPIVersion the server reported in GetDefaultConference (None until called).
        self.server_api_version: int | None = None

    def __repr__(self) -> str:
        return f"TmsClient({self.base_url!r}, user={self.username!r})"

    def with_credentials(self, username: str, password: str) -> TmsClient:
        """A client with the same settings for another user (its own ClientSession).

        Cheap: the WSDLs are parsed once per process.
        """
        return TmsClient(self.base_url, username, password, **self._options)

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._transport.close()

    def __enter__(self) -> TmsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def client_session(self) -> str:
        """The last ClientSession id TMS gave us ('' before the first licensed call)."""
        return self._client_session

    # -- the SOAP call ----------------------------------------------------------------------

    def _header(self, service: _Service) -> Any:
        """The version header element for ``service`` with the current ClientSession, rendered
        by zeep once per session (zeep copies it into each envelope)."""
        session = self._client_session
        cached = self._headers.get(service.address)
        if cached is not None and cached[0] == session:
            return cached[1]
        values = {"ClientVersionIn": self.api_version,
                  "ClientIdentifierIn": self.client_identifier or None,
                  "ClientSession": session or None}
        value = service.version_header(
            **{k: v for k, v in values.items() if v is not None and k in service.header_fields})
        holder = etree.Element("header")
        service.version_header.render(holder, value)
        element = holder[0]
        self._headers[service.address] = (session, element)
        return element

    def _call(self, service: _Service, operation: str, **params: Any) -> Any:
        """Call ``operation``; return the whole response (header + body) as zeep gives it."""
        for attempt in (1, 2):
            with self._lock:
                self.call_count += 1
            started = time.perf_counter()
            outcome = "ok"
            try:
                response = service.invoke(operation, params, [self._header(service)])
            except Fault as fault:
                error = error_from_fault(fault)
                outcome = error.code.name if hasattr(error.code, "name") else str(error.code)
                if attempt == 1 and is_session_fault(error):
                    with self._lock:
                        self._client_session = error.client_session_id
                    outcome += ", retrying with the suggested ClientSession"
                    continue
                raise error from fault
            except (ZeepError, XMLSyntaxError) as exc:
                outcome = type(exc).__name__
                raise TmsUnavailable(
                    f"TMS answered {operation} with something that is not a SOAP response "
                    f"({type(exc).__name__})") from exc
            except Exception as exc:
                outcome = type(exc).__name__
                raise
            finally:
                elapsed_ms = (time.perf_counter() - started) * 1000
                log.debug("%s took %.1f ms (%s)", operation, elapsed_ms, outcome,
                          extra={"tms_operation": operation, "duration_ms": elapsed_ms,
                                 "tms_user": self.username})
            self._remember_session(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _remember_session(self, response: Any) -> None:
        header = _get(_get(response, "header"), "ExternalAPIVersionSoapHeader")
        session = _get(header, "ClientSession")
        if session and session != self._client_session:
            with self._lock:
                self._client_session = str(session)

    def _result(self, service: _Service, operation: str, **params: Any) -> Any:
        """The ``<operation>Result`` of a call (``None`` if TMS sent none)."""
        response = self._call(service, operation, **params)
        body = _get(response, "body")
        if body is None:  # no output headers declared: zeep returns the result itself
            return response
        return _get(body, f"{operation}Result")

    def _single(self, service: _Service, operation: str, **params: Any) -> Any:
        """Like :meth:`_result` for operations that must return an object."""
        result = self._result(service, operation, **params)
        if result is None:
            raise TmsError(f"TMS answered {operation} without a result", ErrorCode.UNSPECIFIED)
        return result

    def _conference_param(self, conference: Conference, *, with_pattern: bool = True) -> Any:
        return compose(self._conference_type,
                       convert.conference_to_wire(conference, with_pattern=with_pattern))

    # -- Remote Setup ------------------------------------------------------------------------

    def is_alive(self) -> bool:
        """True if TMS answers IsAlive with true; False if it is unreachable, answers with a
        fault (e.g. DATABASE_DOWN) or says false.

        Refused credentials still raise :class:`TmsAuthenticationError`.
        """
        try:
            return bool(self._result(self._remotesetup, "IsAlive"))
        except (TmsUnavailable, TmsError):
            return False

    def get_systems(self) -> list[System]:
        """All bookable systems (GetSystems)."""
        result = self._result(self._remotesetup, "GetSystems")
        return [convert.system_from_wire(s) for s in convert.array_items(result, "TMSSystem")]

    def get_systems_for_user(self) -> list[System]:
        """The systems the authenticated user may book (GetSystemsForUser)."""
        result = self._result(self._remotesetup, "GetSystemsForUser")
        return [convert.system_from_wire(s) for s in convert.array_items(result, "TMSSystem")]

    def get_system_by_id(self, system_id: int) -> System:
        result = self._single(self._remotesetup, "GetSystemById", TMSSystemId=system_id)
        return convert.system_from_wire(result)

    def get_users(self) -> list[User]:
        result = self._result(self._remotesetup, "GetUsers")
        return [convert.user_from_wire(u) for u in convert.array_items(result, "User")]

    # -- Booking: reading ----------------------------------------------------------------------

    def get_default_conference(self) -> Conference:
        """TMS's defaults for a new booking (ConferenceId -1); records ``server_api_version``."""
        response = self._call(self._booking, "GetDefaultConference")
        version = _get(_get(_get(response, "header"), "VersionSoapHeader"), "ConfAPIVersion")
        if version is not None:
            with self._lock:
                self.server_api_version = int(version)
        result = _get(_get(response, "body"), "GetDefaultConferenceResult")
        if result is None:
            raise TmsError("TMS answered GetDefaultConference without a result",
                           ErrorCode.UNSPECIFIED)
        return convert.conference_from_wire(result)

    def get_conference_by_id(self, conference_id: int) -> Conference:
        result = self._single(self._booking, "GetConferenceById", ConferenceId=conference_id)
        return convert.conference_from_wire(result)

    def get_recurrent_conference_by_id(self, conference_id: int) -> Conference:
        """The whole series (pattern with exceptions) that occurrence ``conference_id`` is in."""
        result = self._single(self._booking, "GetRecurrentConferenceById",
                              ConferenceId=conference_id)
        return convert.conference_from_wire(result)

    def get_conference_id_by_external_id(self, source: str, key: str,
                                         recurrence_id_utc: datetime | None = None) -> int:
        """The ConferenceId saved with (ExternalSourceId, ExternalPrimaryKey) = (source, key);
        with ``recurrence_id_utc``, the id of that occurrence of the series."""
        result = self._single(self._booking, "GetConferenceIdByExternalId",
                              ExternalSourceId=source or None, ExternalConferenceId=key,
                              RecurrenceIdUTC=format_tms_time(recurrence_id_utc) or None)
        return int(result)

    def get_conference_by_external_id(self, source: str, key: str) -> Conference:
        result = self._single(self._booking, "GetConferenceByExternalId",
                              ExternalSourceId=source or None, ExternalConferenceId=key)
        return convert.conference_from_wire(result)

    def get_conferences_for_systems(
            self, system_ids: list[int], start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]:
        """Conferences of these systems overlapping [start, end) (without participants)."""
        result = self._result(self._booking, "GetConferencesForSystems",
                              SystemIds=list(system_ids), StartTime=_utc(start),
                              EndTime=_utc(end), ConferenceStatus=status.value)
        return [convert.conference_from_wire(c) for c in convert.array_items(result, "Conference")]

    def get_conferences_for_user(
            self, user_name: str, start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]:
        """Conferences owned by ``user_name`` ('' = the authenticated user) in [start, end)."""
        result = self._result(self._booking, "GetConferencesForUser",
                              UserName=user_name or None, StartTime=_utc(start),
                              EndTime=_utc(end), ConferenceStatus=status.value)
        return [convert.conference_from_wire(c) for c in convert.array_items(result, "Conference")]

    def get_time_zone_rules_by_id(self, zone_id: str) -> list[TimeZoneRule]:
        """TMS's rules for a Windows time-zone id such as ``W. Europe Standard Time``."""
        result = self._result(self._booking, "GetTimeZoneRulesById", idString=zone_id)
        return [convert.time_zone_rule_from_wire(r)
                for r in convert.array_items(result, "TimeZoneRule")]

    # -- Booking: writing ----------------------------------------------------------------------

    def save_conference(self, conference: Conference) -> Conference:
        """Create or update (legacy Strict mode); returns the conference as TMS saved it."""
        result = self._single(self._booking, "SaveConference",
                              Conference=self._conference_param(conference))
        return convert.conference_from_wire(result)

    def save_conference_with_mode(self, conference: Conference, mode: BookingMode) -> Conference:
        """Create or update; ``BestEffortForced`` saves a conflicting booking as Defective."""
        result = self._single(self._booking, "SaveConferenceWithMode",
                              Conference=self._conference_param(conference),
                              BookingMode=mode.value)
        return convert.conference_from_wire(_saved_conference(result))

    def save_conference_rec_instance(self, conference: Conference,
                                     mode: BookingMode | None = None) -> Conference:
        """Update one occurrence of a series (its RecurrencePattern is not sent)."""
        param = self._conference_param(conference, with_pattern=False)
        if mode is None:
            result = self._single(self._booking, "SaveConferenceRecInstance", Conference=param)
        else:
            result = _saved_conference(self._single(
                self._booking, "SaveConferenceRecInstanceWithMode", Conference=param,
                BookingMode=mode.value))
        return convert.conference_from_wire(result)

    def delete_conference_by_id(self, conference_id: int) -> None:
        """Delete a conference (a whole series when recurrent; an ongoing one is ended)."""
        self._call(self._booking, "DeleteConferenceById", ConferenceId=conference_id)

    def delete_conference_rec_instance_by_id(self, conference_id: int) -> None:
        """Delete one occurrence of a series."""
        self._call(self._booking, "DeleteConferenceRecInstanceById", ConferenceId=conference_id)

    def end_conference_by_id(self, conference_id: int) -> None:
        """End an ongoing conference now."""
        self._call(self._booking, "EndConferenceById", ConferenceId=conference_id)

    # -- Transactions ------------------------------------------------------------------------

    def get_transactions_since(self, transaction_id: int) -> list[Transaction]:
        """One page of the transaction log after ``transaction_id``, as TMS sent it (a
        ``ListIncomplete`` entry marks a page that was cut short)."""
        result = self._result(self._booking, "GetTransactionsSince",
                              CurrentTransactionId=transaction_id)
        return [convert.transaction_from_wire(t)
                for t in convert.array_items(result, "Transaction")]

    def iter_transactions_since(self, transaction_id: int) -> Iterator[Transaction]:
        """Every transaction after ``transaction_id``, following ListIncomplete pages; yields
        real entries only. Stops if a page would not move the cursor forward."""
        cursor = transaction_id
        for _ in range(MAX_TRANSACTION_PAGES):
            page = self.get_transactions_since(cursor)
            incomplete = False
            next_cursor = cursor
            for entry in page:
                if entry.trans_type is TransactionType.LIST_INCOMPLETE:
                    incomplete = True
                    next_cursor = max(next_cursor, entry.transaction_id)
                    continue
                next_cursor = max(next_cursor, entry.transaction_id)
                yield entry
            if not incomplete:
                return
            if next_cursor <= cursor:
                log.warning("GetTransactionsSince(%d) said ListIncomplete without progress; "
                            "stopping", cursor)
                return
            cursor = next_cursor
        log.warning("GetTransactionsSince: gave up after %d pages", MAX_TRANSACTION_PAGES)


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return getattr(obj, name, None)


def _saved_conference(result: Any) -> Any:
    """The Conference inside a ConferenceSaveResult (or the result itself if it is one)."""
    inner = _get(result, "Conference")
    return inner if inner is not None else result


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("TMS times must be timezone-aware")
    return instant.astimezone(UTC)
