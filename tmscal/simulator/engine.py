"""The simulator's booking engine: a TMS in memory, without XML or HTTP.

:class:`Tms` is the contract the SOAP layer codes against. Every method takes the authenticated
:class:`SimUser` first, returns model objects that the caller owns (copies), and raises the
``tmscal.model`` error classes with English messages naming the room and the time.
All state sits behind one lock, so one instance may serve many threads.

Storage follows TMS: every occurrence of a series is a conference with its own ConferenceId;
a :class:`~tmscal.simulator.state.Booking` groups them. Updating a series replaces its pending
occurrences by new ones with new ConferenceIds; started occurrences are left alone.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from tmscal.model import (
    UTC, BookingMode, CannotBookInPast, Conference, ConferenceActive, ConferenceDeleted,
    ConferenceNotActive, ConferenceNotFound, ConferenceStatus, ExceptionType, InstanceNotFound,
    LicenseError, NoAccessToConference, OutsideBookingWindow, RecurrenceException,
    RecurrenceNotSupported, StaleVersion, System, SystemAlreadyBooked, SystemNotFound,
    TimeZoneRule, Transaction, TransactionType, User, UserNotFound,
)
from tmscal.simulator import invitation
from tmscal.simulator.accounts import SimUser
from tmscal.simulator.drafting import (
    DEFAULT_LANGUAGE, DEFAULT_SETTINGS, Draft, OccurrencePlan, checked_participants,
    checked_times, draft_booking, find_slot, new_pin,
)
from tmscal.simulator.sessions import ClientSessions
from tmscal.simulator.state import Booking, SimState, read_state, write_state
from tmscal.simulator.timeline import Timeline
from tmscal.simulator.timezones import SERVER_ZONE, time_zone_rules

__all__ = ["Tms", "SimUser"]

#: The newest Booking API version the simulator speaks (TMS 15.11+ reports 22).
LATEST_API_VERSION = 22

_S = ConferenceStatus
_LIST_FILTERS: dict[ConferenceStatus, Callable[[ConferenceStatus], bool]] = {
    _S.ALL: lambda s: True,
    _S.ALL_EXCEPT_DELETED: lambda s: s is not _S.DELETED,
    _S.PENDING_AND_ONGOING: lambda s: s in (_S.PENDING, _S.ONGOING),
}


def _real_now() -> datetime:
    return datetime.now(UTC)


def _clone_rule(rule: TimeZoneRule) -> TimeZoneRule:
    """A deep copy of a time-zone rule (its transitions are its only mutable parts)."""
    return dataclasses.replace(rule, daylight=copy.copy(rule.daylight),
                               standard=copy.copy(rule.standard))


def _clone(conference: Conference) -> Conference:
    """A copy the caller may change without touching the store (faster than deepcopy)."""
    clone = copy.copy(conference)
    clone.participants = [copy.copy(p) for p in conference.participants]
    clone.time_zone_rules = [_clone_rule(r) for r in conference.time_zone_rules]
    if conference.recurrence is not None:
        clone.recurrence = copy.deepcopy(conference.recurrence)
    return clone


def span(start: datetime, end: datetime) -> str:
    """``2026-12-01 09:00–10:00Z`` (both dates when they differ)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}Z"
    return f"{start:%Y-%m-%d %H:%M}Z–{end:%Y-%m-%d %H:%M}Z"


def _described(conference: Conference) -> str:
    return f"conference {conference.conference_id} '{conference.title}'"


def _Described(conference: Conference) -> str:  # noqa: N802 - sentence-initial form
    return f"Conference {conference.conference_id} '{conference.title}'"


