"""RecurrencePattern ↔ RRULE, and expansion of a series into its local occurrence starts.

Both sides meet in :class:`LocalRule`, the series in the terms of its own zone (what an RRULE
says). TMS gives weekdays "in UTC": a meeting whose local start falls on another calendar day
in UTC (it crosses midnight UTC) has its DaysOfWeek and FirstDayOfWeek shifted by that day
difference, measured at the first occurrence. Positions (2nd, last) and days of the month are
counted in the local calendar. DailyWeekday means Monday–Friday in UTC, i.e. a weekly series.
PatternEndDateUTC is an instant: occurrences starting at or before it belong to the series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from dateutil import rrule as du

from tmscal.model import (
    MAX_OCCURRENCES, UTC, DayOfWeek, RecurrenceEndType, RecurrencePattern, RecurringFrequency,
)

from .errors import UnsupportedRecurrence

#: RFC 5545 weekday codes, indexed by Python weekday (Monday = 0).
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WORKDAYS = frozenset(range(5))
_DU_FREQ = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
_CAN_STORE = ("TMS stores daily, weekday, weekly and monthly series ending after a COUNT or "
              f"UNTIL of at most {MAX_OCCURRENCES} occurrences")


@dataclass
class LocalRule:
    """A storable recurrence in the series zone: weekdays are local Python weekdays.

    ``set_position`` (1–5, -1 = last) with ``weekdays`` or ``month_day`` (1–31) for MONTHLY;
    ``count`` 0 when the series ends at ``until_utc``.
    """

    freq: str
    interval: int = 1
    weekdays: list[int] = field(default_factory=list)
    week_start: int = 0
    set_position: int = 0
    month_day: int = 0
    count: int = 0
    until_utc: datetime | None = None


def day_shift(first_local: datetime) -> int:
    """Days from the local date of the first start to its UTC date (-1, 0 or +1)."""
    return (first_local.astimezone(UTC).date() - first_local.date()).days


# ---------------------------------------------------------------------------------------------
# TMS pattern ↔ LocalRule


def local_rule_for_pattern(pattern: RecurrencePattern, first_local: datetime) -> LocalRule:
    """The series ``pattern`` (first occurrence at ``first_local``) in local terms.

    Raises :class:`UnsupportedRecurrence` for frequencies or ends TMS itself cannot store.
    """
    shift = day_shift(first_local)
    frequency = pattern.frequency
    utc_days = sorted({d.python_weekday for d in pattern.days_of_week})
    if frequency == RecurringFrequency.DAILY_WEEKDAY:
        frequency, utc_days = RecurringFrequency.WEEKLY, sorted(_WORKDAYS)
        interval = 1
    else:
        interval = max(pattern.interval, 1)
    rule = LocalRule(freq="", interval=interval,
                     week_start=(pattern.first_day_of_week.python_weekday - shift) % 7)
    if frequency == RecurringFrequency.DAILY:
        rule.freq = "DAILY"
    elif frequency == RecurringFrequency.WEEKLY:
        rule.freq = "WEEKLY"
        rule.weekdays = sorted({(d - shift) % 7 for d in utc_days}) or [first_local.weekday()]
    elif frequency == RecurringFrequency.MONTHLY:
        rule.freq = "MONTHLY"
        if pattern.by_set_position:
            rule.set_position = pattern.by_set_position
            rule.weekdays = (sorted({(d - shift) % 7 for d in utc_days})
                             or [first_local.weekday()])
        else:
            rule.month_day = pattern.by_month_day or first_local.day
    else:
        raise UnsupportedRecurrence(f"the TMS series repeats {frequency.value}; {_CAN_STORE}")
    if pattern.end_type == RecurrenceEndType.END_BY_DATE and pattern.end_date_utc is not None:
        rule.until_utc = pattern.end_date_utc.astimezone(UTC)
    elif pattern.instances > 0:
        rule.count = pattern.instances
    else:
        raise UnsupportedRecurrence(f"the TMS series has no end; {_CAN_STORE}")
    return rule


def pattern_for_local_rule(rule: LocalRule, starts: list[datetime]) -> RecurrencePattern:
    """The TMS RecurrencePattern for ``rule`` (weekdays moved to UTC); no exceptions yet.

    ``starts`` are the rule's local occurrence starts (see :func:`expand`); an EndByDate
    series ends at the start of its last one, exact under any reading of the end date.
    """
    first_local = starts[0]
    shift = day_shift(first_local)
    utc_days = sorted({(d + shift) % 7 for d in rule.weekdays})
    frequency = {"DAILY": RecurringFrequency.DAILY, "WEEKLY": RecurringFrequency.WEEKLY,
                 "MONTHLY": RecurringFrequency.MONTHLY}[rule.freq]
    if frequency == RecurringFrequency.WEEKLY and rule.interval == 1 and \
            set(utc_days) == _WORKDAYS:
        frequency = RecurringFrequency.DAILY_WEEKDAY
    pattern = RecurrencePattern(
        frequency=frequency, interval=rule.interval,
        days_of_week=[DayOfWeek.from_python_weekday(d) for d in _sunday_first(utc_days)],
        first_day_of_week=DayOfWeek.from_python_weekday((rule.week_start + shift) % 7),
        by_set_position=rule.set_position, by_month_day=rule.month_day,
        first_occurrence_utc=first_local.astimezone(UTC))
    if rule.count:
        pattern.end_type = RecurrenceEndType.END_BY_INSTANCES
        pattern.instances = rule.count
    else:
        pattern.end_type = RecurrenceEndType.END_BY_DATE
        pattern.end_date_utc = starts[-1].astimezone(UTC)
    return pattern


def _sunday_first(days: list[int]) -> list[int]:
    return sorted(days, key=lambda d: (d + 1) % 7)


# ---------------------------------------------------------------------------------------------
# Expansion


def expand(rule: LocalRule, first_local: datetime, limit: int = MAX_OCCURRENCES + 1
           ) -> list[datetime]:
    """Local starts of ``rule`` from ``first_local`` (aware), wall-clock kept across DST.

    A start in a DST gap gets the offset before the gap (RFC 5545); at most ``limit`` are
    returned, so a caller sees when a series exceeds the TMS maximum.
    """
    zone = first_local.tzinfo
    naive_first = first_local.replace(tzinfo=None)
    options: dict = {"dtstart": naive_first, "interval": rule.interval,
                     "wkst": rule.week_start}
    if rule.freq == "WEEKLY":
        options["byweekday"] = rule.weekdays
    elif rule.freq == "MONTHLY":
        if rule.set_position:
            options["byweekday"] = rule.weekdays
            options["bysetpos"] = rule.set_position
        else:
            options["bymonthday"] = rule.month_day
    if rule.count:
        options["count"] = min(rule.count, limit)
    starts: list[datetime] = []
    for naive in du.rrule(_DU_FREQ[rule.freq], **options):
        start = naive.replace(tzinfo=zone)
        if rule.until_utc is not None and start.astimezone(UTC) > rule.until_utc:
            break
        starts.append(start)
        if len(starts) >= limit:
            break
    return starts


# ---------------------------------------------------------------------------------------------
# RRULE ↔ LocalRule


def rrule_for_local_rule(rule: LocalRule, all_day: bool, zone: tzinfo) -> dict:
    """The RRULE (as an icalendar vRecur mapping) for ``rule``; UNTIL in UTC, or a date."""
    value: dict = {"FREQ": rule.freq}
    if rule.count:
        value["COUNT"] = rule.count
    elif rule.until_utc is not None:
        value["UNTIL"] = (rule.until_utc.astimezone(zone).date() if all_day
                          else rule.until_utc)
    if rule.interval > 1:
        value["INTERVAL"] = rule.interval
    if rule.freq == "WEEKLY":
        value["BYDAY"] = [WEEKDAY_CODES[d] for d in _week_order(rule.weekdays, rule.week_start)]
    elif rule.freq == "MONTHLY":
        if rule.set_position and len(rule.weekdays) == 1:
            value["BYDAY"] = [f"{rule.set_position}{WEEKDAY_CODES[rule.weekdays[0]]}"]
        elif rule.set_position:
            value["BYDAY"] = [WEEKDAY_CODES[d] for d in rule.weekdays]
            value["BYSETPOS"] = rule.set_position
        else:
            value["BYMONTHDAY"] = rule.month_day
    if rule.freq == "WEEKLY":
        value["WKST"] = WEEKDAY_CODES[rule.week_start]
    return value


def _week_order(days: list[int], week_start: int) -> list[int]:
    return sorted(set(days), key=lambda d: (d - week_start) % 7)


def _single(recur: dict, key: str) -> list:
    values = recur.get(key, [])
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _weekday_code(text: str) -> tuple[int, int]:
    """("2TU") → (2, 1): position (0 = none) and Python weekday."""
    text = text.strip().upper()
    code = text[-2:]
    if code not in WEEKDAY_CODES:
        raise UnsupportedRecurrence(f"BYDAY value {text!r} is not a weekday")
    position_text = text[:-2]
    try:
        position = int(position_text) if position_text not in ("", "+") else 0
    except ValueError:
        raise UnsupportedRecurrence(f"BYDAY value {text!r} is not a weekday") from None
    return position, WEEKDAY_CODES.index(code)


def _until_utc(value: date | datetime, zone: tzinfo, all_day: bool) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone).astimezone(UTC)
        return value.astimezone(UTC)
    if all_day:
        return datetime.combine(value, time(), zone).astimezone(UTC)
    return datetime.combine(value, time(23, 59, 59), zone).astimezone(UTC)


def local_rule_for_rrule(recur: dict, first_local: datetime, all_day: bool) -> LocalRule:
    """The LocalRule of a client's RRULE, or :class:`UnsupportedRecurrence` naming the part
    TMS cannot store and what would work."""
    freq = str((_single(recur, "FREQ") or [""])[0]).upper()
    if freq == "YEARLY":
        raise UnsupportedRecurrence(
            "yearly repetition (FREQ=YEARLY) cannot be stored in TMS; use FREQ=MONTHLY with "
            "INTERVAL=12, or separate events")
    if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise UnsupportedRecurrence(
            f"FREQ={freq} cannot be stored in TMS, which repeats at most daily; use "
            "FREQ=DAILY or separate events")
    if freq not in _DU_FREQ:
        raise UnsupportedRecurrence(f"RRULE FREQ={freq or '(missing)'} is not valid; {_CAN_STORE}")
    for part in ("BYSECOND", "BYMINUTE", "BYHOUR", "BYYEARDAY", "BYWEEKNO", "BYMONTH",
                 "RSCALE", "SKIP"):
        if part in recur:
            raise UnsupportedRecurrence(
                f"RRULE part {part} cannot be stored in TMS; {_CAN_STORE} (use BYDAY, "
                "BYMONTHDAY or a BYDAY position such as 2TU)")
    intervals = _single(recur, "INTERVAL") or [1]
    interval = int(intervals[0])
    if interval < 1:
        raise UnsupportedRecurrence(f"RRULE INTERVAL={interval} is not valid; use 1 or more")
    counts = _single(recur, "COUNT")
    untils = _single(recur, "UNTIL")
    if not counts and not untils:
        raise UnsupportedRecurrence(
            "the series has no end; TMS needs COUNT or UNTIL (at most "
            f"{MAX_OCCURRENCES} occurrences)")
    week_starts = _single(recur, "WKST") or ["MO"]
    rule = LocalRule(freq=freq, interval=interval,
                     week_start=_weekday_code(str(week_starts[0]))[1])
    if counts:
        rule.count = int(counts[0])
        if rule.count < 1:
            raise UnsupportedRecurrence(f"RRULE COUNT={rule.count} is not valid; use 1 or more")
        if rule.count > MAX_OCCURRENCES:
            raise UnsupportedRecurrence(
                f"COUNT={rule.count} exceeds the {MAX_OCCURRENCES} occurrences TMS stores per "
                f"series; use COUNT={MAX_OCCURRENCES} or less, or split the series")
    else:
        rule.until_utc = _until_utc(untils[0], first_local.tzinfo, all_day)
    days = [_weekday_code(str(text)) for text in _single(recur, "BYDAY")]
    month_days = [int(v) for v in _single(recur, "BYMONTHDAY")]
    positions = [int(v) for v in _single(recur, "BYSETPOS")]
    if freq == "DAILY":
        _daily(rule, days, month_days, positions)
    elif freq == "WEEKLY":
        _weekly(rule, days, month_days, positions, first_local)
    else:
        _monthly(rule, days, month_days, positions, first_local)
    return rule


def _daily(rule: LocalRule, days, month_days, positions) -> None:
    if month_days or positions:
        raise UnsupportedRecurrence(
            "a daily RRULE with BYMONTHDAY or BYSETPOS cannot be stored in TMS; use "
            "FREQ=MONTHLY for days of the month")
    if days:
        if rule.interval > 1:
            raise UnsupportedRecurrence(
                "FREQ=DAILY with INTERVAL and BYDAY cannot be stored in TMS; use FREQ=WEEKLY "
                "with BYDAY")
        if any(position for position, _ in days):
            raise UnsupportedRecurrence("BYDAY positions (e.g. 2TU) need FREQ=MONTHLY")
        rule.freq = "WEEKLY"
        rule.weekdays = sorted({day for _, day in days})


def _weekly(rule: LocalRule, days, month_days, positions, first_local) -> None:
    if month_days or positions:
        raise UnsupportedRecurrence(
            "a weekly RRULE with BYMONTHDAY or BYSETPOS cannot be stored in TMS; use "
            "FREQ=MONTHLY for days or positions in the month")
    if any(position for position, _ in days):
        raise UnsupportedRecurrence("BYDAY positions (e.g. 2TU) need FREQ=MONTHLY")
    rule.weekdays = sorted({day for _, day in days}) or [first_local.weekday()]


def _monthly(rule: LocalRule, days, month_days, positions, first_local) -> None:
    if month_days and (positions or days):
        raise UnsupportedRecurrence(
            "BYMONTHDAY together with BYSETPOS or BYDAY cannot be stored in TMS, which repeats "
            "either on a day of the month or on the n-th weekday; keep only one of them")
    if month_days:
        if len(month_days) > 1:
            raise UnsupportedRecurrence(
                f"BYMONTHDAY={','.join(map(str, month_days))} names several days; TMS stores "
                "one day of the month per series (split it into one series per day)")
        if not 1 <= month_days[0] <= 31:
            raise UnsupportedRecurrence(
                f"BYMONTHDAY={month_days[0]} (counted from the month's end) cannot be stored "
                "in TMS; use a day 1–31, or BYDAY=-1<weekday> for the last weekday")
        rule.month_day = month_days[0]
        return
    if not days:
        rule.month_day = first_local.day
        return
    day_positions = {position for position, _ in days}
    if len(positions) > 1 or len(day_positions) > 1 or (positions and day_positions != {0}):
        raise UnsupportedRecurrence(
            "several BYDAY positions in one month (e.g. BYDAY=1MO,3MO) cannot be stored in "
            "TMS, which keeps one position per series; split it into one series per position")
    position = positions[0] if positions else next(iter(day_positions))
    if position == 0:
        raise UnsupportedRecurrence(
            "a monthly RRULE with BYDAY but no position (every such weekday of the month) "
            "cannot be stored in TMS; use FREQ=WEEKLY, or a position such as BYDAY=2TU")
    if not (1 <= position <= 5 or position == -1):
        raise UnsupportedRecurrence(
            f"position {position} cannot be stored in TMS, which counts the 1st to 5th or the "
            "last (-1) weekday of the month")
    rule.set_position = position
    rule.weekdays = sorted({day for _, day in days})


def check_storable(rule: LocalRule, starts: list[datetime], first_local: datetime) -> None:
    """Refuse a series that is empty, too long, or whose DTSTART is not its first occurrence."""
    if len(starts) > MAX_OCCURRENCES:
        raise UnsupportedRecurrence(
            f"the series has more than {MAX_OCCURRENCES} occurrences before its UNTIL; TMS "
            f"stores at most {MAX_OCCURRENCES}: use an earlier UNTIL or split the series")
    if not starts or starts[0] != first_local:
        raise UnsupportedRecurrence(
            "DTSTART is not an occurrence of the RRULE; TMS series start on their first "
            "occurrence: move DTSTART to the first day the rule selects")
    del rule
