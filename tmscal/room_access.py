"""Which rooms each calendar user sees, and which of those they may book.

Three sources, chosen in the configuration:

* ``room_visibility = config``: the ``[room_rights]`` grants (``book=… see=…`` per user, ``*``
  for everybody else);
* ``room_visibility = tms`` with ``booking_model = service``: every room the service user may
  book (TMS ignores per-user rights in that model), bookable by everyone;
* ``room_visibility = tms`` with ``booking_model = per-user``: the rooms GetSystemsForUser
  returned for the user's own credentials at login (cached by :class:`UserCredentials`);
  with ``show_unbookable`` the other rooms appear read-only.

Answers come from memory and the mirror; nothing here calls TMS while a client waits.
"""

from __future__ import annotations

from tmscal.bridge_settings import BridgeSettings
from tmscal.mirror.store import MirrorStore, Room
from tmscal.user_credentials import UserCredentials


class RoomAccess:
    """Room visibility and booking rights per calendar user."""

    def __init__(self, settings: BridgeSettings, store: MirrorStore,
                 credentials: UserCredentials) -> None:
        self._settings = settings
        self._store = store
        self._credentials = credentials

    def _bookable_ids(self, user: str) -> frozenset[int] | None:
        """SystemIds ``user`` may book (None = every room)."""
        if self._settings.room_visibility == "config":
            return self._settings.grant_for(user).book
        if self._settings.booking_model == "service":
            return None
        return self._credentials.bookable_systems(user) or frozenset()

    def rooms_for(self, user: str) -> list[tuple[Room, bool]]:
        """``(room, bookable)`` for every room ``user`` sees, ordered by SystemId."""
        if not user:
            return []
        rooms = self._store.list_rooms()
        bookable = self._bookable_ids(user)
        result = []
        for room in rooms:
            may_book = bookable is None or room.system_id in bookable
            if may_book or self._sees_unbookable(user, room.system_id):
                result.append((room, may_book))
        return result

    def _sees_unbookable(self, user: str, system_id: int) -> bool:
        if self._settings.room_visibility == "config":
            return self._settings.grant_for(user).may_see(system_id)
        return self._settings.show_unbookable

    def access(self, user: str, system_id: int) -> tuple[Room, bool] | None:
        """``(room, bookable)`` if ``user`` sees room ``system_id``, else None."""
        if not user:
            return None
        room = self._store.get_room(system_id)
        if room is None:
            return None
        bookable = self._bookable_ids(user)
        may_book = bookable is None or system_id in bookable
        if may_book or self._sees_unbookable(user, system_id):
            return room, may_book
        return None

    def may_see(self, user: str, system_id: int) -> bool:
        return self.access(user, system_id) is not None
