"""Windows time-zone ids as TMS uses them: IANA zone, display name and .NET-style DST rules.

:func:`time_zone_rules` derives the rules from ``zoneinfo`` (the transitions of a reference
year), so base offsets and DST dates are whatever the tz database says.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from tmscal.model import UTC, TimeZoneRule, TmsError, TransitionRule

#: The zone TMS falls back to when a conference names none (the "server" zone).
SERVER_ZONE = "W. Europe Standard Time"

#: Windows id → (IANA zone, Windows display name).
WINDOWS_ZONES: dict[str, tuple[str, str]] = {
    "UTC": ("UTC", "(UTC) Coordinated Universal Time"),
    "GMT Standard Time": ("Europe/London", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London"),
    "W. Europe Standard Time": (
        "Europe/Berlin", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
    "Romance Standard Time": ("Europe/Paris", "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris"),
    "Central Europe Standard Time": (
        "Europe/Budapest", "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague"),
    "Central European Standard Time": (
        "Europe/Warsaw", "(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb"),
    "FLE Standard Time": (
        "Europe/Kiev", "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius"),
    "Eastern Standard Time": ("America/New_York", "(UTC-05:00) Eastern Time (US & Canada)"),
    "Central Standard Time": ("America/Chicago", "(UTC-06:00) Central Time (US & Canada)"),
    "Mountain Standard Time": ("America/Denver", "(UTC-07:00) Mountain Time (US & Canada)"),
    "Pacific Standard Time": ("America/Los_Angeles", "(UTC-08:00) Pacific Time (US & Canada)"),
    "India Standard Time": (
        "Asia/Kolkata", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi"),
    "China Standard Time": (
        "Asia/Shanghai", "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi"),
    "Singapore Standard Time": ("Asia/Singapore", "(UTC+08:00) Kuala Lumpur, Singapore"),
    "Tokyo Standard Time": ("Asia/Tokyo", "(UTC+09:00) Osaka, Sapporo, Tokyo"),
    "Cen. Australia Standard Time": ("Australia/Adelaide", "(UTC+09:30) Adelaide"),
    "AUS Eastern Standard Time": (
        "Australia/Sydney", "(UTC+10:00) Canberra, Melbourne, Sydney"),
    "New Zealand Standard Time": ("Pacific/Auckland", "(UTC+12:00) Auckland, Wellington"),
}

#: The year whose transitions stand for the current rule.
_REFERENCE_YEAR = 2025


def iana_zone(zone_id: str) -> str:
    """The IANA name for a Windows id (an IANA name is accepted as is). TmsError if unknown."""
    if zone_id in WINDOWS_ZONES:
        return WINDOWS_ZONES[zone_id][0]
    try:
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
        if zone_id in WINDOWS_TO_OLSON:
            return WINDOWS_TO_OLSON[zone_id]
    except ImportError:  # pragma: no cover - icalendar is a dependency
        pass
    if "/" in zone_id:
        try:
            ZoneInfo(zone_id)
            return zone_id
        except (KeyError, ValueError):
            pass
    raise TmsError(f"Unknown time zone id '{zone_id}'")


def zone_info(zone_id: str) -> ZoneInfo:
    return ZoneInfo(iana_zone(zone_id))


def display_name(zone_id: str) -> str:
    if zone_id in WINDOWS_ZONES:
        return WINDOWS_ZONES[zone_id][1]
    return zone_id


def _transition_rule(local_before: datetime) -> TransitionRule:
    """The .NET relative rule for a transition at wall time ``local_before``."""
    days_in_month = calendar.monthrange(local_before.year, local_before.month)[1]
    week = (local_before.day - 1) // 7 + 1
    if local_before.day + 7 > days_in_month:
        week = 5  # "last"
    seconds = local_before.hour * 3600 + local_before.minute * 60 + local_before.second
    return TransitionRule(month=local_before.month,
                          day_of_week=(local_before.weekday() + 1) % 7,
                          week_of_month=week, change_second_at_day=seconds)


@lru_cache(maxsize=None)
def _rules(zone_id: str) -> tuple[TimeZoneRule, ...]:
    zone = zone_info(zone_id)
    step = timedelta(minutes=15)
    instant = datetime(_REFERENCE_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(_REFERENCE_YEAR + 1, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    transitions: list[tuple[datetime, timedelta, timedelta]] = []
    while instant < end:
        following = instant + step
        new_offset = following.astimezone(zone).utcoffset()
        if new_offset != offset:
            transitions.append((following, offset, new_offset))
            offset = new_offset
        instant = following
    if len(transitions) < 2:
        base = int(offset.total_seconds() // 60)
        return (TimeZoneRule(id=zone_id, display_name=display_name(zone_id),
                             base_offset_minutes=base, daylight_offset_minutes=0,
                             valid_from=datetime(1, 1, 1, tzinfo=UTC)),)
    daylight = standard = None
    offsets = {transitions[0][1], transitions[0][2]}
    standard_offset, summer_offset = min(offsets), max(offsets)
    for at, before, after in transitions:
        local_before = (at + before).replace(tzinfo=None)
        if after > before:
            daylight = _transition_rule(local_before)
        else:
            standard = _transition_rule(local_before)
    return (TimeZoneRule(
        id=zone_id, display_name=display_name(zone_id),
        base_offset_minutes=int(standard_offset.total_seconds() // 60),
        daylight_offset_minutes=int((summer_offset - standard_offset).total_seconds() // 60),
        valid_from=datetime(1, 1, 1, tzinfo=UTC), daylight=daylight, standard=standard),)


def time_zone_rules(zone_id: str) -> list[TimeZoneRule]:
    """GetTimeZoneRulesById: fresh rule objects for ``zone_id``; TmsError when unknown."""
    import copy
    return [copy.deepcopy(rule) for rule in _rules(zone_id)]
