"""Which rooms each calendar user sees, and which of those they may book.

Three sources, chosen in the configuration:

* ``room_visibility = config``: the ``[room_rights]`` grants (``book=… see=…`` per user, per
  ``@group`` — from ``[room_groups]`` or Radicale's groups, e.g. LDAP — and ``*`` for everybody
  else);
* ``room_visibility = tms`` with ``booking_model = service``: every room the service user may
  book (TMS ignores per-user rights in that model), bookable by everyone;
* ``room_visibility = tms`` with ``booking_model = per-user``: the rooms GetSystemsForUser
  returned for the user's own credentials at login (cached by :class:`UserCredentials`);
  with ``show_unbookable`` the other rooms appear read-only.

Answers come from memory and the mirror; nothing here calls TMS while a client waits.
"""

from __future__ import annotations

from collections.abc import Iterable

from tmscal.settings import Settings
from tmscal.mirror.store import MirrorStore, Room
from tmscal.bridge.credentials import UserCredentials


class RoomAccess:
    """Room visibility and booking rights per calendar user."""

    def __init__(self, settings: Settings, store: MirrorStore,
                 credentials: UserCredentials) -> None:
        self._settings = settings
        self._store = store
        self._credentials = credentials
        self._groups: dict[str, frozenset[str]] = {}

    def note_groups(self, user: str, groups: Iterable[str]) -> None:
        """Remember ``user``'s groups as the authentication layer reported them (Radicale passes
        them to the rights check of every request, but not to most storage look-ups)."""
        if user:
            self._groups[user] = frozenset(groups)

    def _groups_of(self, user: str, groups: Iterable[str]) -> frozenset[str]:
        given = frozenset(groups)
        return given or self._groups.get(user, frozenset())

    def _bookable_ids(self, user: str, groups: Iterable[str] = ()) -> frozenset[int] | None:
        """SystemIds ``user`` may book (None = every room)."""
        if self._settings.bridge.room_visibility == "config":
            return self._settings.room_rights.grant_for(user, self._groups_of(user, groups)).book
        if self._settings.bridge.booking_model == "service":
            return None
        return self._credentials.bookable_systems(user) or frozenset()

    def rooms_for(self, user: str, groups: Iterable[str] = ()) -> list[tuple[Room, bool]]:
        """``(room, bookable)`` for every room ``user`` (member of ``groups``) sees, ordered by
        SystemId."""
        if not user:
            return []
        rooms = self._store.list_rooms()
        bookable = self._bookable_ids(user, groups)
        result = []
        for room in rooms:
            may_book = bookable is None or room.system_id in bookable
            if may_book or self._sees_unbookable(user, room.system_id, groups):
                result.append((room, may_book))
        return result

    def _sees_unbookable(self, user: str, system_id: int, groups: Iterable[str] = ()) -> bool:
        if self._settings.bridge.room_visibility == "config":
            grant = self._settings.room_rights.grant_for(user, self._groups_of(user, groups))
            return grant.may_see(system_id)
        return self._settings.bridge.show_unbookable

    def access(self, user: str, system_id: int,
               groups: Iterable[str] = ()) -> tuple[Room, bool] | None:
        """``(room, bookable)`` if ``user`` sees room ``system_id``, else None."""
        if not user:
            return None
        room = self._store.get_room(system_id)
        if room is None:
            return None
        bookable = self._bookable_ids(user, groups)
        may_book = bookable is None or system_id in bookable
        if may_book or self._sees_unbookable(user, system_id, groups):
            return room, may_book
        return None

    def may_see(self, user: str, system_id: int, groups: Iterable[str] = ()) -> bool:
        return self.access(user, system_id, groups) is not None

    def may_book(self, user: str, system_id: int, groups: Iterable[str] = ()) -> bool:
        found = self.access(user, system_id, groups)
        return found is not None and found[1]
