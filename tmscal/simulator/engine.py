"""The simulator's booking engine: a TMS in memory, without XML or HTTP.

:class:`Tms` is the contract the SOAP layer codes against. Every method takes the authenticated
:class:`SimUser` first, returns model objects that the caller owns (copies), and raises the
``tmscal.model`` error classes with English messages naming the room and the time.
All state sits behind one lock, so one instance may serve many threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from tmscal.model import (
    UTC, BookingMode, Conference, ConferenceStatus, System, TimeZoneRule, Transaction, User,
)
from tmscal.simulator.accounts import SimUser

__all__ = ["Tms", "SimUser"]


def _real_now() -> datetime:
    return datetime.now(UTC)


class Tms:
    """One simulated TMS server (Booking API + Remote Setup API)."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None,
                 booking_window_days: int = 365, licence_pool: int | None = None,
                 transaction_page_size: int = 100,
                 session_lifetime: timedelta = timedelta(minutes=47),
                 session_grace: timedelta = timedelta(minutes=17)) -> None:
        self._clock = clock or _real_now
        self._lock = threading.RLock()
        self.booking_window_days = booking_window_days
        self.transaction_page_size = transaction_page_size
        self.session_lifetime = session_lifetime
        self.session_grace = session_grace
        self._licence_pool_arg = licence_pool

    # -- identity and sessions ------------------------------------------------------------

    def authenticate(self, user_name: str, password: str) -> SimUser | None:
        """The user for these credentials (``alice`` or ``ANYDOMAIN\\alice``, name
        case-insensitive), or None (the SOAP layer answers HTTP 401)."""
        raise NotImplementedError

    def check_client_session(self, user: SimUser, session_id: str | None) -> str:
        """Validate the ClientSession of a licensed call; returns the id to echo back.

        Blank → ClientSessionError(ERR_CLIENT_SESSION_BLANK); unknown or expired →
        ClientSessionError(ERR_CLIENT_SESSION_EXPIRED, "The client session id is expired."); both
        carry ``client_session_id`` = the user's current valid id, stable while it is valid.
        """
        raise NotImplementedError

    # -- remote setup -----------------------------------------------------------------------

    def get_systems(self, user: SimUser) -> list[System]:
        raise NotImplementedError

    def get_systems_for_user(self, user: SimUser) -> list[System]:
        """The systems ``user`` may book."""
        raise NotImplementedError

    def get_system_by_id(self, user: SimUser, system_id: int) -> System:
        """Raises SystemNotFound."""
        raise NotImplementedError

    def get_users(self, user: SimUser) -> list[User]:
        raise NotImplementedError

    def is_alive(self) -> bool:
        return True

    # -- booking ----------------------------------------------------------------------------

    def get_default_conference(self, user: SimUser) -> Conference:
        """ConferenceId -1, owner = user, TMS defaults, title 'Meeting <local time>'."""
        raise NotImplementedError

    def get_conference_by_id(self, user: SimUser, conference_id: int) -> Conference:
        """One conference; an occurrence id returns that occurrence. ConferenceNotFound."""
        raise NotImplementedError

    def get_recurrent_conference_by_id(self, user: SimUser, conference_id: int) -> Conference:
        """The series (pattern + Exceptions) of any of its occurrence ids; a deleted series has a
        negative ConferenceId. A single conference is returned as it is."""
        raise NotImplementedError

    def get_conference_id_by_external_id(self, user: SimUser, source: str, key: str,
                                         recurrence_id_utc: datetime | None) -> int:
        raise NotImplementedError

    def get_conference_by_external_id(self, user: SimUser, source: str, key: str) -> Conference:
        raise NotImplementedError

    def get_conferences_for_systems(self, user: SimUser, system_ids: list[int],
                                    start: datetime | None, end: datetime | None,
                                    status: ConferenceStatus) -> list[Conference]:
        """Conferences overlapping [start, end) on these systems (empty → all), list shape:
        no participants, no info text; occurrences listed one by one."""
        raise NotImplementedError

    def get_conferences_for_user(self, user: SimUser, user_name: str,
                                 start: datetime | None, end: datetime | None,
                                 status: ConferenceStatus) -> list[Conference]:
        """Conferences owned by ``user_name`` ('' → the caller), list shape."""
        raise NotImplementedError

    def save_conference(self, user: SimUser, conference: Conference,
                        mode: BookingMode = BookingMode.STRICT) -> Conference:
        """SaveConference / SaveConferenceWithMode: create or update a conference or series."""
        raise NotImplementedError

    def save_conference_rec_instance(self, user: SimUser, conference: Conference,
                                     mode: BookingMode = BookingMode.STRICT) -> Conference:
        """Update one occurrence (by ConferenceId, or by external ids + RecurrenceInstanceIdUTC)."""
        raise NotImplementedError

    def delete_conference_by_id(self, user: SimUser, conference_id: int) -> None:
        """Delete a conference (a whole series); an ongoing one is ended instead."""
        raise NotImplementedError

    def delete_conference_rec_instance_by_id(self, user: SimUser, conference_id: int) -> None:
        raise NotImplementedError

    def end_conference_by_id(self, user: SimUser, conference_id: int) -> None:
        """ConferenceNotActive unless ongoing; ConferenceDeleted when deleted."""
        raise NotImplementedError

    def get_transactions_since(self, user: SimUser, transaction_id: int) -> list[Transaction]:
        """Entries strictly after ``transaction_id`` (0 = from the beginning), at most the page
        size, then a ListIncomplete marker when more remain. Unknown id → TmsError."""
        raise NotImplementedError

    def get_time_zone_rules_by_id(self, user: SimUser, zone_id: str) -> list[TimeZoneRule]:
        raise NotImplementedError

    # -- persistence and seeds ----------------------------------------------------------------

    @classmethod
    def seeded(cls, name: str, **kwargs) -> "Tms":
        """A server loaded with seed ``name``: 'demo' | 'empty' | 'large'."""
        raise NotImplementedError

    def save_state(self, path: str | Path) -> None:
        """Write the whole state to ``path`` atomically."""
        raise NotImplementedError

    @classmethod
    def load_state(cls, path: str | Path, **kwargs) -> "Tms":
        raise NotImplementedError

    def demo_accounts(self) -> list[tuple[str, str, str]]:
        """(user name, password, role) of the accounts worth printing at start."""
        raise NotImplementedError
