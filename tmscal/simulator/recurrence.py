"""Expanding a TMS RecurrencePattern into occurrence start instants, as TMS accepts them.

Occurrences repeat at the same local time in the conference's zone (ConferenceTimeZoneRules),
so a series does not drift across daylight-saving changes. DaysOfWeek (and FirstDayOfWeek,
DailyWeekday's Monday–Friday) are UTC days, as TMS defines them: they are moved to local days by
the day difference between the first occurrence's UTC and local dates. ByMonthDay and
BySetPosition count in the local calendar. Refusals raise the model's errors:
EndNever → NEVER_ENDING_RECURRENCE_NOT_SUPPORTED; Yearly / sub-daily, both ByMonthDay and
BySetPosition, ADD exceptions, no or more than :data:`MAX_OCCURRENCES` occurrences →
RECURRENCE_NOT_SUPPORTED.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from dateutil import rrule

from tmscal.model import (
    MAX_OCCURRENCES, SUPPORTED_FREQUENCIES, UTC, DayOfWeek, ErrorCode, RecurrenceEndType,
    RecurrencePattern, RecurrenceNotSupported, RecurringFrequency, error_for_code,
)

_RR_DAY = {
    DayOfWeek.MONDAY: rrule.MO, DayOfWeek.TUESDAY: rrule.TU, DayOfWeek.WEDNESDAY: rrule.WE,
    DayOfWeek.THURSDAY: rrule.TH, DayOfWeek.FRIDAY: rrule.FR, DayOfWeek.SATURDAY: rrule.SA,
    DayOfWeek.SUNDAY: rrule.SU,
}
_BY_INDEX = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


def _end_type(pattern: RecurrencePattern) -> RecurrenceEndType:
    if pattern.end_type is not RecurrenceEndType.DEFAULT:
        return pattern.end_type
    if pattern.instances > 0:
        return RecurrenceEndType.END_BY_INSTANCES
    if pattern.end_date_utc is not None:
        return RecurrenceEndType.END_BY_DATE
    return RecurrenceEndType.END_NEVER


def _until(end_date: datetime) -> datetime:
    """PatternEndDateUTC as an inclusive bound: a bare date (midnight) means the whole day."""
    end_date = end_date.astimezone(UTC)
    if end_date.timetz().replace(tzinfo=None) == time(0, 0):
        return end_date + timedelta(days=1) - timedelta(seconds=1)
    return end_date


def occurrence_starts(first_start: datetime, pattern: RecurrencePattern,
                      zone: tzinfo = UTC) -> list[datetime]:
    """The UTC starts of every occurrence of ``pattern`` anchored at ``first_start``, repeating
    at the same local time in ``zone``.

    The first occurrence is the first instant the pattern yields at or after ``first_start``
    (which need not be ``first_start`` itself when it falls on an excluded day).
    """
    frequency = pattern.frequency
    if frequency is RecurringFrequency.DEFAULT:
        frequency = RecurringFrequency.WEEKLY
    if frequency not in SUPPORTED_FREQUENCIES:
        raise RecurrenceNotSupported(f"{frequency.value} recurrence is not supported")
    end_type = _end_type(pattern)
    if end_type is RecurrenceEndType.END_NEVER:
        raise error_for_code(ErrorCode.NEVER_ENDING_RECURRENCE_NOT_SUPPORTED,
                             "A recurrence without an end is not supported; "
                             "give an end date or a number of occurrences")
    start_utc = first_start.astimezone(UTC)
    start = start_utc.astimezone(zone).replace(tzinfo=None)
    shift = (start.date() - start_utc.date()).days

    def local(day: DayOfWeek):
        return _BY_INDEX[(day.python_weekday + shift) % 7]

    interval = pattern.interval if pattern.interval > 0 else 1
    days = [local(d) for d in dict.fromkeys(pattern.days_of_week)]
    rule: dict = {"dtstart": start, "interval": interval, "wkst": local(pattern.first_day_of_week)}

    if frequency is RecurringFrequency.DAILY:
        rule["freq"] = rrule.DAILY
    elif frequency is RecurringFrequency.DAILY_WEEKDAY:
        rule.update(freq=rrule.DAILY, byweekday=[_BY_INDEX[(i + shift) % 7] for i in range(5)],
                    interval=1)
    elif frequency is RecurringFrequency.WEEKLY:
        rule.update(freq=rrule.WEEKLY, byweekday=days or [_BY_INDEX[start.weekday()]])
    else:  # monthly
        rule["freq"] = rrule.MONTHLY
        if pattern.by_month_day and pattern.by_set_position:
            raise RecurrenceNotSupported(
                "A monthly pattern may set ByMonthDay or BySetPosition, not both")
        if pattern.by_set_position:
            if not days:
                raise RecurrenceNotSupported(
                    "A monthly pattern with BySetPosition needs DaysOfWeek")
            if not (-5 <= pattern.by_set_position <= 5):
                raise RecurrenceNotSupported(
                    f"BySetPosition {pattern.by_set_position} is out of range")
            rule.update(byweekday=days, bysetpos=pattern.by_set_position)
        else:
            day = pattern.by_month_day or start.day
            if not (1 <= day <= 31):
                raise RecurrenceNotSupported(f"ByMonthDay {day} is out of range")
            rule["bymonthday"] = day

    if end_type is RecurrenceEndType.END_BY_INSTANCES:
        if pattern.instances <= 0:
            raise RecurrenceNotSupported("EndByInstances needs a positive number of instances")
        if pattern.instances > MAX_OCCURRENCES:
            raise RecurrenceNotSupported(
                f"A series may have at most {MAX_OCCURRENCES} occurrences, "
                f"not {pattern.instances}")
        rule["count"] = pattern.instances
    else:
        if pattern.end_date_utc is None:
            raise RecurrenceNotSupported("EndByDate needs PatternEndDateUTC")
        rule["until"] = _until(pattern.end_date_utc).astimezone(zone).replace(tzinfo=None)

    starts: list[datetime] = []
    for instant in rrule.rrule(**rule):
        starts.append(instant.replace(tzinfo=zone).astimezone(UTC))
        if len(starts) > MAX_OCCURRENCES:
            raise RecurrenceNotSupported(
                f"The series would have more than {MAX_OCCURRENCES} occurrences")
    if not starts:
        raise RecurrenceNotSupported("The recurrence pattern yields no occurrences")
    return starts


def normalized(pattern: RecurrencePattern, starts: list[datetime]) -> RecurrencePattern:
    """The pattern as the simulator stores and returns it: no exceptions, explicit end type,
    first occurrence filled, weekly days spelled out."""
    stored = RecurrencePattern(
        frequency=(RecurringFrequency.WEEKLY if pattern.frequency is RecurringFrequency.DEFAULT
                   else pattern.frequency),
        interval=pattern.interval if pattern.interval > 0 else 1,
        days_of_week=list(dict.fromkeys(pattern.days_of_week)),
        first_day_of_week=pattern.first_day_of_week,
        by_set_position=pattern.by_set_position,
        by_month_day=pattern.by_month_day,
        end_type=_end_type(pattern),
        end_date_utc=pattern.end_date_utc,
        first_occurrence_utc=starts[0],
        instances=pattern.instances,
    )
    if stored.frequency is RecurringFrequency.WEEKLY and not stored.days_of_week:
        stored.days_of_week = [DayOfWeek.from_python_weekday(starts[0].weekday())]
    if stored.end_type is RecurrenceEndType.END_BY_INSTANCES:
        stored.end_date_utc = None
    else:
        stored.instances = 0
    return stored
