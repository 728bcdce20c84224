"""Per-user TMS logins for the per-user booking model.

A calendar user logs in to the bridge with their TMS credentials; :meth:`UserCredentials.login`
checks them against TMS (GetSystemsForUser, which also tells which rooms the user may book) and
caches the outcome for ``ttl`` seconds, keyed by a salted hash of the password, so a client
polling every minute costs one TMS call per ``ttl``. The user's client is kept for their writes.
Passwords are never logged and never stored in clear beyond the live TMS client.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tmscal.model import TmsAuthenticationError, TmsCalls, TmsUnavailable

log = logging.getLogger(__name__)


@dataclass
class _Login:
    digest: bytes
    client: TmsCalls
    bookable: frozenset[int]
    checked: float


class UserCredentials:
    """Validated TMS logins. ``client_factory(user, password)`` builds a user's TMS client."""

    def __init__(self, client_factory: Callable[[str, str], TmsCalls], ttl: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client_factory = client_factory
        self._ttl = ttl
        self._clock = clock
        self._salt = os.urandom(16)
        self._logins: dict[str, _Login] = {}
        self._lock = threading.Lock()

    def _digest(self, user: str, password: str) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", f"{user}\0{password}".encode(), self._salt, 1000)

    def login(self, user: str, password: str) -> bool:
        """True if TMS accepts ``user``/``password`` (cached); False if it refuses them.

        Raises :class:`TmsUnavailable` when TMS cannot tell and no valid cache entry exists.
        """
        digest = self._digest(user, password)
        with self._lock:
            known = self._logins.get(user)
        if known is not None and hmac.compare_digest(known.digest, digest) \
                and self._clock() - known.checked < self._ttl:
            return True
        client = self._client_factory(user, password)
        try:
            systems = client.get_systems_for_user()
        except TmsAuthenticationError:
            log.info("TMS refused the login of %s", user)
            return False
        except TmsUnavailable:
            if known is not None and hmac.compare_digest(known.digest, digest):
                return True  # TMS down: keep serving a user we verified before
            raise
        login = _Login(digest, client, frozenset(s.system_id for s in systems), self._clock())
        with self._lock:
            self._logins[user] = login
        return True

    def client(self, user: str) -> TmsCalls:
        """The TMS client of a logged-in user; KeyError if the user has not logged in."""
        with self._lock:
            return self._logins[user].client

    def bookable_systems(self, user: str) -> frozenset[int] | None:
        """SystemIds GetSystemsForUser returned at the user's last login (None if unknown)."""
        with self._lock:
            login = self._logins.get(user)
        return login.bookable if login else None
