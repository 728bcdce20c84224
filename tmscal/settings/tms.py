"""``[tms]``: where TMS is and how the service user logs in.

::

    [tms]
    url = https://tms.example.org   base URL (required by every command that calls TMS)
    username = DOMAIN\\svc-tmscal   the service user
    password = …                    or password_file = FILE (its first line; relative to the
                                    configuration file); password_file wins
    auth = basic                    basic | ntlm
    verify = true                   true | false | a CA bundle file
    timeout = 30                    seconds a whole TMS call may take
    api_version = auto              auto | N: the ClientVersionIn sent (auto: negotiated)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tmscal.settings.errors import SettingsError
from tmscal.settings.reader import Section, parse_flag

#: What TmsTransport can speak.
AUTH_SCHEMES = ("basic", "ntlm")


@dataclass(frozen=True)
class TmsSettings:
    """The ``[tms]`` section; the password is left out of ``repr``."""

    url: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    auth: str = "basic"
    verify: bool | str = True
    timeout: float = 30.0
    api_version: int | None = None  # None: negotiated with the server


def read_password(path: str | os.PathLike[str]) -> str:
    """The first line of a password file."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    except OSError as error:
        raise SettingsError("", "", f"cannot read the password file {path}: "
                                    f"{error.strerror}") from None


def read_tms(section: Section, base: Path | None) -> TmsSettings:
    verify_text = section.text("verify", "true")
    flag = parse_flag(verify_text)
    api_version_text = section.text("api_version", "auto").lower()
    try:
        api_version = None if api_version_text == "auto" else int(api_version_text)
    except ValueError:
        raise section.error("api_version", "must be 'auto' or a number") from None
    password = section.text("password")
    password_file = section.path("password_file", "", base)
    if password_file:
        password = read_password(password_file)
    return TmsSettings(
        url=section.text("url"),
        username=section.text("username"),
        password=password,
        auth=section.choice("auth", "basic", AUTH_SCHEMES),
        verify=verify_text if flag is None else flag,
        timeout=section.number("timeout", 30.0),
        api_version=api_version)
