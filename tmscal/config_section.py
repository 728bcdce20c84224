"""Reading one INI section into a settings dataclass, typed by the dataclass's fields."""

from __future__ import annotations

import configparser
from dataclasses import fields

_CONVERTERS = {"int": (int, "a whole number"), "float": (float, "a number")}


class SettingsError(ValueError):
    """A configuration value is not of the type its key needs."""


def section_values(parser: configparser.RawConfigParser, section: str, settings_class: type,
                   aliases: dict[str, str] | None = None) -> dict[str, object]:
    """The keys of ``[section]`` that name fields of ``settings_class`` (directly or through
    ``aliases``), converted to the fields' types (``int``, ``float``; anything else stays
    text). Unknown keys are ignored; a value of the wrong type raises :class:`SettingsError`
    naming the section and key."""
    if not parser.has_section(section):
        return {}
    types = {f.name: f.type for f in fields(settings_class)}
    aliases = aliases or {}
    values: dict[str, object] = {}
    for key, raw in parser.items(section):
        name = aliases.get(key, key)
        if name not in types:
            continue
        text = raw.strip()
        convert = _CONVERTERS.get(types[name])
        if convert is None:
            values[name] = text
            continue
        try:
            values[name] = convert[0](text)
        except ValueError:
            raise SettingsError(f"[{section}] {key} must be {convert[1]}, not {text!r}") from None
    return values
