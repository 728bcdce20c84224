"""Time zones: Windows ids ↔ IANA names, TMS TimeZoneRules, offset changes.

TMS names zones by Windows id ("W. Europe Standard Time"); calendars use IANA names. The
Windows → IANA table is icalendar's copy of CLDR's; the reverse direction uses that table, a
few common zones CLDR maps to the same Windows id, and finally a zone with identical offsets.
Everything is computed from zoneinfo and cached; nothing depends on the current date.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from tmscal.model import UTC, TimeZoneRule, TransitionRule

from .errors import UnsupportedTimeZone

#: IANA zones CLDR maps to a Windows id whose own IANA name differs (not in the reverse table).
_COMMON_WINDOWS_IDS = {
    "Europe/Oslo": "W. Europe Standard Time",
    "Europe/Stockholm": "W. Europe Standard Time",
    "Europe/Amsterdam": "W. Europe Standard Time",
    "Europe/Rome": "W. Europe Standard Time",
    "Europe/Vienna": "W. Europe Standard Time",
    "Europe/Zurich": "W. Europe Standard Time",
    "Europe/Copenhagen": "Romance Standard Time",
    "Europe/Brussels": "Romance Standard Time",
    "Europe/Madrid": "Romance Standard Time",
    "Europe/Prague": "Central Europe Standard Time",
    "Europe/Helsinki": "FLE Standard Time",
    "Europe/Dublin": "GMT Standard Time",
    "Asia/Kolkata": "India Standard Time",
    "Asia/Ho_Chi_Minh": "SE Asia Standard Time",
    "America/Argentina/Buenos_Aires": "Argentina Standard Time",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
}

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Zulu", "Universal", "GMT",
                       "Etc/GMT"})


def is_utc(zone: str) -> bool:
    """Whether ``zone`` names UTC itself (times are then written with ``Z``)."""
    return zone in UTC_NAMES


@lru_cache(maxsize=512)
def zone_info(zone: str) -> tzinfo:
    """The tzinfo for an IANA name (``UTC`` → :data:`tmscal.model.UTC`).

    Raises :class:`UnsupportedTimeZone` for names zoneinfo does not know.
    """
    if is_utc(zone):
        return UTC
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnsupportedTimeZone(
            f"time zone {zone!r} is unknown; use an IANA name such as 'Europe/Oslo'") from None


def is_known_zone(zone: str) -> bool:
    try:
        zone_info(zone)
    except UnsupportedTimeZone:
        return False
    return True


def iana_for_windows(zone_id: str) -> str | None:
    """The IANA name for a Windows id (or an IANA name given as is); None when unknown."""
    zone_id = zone_id.strip()
    if zone_id in WINDOWS_TO_OLSON:
        return "UTC" if zone_id == "UTC" else WINDOWS_TO_OLSON[zone_id]
    if zone_id and is_known_zone(zone_id):
        return zone_id
    return None


@lru_cache(maxsize=1)
def _reverse_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for windows_id in sorted(WINDOWS_TO_OLSON):
        table.setdefault(WINDOWS_TO_OLSON[windows_id], windows_id)
    return table


def _offsets_in(zone: tzinfo, year: int) -> tuple[timedelta | None, ...]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    return tuple((start + timedelta(hours=12 * step)).astimezone(zone).utcoffset()
                 for step in range(2 * 366))


@lru_cache(maxsize=256)
def windows_for_iana(zone: str, year: int = 2025) -> str:
    """The Windows id TMS should get for the IANA ``zone`` (offsets compared in ``year``).

    Raises :class:`UnsupportedTimeZone` when no Windows zone has the same offsets.
    """
    if is_utc(zone):
        return "UTC"
    if zone in _COMMON_WINDOWS_IDS:
        return _COMMON_WINDOWS_IDS[zone]
    reverse = _reverse_table()
    if zone in reverse:
        return reverse[zone]
    match = equivalent_zone(zone_info(zone), year, sorted(reverse))
    if match is None:
        raise UnsupportedTimeZone(
            f"time zone {zone!r} has no Windows equivalent TMS knows; use the zone of a "
            "nearby city")
    return reverse[match]


def equivalent_zone(zone: tzinfo, year: int, candidates: list[str]) -> str | None:
    """The first IANA name in ``candidates`` with the same UTC offsets as ``zone`` in ``year``."""
    wanted = _offsets_in(zone, year)
    for name in candidates:
        if not is_known_zone(name):
            continue
        if _offsets_in(zone_info(name), year) == wanted:
            return name
    return None


def zone_for_rules(rules: list[TimeZoneRule], preferred: str | None = None) -> str | None:
    """The IANA zone of a conference's ConferenceTimeZoneRules; None when absent or unknown.

    ``preferred`` (the room's zone) wins when it maps to the same Windows id, so an Oslo room
    shows Europe/Oslo rather than CLDR's Europe/Berlin for "W. Europe Standard Time".
    """
    for rule in rules:
        zone = iana_for_windows(rule.id)
        if zone is None:
            continue
        if preferred and preferred != zone and not is_utc(zone):
            try:
                if windows_for_iana(preferred) == windows_for_iana(zone):
                    return preferred
            except UnsupportedTimeZone:
                pass
        return zone
    return None


def offset_changes(zone: tzinfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) of every offset change in ``year``, in order."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = day.astimezone(zone).utcoffset()
    while day < end:
        following = day + timedelta(days=1)
        after = following.astimezone(zone).utcoffset()
        if after != before:
            low, high = day, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append((high, before, after))
        day, before = following, after
    return found


def _transition_rule(instant: datetime, offset_before: timedelta) -> TransitionRule:
    local = (instant + offset_before).replace(tzinfo=None)
    next_week = local + timedelta(days=7)
    week = 5 if next_week.month != local.month else (local.day - 1) // 7 + 1
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return TransitionRule(month=local.month, day_of_week=(local.weekday() + 1) % 7,
                          week_of_month=week, change_second_at_day=seconds)


@lru_cache(maxsize=256)
def _rule_for(zone: str, year: int) -> TimeZoneRule:
    info = zone_info(zone)
    windows_id = windows_for_iana(zone, year)
    changes = offset_changes(info, year)
    daylight = next(((t, b) for t, b, a in changes if a > b), None)
    standard = next(((t, b) for t, b, a in changes if a < b), None)
    if daylight and standard:
        base = daylight[1]
        saving = standard[1] - daylight[1]
    else:
        base = datetime(year, 7, 1, tzinfo=UTC).astimezone(info).utcoffset() or timedelta()
        saving = timedelta()
    minutes = int(base.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    display = f"(UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}) {zone}"
    return TimeZoneRule(
        id=windows_id, display_name=display, base_offset_minutes=minutes,
        daylight_offset_minutes=int(saving.total_seconds() // 60),
        daylight=_transition_rule(*daylight) if daylight and standard else None,
        standard=_transition_rule(*standard) if daylight and standard else None)


def time_zone_rule(zone: str, year: int) -> TimeZoneRule:
    """The TMS TimeZoneRule for IANA ``zone`` as its rules stand in ``year`` (a fresh copy)."""
    rule = _rule_for(zone, year)
    return TimeZoneRule(
        id=rule.id, display_name=rule.display_name,
        base_offset_minutes=rule.base_offset_minutes,
        daylight_offset_minutes=rule.daylight_offset_minutes,
        daylight=TransitionRule(**vars(rule.daylight)) if rule.daylight else None,
        standard=TransitionRule(**vars(rule.standard)) if rule.standard else None)
