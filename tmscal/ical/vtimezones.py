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
* The first component is the zone's last change before Jan 1 of the first year covered
  (ical.js places a time before every onset at UTC); a zone that never changed gets one
  component from that Jan 1 on.
* A change that puts the clock forward is DAYLIGHT, one that puts it back STANDARD (also where
  tzdata calls the winter offset daylight time, as in Europe/Dublin): dateutil derives its
  notion of standard time from this.
* No COMMENT (RFC 5545 allows none in VTIMEZONE; libical flags it).

For a zone with a current rule the text depends only on the zone and on the first year asked
for when that is before the rule, so every object and every merged body of a modern booking
carries the same VTIMEZONE per TZID. Everything is computed from zoneinfo and cached; nothing
depends on the current date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .zones import offset_changes, zone_info

#: Years before this are not searched for the start of a zone's current rule.
_SEARCH_FROM = 1970
#: Years before this are not searched for a zone's last change.
_OLDEST = 1900
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
                        name=instant.astimezone(info).tzname() or "", daylight=after > before)
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


@lru_cache(maxsize=512)
def _opening(zone: str, year: int) -> _Onset:
    """The zone's last change before ``year``, or (none since 1900) its offset at Jan 1 of
    ``year`` as an onset changing nothing."""
    for earlier in range(year - 1, _OLDEST - 1, -1):
        onsets = _onsets(zone, earlier)
        if onsets:
            return onsets[-1]
    local = datetime(year, 1, 1, tzinfo=zone_info(zone))
    offset = local.utcoffset() or timedelta()
    return _Onset(local=datetime(year, 1, 1), before=offset, after=offset,
                  name=local.tzname() or "", daylight=False)


def covered_years(zone: str, first_year: int, last_year: int) -> tuple[int, int | None]:
    """``(first, last)`` years the VTIMEZONE of ``zone`` spells out for instances in
    ``first_year``..``last_year``; ``last`` is None when the current rule covers the rest."""
    rule = _current_rule(zone)
    if rule is not None and rule.since <= last_year + 1:
        return min(first_year, rule.since), None
    return first_year, last_year + 1


@lru_cache(maxsize=512)
def _vtimezone_lines(zone: str, first: int, last: int | None) -> str:
    rule = _current_rule(zone) if last is None else None
    until = rule.since if rule is not None else (last or first) + 1  # last: no rule
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone}"]
    lines += _observance(_opening(zone, first))
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
