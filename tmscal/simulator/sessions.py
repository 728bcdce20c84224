"""ClientSession ids for licensed Booking API calls (TMS 14.4+).

Each user has one current id. It is suggested (in faults) until its lifetime is over, then a
new one is minted; an id stays accepted for the lifetime plus the grace period. Blank ids and
unknown or expired ids are refused with the current id as the suggestion, as TMS does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from tmscal.model import ErrorCode, error_for_code


@dataclass
class _Session:
    session_id: str
    user_id: int
    issued: datetime


class ClientSessions:
    def __init__(self, lifetime: timedelta, grace: timedelta) -> None:
        self.lifetime = lifetime
        self.grace = grace
        self._by_id: dict[str, _Session] = {}
        self._current: dict[int, _Session] = {}

    def current(self, user_id: int, now: datetime, rng: Random) -> str:
        """The user's current id, minting a new one once the old one's lifetime is over."""
        session = self._current.get(user_id)
        if session is None or now >= session.issued + self.lifetime:
            self._forget_expired(now)
            session = _Session(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                               user_id, now)
            self._by_id[session.session_id] = session
            self._current[user_id] = session
        return session.session_id

    def check(self, user_id: int, session_id: str | None, now: datetime, rng: Random) -> str:
        """Accept ``session_id`` or raise ClientSessionError; returns the id to echo back
        (the current one, so a client in the grace period learns its successor)."""
        suggested = self.current(user_id, now, rng)
        if session_id is None or not session_id.strip():
            raise error_for_code(ErrorCode.ERR_CLIENT_SESSION_BLANK,
                                 "The client session id is blank.", client_session_id=suggested)
        session = self._by_id.get(session_id.strip())
        if (session is None or session.user_id != user_id
                or now >= session.issued + self.lifetime + self.grace):
            raise error_for_code(ErrorCode.ERR_CLIENT_SESSION_EXPIRED,
                                 "The client session id is expired.", client_session_id=suggested)
        return suggested

    def _forget_expired(self, now: datetime) -> None:
        limit = self.lifetime + self.grace
        for session_id in [s for s, v in self._by_id.items() if now >= v.issued + limit]:
            del self._by_id[session_id]
