"""The shape of a series as data: what the write path compares to send only changed
occurrences, without reading the mirrored text back.

A :class:`SeriesShape` holds what the parser reads from a series' text: the title, the first
occurrence's start and end, the TMS recurrence pattern and which occurrences are excepted. The
renderer records it from its layout (:func:`shape_of_layout`), the write path takes it from a
parsed client text (:func:`shape_of`); the two agree for every text the renderer writes
(``tests/test_ical_shape.py`` parses the rendered seeds to show it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from tmscal.model import UTC, Conference, ExceptionType, RecurrencePattern

from .recurrence import pattern_for_local_rule
from .series import SeriesLayout
from .tms_fields import event_status

#: An excepted occurrence: its kind (TMS's wire string) and original start in UTC.
Exception_ = tuple[str, datetime]


@dataclass(frozen=True)
class SeriesShape:
    """A series without its details: ``rule`` is the pattern's fields TMS stores (frequency,
    interval, UTC weekdays, month day, set position, end type, end date, instances);
    ``exceptions`` the excepted occurrences."""

    title: str
    start_utc: datetime
    end_utc: datetime
    rule: tuple
    exceptions: frozenset[Exception_]

    def same_series(self, other: "SeriesShape") -> bool:
        """Whether the two differ at most in their exceptions."""
        return (self.title, self.start_utc, self.end_utc, self.rule) == \
            (other.title, other.start_utc, other.end_utc, other.rule)

    def to_text(self) -> str:
        """The shape as compact JSON, for storage; :meth:`from_text` reads it back."""
        return json.dumps([self.title, _stamp(self.start_utc), _stamp(self.end_utc),
                           [_stamp(v) if isinstance(v, datetime) else v for v in self.rule],
                           sorted([kind, _stamp(at)] for kind, at in self.exceptions)],
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> "SeriesShape | None":
        """The shape stored as :meth:`to_text`; None for '' (not known)."""
        if not text:
            return None
        title, start, end, rule, exceptions = json.loads(text)
        rule = tuple(_instant(v) if i == _END_DATE else tuple(v) if isinstance(v, list) else v
                     for i, v in enumerate(rule))
        return cls(title, _instant(start), _instant(end), rule,
                   frozenset((kind, _instant(at)) for kind, at in exceptions))


_END_DATE = 6  # index of the end date in SeriesShape.rule


def _rule(pattern: RecurrencePattern) -> tuple:
    return (pattern.frequency.value, pattern.interval,
            tuple(day.value for day in pattern.days_of_week), pattern.by_month_day,
            pattern.by_set_position, pattern.end_type.value, pattern.end_date_utc,
            pattern.instances)


def shape_of(conference: Conference) -> SeriesShape | None:
    """The shape of a parsed series; None for a single meeting."""
    pattern = conference.recurrence
    if pattern is None or conference.start_utc is None or conference.end_utc is None:
        return None
    return SeriesShape(conference.title, conference.start_utc, conference.end_utc,
                       _rule(pattern),
                       frozenset((e.exception_type.value, e.recurrence_id_utc)
                                 for e in pattern.exceptions))


def shape_of_layout(layout: SeriesLayout, title: str, duration: timedelta, *,
                    with_status: bool) -> SeriesShape | None:
    """The shape the parser reads from the text rendered from ``layout`` (master SUMMARY
    ``title``, occurrences ``duration`` long, overrides with STATUS when ``with_status``); None
    for a single meeting, and for a series whose text the parser would refuse (an override of
    no occurrence of its rule)."""
    if layout.rule is None or not layout.starts:
        return None
    originals = {start.astimezone(UTC) for start in layout.starts}
    exceptions: dict[datetime, str] = {}
    for deleted in layout.deleted:
        exceptions[deleted.astimezone(UTC)] = ExceptionType.DELETE.value
    for original, modified in layout.modified:
        at = original.astimezone(UTC)
        if at not in originals:
            return None
        cancelled = with_status and event_status(modified.status) == "CANCELLED"
        kind = ExceptionType.DELETE if cancelled else ExceptionType.MODIFY
        exceptions.setdefault(at, kind.value)
    start = layout.starts[0].astimezone(UTC)
    return SeriesShape(title, start, start + duration,
                       _rule(pattern_for_local_rule(layout.rule, layout.starts)),
                       frozenset((kind, at) for at, kind in exceptions.items()))


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
