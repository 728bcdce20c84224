"""VTIMEZONE components generated from the IANA zone, read alike by every parser.

A VTIMEZONE describes a zone's offsets to parsers that use it instead of their own database
(libical: Evolution, KDE, Cyrus; ical.js: Thunderbird; dateutil: vobject). Some read less than
RFC 5545 allows, so the text keeps to what they all read:

* The zone's current yearly rule (what holds from some year on, as zoneinfo sees it) is written
  as one STANDARD/DAYLIGHT per onset with ``RRULE:FREQ=YEARLY;BYMONTH=m;BYDAY=nWD`` and no
  end, so it covers every later instance whatever span it was made for. A zone without a
  current offset change (e.g. Asia/Kolkata) has none.
* Everything before that (only when an instance is older than the rule), and zones whose
  changes follow no such rule, get one component per onset, each with its own DTSTART and no
  RDATE (ical.js 2.2 reads only the first value of an RDATE and drops DTSTART when RDATEs
  exist).
* The first component starts on Jan 1 of the first year covered, with the offset of that
  instant (ical.js places a time before every onset at UTC).
* No COMMENT (RFC 5545 allows none in VTIMEZONE; libical flags it).

For a zone with a current rule the text depends only on the zone and on the first year asked
for when that is before the rule, so every object and every merged body of a modern booking
carries the same VTIMEZONE per TZID. Everything is computed from zoneinfo and cached; nothing
depends on the current date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from tmscal.model import UTC

from .zones import offset_changes, zone_info

#: Years before this are not searched for the start of a zone's current rule.
_SEARCH_FROM = 1970
#: A year far enough ahead that zoneinfo answers it from the zone's final rule.
_FAR_YEAR = 2100
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class _Onset:
    """One offset change: where the local clock was (``local``, in the offset before)."""

    local: datetime
    before: timedelta
    after: timedelta
    name: str
    daylight: bool

    @property
    def pattern(self) -> tuple:
        """What a yearly rule repeats: month, weekday, wall time, offsets and name."""
        return (self.local.month, self.local.weekday(), self.local.time(), self.before,
                self.after, self.name, self.daylight)

    @property
    def positions(self) -> frozenset[int]:
        """The BYDAY positions that name this day in its month (n-th and, if so, last)."""
        found = {(self.local.day - 1) // 7 + 1}
        if (self.local + timedelta(days=7)).month != self.local.month:
            found.add(-1)
        return frozenset(found)


@lru_cache(maxsize=4096)
def _onsets(zone: str, year: int) -> tuple[_Onset, ...]:
    info = zone_info(zone)
    return tuple(_Onset(local=(instant + before).replace(tzinfo=None), before=before, after=after,
                        name=instant.astimezone(info).tzname() or "",
                        daylight=bool(instant.astimezone(info).dst()))
                 for instant, before, after in offset_changes(info, year))


@dataclass(frozen=True)
class _CurrentRule:
    """The onsets that repeat every year from ``since`` on (none: a fixed offset), with the
    BYDAY position each one keeps."""

    since: int
    onsets: tuple[_Onset, ...]
    positions: tuple[int, ...]


@lru_cache(maxsize=256)
def _current_rule(zone: str) -> _CurrentRule | None:
    """The zone's current yearly rule, or None when its changes follow none."""
    model = _onsets(zone, _FAR_YEAR)
    patterns = [onset.pattern for onset in model]
    positions = [onset.positions for onset in model]
    since = _FAR_YEAR
    for year in range(_FAR_YEAR - 1, _SEARCH_FROM - 1, -1):
        onsets = _onsets(zone, year)
        if [onset.pattern for onset in onsets] != patterns:
            break
        narrowed = [kept & onset.positions for kept, onset in zip(positions, onsets)]
        if not all(narrowed):
            break
        positions, since = narrowed, year
    if since == _FAR_YEAR:
        return None
    chosen = tuple(-1 if -1 in kept else max(kept) for kept in positions)
    return _CurrentRule(since=since, onsets=_onsets(zone, since), positions=chosen)


def _offset_text(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _local_text(local: datetime) -> str:
    return (f"{local.year:04d}{local.month:02d}{local.day:02d}T"
            f"{local.hour:02d}{local.minute:02d}{local.second:02d}")


def _observance(onset: _Onset, rule: str = "") -> list[str]:
    kind = "DAYLIGHT" if onset.daylight else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{_local_text(onset.local)}"]
    if rule:
        lines.append(rule)
    if onset.name:
        lines.append(f"TZNAME:{onset.name}")
    lines += [f"TZOFFSETFROM:{_offset_text(onset.before)}",
              f"TZOFFSETTO:{_offset_text(onset.after)}", f"END:{kind}"]
    return lines


def _first_observance(info: tzinfo, year: int) -> _Onset:
    """The offset in force at Jan 1, 00:00 local of ``year``, as an onset changing nothing."""
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(info).utcoffset() or timedelta()
    instant -= offset
    local = instant.astimezone(info)
    return _Onset(local=datetime(year, 1, 1), before=offset, after=offset,
                  name=local.tzname() or "", daylight=bool(local.dst()))


def covered_years(zone: str, first_year: int, last_year: int) -> tuple[int, int | None]:
    """``(first, last)`` years the VTIMEZONE of ``zone`` spells out for instances in
    ``first_year``..``last_year``; ``last`` is None when the current rule covers the rest."""
    rule = _current_rule(zone)
    if rule is not None and rule.since <= last_year + 1:
        return min(first_year, rule.since), None
    return first_year, last_year + 1


@lru_cache(maxsize=512)
def _vtimezone_lines(zone: str, first: int, last: int | None) -> str:
    info = zone_info(zone)
    rule = _current_rule(zone) if last is None else None
    until = rule.since if rule is not None else (last or first) + 1  # last: no rule
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone}"]
    lines += _observance(_first_observance(info, first))
    for year in range(first, until):
        for onset in _onsets(zone, year):
            lines += _observance(onset)
    if rule is not None:
        for onset, position in zip(rule.onsets, rule.positions):
            byday = f"{position}{_WEEKDAYS[onset.local.weekday()]}"
            lines += _observance(
                onset, f"RRULE:FREQ=YEARLY;BYMONTH={onset.local.month};BYDAY={byday}")
    lines.append("END:VTIMEZONE")
    return "\r\n".join(lines) + "\r\n"


def vtimezone_text(zone: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE (CRLF line ends) of IANA ``zone`` valid for every local time from Jan 1 of
    ``first_year`` to the end of ``last_year`` (and on, where the zone has a current rule).

    The same arguments always give the same text; raises ``UnsupportedTimeZone`` for a zone
    zoneinfo does not know.
    """
    return _vtimezone_lines(zone, *covered_years(zone, first_year, last_year))