class Tms:
    """One simulated TMS server (Booking API + Remote Setup API)."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None,
                 booking_window_days: int = 365, licence_pool: int | None = None,
                 transaction_page_size: int = 100,
                 session_lifetime: timedelta = timedelta(minutes=47),
                 session_grace: timedelta = timedelta(minutes=17),
                 api_version: int = LATEST_API_VERSION) -> None:
        """``licence_pool`` None means licences without limit; ``api_version`` is the Booking
        API version this TMS speaks (ConfAPIVersion; 22 = TMS 15.11+)."""
        self._clock = clock or _real_now
        self._lock = threading.RLock()
        self.booking_window_days = booking_window_days
        self.transaction_page_size = transaction_page_size
        self.session_lifetime = session_lifetime
        self.session_grace = session_grace
        self.api_version = api_version
        self._state = SimState()
        self._state.licences.pool_size = licence_pool
        self._state.sessions = ClientSessions(session_lifetime, session_grace)

    # -- identity and sessions ------------------------------------------------------------

    def authenticate(self, user_name: str, password: str) -> SimUser | None:
        """The user for these credentials (``alice`` or ``ANYDOMAIN\\alice``, name
        case-insensitive), or None (the SOAP layer answers HTTP 401)."""
        with self._lock:
            return self._state.directory.authenticate(user_name, password)

    def check_client_session(self, user: SimUser, session_id: str | None) -> str:
        """Validate the ClientSession of a licensed call; returns the id to echo back.

        Blank → ClientSessionError(ERR_CLIENT_SESSION_BLANK); unknown or expired →
        ClientSessionError(ERR_CLIENT_SESSION_EXPIRED, "The client session id is expired."); both
        carry ``client_session_id`` = the user's current valid id, stable while it is valid.
        """
        with self._lock:
            return self._state.sessions.check(user.user_id, session_id, self._now(),
                                              self._state.rng)

    # -- remote setup -----------------------------------------------------------------------

    def get_systems(self, user: SimUser) -> list[System]:
        with self._lock:
            return [copy.copy(s) for _, s in sorted(self._state.systems.items())]

    def get_systems_for_user(self, user: SimUser) -> list[System]:
        """The systems ``user`` may book."""
        with self._lock:
            return [copy.copy(s) for _, s in sorted(self._state.systems.items())
                    if user.may_book(s.system_id)]

    def get_system_by_id(self, user: SimUser, system_id: int) -> System:
        """Raises SystemNotFound."""
        with self._lock:
            return copy.copy(self._system(system_id))

    def get_users(self, user: SimUser) -> list[User]:
        with self._lock:
            return [u.to_user() for u in self._state.directory.all()]

    def is_alive(self) -> bool:
        return True

    # -- reading bookings ---------------------------------------------------------------------

    def get_default_conference(self, user: SimUser) -> Conference:
        """ConferenceId -1, owner = user, TMS defaults, title 'Meeting <local time>'."""
        with self._lock:
            now = self._now()
            conference = Conference(
                conference_id=-1, title=invitation.default_title(now, SERVER_ZONE),
                start_utc=now, end_utc=now + timedelta(hours=1), password=new_pin(self._state.rng),
                owner_id=user.user_id, owner_user_name=user.qualified_name,
                owner_first_name=user.first_name, owner_last_name=user.last_name,
                owner_email_address=user.email_address, language=DEFAULT_LANGUAGE,
                time_zone_rules=time_zone_rules(SERVER_ZONE), status=_S.NOT_SAVED,
                **DEFAULT_SETTINGS)
            return conference

    def get_conference_by_id(self, user: SimUser, conference_id: int) -> Conference:
        """One conference; an occurrence id returns that occurrence. ConferenceNotFound;
        NoAccessToConference when the user may neither book its rooms nor owns it."""
        with self._lock:
            conference = self._conference(conference_id)
            self._check_may_read(user, conference)
            return self._view(conference, self._now())

    def get_recurrent_conference_by_id(self, user: SimUser, conference_id: int) -> Conference:
        """The series (pattern + Exceptions) of any of its occurrence ids; a deleted series has a
        negative ConferenceId. A single conference is returned as it is."""
        with self._lock:
            conference = self._conference(conference_id)
            self._check_may_read(user, conference)
            booking = self._booking_of(conference_id)
            if not booking.is_series:
                return self._view(conference, self._now())
            return self._booking_view(booking, self._now())

    def get_conference_id_by_external_id(self, user: SimUser, source: str, key: str,
                                         recurrence_id_utc: datetime | None) -> int:
        """The id of the booking (its first occurrence) or, with ``recurrence_id_utc``, of the
        occurrence in that slot (exact instant, else the same UTC day): InstanceNotFound."""
        with self._lock:
            booking = self._booking_by_external(source, key)
            if recurrence_id_utc is None or not booking.is_series:
                return booking.occurrence_ids[0]
            slots = self._slots(booking)
            return slots[find_slot(slots, recurrence_id_utc)]

    def get_conference_by_external_id(self, user: SimUser, source: str, key: str) -> Conference:
        """The booking (a series with its pattern and exceptions) with these external ids."""
        with self._lock:
            booking = self._booking_by_external(source, key)
            self._check_may_read(user, self._state.conferences[booking.occurrence_ids[0]])
            return self._booking_view(booking, self._now())

    def get_conferences_for_systems(self, user: SimUser, system_ids: list[int],
                                    start: datetime | None, end: datetime | None,
                                    status: ConferenceStatus) -> list[Conference]:
        """Conferences overlapping [start, end) on these systems (empty → all), list shape:
        no participants, no info text; occurrences listed one by one. SystemNotFound."""
        with self._lock:
            st = self._state
            if system_ids:
                ids: dict[int, None] = {}
                for system_id in dict.fromkeys(system_ids):
                    self._system(system_id)
                    for cid in st.system_timelines[system_id].overlapping(start, end):
                        ids[cid] = None
            else:
                ids = dict.fromkeys(st.all_timeline.overlapping(start, end))
            return self._listed(ids, status, lambda c: True)

    def get_conferences_for_user(self, user: SimUser, user_name: str,
                                 start: datetime | None, end: datetime | None,
                                 status: ConferenceStatus) -> list[Conference]:
        """Conferences owned by ``user_name`` ('' → the caller), list shape. UserNotFound."""
        with self._lock:
            owner = user if not (user_name or "").strip() else \
                self._state.directory.by_name(user_name)
            if owner is None:
                raise UserNotFound(f"User '{user_name}' does not exist")
            ids = dict.fromkeys(self._state.all_timeline.overlapping(start, end))
            return self._listed(ids, status, lambda c: c.owner_id == owner.user_id)

    def get_transactions_since(self, user: SimUser, transaction_id: int) -> list[Transaction]:
        """Entries strictly after ``transaction_id`` (0 = from the beginning), at most the page
        size, then a ListIncomplete marker when more remain. Unknown id → TmsError."""
        with self._lock:
            return self._state.transactions.since(transaction_id, self.transaction_page_size)

    def get_time_zone_rules_by_id(self, user: SimUser, zone_id: str) -> list[TimeZoneRule]:
        """Rules of a Windows zone id (``W. Europe Standard Time`` …); TmsError when unknown."""
        return time_zone_rules(zone_id)

    # -- writing bookings ---------------------------------------------------------------------

    def save_conference(self, user: SimUser, conference: Conference,
                        mode: BookingMode = BookingMode.STRICT) -> Conference:
        """SaveConference / SaveConferenceWithMode: create or update a conference or series.

        The target is found by (ExternalSourceId, ExternalPrimaryKey) among live bookings, then
        by ConferenceId (≤ 0 creates; > 0 updates or ConferenceNotFound). Returns the saved
        booking (a series with pattern and exceptions, ConferenceId = first occurrence).
        """
        with self._lock:
            now = self._now()
            booking = self._target_booking(conference)
            if booking is None:
                return self._create(user, conference, mode, now)
            self._check_may_change(user, booking.template)
            current = self._booking_version(booking)
            if conference.version and conference.version != current:
                raise StaleVersion(
                    f"Save declined: {_described(self._first(booking))} has version {current}, "
                    f"not {conference.version}; read it again and retry")
            if not booking.is_series and conference.recurrence is None:
                return self._update_single(user, booking, conference, mode, now)
            return self._regenerate(user, booking, conference, mode, now)

    def save_conference_rec_instance(self, user: SimUser, conference: Conference,
                                     mode: BookingMode = BookingMode.STRICT) -> Conference:
        """Update one occurrence, found by external ids + RecurrenceInstanceIdUTC or by its
        ConferenceId; it keeps its id and becomes a 'modify' exception. A RecurrencePattern in
        the request is ignored (TMS: not valid here)."""
        with self._lock:
            now = self._now()
            st = self._state
            target = self._locate_occurrence(conference)
            booking = self._booking_of(target.conference_id)
            if not booking.is_series or target.conference_id not in booking.occurrence_ids:
                raise InstanceNotFound(
                    f"No such occurrence: {_described(target)} is not an occurrence of a series")
            if booking.deleted or target.status is _S.DELETED:
                raise ConferenceDeleted(f"{_Described(target)} is deleted")
            self._check_may_change(user, booking.template)
            if conference.version and conference.version != target.version:
                raise StaleVersion(f"Save declined: {_described(target)} has version "
                                   f"{target.version}, not {conference.version}")
            status = self._status(target, now)
            self._refuse_finished(target, status)
            start = conference.start_utc or target.start_utc
            end = conference.end_utc or target.end_utc
            plan = OccurrencePlan(target.recurrence_instance_id_utc, *checked_times(start, end),
                                  instance_type="modify")
            if status is _S.ONGOING and plan.start != target.start_utc:
                raise ConferenceActive(f"{_Described(target)} is ongoing; its start "
                                       f"time cannot be changed")
            self._check_schedule([plan], now, creating=True)
            participants = (checked_participants(st, user, conference.participants)
                            if conference.participants else target.participants)
            systems = [p.participant_id for p in participants if p.call_type.is_system]
            self._check_licences(systems, user, now, edited=target)
            plan.participants = participants
            defective = self._resolve_conflicts([plan], booking.template, {target.conference_id},
                                                mode)
            version = self._bump()
            st.licences.take(systems)
            self._unindex(target)
            target.start_utc, target.end_utc = plan.start, plan.end
            target.participants = participants
            target.title = (conference.title or "").strip()[:255] or target.title
            if conference.user_message_text:
                target.user_message_text = conference.user_message_text
            target.recurrence_instance_type = "modify"
            target.status = _S.DEFECTIVE if defective else _S.PENDING
            target.version = version
            self._index(target)
            self._record(target, TransactionType.UPDATED, user)
            return self._view(target, now)

    def delete_conference_by_id(self, user: SimUser, conference_id: int) -> None:
        """Delete a conference (a whole series). An ongoing conference (occurrence) is ended
        instead; finished occurrences stay. Deleting a finished single conference →
        CannotBookInPast; deleting a deleted one does nothing."""
        with self._lock:
            self._conference(conference_id)
            booking = self._booking_of(conference_id)
            self._check_may_change(user, booking.template)
            if booking.deleted:
                return
            self._delete_booking(booking, user, self._now(), refuse_finished=True)

    def delete_conference_rec_instance_by_id(self, user: SimUser, conference_id: int) -> None:
        """Delete one occurrence (a 'deleted' exception); an ongoing one is ended.
        InstanceNotFound for a conference that is not an occurrence of a series."""
        with self._lock:
            now = self._now()
            target = self._conference(conference_id)
            booking = self._booking_of(conference_id)
            if not booking.is_series or conference_id not in booking.occurrence_ids:
                raise InstanceNotFound(
                    f"No such occurrence: {_described(target)} is not an occurrence of a series")
            self._check_may_change(user, booking.template)
            if target.status is _S.DELETED:
                return
            status = self._status(target, now)
            self._refuse_finished(target, status)
            version = self._bump()
            if status is _S.ONGOING:
                self._end(target, user, now, version)
            else:
                target.recurrence_instance_type = "deleted"
                self._mark_deleted(target, user, version)

    def end_conference_by_id(self, user: SimUser, conference_id: int) -> None:
        """End an ongoing conference now (Finished). ConferenceDeleted when deleted,
        ConferenceNotActive when not ongoing."""
        with self._lock:
            now = self._now()
            target = self._conference(conference_id)
            self._check_may_change(user, self._booking_of(conference_id).template)
            if target.status is _S.DELETED:
                raise ConferenceDeleted(f"{_Described(target)} is deleted")
            status = self._status(target, now)
            if status is not _S.ONGOING:
                raise ConferenceNotActive(
                    f"{_Described(target)} is not active ({status.value}, "
                    f"{span(target.start_utc, target.end_utc)})")
            self._end(target, user, now, self._bump())

    # -- administration (seeds, the simulator command, tests) --------------------------------

    def add_system(self, system: System, *, allow_remote_bookings: bool = False) -> System:
        """Register a room; ``allow_remote_bookings`` takes a licence for it at once."""
        with self._lock:
            st = self._state
            st.systems[system.system_id] = copy.copy(system)
            st.system_timelines.setdefault(system.system_id, Timeline())
            if allow_remote_bookings:
                st.licences.take([system.system_id])
            return copy.copy(system)

    def add_user(self, user_name: str, password: str = "", **fields) -> SimUser:
        """Create a user (see :class:`SimUser` for ``fields``)."""
        with self._lock:
            return self._state.directory.add(user_name, password, **fields)

    def user(self, user_name: str) -> SimUser:
        """The user named ``user_name`` (UserNotFound)."""
        with self._lock:
            found = self._state.directory.by_name(user_name)
            if found is None:
                raise UserNotFound(f"User '{user_name}' does not exist")
            return found

    def set_allow_remote_bookings(self, system_id: int, allowed: bool) -> None:
        """Flip a system's "Allow Remote Bookings" (taking or freeing a licence, pool
        permitting: LicenseError)."""
        with self._lock:
            system = self._system(system_id)
            if not allowed:
                self._state.licences.revoke(system_id)
            elif self._state.licences.missing([system_id]):
                raise LicenseError(f"There is no licence free to allow remote bookings on "
                                   f"'{system.name}'")
            else:
                self._state.licences.take([system_id])

    def set_allow_bookings(self, system_id: int, allowed: bool) -> None:
        """Flip a system's "Allow Bookings" (TMS Scheduling Settings): with No, every booking
        that includes it is refused with SYSTEM_NOT_ALLOWED_IN_BOOKING."""
        with self._lock:
            self._system(system_id)
            if allowed:
                self._state.closed_to_bookings.discard(system_id)
            else:
                self._state.closed_to_bookings.add(system_id)

    def allows_remote_bookings(self, system_id: int) -> bool:
        with self._lock:
            return self._state.licences.allows_remote_bookings(system_id)

    @property
    def licence_pool(self) -> int | None:
        return self._state.licences.pool_size

    def free_licences(self) -> int | None:
        """Licences left in the pool (None when unlimited)."""
        with self._lock:
            return self._state.licences.free

    def book_directly(self, user: SimUser, conference: Conference, *,
                      through_api: bool = True) -> Conference | None:
        """Store a booking as the TMS web UI would: no clock, window or ClientSession checks,
        and None instead of a double booking. ``through_api`` False consumes no licence (a
        booking made in TMS itself, ExternalSourceId 'TMS' when none is given)."""
        with self._lock:
            now = self._now()
            if not through_api and not conference.external_source_id:
                conference = conference.copy(external_source_id="TMS")
            draft = draft_booking(self._state, user, conference)
            if self._conflicts(draft.occurrences, draft.template, set()):
                return None
            booking = self._store_booking(draft, user, set(), take_licences=through_api)
            return self._booking_view(booking, now)

    def edit_directly(self, conference_id: int, **fields) -> None:
        """Change fields of a single booking as an edit in TMS's own database would: no
        checks at all (a title with control characters, participants TMS would never accept),
        a new Version and an Updated transaction. For fault tests and the fault soak."""
        with self._lock:
            booking = self._booking_of(conference_id)
            if booking.is_series:
                raise ValueError("edit_directly changes single conferences only")
            stored = self._first(booking)
            for name, value in fields.items():
                setattr(stored, name, value)
                setattr(booking.template, name, value)
            stored.version = self._bump()
            self._record(stored, TransactionType.UPDATED, self.user("admin"))

    def import_conferences(self, conferences: Iterable[Conference], *,
                           performed_by: SimUser) -> int:
        """Store ready single conferences (owner, participants, times, external ids filled)
        with fresh ids, unchecked and in bulk, for large seeds. Returns how many."""
        with self._lock:
            st = self._state
            version = self._bump()
            per_system: dict[int, list] = {}
            everything = []
            count = 0
            for conference in conferences:
                cid = st.next_conference_id
                st.next_conference_id += 1
                conference.conference_id = cid
                conference.version = version
                number = st.next_booking_number
                st.next_booking_number += 1
                zone = (conference.time_zone_rules[0].id if conference.time_zone_rules
                        else SERVER_ZONE)
                st.bookings[number] = Booking(number, conference, [cid], zone)
                st.conferences[cid] = conference
                st.booking_of[cid] = number
                key = (conference.external_source_id, conference.external_primary_key)
                st.live_by_external[key] = st.any_by_external[key] = number
                entry = (cid, int(conference.start_utc.timestamp()),
                         int(conference.end_utc.timestamp()))
                everything.append(entry)
                system_ids = conference.system_ids
                for system_id in system_ids:
                    per_system.setdefault(system_id, []).append(entry)
                conference.transaction_id = st.transactions.record(
                    cid, TransactionType.NEW, performed_by.user_id, system_ids)
                count += 1
            st.all_timeline.bulk_load(everything)
            for system_id, entries in per_system.items():
                st.system_timelines[system_id].bulk_load(entries)
            return count

    # -- persistence and seeds ----------------------------------------------------------------

    @classmethod
    def seeded(cls, name: str, **kwargs) -> "Tms":
        """A server loaded with seed ``name``: 'demo' | 'empty' | 'large' (see
        :mod:`tmscal.simulator.seeds`)."""
        from tmscal.simulator import seeds
        return seeds.seeded(cls, name, **kwargs)

    def save_state(self, path: str | Path) -> None:
        """Write the whole state to ``path`` atomically."""
        with self._lock:
            write_state(self._state, path)

    @classmethod
    def load_state(cls, path: str | Path, **kwargs) -> "Tms":
        """A server with the state saved by :meth:`save_state`; a ``licence_pool`` given here
        replaces the saved one; session timing comes from ``kwargs``."""
        tms = cls(**kwargs)
        state = read_state(path)
        if kwargs.get("licence_pool") is not None:
            state.licences.pool_size = kwargs["licence_pool"]
        state.sessions.lifetime = tms.session_lifetime
        state.sessions.grace = tms.session_grace
        tms._state = state
        return tms

    def demo_accounts(self) -> list[tuple[str, str, str]]:
        """(user name, password, role) of the accounts worth printing at start."""
        with self._lock:
            return list(self._state.demo_accounts)

    def set_demo_accounts(self, accounts: list[tuple[str, str, str]]) -> None:
        with self._lock:
            self._state.demo_accounts = list(accounts)

    # == internals ==============================================================================

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    @staticmethod
    def _status(conference: Conference, now: datetime) -> ConferenceStatus:
        """Stored status with time applied: Pending becomes Ongoing, then Finished."""
        status = conference.status
        if status is _S.PENDING:
            if conference.end_utc <= now:
                return _S.FINISHED
            if conference.start_utc <= now:
                return _S.ONGOING
        return status

    def _bump(self) -> int:
        self._state.version += 1
        return self._state.version

    def _system(self, system_id: int) -> System:
        system = self._state.systems.get(system_id)
        if system is None:
            raise SystemNotFound(f"System {system_id} does not exist")
        return system

    def _conference(self, conference_id: int) -> Conference:
        conference = self._state.conferences.get(conference_id)
        if conference is None:
            raise ConferenceNotFound(f"Conference {conference_id} does not exist")
        return conference

    def _booking_of(self, conference_id: int) -> Booking:
        return self._state.bookings[self._state.booking_of[conference_id]]

    def _first(self, booking: Booking) -> Conference:
        return self._state.conferences[booking.occurrence_ids[0]]

    def _booking_version(self, booking: Booking) -> int:
        return max(self._state.conferences[i].version for i in booking.occurrence_ids)

    def _booking_by_external(self, source: str, key: str) -> Booking:
        key_pair = (source or "", key or "")
        number = self._state.live_by_external.get(key_pair)
        if number is None:
            number = self._state.any_by_external.get(key_pair)
        if number is None:
            raise ConferenceNotFound(f"No conference has ExternalSourceId '{source or ''}' and "
                                     f"ExternalPrimaryKey '{key or ''}'")
        return self._state.bookings[number]

    def _slots(self, booking: Booking) -> dict[datetime, int]:
        """Occurrence ids of a booking by pattern slot (RecurrenceInstanceIdUTC)."""
        conferences = self._state.conferences
        return {(conferences[i].recurrence_instance_id_utc or conferences[i].start_utc): i
                for i in booking.occurrence_ids}

    def _check_may_read(self, user: SimUser, conference: Conference) -> None:
        if user.may_act_for_others or conference.owner_id == user.user_id:
            return
        systems = conference.system_ids
        if any(user.may_book(s) for s in systems) or (not systems and user.booking):
            return
        raise NoAccessToConference(f"User '{user.user_name}' has no access to "
                                   f"{_described(conference)}")

    @staticmethod
    def _check_may_change(user: SimUser, template: Conference) -> None:
        if user.may_act_for_others or template.owner_id == user.user_id:
            return
        raise NoAccessToConference(
            f"User '{user.user_name}' may not change conference '{template.title}' owned by "
            f"'{template.owner_user_name}'")

    @staticmethod
    def _refuse_finished(conference: Conference, status: ConferenceStatus) -> None:
        if status is _S.FINISHED:
            raise CannotBookInPast(
                f"{_Described(conference)} ended at "
                f"{span(conference.start_utc, conference.end_utc)} and can no longer be changed")

    # -- views ---------------------------------------------------------------------------------

    def _room_names(self, conference: Conference) -> list[str]:
        systems = self._state.systems
        return [systems[s].name for s in conference.system_ids if s in systems]

    def _with_invitation(self, view: Conference, booking: Booking) -> Conference:
        alias = invitation.dial_in_alias(booking.number)
        rooms = self._room_names(view)
        view.conference_info_text = invitation.info_text(view, alias, booking.zone_id, rooms)
        view.conference_info_html = invitation.info_html(view, alias, booking.zone_id, rooms)
        return view

    def _view(self, conference: Conference, now: datetime) -> Conference:
        """The full public shape of one stored conference (occurrence)."""
        view = _clone(conference)
        view.status = self._status(conference, now)
        return self._with_invitation(view, self._booking_of(conference.conference_id))

    def _booking_view(self, booking: Booking, now: datetime) -> Conference:
        """A single conference, or a series: template fields, pattern with Exceptions,
        ConferenceId of the first occurrence (negated when the series is deleted)."""
        if not booking.is_series:
            return self._view(self._first(booking), now)
        conferences = [self._state.conferences[i] for i in booking.occurrence_ids]
        view = _clone(booking.template)
        first = conferences[0]
        view.conference_id = -first.conference_id if booking.deleted else first.conference_id
        view.first_occurrence_utc = view.recurrence.first_occurrence_utc
        for occurrence in conferences:
            if occurrence.recurrence_instance_type == "deleted":
                view.recurrence.exceptions.append(RecurrenceException(
                    ExceptionType.DELETE, occurrence.recurrence_instance_id_utc))
            elif occurrence.recurrence_instance_type == "modify":
                modified = _clone(occurrence)
                modified.status = self._status(occurrence, now)
                view.recurrence.exceptions.append(RecurrenceException(
                    ExceptionType.MODIFY, occurrence.recurrence_instance_id_utc,
                    modified=modified))
        statuses = {self._status(c, now) for c in conferences} - {_S.DELETED}
        if booking.deleted or not statuses:
            view.status = _S.DELETED
        else:
            view.status = next(s for s in (_S.DEFECTIVE, _S.ONGOING, _S.PENDING, _S.FINISHED)
                               if s in statuses or s is _S.FINISHED)
        view.version = max(c.version for c in conferences)
        view.transaction_id = max(c.transaction_id for c in conferences)
        return self._with_invitation(view, booking)

    def _listed(self, ids: Iterable[int], status: ConferenceStatus,
                keep: Callable[[Conference], bool]) -> list[Conference]:
        """List shape of ``ids`` filtered by ``status``, ordered by start then id."""
        now = self._now()
        accept = _LIST_FILTERS.get(status, lambda s: s is status)
        conferences = self._state.conferences
        result = []
        for cid in ids:
            conference = conferences[cid]
            effective = self._status(conference, now)
            if not accept(effective) or not keep(conference):
                continue
            view = copy.copy(conference)
            view.status = effective
            view.participants = []
            view.time_zone_rules = [_clone_rule(r) for r in conference.time_zone_rules]
            view.conference_info_text = view.conference_info_html = ""
            result.append(view)
        result.sort(key=lambda c: (c.start_utc, c.conference_id))
        return result

    # -- index and log ------------------------------------------------------------------------

    def _index(self, conference: Conference) -> None:
        st = self._state
        st.all_timeline.add(conference.conference_id, conference.start_utc, conference.end_utc)
        for system_id in dict.fromkeys(conference.system_ids):
            st.system_timelines[system_id].add(conference.conference_id, conference.start_utc,
                                               conference.end_utc)

    def _unindex(self, conference: Conference) -> None:
        st = self._state
        st.all_timeline.remove(conference.conference_id, conference.start_utc)
        for system_id in dict.fromkeys(conference.system_ids):
            st.system_timelines[system_id].remove(conference.conference_id, conference.start_utc)

    def _record(self, conference: Conference, trans_type: TransactionType,
                user: SimUser) -> None:
        conference.transaction_id = self._state.transactions.record(
            conference.conference_id, trans_type, user.user_id, conference.system_ids)

    # -- checks shared by the save paths --------------------------------------------------------

    def _check_schedule(self, plans: list[OccurrencePlan], now: datetime,
                        creating: bool) -> None:
        """CannotBookInPast when a new booking's first occurrence has ended;
        OutsideBookingWindow when any occurrence starts beyond the booking window."""
        live = [p for p in plans if not p.deleted]
        if not live:
            raise RecurrenceNotSupported("The series has no occurrence left to book")
        first = min(live, key=lambda p: p.start)
        if creating and first.end <= now:
            raise CannotBookInPast(f"The end time of {span(first.start, first.end)} is in the "
                                   f"past (now {span(now, now)[:16]}Z)")
        horizon = now + timedelta(days=self.booking_window_days)
        for plan in live:
            if plan.start > horizon:
                raise OutsideBookingWindow(
                    f"The start time of {span(plan.start, plan.end)} is more than "
                    f"{self.booking_window_days} days ahead; the booking window ends "
                    f"{horizon:%Y-%m-%d %H:%M}Z")

    def _check_licences(self, system_ids: list[int], user: SimUser, now: datetime, *,
                        edited: Booking | Conference | None = None) -> None:
        """LicenseError when a system lacks "Allow Remote Bookings" and the pool is empty.
        When editing, the edited booking (or occurrence) is deleted first, as TMS does."""
        st = self._state
        missing = st.licences.missing(system_ids)
        if not missing:
            return
        names = ", ".join(f"'{st.systems[s].name}'" for s in missing)
        message = f"There is no licence free to allow remote bookings on {names}"
        if isinstance(edited, Booking):
            first = self._first(edited)
            self._delete_booking(edited, user, now, refuse_finished=False)
            message += f"; the edited booking {_described(first)} was deleted"
        elif isinstance(edited, Conference):
            edited.recurrence_instance_type = "deleted"
            self._mark_deleted(edited, user, self._bump())
            message += f"; the edited occurrence {_described(edited)} was deleted"
        raise LicenseError(message)

    def _conflicts(self, plans: list[OccurrencePlan], template: Conference,
                   exclude: set[int]) -> list[tuple[int, str]]:
        """(plan index, message) for each planned occurrence that double-books a system, by
        a stored conference or an earlier plan. Deleted and defective conferences and those in
        ``exclude`` do not count."""
        planned: dict[int, list[OccurrencePlan]] = {}
        found: list[tuple[int, str]] = []
        for index, plan in enumerate(plans):
            if plan.deleted:
                continue
            participants = plan.participants if plan.participants is not None \
                else template.participants
            systems = list(dict.fromkeys(p.participant_id for p in participants
                                         if p.call_type.is_system))
            message = self._first_conflict(plan, systems, exclude, planned)
            if message:
                found.append((index, message))
                continue
            for system_id in systems:
                planned.setdefault(system_id, []).append(plan)
        return found

    def _first_conflict(self, plan: OccurrencePlan, systems: list[int], exclude: set[int],
                        planned: dict[int, list[OccurrencePlan]]) -> str | None:
        st = self._state
        for system_id in systems:
            room = st.systems[system_id].name
            for cid in st.system_timelines[system_id].overlapping(plan.start, plan.end):
                other = st.conferences[cid]
                if cid in exclude or other.status in (_S.DELETED, _S.DEFECTIVE):
                    continue
                return (f"Room '{room}' is already booked {span(other.start_utc, other.end_utc)} "
                        f"by conference {cid} '{other.title}'")
            for other_plan in planned.get(system_id, ()):
                if other_plan.start < plan.end and plan.start < other_plan.end:
                    return (f"Room '{room}' would be booked twice by this series: "
                            f"{span(other_plan.start, other_plan.end)} and "
                            f"{span(plan.start, plan.end)}")
        return None

    def _resolve_conflicts(self, plans: list[OccurrencePlan], template: Conference,
                           exclude: set[int], mode: BookingMode) -> set[int]:
        """Strict: SystemAlreadyBooked on the first conflict. BestEffortForced: the indexes of
        the plans to save as Defective."""
        conflicts = self._conflicts(plans, template, exclude)
        if conflicts and mode is not BookingMode.BEST_EFFORT_FORCED:
            message = conflicts[0][1]
            if len(conflicts) > 1:
                message += f" (and {len(conflicts) - 1} more occurrences conflict)"
            raise SystemAlreadyBooked(message)
        return {index for index, _ in conflicts}

    @staticmethod
    def _plan_systems(plans: list[OccurrencePlan], template: Conference) -> list[int]:
        systems: dict[int, None] = {}
        for plan in plans:
            if plan.deleted:
                continue
            participants = plan.participants if plan.participants is not None \
                else template.participants
            systems.update((p.participant_id, None) for p in participants
                           if p.call_type.is_system)
        return list(systems)

    # -- save paths ---------------------------------------------------------------------------

    def _target_booking(self, conference: Conference) -> Booking | None:
        st = self._state
        if conference.external_primary_key:
            number = st.live_by_external.get((conference.external_source_id or "",
                                              conference.external_primary_key))
            if number is not None:
                return st.bookings[number]
        cid = conference.conference_id or 0
        if cid <= 0:
            return None
        target = self._conference(cid)
        booking = self._booking_of(cid)
        if booking.deleted:
            raise ConferenceDeleted(f"{_Described(target)} is deleted")
        return booking

    def _locate_occurrence(self, conference: Conference) -> Conference:
        st = self._state
        key = (conference.external_source_id or "", conference.external_primary_key or "")
        if conference.external_primary_key and conference.recurrence_instance_id_utc \
                and key in st.live_by_external:
            booking = st.bookings[st.live_by_external[key]]
            slots = self._slots(booking)
            return st.conferences[slots[find_slot(slots, conference.recurrence_instance_id_utc)]]
        if conference.conference_id and conference.conference_id > 0:
            return self._conference(conference.conference_id)
        if conference.external_primary_key:
            self._booking_by_external(*key)
            raise InstanceNotFound("No such occurrence: RecurrenceInstanceIdUTC is required")
        raise ConferenceNotFound("Neither a ConferenceId nor external ids name the occurrence")

    def _create(self, user: SimUser, conference: Conference, mode: BookingMode,
                now: datetime) -> Conference:
        draft = draft_booking(self._state, user, conference)
        self._check_schedule(draft.occurrences, now, creating=True)
        self._check_licences(self._plan_systems(draft.occurrences, draft.template), user, now)
        defective = self._resolve_conflicts(draft.occurrences, draft.template, set(), mode)
        booking = self._store_booking(draft, user, defective, take_licences=True)
        return self._booking_view(booking, now)

    def _store_booking(self, draft: Draft, user: SimUser, defective: set[int], *,
                       take_licences: bool) -> Booking:
        st = self._state
        booking = Booking(st.next_booking_number, draft.template, [], draft.zone_id)
        st.next_booking_number += 1
        st.bookings[booking.number] = booking
        if take_licences:
            st.licences.take(self._plan_systems(draft.occurrences, draft.template))
        version = self._bump()
        for index, plan in enumerate(draft.occurrences):
            self._store_occurrence(booking, plan, version, user, index in defective)
        self._key_booking(booking, None)
        return booking

    def _store_occurrence(self, booking: Booking, plan: OccurrencePlan, version: int,
                          user: SimUser, defective: bool) -> Conference:
        st = self._state
        template = booking.template
        conference = _clone(template)
        conference.recurrence = None
        conference.conference_id = st.next_conference_id
        st.next_conference_id += 1
        conference.start_utc, conference.end_utc = plan.start, plan.end
        conference.recurrence_instance_id_utc = plan.recurrence_id
        conference.recurrence_instance_type = plan.instance_type
        conference.first_occurrence_utc = template.first_occurrence_utc
        if plan.title:
            conference.title = plan.title
        if plan.participants is not None:
            conference.participants = [copy.copy(p) for p in plan.participants]
        if plan.user_message_text:
            conference.user_message_text = plan.user_message_text
        conference.status = (_S.DELETED if plan.deleted
                             else _S.DEFECTIVE if defective else _S.PENDING)
        conference.version = version
        st.conferences[conference.conference_id] = conference
        st.booking_of[conference.conference_id] = booking.number
        booking.occurrence_ids.append(conference.conference_id)
        self._index(conference)
        self._record(conference, TransactionType.DELETED if plan.deleted
                     else TransactionType.NEW, user)
        if len(booking.occurrence_ids) == 1:
            template.conference_id = conference.conference_id
        return conference

    def _key_booking(self, booking: Booking, old_key: tuple[str, str] | None) -> None:
        st = self._state
        key = (booking.template.external_source_id, booking.template.external_primary_key)
        if old_key is not None and old_key != key \
                and st.live_by_external.get(old_key) == booking.number:
            del st.live_by_external[old_key]
        st.live_by_external[key] = st.any_by_external[key] = booking.number

    def _update_single(self, user: SimUser, booking: Booking, requested: Conference,
                       mode: BookingMode, now: datetime) -> Conference:
        st = self._state
        target = self._first(booking)
        status = self._status(target, now)
        if status is _S.DELETED:
            raise ConferenceDeleted(f"{_Described(target)} is deleted")
        self._refuse_finished(target, status)
        draft = draft_booking(st, user, requested, booking.template, booking.zone_id)
        plan = draft.occurrences[0]
        if status is _S.ONGOING and plan.start != target.start_utc:
            raise ConferenceActive(f"{_Described(target)} is ongoing; its start "
                                   f"time cannot be changed")
        self._check_schedule([plan], now, creating=True)
        systems = self._plan_systems([plan], draft.template)
        self._check_licences(systems, user, now, edited=booking)
        defective = self._resolve_conflicts([plan], draft.template, {target.conference_id}, mode)
        version = self._bump()
        st.licences.take(systems)
        self._unindex(target)
        old_key = (booking.template.external_source_id, booking.template.external_primary_key)
        updated = _clone(draft.template)
        updated.conference_id = target.conference_id
        updated.status = _S.DEFECTIVE if defective else _S.PENDING
        updated.version = version
        st.conferences[target.conference_id] = updated
        booking.template = draft.template
        booking.template.conference_id = target.conference_id
        booking.zone_id = draft.zone_id
        self._index(updated)
        self._record(updated, TransactionType.UPDATED, user)
        self._key_booking(booking, old_key)
        return self._view(updated, now)

    def _regenerate(self, user: SimUser, booking: Booking, requested: Conference,
                    mode: BookingMode, now: datetime) -> Conference:
        """Update involving a pattern: started occurrences stay, pending ones are deleted and
        the new pattern's future occurrences are stored with new ConferenceIds."""
        st = self._state
        draft = draft_booking(st, user, requested, booking.template, booking.zone_id)
        conferences = st.conferences
        kept = [i for i in booking.occurrence_ids if conferences[i].start_utc <= now]
        retired = [i for i in booking.occurrence_ids if conferences[i].start_utc > now]
        kept_slots = {conferences[i].recurrence_instance_id_utc or conferences[i].start_utc
                      for i in kept}
        plans = [p for p in draft.occurrences
                 if p.start > now and (p.recurrence_id or p.start) not in kept_slots]
        if not any(not p.deleted for p in plans):
            raise CannotBookInPast(
                f"No occurrence of the changed booking {_described(self._first(booking))} "
                f"lies in the future")
        self._check_schedule(plans, now, creating=False)
        systems = self._plan_systems(plans, draft.template)
        self._check_licences(systems, user, now, edited=booking)
        defective = self._resolve_conflicts(plans, draft.template, set(booking.occurrence_ids),
                                            mode)
        version = self._bump()
        st.licences.take(systems)
        for cid in retired:
            if conferences[cid].status is not _S.DELETED:
                self._mark_deleted(conferences[cid], user, version)
        old_key = (booking.template.external_source_id, booking.template.external_primary_key)
        booking.template = draft.template
        booking.zone_id = draft.zone_id
        booking.occurrence_ids = kept if draft.is_series else []
        for index, plan in enumerate(plans):
            self._store_occurrence(booking, plan, version, user, index in defective)
        booking.occurrence_ids.sort(
            key=lambda i: (conferences[i].recurrence_instance_id_utc or conferences[i].start_utc,
                           i))
        booking.template.conference_id = booking.occurrence_ids[0]
        self._key_booking(booking, old_key)
        return self._booking_view(booking, now)

    # -- delete and end -----------------------------------------------------------------------

    def _mark_deleted(self, conference: Conference, user: SimUser, version: int) -> None:
        conference.status = _S.DELETED
        conference.version = version
        self._record(conference, TransactionType.DELETED, user)

    def _end(self, conference: Conference, user: SimUser, now: datetime, version: int) -> None:
        self._unindex(conference)
        conference.end_utc = now
        conference.status = _S.FINISHED
        conference.version = version
        self._index(conference)
        self._record(conference, TransactionType.UPDATED, user)

    def _delete_booking(self, booking: Booking, user: SimUser, now: datetime, *,
                        refuse_finished: bool) -> None:
        st = self._state
        if refuse_finished and not booking.is_series:
            first = self._first(booking)
            self._refuse_finished(first, self._status(first, now))
        version = self._bump()
        ended = False
        for cid in booking.occurrence_ids:
            conference = st.conferences[cid]
            if conference.status is _S.DELETED:
                continue
            if conference.start_utc > now or conference.status is _S.DEFECTIVE \
                    and conference.end_utc > now:
                self._mark_deleted(conference, user, version)
            elif conference.end_utc > now and conference.status is _S.PENDING:
                self._end(conference, user, now, version)
                ended = True
        if ended and not booking.is_series:
            return  # an ongoing single conference is ended, not deleted
        booking.deleted = True
        key = (booking.template.external_source_id, booking.template.external_primary_key)
        if st.live_by_external.get(key) == booking.number:
            del st.live_by_external[key]

