"""``[auth]``, ``[rights]`` and ``[logging]``: what the bridge hands to Radicale.

``[auth]`` and ``[rights]`` go to Radicale's sections of the same name unchanged, so their keys
are Radicale's (and of the plugins they name) and are not checked here; two exceptions:
``[auth] delay`` is what a failed login waits (tmscal delays failed logins itself, see
:mod:`tmscal.web.login_delay`) and a relative ``htpasswd_filename`` is relative to the
configuration file. ``[logging]`` has one key, ``level``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tmscal.settings.reader import Section

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class AuthSettings:
    """``[auth]``: ``options`` for Radicale; ``login_delay`` in seconds (× 0.5–1.5)."""

    options: Mapping[str, str] = field(default_factory=dict)
    login_delay: float = 1.0


@dataclass(frozen=True)
class LoggingSettings:
    """``[logging]``: the level of tmscal's and Radicale's logs."""

    level: str = "info"


def read_auth(values: Mapping[str, str], base: Path | None) -> AuthSettings:
    options = {key: value.strip() for key, value in values.items()}
    delay = Section("auth", options).number("delay", AuthSettings().login_delay)
    htpasswd = options.get("htpasswd_filename")
    if htpasswd and base is not None and not Path(htpasswd).is_absolute():
        options["htpasswd_filename"] = str((base / htpasswd).resolve())
    return AuthSettings(options, delay)


def read_logging(section: Section, base: Path | None) -> LoggingSettings:
    return LoggingSettings(section.choice("level", "info", LOG_LEVELS))
