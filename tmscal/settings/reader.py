"""Typed reading of one INI section: every value is converted (and checked) by the key that
asks for it, and a key nobody asked for is an error."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from tmscal.settings.errors import SettingsError

_TRUE = ("1", "yes", "true", "on")
_FALSE = ("0", "no", "false", "off")


def parse_flag(text: str) -> bool | None:
    """``true``/``yes``/``on``/``1`` → True, their opposites → False, anything else → None."""
    lowered = text.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


class Section:
    """The keys of one ``[name]`` section. Each getter names a key (and its older names,
    ``aliases``), returns its typed value or the default, and marks the key as known;
    :meth:`refuse_unknown` then refuses the keys no getter asked for."""

    def __init__(self, name: str, values: Mapping[str, str] | None = None) -> None:
        self.name = name
        self._values = {key: value.strip() for key, value in (values or {}).items()}
        #: Every key a getter asked for (present or not), aliases included.
        self.known: set[str] = set()
        #: The older names among them.
        self.aliases: set[str] = set()

    def error(self, key: str, message: str) -> SettingsError:
        return SettingsError(self.name, key, message)

    def _raw(self, key: str, aliases: Iterable[str] = ()) -> tuple[str, str] | None:
        """``(the key as written, its text)``, or None when absent."""
        names = (key, *aliases)
        self.known.update(names)
        self.aliases.update(aliases)
        for name in names:
            if name in self._values:
                return name, self._values[name]
        return None

    def text(self, key: str, default: str = "", *, aliases: Iterable[str] = ()) -> str:
        found = self._raw(key, aliases)
        return default if found is None else found[1]

    def whole_number(self, key: str, default: int, *, minimum: int = 0,
                     aliases: Iterable[str] = ()) -> int:
        found = self._raw(key, aliases)
        if found is None:
            return default
        written, text = found
        try:
            value = int(text)
        except ValueError:
            raise self.error(written, f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise self.error(written, f"must be at least {minimum}, not {text!r}")
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0,
               aliases: Iterable[str] = ()) -> float:
        found = self._raw(key, aliases)
        if found is None:
            return default
        written, text = found
        try:
            value = float(text)
        except ValueError:
            raise self.error(written, f"must be a number, not {text!r}") from None
        if not math.isfinite(value) or value < minimum:
            raise self.error(written, f"must be a number of at least {minimum:g}, not {text!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        found = self._raw(key)
        if found is None:
            return default
        value = parse_flag(found[1])
        if value is None:
            raise self.error(key, f"must be true or false, not {found[1]!r}")
        return value

    def choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        value = self.text(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def path(self, key: str, default: str, base: Path | None, *,
             aliases: Iterable[str] = ()) -> str:
        """A file name; a relative one is relative to ``base`` (the configuration file's
        folder) when given."""
        value = self.text(key, default, aliases=aliases)
        if not value or base is None or Path(value).is_absolute():
            return value
        return str((base / value).resolve())

    def refuse_unknown(self) -> None:
        """SettingsError for the first key (in order) no getter asked for."""
        for key in self._values:
            if key not in self.known:
                raise self.error(key, f"is not a key of [{self.name}] (known: "
                                      f"{', '.join(sorted(self.known))})")
