"""``[room_rights]`` and ``[room_groups]``: which rooms each calendar user sees and may book
(``[bridge] room_visibility = config``). Their keys are user and group names.

::

    [room_rights]
    <user | @group | *> = book=<SystemIds|*> see=<SystemIds|*>   (";" between the parts optional)
    [room_groups]
    <group> = user, user, …     (groups may also come from Radicale's [auth], e.g. LDAP)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tmscal.settings.errors import SettingsError

_GRANT_PART = re.compile(r"(book|see)\s*[=:]\s*(.*?)\s*(?=;|\bbook\b|\bsee\b|$)")


@dataclass(frozen=True)
class RoomGrant:
    """Which rooms a user may book and see; ``None`` means every room."""

    book: frozenset[int] | None = frozenset()
    see: frozenset[int] | None = frozenset()

    def may_see(self, system_id: int) -> bool:
        return self.see is None or system_id in self.see or self.may_book(system_id)

    def may_book(self, system_id: int) -> bool:
        return self.book is None or system_id in self.book

    def __or__(self, other: "RoomGrant") -> "RoomGrant":
        """Everything either grant allows."""
        def union(a: frozenset[int] | None, b: frozenset[int] | None) -> frozenset[int] | None:
            return None if a is None or b is None else a | b

        return RoomGrant(book=union(self.book, other.book), see=union(self.see, other.see))


def _ids(text: str) -> frozenset[int] | None:
    text = text.strip()
    if text == "*":
        return None
    try:
        return frozenset(int(part) for part in text.replace(",", " ").split() if part)
    except ValueError:
        raise ValueError(f"room ids must be numbers or '*': {text!r}") from None


def parse_grant(text: str) -> RoomGrant:
    """``book=1,2 see=*`` (``;`` optional) → :class:`RoomGrant`; a missing part means no room.
    ValueError for ids that are not numbers."""
    values = {key: value for key, value in _GRANT_PART.findall(text)}
    return RoomGrant(book=_ids(values.get("book", "")), see=_ids(values.get("see", "")))


@dataclass(frozen=True)
class RoomRights:
    """The configured grants (by user, ``@group`` or ``*``) and groups (name → members)."""

    grants: Mapping[str, RoomGrant] = field(default_factory=dict)
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def grant_for(self, user: str, groups: Iterable[str] = ()) -> RoomGrant:
        """The configured grant of ``user``: their own entry (or the ``*`` entry) combined with
        the entries of their groups (``[room_groups]`` and ``groups``, e.g. from LDAP)."""
        grant = self.grants.get(user) or self.grants.get("*") or RoomGrant()
        member_of = set(groups) | {group for group, users in self.groups.items()
                                   if user in users}
        for group in sorted(member_of):
            extra = self.grants.get("@" + group)
            if extra is not None:
                grant = grant | extra
        return grant


def read_room_rights(rights: Mapping[str, str], groups: Mapping[str, str]) -> RoomRights:
    """From the ``[room_rights]`` and ``[room_groups]`` sections' keys and values."""
    grants = {}
    for user, text in rights.items():
        try:
            grants[user] = parse_grant(text)
        except ValueError as error:
            raise SettingsError("room_rights", user, str(error)) from None
    members = {group: frozenset(u.strip() for u in text.replace(",", " ").split() if u.strip())
               for group, text in groups.items()}
    return RoomRights(grants, members)
