"""The bridge's configuration: one INI file, read once into one :class:`Settings`.

Every command (``serve``, ``demo``, ``sync``, ``check``, ``feeds``, ``rooms``) and the plugin
inside a stock Radicale (``[storage] tmscal_config = FILE``) read the file with
:func:`load_settings`, so they all read it alike. One frozen dataclass per section, each in its
own module with its keys documented there; ``config/tmscal.conf.example`` shows every key.

Sections tmscal owns refuse a key they do not know, and a section that is not listed here is
refused too (a typo never goes unnoticed); ``[auth]`` and ``[rights]`` are handed to Radicale
and keep Radicale's keys (:mod:`.radicale_sections`); the keys of ``[room_rights]`` and
``[room_groups]`` are user and group names. Every problem is a :class:`SettingsError` naming
section and key. Passwords are read but never shown: :meth:`Settings.describe` leaves them out.

This package imports nothing of tmscal but :mod:`tmscal.model`.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tmscal.settings.bridge import BridgeSettings, read_bridge
from tmscal.settings.errors import SettingsError
from tmscal.settings.feeds import FeedSettings, read_feeds
from tmscal.settings.invitations import InvitationSettings, read_invitations
from tmscal.settings.mirror import MirrorSettings, read_mirror
from tmscal.settings.radicale_sections import (
    AuthSettings, LoggingSettings, read_auth, read_logging,
)
from tmscal.settings.reader import Section
from tmscal.settings.room_rights import RoomGrant, RoomRights, parse_grant, read_room_rights
from tmscal.settings.server import ServerSettings, read_server
from tmscal.settings.tms import TmsSettings, read_password, read_tms

__all__ = [
    "AuthSettings", "BridgeSettings", "FeedSettings", "InvitationSettings", "LoggingSettings",
    "MirrorSettings", "RoomGrant", "RoomRights", "ServerSettings", "Settings", "SettingsError",
    "TmsSettings", "load_settings", "parse_grant", "read_password", "settings_from_text",
]


@dataclass(frozen=True)
class Settings:
    """Everything the bridge reads from its configuration file, one attribute per section
    (``room_rights`` holds ``[room_rights]`` and ``[room_groups]``). ``source`` is the file."""

    source: str = ""
    tms: TmsSettings = field(default_factory=TmsSettings)
    mirror: MirrorSettings = field(default_factory=MirrorSettings)
    bridge: BridgeSettings = field(default_factory=BridgeSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    invitations: InvitationSettings = field(default_factory=InvitationSettings)
    room_rights: RoomRights = field(default_factory=RoomRights)
    auth: AuthSettings = field(default_factory=AuthSettings)
    rights: Mapping[str, str] = field(default_factory=dict)
    logging: LoggingSettings = field(default_factory=LoggingSettings)

    def write_slots(self, threads: int | None = None) -> int:
        """How many writes may wait on TMS at once on a server with ``threads`` threads
        (default: ``[server] threads``); always fewer than the threads, so reads find one."""
        threads = threads or self.server.threads
        return max(1, min(self.bridge.max_pending_writes or threads // 2, threads - 1))

    def describe(self) -> dict[str, object]:
        """A loggable summary (no password)."""
        return {"source": self.source, "tms_url": self.tms.url, "tms_username": self.tms.username,
                "tms_auth": self.tms.auth, "mirror": self.mirror.loggable_database,
                "booking_model": self.bridge.booking_model,
                "room_visibility": self.bridge.room_visibility,
                "host": self.server.host, "port": self.server.port}


#: The sections with a fixed set of keys, by name: section → its value.
OWNED_SECTIONS: dict[str, Callable[[Section, Path | None], object]] = {
    "tms": read_tms, "mirror": read_mirror, "bridge": read_bridge, "server": read_server,
    "feeds": read_feeds, "invitations": read_invitations, "logging": read_logging,
}
#: Sections whose keys are names (users, groups) or Radicale's.
FREE_SECTIONS = ("room_rights", "room_groups", "auth", "rights")


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read a configuration file; relative paths in it are relative to the file.
    SettingsError when it cannot be read or says something tmscal cannot use."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError("", "", f"cannot read configuration file {file_path}: "
                                    f"{getattr(error, 'strerror', None) or error}") from None
    return settings_from_text(text, file_path)


def settings_from_text(text: str, file_path: Path | None = None) -> Settings:
    """The settings of a configuration file's ``text``; ``file_path`` (when given) is where
    relative paths start and what :attr:`Settings.source` says."""
    parser = configparser.RawConfigParser(default_section="\0")  # no [DEFAULT] magic
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # user names keep case
    try:
        parser.read_string(text, source=str(file_path or "<settings>"))
    except configparser.Error as error:
        raise SettingsError("", "", f"cannot parse configuration file: {error}") from None
    for name in parser.sections():
        if name not in OWNED_SECTIONS and name not in FREE_SECTIONS:
            raise SettingsError(name, "", "is not a section tmscal knows (known: "
                                f"{', '.join(sorted((*OWNED_SECTIONS, *FREE_SECTIONS)))})")
    base = file_path.resolve().parent if file_path else None

    def values(name: str) -> dict[str, str]:
        return dict(parser.items(name)) if parser.has_section(name) else {}

    owned = {}
    for name, read in OWNED_SECTIONS.items():
        section = Section(name, values(name))
        owned[name] = read(section, base)
        section.refuse_unknown()
    return Settings(
        source=str(file_path.resolve()) if file_path else "",
        room_rights=read_room_rights(values("room_rights"), values("room_groups")),
        auth=read_auth(values("auth"), base),
        rights=values("rights"),
        **owned)  # type: ignore[arg-type]
