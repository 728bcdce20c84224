"""The one error of the settings layer."""

from __future__ import annotations


class SettingsError(ValueError):
    """The configuration file cannot be used: ``str(error)`` names the section and key, e.g.
    ``[tms] timeout must be a number, not 'x'``. ``section`` and ``key`` are empty for what
    concerns the whole file (it cannot be read) or a whole section."""

    def __init__(self, section: str, key: str, message: str) -> None:
        self.section = section
        self.key = key
        self.message = message
        where = " ".join(part for part in (f"[{section}]" if section else "", key) if part)
        super().__init__(f"{where} {message}" if where else message)
