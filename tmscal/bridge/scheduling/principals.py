"""The principal directory: rooms and users as calendar users, and the principal search.

A user sees as principals every room :class:`~tmscal.bridge.room_access.RoomAccess` shows them
(calendar-user type ROOM, the TMS name as display name, the addresses of
:func:`~tmscal.bridge.invitations.addresses.room_addresses`) and themself (INDIVIDUAL, the
``[invitations] user_address`` template). Nothing else: other users and other rooms are neither
listed nor found. Answers come from memory and the mirror, never from TMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from tmscal.bridge.invitations.addresses import InvitationRooms, room_addresses, with_scheme
from tmscal.bridge.room_access import RoomAccess
from tmscal.ical.participants import read_attendee
from tmscal.ical.rooms import address_key
from tmscal.mirror.store import MirrorStore, Room
from tmscal.settings import Settings

ROOM = "ROOM"
INDIVIDUAL = "INDIVIDUAL"


@dataclass(frozen=True)
class RoomPrincipal:
    """A room as a calendar user."""

    room: Room
    addresses: tuple[str, ...]
    cutype: str = ROOM

    @property
    def name(self) -> str:
        return self.room.name


@dataclass(frozen=True)
class UserPrincipal:
    """A calendar user of the bridge (a login)."""

    user: str
    addresses: tuple[str, ...]
    cutype: str = INDIVIDUAL

    @property
    def name(self) -> str:
        return self.user


Principal = RoomPrincipal | UserPrincipal


class Field(Enum):
    """What a search criterion looks at."""

    NAME = "name"          # display name
    ADDRESS = "address"    # calendar-user addresses (and e-mail: ``mailto:`` optional)
    CUTYPE = "cutype"      # ROOM / INDIVIDUAL


class Match(Enum):
    """How a criterion's text matches a value (case-insensitive)."""

    CONTAINS = "contains"
    STARTS_WITH = "starts-with"
    ENDS_WITH = "ends-with"
    EQUALS = "equals"


@dataclass(frozen=True)
class Criterion:
    """``text`` matched against any of ``fields``; an empty ``fields`` matches nothing."""

    fields: frozenset[Field]
    text: str
    match: Match = Match.CONTAINS

    def matches(self, principal: Principal) -> bool:
        wanted = self.text.casefold()
        return any(_matches(self.match, value.casefold(), wanted)
                   for field in self.fields for value in _values(principal, field))


def _values(principal: Principal, field: Field) -> list[str]:
    if field is Field.NAME:
        return [principal.name]
    if field is Field.CUTYPE:
        return [principal.cutype]
    return [*principal.addresses, *(address_key(a) for a in principal.addresses)]


def _matches(how: Match, value: str, wanted: str) -> bool:
    if how is Match.EQUALS:
        return value == wanted
    if how is Match.STARTS_WITH:
        return value.startswith(wanted)
    if how is Match.ENDS_WITH:
        return value.endswith(wanted)
    return wanted in value


class Recipient(Enum):
    """What an address is to a user asking about it."""

    ROOM = "room"              # a room the user may see
    HIDDEN_ROOM = "hidden"     # a room the user may not see
    UNKNOWN = "unknown"        # not a room (a person, or nobody the bridge knows)


class PrincipalDirectory:
    """Room and user principals per user (one per bridge runtime)."""

    def __init__(self, settings: Settings, store: MirrorStore, access: RoomAccess) -> None:
        self._settings = settings
        self._store = store
        self._access = access

    # ---- users -------------------------------------------------------------------------------

    def user(self, user: str) -> UserPrincipal:
        """``user`` as a calendar user: the address the template gives them."""
        address = self._settings.invitations.user_address.replace("{user}", user)
        return UserPrincipal(user=user, addresses=(with_scheme(address),))

    def is_own_address(self, user: str, address: str) -> bool:
        """Whether ``address`` is one of ``user``'s calendar-user addresses."""
        key = address_key(address)
        return any(key == address_key(own) for own in self.user(user).addresses)

    # ---- rooms -------------------------------------------------------------------------------

    def _principal(self, room: Room) -> RoomPrincipal:
        return RoomPrincipal(room=room, addresses=room_addresses(
            self._settings.invitations.room_address, room))

    def rooms(self, user: str, groups: Iterable[str] = ()) -> list[RoomPrincipal]:
        """The room principals ``user`` may see, by SystemId."""
        return [self._principal(room) for room, _ in self._access.rooms_for(user, groups)]

    def room(self, user: str, system_id: int, groups: Iterable[str] = ()) -> RoomPrincipal | None:
        """Room ``system_id`` as a principal, or None when ``user`` may not see it."""
        found = self._access.access(user, system_id, groups)
        return None if found is None else self._principal(found[0])

    def recipients(self, user: str, attendees: Iterable[tuple[str, dict[str, str]]],
                   groups: Iterable[str] = ()
                   ) -> list[tuple[Recipient, RoomPrincipal | None]]:
        """What each ATTENDEE ``(address, params)`` names for ``user``: a room they may see
        (with its principal), a room they may not see, or no room (the rules of
        :func:`~tmscal.ical.participants.read_attendee`: template, SIP or URN address, or
        CUTYPE=ROOM and the room's name as CN)."""
        rooms = InvitationRooms(self._store.list_rooms(), self._settings.invitations.room_address,
                                self._settings.mirror.default_zone)
        found: list[tuple[Recipient, RoomPrincipal | None]] = []
        for address, params in attendees:
            info = read_attendee(address, params, rooms).room
            principal = None if info is None else self.room(user, info.system_id, groups)
            found.append((Recipient.UNKNOWN, None) if info is None else
                         (Recipient.HIDDEN_ROOM, None) if principal is None else
                         (Recipient.ROOM, principal))
        return found

    # ---- search ------------------------------------------------------------------------------

    def search(self, user: str, criteria: Sequence[Criterion], *, match_all: bool,
               cutypes: frozenset[str] | None = None, limit: int | None = None,
               groups: Iterable[str] = ()) -> list[Principal]:
        """The principals ``user`` may see that meet every (``match_all``) or any criterion,
        of the calendar-user types ``cutypes`` (None = all); rooms by SystemId, then the user.
        No criteria match every principal."""
        candidates: list[Principal] = [*self.rooms(user, groups), self.user(user)]
        test = all if match_all else any
        found = [principal for principal in candidates
                 if (cutypes is None or principal.cutype in cutypes)
                 and (not criteria or test(c.matches(principal) for c in criteria))]
        return found if limit is None else found[:limit]
