"""The TMS Booking API and Remote Setup API over SOAP, as calls on :mod:`tmscal.model` objects.

:class:`TmsClient` is safe to share between threads: the zeep clients and parsed WSDLs are
read-only after construction, HTTP goes through :class:`TmsTransport` (one shared keep-alive
session for Basic, one per thread for NTLM), and the only mutable state (the ClientSession id,
the call counter, the server's API version) is updated under a lock.

Every call carries ``ExternalAPIVersionSoapHeader`` (ClientVersionIn, ClientIdentifierIn and the
last good ClientSession). A blank/expired-session fault is answered by storing the suggested id
from the fault's detail and retrying the call once.

Version: unless ``api_version`` is given, the first call asks the server its version
(GetDefaultConference with ClientVersionIn 0, which every TMS accepts; its VersionSoapHeader says
ConfAPIVersion) and the client sends the highest version both support from then on (TMS refuses a
ClientVersionIn above its own). The negotiated version is logged once per server and process.

Every answer, SOAP 1.1 or 1.2, becomes a result or one of these errors:

* SOAP faults → the :class:`tmscal.model.TmsError` subclass for ``detail/errorcode`` (or for
  the message's wording, for refusals TMS documents without a number);
* HTTP 401/403, a redirect to a login page → :class:`TmsAuthenticationError`;
* unreachable, timed out, too large, redirected, HTTP errors without a SOAP fault, anything that
  is not a SOAP envelope → :class:`TmsUnavailable`, naming the HTTP status and an excerpt.
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
from tmscal.settings import TmsSettings
from tmscal.tms import answers, convert
from tmscal.tms.connections import DEFAULT_MAX_BYTES
from tmscal.tms.description import (
    BOOKING_NS,
    MIN_API_VERSION,
    SHIPPED_API_VERSION,
    ServiceDescription,
    booking_description,
    remotesetup_description,
    zeep_settings,
)
from tmscal.tms.endpoints import service_urls
from tmscal.tms.faults import error_from_fault, is_session_fault
from tmscal.tms.schema import compose
from tmscal.tms.transport import TmsTransport, describe_answer

log = logging.getLogger("tmscal.tms")

#: Upper bound on ListIncomplete pages followed by one :meth:`TmsClient.iter_transactions_since`.
MAX_TRANSACTION_PAGES = 10_000

#: ClientVersionIn of the version probe: what TMS assumes when a client sends no header.
PROBE_API_VERSION = 0

#: The version sent when the server did not say its own (what clients in the wild send to
#: TMS 15.x servers).
FALLBACK_API_VERSION = 15

_logged_versions: set[tuple[str, int]] = set()
_logged_lock = threading.Lock()


def negotiated_version(server_version: int | None) -> int:
    """The ClientVersionIn to send to a server of ``server_version`` (None: it did not say)."""
    if server_version is None:
        return FALLBACK_API_VERSION
    return min(SHIPPED_API_VERSION, server_version)


class _Service:
    """One SOAP 1.1 port of one WSDL, bound to an address, with its version header element."""

    def __init__(self, description: ServiceDescription, address: str,
                 transport: TmsTransport) -> None:
        self.client = zeep.Client(description.document, transport=transport,
                                  settings=zeep_settings())
        self.proxy = self.client.create_service(description.soap11_binding, address)
        self.namespace = description.namespace
        self.address = address
        self.version_header = self.client.get_element(
            f"{{{description.namespace}}}ExternalAPIVersionSoapHeader")
        self.header_fields = {name for name, _ in self.version_header.type.elements}

    def type(self, name: str) -> Any:
        return self.client.get_type(f"{{{BOOKING_NS}}}{name}")

    def invoke(self, operation: str, params: dict[str, Any],
               headers: list[Any]) -> answers.Answer:
        """Send ``operation`` (zeep builds the request) and read its answer, SOAP 1.1 or 1.2.
        A fault raises its :class:`TmsError`; anything else that is not the operation's
        response raises :class:`TmsUnavailable`."""
        with self.client.settings(raw_response=True):
            raw = getattr(self.proxy, operation)(**params, _soapheaders=headers)
        try:
            root = answers.parse_envelope(raw.content)
        except answers.UnreadableAnswer as error:
            raise TmsUnavailable(f"TMS answered {operation} with {describe_answer(raw)}, not a "
                                 f"SOAP response ({error})") from None
        fault = answers.fault_in(root)
        if fault is not None:
            raise error_from_fault(fault)
        if raw.status_code != 200:
            raise TmsUnavailable(f"TMS answered {operation} with {describe_answer(raw)}")
        try:
            return answers.read_answer(root, self.namespace, operation)
        except answers.UnreadableAnswer as error:
            raise TmsUnavailable(f"TMS answered {operation} without its result ({error}; "
                                 f"{describe_answer(raw)})") from None


class TmsClient:
    """A client of one TMS server for one user (see the module docstring for the contract)."""

    def __init__(self, base_url: str, username: str, password: str, *, auth: str = "basic",
                 verify: bool | str = True, timeout: tuple[float, float] = (5.0, 30.0),
                 client_identifier: str = "tmscal", api_version: int | None = None,
                 deadline: float | None = None, max_answer_bytes: int = DEFAULT_MAX_BYTES,
                 ) -> None:
        """``api_version`` None negotiates (module docstring); a number is sent as it is.
        ``deadline`` bounds a whole call (default: connect + read timeout), ``max_answer_bytes``
        the size of an answer, compressed or decoded."""
        self.base_url = base_url
        self.username = username
        self.booking_url, self.remotesetup_url = service_urls(base_url)
        self.client_identifier = client_identifier
        self._api_version = api_version
        self._options = dict(auth=auth, verify=verify, timeout=timeout,
                             client_identifier=client_identifier, deadline=deadline,
                             max_answer_bytes=max_answer_bytes)
        self._transport = TmsTransport(username, password, auth=auth, verify=verify,
                                       timeout=timeout, user_agent=f"tmscal ({client_identifier})",
                                       deadline=deadline, max_bytes=max_answer_bytes)
        self._booking = _Service(booking_description(), self.booking_url, self._transport)
        self._remotesetup = _Service(remotesetup_description(), self.remotesetup_url,
                                     self._transport)
        self._conference_type = self._booking.type("Conference")
        self._lock = threading.Lock()
        self._version_lock = threading.Lock()
        self._client_session = ""
        # address → (session, version, header element)
        self._headers: dict[str, tuple[str, int, Any]] = {}
        self.call_count = 0
        #: ConfAPIVersion the server reported in GetDefaultConference (None until known).
        self.server_api_version: int | None = None

    def __repr__(self) -> str:
        return f"TmsClient({self.base_url!r}, user={self.username!r})"

    def with_credentials(self, username: str, password: str) -> TmsClient:
        """A client with the same settings for another user (its own ClientSession).

        Cheap: the WSDLs are parsed once per process, and a negotiated version is passed on.
        """
        return TmsClient(self.base_url, username, password, api_version=self._api_version,
                         **self._options)

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._transport.close()

    def __enter__(self) -> TmsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def api_version(self) -> int:
        """The ClientVersionIn this client sends (negotiated on first use unless given)."""
        if self._api_version is None:
            self.negotiate_version()
        return self._api_version

    def negotiate_version(self) -> int:
        """Ask the server its API version (once) and settle on the highest both speak."""
        with self._version_lock:
            if self._api_version is not None:
                return self._api_version
            server = self.probe_server_version()
            version = negotiated_version(server)
            self._api_version = version
        key = (self.booking_url, version)
        with _logged_lock:
            first = key not in _logged_versions
            _logged_versions.add(key)
        if first:
            log.info("TMS at %s speaks API version %s; sending ClientVersionIn %d",
                     self.booking_url, "unknown" if server is None else server, version)
            if server is not None and server < MIN_API_VERSION:
                log.warning("TMS API version %d is older than the oldest this bridge speaks "
                            "(%d, TMS 14.2)", server, MIN_API_VERSION)
        return version

    def probe_server_version(self) -> int | None:
        """The server's API version (None if it does not say), asked with ClientVersionIn 0
        whatever this client sends otherwise."""
        response = self._call(self._booking, "GetDefaultConference", _version=PROBE_API_VERSION)
        return self._record_server_version(response)

    def _record_server_version(self, response: answers.Answer) -> int | None:
        version = _get(_get(response.header, "VersionSoapHeader"), "ConfAPIVersion")
        try:
            number = int(version)
        except (TypeError, ValueError):
            return None
        with self._lock:
            self.server_api_version = number
        return number

    @property
    def client_session(self) -> str:
        """The last ClientSession id TMS gave us ('' before the first licensed call)."""
        return self._client_session

    # -- the SOAP call ----------------------------------------------------------------------

    def _header(self, service: _Service, version: int) -> Any:
        """The version header element for ``service`` with the current ClientSession, rendered
        by zeep once per session and version (zeep copies it into each envelope)."""
        session = self._client_session
        cached = self._headers.get(service.address)
        if cached is not None and cached[:2] == (session, version):
            return cached[2]
        values = {"ClientVersionIn": version,
                  "ClientIdentifierIn": self.client_identifier or None,
                  "ClientSession": session or None}
        value = service.version_header(
            **{k: v for k, v in values.items() if v is not None and k in service.header_fields})
        holder = etree.Element("header")
        service.version_header.render(holder, value)
        element = holder[0]
        self._headers[service.address] = (session, version, element)
        return element

    def _call(self, service: _Service, operation: str, _version: int | None = None,
              **params: Any) -> answers.Answer:
        """Call ``operation`` (with ClientVersionIn ``_version``, default the negotiated one);
        return the whole response (header + body)."""
        version = self.api_version if _version is None else _version
        for attempt in (1, 2):
            with self._lock:
                self.call_count += 1
            started = time.perf_counter()
            outcome = "ok"
            try:
                response = service.invoke(operation, params, [self._header(service, version)])
            except TmsError as error:
                outcome = error.code.name if hasattr(error.code, "name") else str(error.code)
                if attempt == 1 and is_session_fault(error):
                    with self._lock:
                        self._client_session = error.client_session_id
                    outcome += ", retrying with the suggested ClientSession"
                    continue
                raise
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

    def _result(self, service: _Service, operation: str, read: Any = None,
                **params: Any) -> Any:
        """The ``<operation>Result`` of a call (``None`` if TMS sent none), passed through
        ``read`` when given: a value it cannot read raises :class:`TmsUnavailable`."""
        result = self._call(service, operation, **params).body.get(f"{operation}Result")
        return result if read is None else _read(operation, read, result)

    def _single(self, service: _Service, operation: str, read: Any, **params: Any) -> Any:
        """Like :meth:`_result` for operations that must return an object."""
        result = self._result(service, operation, **params)
        if result is None:
            raise TmsError(f"TMS answered {operation} without a result", ErrorCode.UNSPECIFIED)
        return _read(operation, read, result)

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
            return self.ping()
        except (TmsUnavailable, TmsError):
            return False

    def ping(self) -> bool:
        """IsAlive's answer; errors are raised, not swallowed as :meth:`is_alive` does."""
        answer = self._result(self._remotesetup, "IsAlive")
        return str(answer).strip().lower() in ("true", "1")

    def get_systems(self) -> list[System]:
        """All bookable systems (GetSystems)."""
        return self._result(self._remotesetup, "GetSystems", _systems)

    def get_systems_for_user(self) -> list[System]:
        """The systems the authenticated user may book (GetSystemsForUser)."""
        return self._result(self._remotesetup, "GetSystemsForUser", _systems)

    def get_system_by_id(self, system_id: int) -> System:
        return self._single(self._remotesetup, "GetSystemById", convert.system_from_wire,
                            TMSSystemId=system_id)

    def get_users(self) -> list[User]:
        return self._result(self._remotesetup, "GetUsers", lambda result: [
            convert.user_from_wire(u) for u in convert.array_items(result, "User")])

    # -- Booking: reading ----------------------------------------------------------------------

    def get_default_conference(self) -> Conference:
        """TMS's defaults for a new booking (ConferenceId -1); records ``server_api_version``."""
        response = self._call(self._booking, "GetDefaultConference")
        self._record_server_version(response)
        result = response.body.get("GetDefaultConferenceResult")
        if result is None:
            raise TmsError("TMS answered GetDefaultConference without a result",
                           ErrorCode.UNSPECIFIED)
        return _read("GetDefaultConference", convert.conference_from_wire, result)

    def get_conference_by_id(self, conference_id: int) -> Conference:
        return self._single(self._booking, "GetConferenceById", convert.conference_from_wire,
                            ConferenceId=conference_id)

    def get_recurrent_conference_by_id(self, conference_id: int) -> Conference:
        """The whole series (pattern with exceptions) that occurrence ``conference_id`` is in."""
        return self._single(self._booking, "GetRecurrentConferenceById",
                            convert.conference_from_wire, ConferenceId=conference_id)

    def get_conference_id_by_external_id(self, source: str, key: str,
                                         recurrence_id_utc: datetime | None = None) -> int:
        """The ConferenceId saved with (ExternalSourceId, ExternalPrimaryKey) = (source, key);
        with ``recurrence_id_utc``, the id of that occurrence of the series."""
        return self._single(self._booking, "GetConferenceIdByExternalId", int,
                            ExternalSourceId=source or None, ExternalConferenceId=key,
                            RecurrenceIdUTC=format_tms_time(recurrence_id_utc) or None)

    def get_conference_by_external_id(self, source: str, key: str) -> Conference:
        return self._single(self._booking, "GetConferenceByExternalId",
                            convert.conference_from_wire,
                            ExternalSourceId=source or None, ExternalConferenceId=key)

    def get_conferences_for_systems(
            self, system_ids: list[int], start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]:
        """Conferences of these systems overlapping [start, end) (without participants)."""
        return self._result(self._booking, "GetConferencesForSystems", _conferences,
                            SystemIds=list(system_ids), StartTime=_utc(start),
                            EndTime=_utc(end), ConferenceStatus=status.value)

    def get_conferences_for_user(
            self, user_name: str, start: datetime, end: datetime,
            status: ConferenceStatus = ConferenceStatus.ALL_EXCEPT_DELETED) -> list[Conference]:
        """Conferences owned by ``user_name`` ('' = the authenticated user) in [start, end)."""
        return self._result(self._booking, "GetConferencesForUser", _conferences,
                            UserName=user_name or None, StartTime=_utc(start),
                            EndTime=_utc(end), ConferenceStatus=status.value)

    def get_time_zone_rules_by_id(self, zone_id: str) -> list[TimeZoneRule]:
        """TMS's rules for a Windows time-zone id such as ``W. Europe Standard Time``."""
        return self._result(self._booking, "GetTimeZoneRulesById", lambda result: [
            convert.time_zone_rule_from_wire(r)
            for r in convert.array_items(result, "TimeZoneRule")], idString=zone_id)

    # -- Booking: writing ----------------------------------------------------------------------

    def save_conference(self, conference: Conference) -> Conference:
        """Create or update (legacy Strict mode); returns the conference as TMS saved it."""
        result = self._result(self._booking, "SaveConference",
                              Conference=self._conference_param(conference))
        return self._saved("SaveConference", result, conference)

    def save_conference_with_mode(self, conference: Conference, mode: BookingMode) -> Conference:
        """Create or update; ``BestEffortForced`` saves a conflicting booking as Defective."""
        result = self._result(self._booking, "SaveConferenceWithMode",
                              Conference=self._conference_param(conference),
                              BookingMode=mode.value)
        return self._saved("SaveConferenceWithMode", result, conference)

    def save_conference_rec_instance(self, conference: Conference,
                                     mode: BookingMode | None = None) -> Conference:
        """Update one occurrence of a series (its RecurrencePattern is not sent)."""
        param = self._conference_param(conference, with_pattern=False)
        if mode is None:
            operation = "SaveConferenceRecInstance"
            result = self._result(self._booking, operation, Conference=param)
        else:
            operation = "SaveConferenceRecInstanceWithMode"
            result = self._result(self._booking, operation, Conference=param,
                                  BookingMode=mode.value)
        return self._saved(operation, result, conference)

    def _saved(self, operation: str, result: Any, requested: Conference) -> Conference:
        """The conference TMS saved, from a Save* result that is a Conference or wraps one.

        A result without a ConferenceId (absent, or of a shape we do not know) is never taken
        for the booking: the conference is read back by its id, or by ExternalPrimaryKey."""
        saved = None if result is None else _read(
            operation, convert.conference_from_wire, _saved_conference(result))
        if saved is not None and saved.conference_id > 0:
            return saved
        log.warning("TMS answered %s without a ConferenceId; reading the booking back",
                    operation)
        if requested.conference_id > 0:
            return self.get_conference_by_id(requested.conference_id)
        if requested.external_primary_key:
            return self.get_conference_by_external_id(requested.external_source_id,
                                                      requested.external_primary_key)
        raise TmsUnavailable(f"TMS answered {operation} without a ConferenceId, and the booking "
                             "has no ExternalPrimaryKey to read it back by; whether it was saved "
                             "is unknown")

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
        return self._result(self._booking, "GetTransactionsSince", lambda result: [
            convert.transaction_from_wire(t) for t in convert.array_items(result, "Transaction")],
            CurrentTransactionId=transaction_id)

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


def client_for(tms: TmsSettings) -> TmsClient:
    """The service user's client as ``[tms]`` describes it (``timeout`` bounds a whole call):
    the one way a client is built from the settings. A per-user client derives from it with
    :meth:`TmsClient.with_credentials`, which passes on the negotiated API version."""
    return TmsClient(tms.url, tms.username, tms.password, auth=tms.auth, verify=tms.verify,
                     timeout=(min(5.0, tms.timeout), tms.timeout), deadline=tms.timeout,
                     api_version=tms.api_version)


def _read(operation: str, read: Any, result: Any) -> Any:
    """``read(result)``; a value it cannot read (a newer or broken TMS) → TmsUnavailable."""
    try:
        return read(result)
    except (ValueError, TypeError, AttributeError) as error:
        raise TmsUnavailable(f"TMS answered {operation} with a value this client cannot read "
                             f"({type(error).__name__}: {str(error)[:200]})") from None


def _systems(result: Any) -> list[System]:
    return [convert.system_from_wire(s) for s in convert.array_items(result, "TMSSystem")]


def _conferences(result: Any) -> list[Conference]:
    return [convert.conference_from_wire(c) for c in convert.array_items(result, "Conference")]


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
