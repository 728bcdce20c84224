"""The simulator's TMS users: who may log in, book which systems, and book for others.

User names are matched case-insensitively and with or without a ``DOMAIN\\`` prefix (any domain).
On the wire the simulator always reports names as ``TMSSIM\\<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tmscal.model import User, UserNotFound

#: The Windows domain the simulator reports in OwnerUserName and GetUsers.
DOMAIN = "TMSSIM"

#: TMS user ids look like 16387 on real servers; the simulator numbers from here.
FIRST_USER_ID = 16385


def bare_user_name(user_name: str) -> str:
    """``DOMAIN\\alice`` / ``alice`` → ``alice`` (stripped, lower case)."""
    return user_name.rsplit("\\", 1)[-1].strip().lower()


@dataclass
class SimUser:
    """A TMS user account.

    ``bookable_system_ids`` None means every system; site admins may book every system whatever
    it says. ``booking`` False means the user has no booking right at all.
    """

    user_id: int
    user_name: str
    password: str = ""
    first_name: str = ""
    last_name: str = ""
    email_address: str = ""
    booking: bool = True
    book_on_behalf: bool = False
    site_admin: bool = False
    bookable_system_ids: frozenset[int] | None = None
    is_hidden: bool = False

    @property
    def qualified_name(self) -> str:
        """``TMSSIM\\alice``: the name as TMS puts it in OwnerUserName."""
        return f"{DOMAIN}\\{self.user_name}"

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.user_name

    def may_book(self, system_id: int) -> bool:
        """Whether this user's own rights allow booking ``system_id``."""
        if self.site_admin:
            return True
        if not self.booking:
            return False
        return self.bookable_system_ids is None or system_id in self.bookable_system_ids

    @property
    def may_act_for_others(self) -> bool:
        """Book on behalf of, and change, other people's conferences."""
        return self.book_on_behalf or self.site_admin

    def to_user(self) -> User:
        return User(user_name=self.qualified_name, display_name=self.display_name,
                    first_name=self.first_name, last_name=self.last_name,
                    email_address=self.email_address, is_hidden=self.is_hidden,
                    user_id=self.user_id)


class Directory:
    """The user table: lookup by id and by (bare, case-insensitive) name; creation on demand."""

    def __init__(self) -> None:
        self._by_id: dict[int, SimUser] = {}
        self._by_name: dict[str, SimUser] = {}
        self._next_id = FIRST_USER_ID

    def add(self, user_name: str, password: str = "", **fields) -> SimUser:
        """Create a user with the next free id; ``fields`` are :class:`SimUser` fields."""
        name = bare_user_name(user_name)
        if not name:
            raise UserNotFound(f"'{user_name}' is not a valid user name")
        if name in self._by_name:
            raise ValueError(f"user {name!r} exists")
        user = SimUser(user_id=self._next_id, user_name=name, password=password, **fields)
        self._next_id += 1
        self._by_id[user.user_id] = user
        self._by_name[name] = user
        return user

    def authenticate(self, user_name: str, password: str) -> SimUser | None:
        user = self._by_name.get(bare_user_name(user_name or ""))
        if user is None or not user.password or user.password != password:
            return None
        return user

    def by_name(self, user_name: str) -> SimUser | None:
        return self._by_name.get(bare_user_name(user_name or ""))

    def by_id(self, user_id: int) -> SimUser | None:
        return self._by_id.get(user_id)

    def resolve_or_create(self, user_name: str) -> SimUser:
        """The user named ``user_name``, created (booking right, no password) when unknown, as
        TMS does when a Book-on-behalf user books for a person it has not seen.

        Raises :class:`UserNotFound` when the name cannot be a user name.
        """
        name = bare_user_name(user_name)
        if not name or any(ch in name for ch in '/[]:;|=,+*?<>"') or " " in name:
            raise UserNotFound(f"Owner '{user_name}' could not be resolved or created")
        user = self._by_name.get(name)
        if user is None:
            user = self.add(name, first_name=name, email_address=f"{name}@example.org")
        return user

    def all(self) -> list[SimUser]:
        return sorted(self._by_id.values(), key=lambda u: u.user_id)
