"""The bridge's configuration: one INI file read by ``tmscal serve``, ``tmscal demo`` and the
Radicale plugin (``[storage] tmscal_config = FILE``).

Sections and options (all optional except ``[tms] url``)::

    [tms]      url, username, password (or password_file: its first line), auth (basic|ntlm),
               verify (true|false|CA file), timeout (seconds a whole call may take),
               api_version (auto|N: ClientVersionIn override)
    [mirror]   read by :mod:`tmscal.mirror.settings` (path, poll_interval, default_zone, …)
    [bridge]   external_source_id, conference_type, booking_model (service|per-user),
               owner_template (e.g. DOMAIN\\{user}), room_visibility (tms|config),
               show_unbookable (true|false), retry_after (seconds),
               privacy (full|title|busy: what the mirror stores of every booking),
               max_pending_writes (writes waiting on TMS at once; 0 = half the threads)
    [room_rights]  <user | @group | *> = book=<ids|*> see=<ids|*>   (room_visibility = config)
    [room_groups]  <group> = user, user, …   (groups may also come from Radicale's [auth]/LDAP)
    [server]   host, port, threads, connection_limit (open connections; beyond it an idle
               keep-alive connection is closed or the newcomer gets 503), idle_timeout
               (seconds a keep-alive connection may stay idle), max_xml_bytes, max_xml_depth
               (XML request bodies beyond them are refused before parsing)
    [auth]     passed to Radicale's [auth] unchanged (type = htpasswd | ldap |
               radicale_plugin.auth …), except ``delay``: only a failed login waits that long
    [rights]   passed to Radicale's [rights] (default: the plugin's room rights)
    [logging]  level

Passwords are read but never logged: :meth:`BridgeSettings.describe` leaves them out. Every
command that reads this file (``serve``, ``demo``, ``sync``, ``feeds``, ``rooms`` and the plugin
inside a stock Radicale) reads it here, so they all store the same thing.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tmscal.ical.privacy import Privacy
from tmscal.mirror.settings import MirrorSettings, mirror_settings
from tmscal.model import ConferenceType

BOOKING_MODELS = ("service", "per-user")
VISIBILITY_SOURCES = ("tms", "config")


class SettingsError(ValueError):
    """The configuration file is missing something or has an invalid value."""


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


@dataclass(frozen=True)
class BridgeSettings:
    """Everything the bridge reads from its configuration file."""

    source: str = ""
    tms_url: str = ""
    tms_username: str = ""
    tms_password: str = field(default="", repr=False)
    tms_auth: str = "basic"
    tms_verify: bool | str = True
    tms_timeout: float = 30.0
    tms_api_version: int | None = None  # None: negotiated with the server
    mirror: MirrorSettings = field(default_factory=MirrorSettings)
    external_source_id: str = "tmscal"
    conference_type: ConferenceType = ConferenceType.RESERVATION_ONLY
    booking_model: str = "service"
    owner_template: str = "{user}"
    room_visibility: str = "config"
    show_unbookable: bool = True
    retry_after: int = 30
    privacy: str = "full"
    room_rights: dict[str, RoomGrant] = field(default_factory=dict)
    room_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 5232
    threads: int = 8
    connection_limit: int = 100
    idle_timeout: float = 60.0
    max_xml_bytes: int = 1024 * 1024
    max_xml_depth: int = 64
    max_pending_writes: int = 0
    auth: dict[str, str] = field(default_factory=dict)
    rights: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"

    @property
    def login_delay(self) -> float:
        """Seconds a failed login waits (``[auth] delay``, Radicale's default 1), × 0.5–1.5."""
        try:
            return max(0.0, float(self.auth.get("delay", "1")))
        except ValueError:
            raise SettingsError(
                f"[auth] delay must be a number, not {self.auth['delay']!r}") from None

    def grant_for(self, user: str, groups: Iterable[str] = ()) -> RoomGrant:
        """The configured grant of ``user``: their own entry (or the ``*`` entry) combined with
        the entries of their groups (``[room_groups]`` and ``groups``, e.g. from LDAP)."""
        grant = self.room_rights.get(user) or self.room_rights.get("*") or RoomGrant()
        member_of = set(groups) | {group for group, users in self.room_groups.items()
                                   if user in users}
        for group in sorted(member_of):
            extra = self.room_rights.get("@" + group)
            if extra is not None:
                grant = grant | extra
        return grant

    def write_slots(self, threads: int | None = None) -> int:
        """How many writes may wait on TMS at once on a server with ``threads`` threads
        (default: ``[server] threads``); always fewer than the threads, so reads find one."""
        threads = threads or self.threads
        return max(1, min(self.max_pending_writes or threads // 2, threads - 1))

    @property
    def default_zone(self) -> str:
        return self.mirror.default_zone

    def owner_for(self, user: str) -> str:
        """The TMS owner name the service user books on behalf of ``user``."""
        return self.owner_template.replace("{user}", user)

    def describe(self) -> dict[str, object]:
        """A loggable summary (no password)."""
        return {"source": self.source, "tms_url": self.tms_url, "tms_username": self.tms_username,
                "tms_auth": self.tms_auth, "mirror_path": self.mirror.path,
                "booking_model": self.booking_model, "room_visibility": self.room_visibility,
                "host": self.host, "port": self.port}


def _ids(text: str) -> frozenset[int] | None:
    text = text.strip()
    if text == "*":
        return None
    try:
        return frozenset(int(part) for part in text.replace(",", " ").split() if part)
    except ValueError as error:
        raise SettingsError(f"room ids must be numbers or '*': {text!r}") from error


_GRANT_PART = re.compile(r"(book|see)\s*[=:]\s*(.*?)\s*(?=;|\bbook\b|\bsee\b|$)")


def parse_grant(text: str) -> RoomGrant:
    """``book=1,2 see=*`` (``;`` optional) → :class:`RoomGrant`; a missing part means no room."""
    values = {key: value for key, value in _GRANT_PART.findall(text)}
    return RoomGrant(book=_ids(values.get("book", "")), see=_ids(values.get("see", "")))


def _bool(text: str, option: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "yes", "true", "on"):
        return True
    if lowered in ("0", "no", "false", "off"):
        return False
    raise SettingsError(f"{option} must be true or false, not {text!r}")


def read_password(path: str | os.PathLike[str]) -> str:
    """The first line of a password file."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    except OSError as error:
        raise SettingsError(f"cannot read the password file {path}: {error.strerror}") from None


def load_settings(path: str | os.PathLike[str]) -> BridgeSettings:
    """Read a bridge configuration file. Relative paths in it are relative to the file."""
    file_path = Path(path)
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # user names in [room_rights] keep their case
    if not parser.read(file_path, encoding="utf-8"):
        raise SettingsError(f"cannot read configuration file {file_path}")
    return settings_from_parser(parser, file_path)


def settings_from_parser(parser: configparser.RawConfigParser,
                         file_path: Path | None = None) -> BridgeSettings:
    """Build :class:`BridgeSettings` from parsed INI sections."""

    def get(section: str, option: str, default: str = "") -> str:
        return parser.get(section, option, fallback=default).strip()

    base = file_path.parent if file_path else Path.cwd()
    verify_text = get("tms", "verify", "true")
    verify: bool | str
    try:
        verify = _bool(verify_text, "[tms] verify")
    except SettingsError:
        verify = verify_text
    api_version_text = get("tms", "api_version", "auto").lower()
    try:
        api_version = None if api_version_text == "auto" else int(api_version_text)
    except ValueError as error:
        raise SettingsError("[tms] api_version must be 'auto' or a number") from error
    model = get("bridge", "booking_model", "service")
    if model not in BOOKING_MODELS:
        raise SettingsError(f"[bridge] booking_model must be one of {BOOKING_MODELS}")
    visibility = get("bridge", "room_visibility", "config")
    if visibility not in VISIBILITY_SOURCES:
        raise SettingsError(f"[bridge] room_visibility must be one of {VISIBILITY_SOURCES}")
    try:
        conference_type = ConferenceType(get("bridge", "conference_type", "Reservation Only"))
    except ValueError as error:
        raise SettingsError(f"[bridge] conference_type: {error}") from error
    privacy = get("bridge", "privacy", "full")
    try:
        Privacy.of(privacy)
    except ValueError as error:
        raise SettingsError(f"[bridge] {error}") from None
    password = get("tms", "password")
    password_file = get("tms", "password_file")
    if password_file:
        password = read_password(base / password_file)
    rights = {user: parse_grant(value) for user, value in parser.items("room_rights")} \
        if parser.has_section("room_rights") else {}
    groups = {group: frozenset(u.strip() for u in members.replace(",", " ").split() if u.strip())
              for group, members in parser.items("room_groups")} \
        if parser.has_section("room_groups") else {}
    auth = dict(parser.items("auth")) if parser.has_section("auth") else {}
    if auth.get("htpasswd_filename") and not os.path.isabs(auth["htpasswd_filename"]):
        auth["htpasswd_filename"] = str((base / auth["htpasswd_filename"]).resolve())
    return BridgeSettings(
        source=str(file_path.resolve()) if file_path else "",
        tms_url=get("tms", "url"),
        tms_username=get("tms", "username"),
        tms_password=password,
        tms_auth=get("tms", "auth", "basic"),
        tms_verify=verify,
        tms_timeout=float(get("tms", "timeout", "30")),
        tms_api_version=api_version,
        mirror=mirror_settings(parser, base),
        external_source_id=get("bridge", "external_source_id", "tmscal"),
        conference_type=conference_type,
        booking_model=model,
        owner_template=get("bridge", "owner_template", "{user}"),
        room_visibility=visibility,
        show_unbookable=_bool(get("bridge", "show_unbookable", "true"),
                              "[bridge] show_unbookable"),
        retry_after=int(get("bridge", "retry_after", "30")),
        privacy=privacy,
        room_rights=rights,
        room_groups=groups,
        host=get("server", "host", "127.0.0.1"),
        port=int(get("server", "port", "5232")),
        threads=int(get("server", "threads", "8")),
        connection_limit=int(get("server", "connection_limit", "100")),
        idle_timeout=float(get("server", "idle_timeout", "60")),
        max_xml_bytes=int(get("server", "max_xml_bytes", str(1024 * 1024))),
        max_xml_depth=int(get("server", "max_xml_depth", "64")),
        max_pending_writes=int(get("bridge", "max_pending_writes", "0")),
        auth=auth,
        rights=dict(parser.items("rights")) if parser.has_section("rights") else {},
        log_level=get("logging", "level", "info"),
    )
