"""The series shape the renderer records is what the parser reads from the rendered text.

The mirror stores :attr:`RenderedEvent.shape` and the write path compares a client's parsed
text against it (``tmscal.bridge.booking``), so the two must agree for every text the renderer
writes. ``tests/test_series_agreement.py`` checks the same on random series in five zones.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tmscal.ical import RoomInfo, RoomTable, parse_event, render_conference
from tmscal.ical.shape import SeriesShape, shape_of
from tmscal.ical.zones import time_zone_rule
from tmscal.model import (
    Conference, ConferenceStatus, DayOfWeek, ExceptionType, Participant, ParticipantCallType,
    RecurrenceEndType, RecurrenceException, RecurrencePattern, RecurringFrequency,
)
from tmscal.simulator.engine import Tms

ROOMS = RoomTable([RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "mailto:room-12@example.org")])
# a Monday 08:30 in Oslo, three weeks before the clocks move forward
START = datetime(2027, 3, 8, 7, 30, tzinfo=UTC)


def _series(title: str = "Board", **pattern) -> Conference:
    weekly = RecurrencePattern(RecurringFrequency.WEEKLY, 1, [DayOfWeek.MONDAY], instances=8)
    return Conference(
        conference_id=7, title=title, start_utc=START, end_utc=START + timedelta(hours=1),
        external_primary_key="board@example.org", version=3,
        participants=[Participant(ParticipantCallType.TMS, 12)],
        time_zone_rules=[time_zone_rule("Europe/Oslo", 2027)],
        recurrence=replace(weekly, **pattern))


def _reread(text: str) -> SeriesShape | None:
    return shape_of(parse_event(text, ROOMS, target_room=ROOMS.room_by_id(12)).conference)


def _moved(weeks: int, status: ConferenceStatus = ConferenceStatus.PENDING) -> RecurrenceException:
    original = START + timedelta(weeks=weeks)
    if weeks >= 3:  # after the clocks moved: 08:30 in Oslo is an hour earlier in UTC
        original -= timedelta(hours=1)
    moved = Conference(conference_id=70 + weeks, title="Moved", status=status,
                       start_utc=original + timedelta(hours=2),
                       end_utc=original + timedelta(hours=3), recurrence_instance_id_utc=original)
    return RecurrenceException(ExceptionType.MODIFY, original, modified=moved)


CASES = {
    "weekly": _series(),
    "across DST with exceptions": _series(exceptions=[
        RecurrenceException(ExceptionType.DELETE, START + timedelta(weeks=1)),
        _moved(4)]),
    "a rejected occurrence reads as cancelled": _series(exceptions=[
        _moved(2, ConferenceStatus.REJECTED)]),
    "ends by date": _series(end_type=RecurrenceEndType.END_BY_DATE, instances=0,
                            end_date_utc=START + timedelta(weeks=5)),
    "monthly by position": _series(frequency=RecurringFrequency.MONTHLY, by_set_position=2,
                                   instances=4),
    "title with escapes, line ends and control characters": replace(
        _series(), title="C:\\new, plan; \\N\x1b[1mnext\r\nline"),
}


@pytest.mark.parametrize("privacy", ["full", "title", "busy"])
@pytest.mark.parametrize("case", CASES)
def test_the_recorded_shape_is_what_the_text_parses_to(case, privacy):
    rendered = render_conference(CASES[case], ROOMS, privacy=privacy)
    assert rendered.shape is not None
    assert rendered.shape == _reread(rendered.ical)
    assert SeriesShape.from_text(rendered.shape.to_text()) == rendered.shape


def test_a_rejected_occurrence_counts_as_deleted_only_where_its_status_shows():
    conference = CASES["a rejected occurrence reads as cancelled"]
    kinds = {privacy: {kind for kind, _ in render_conference(
        conference, ROOMS, privacy=privacy).shape.exceptions} for privacy in ("full", "busy")}
    assert kinds == {"full": {"DELETE"}, "busy": {"MODIFY"}}


def test_a_single_meeting_has_no_shape_and_the_title_is_as_read():
    single = replace(_series(title="a\\,b"), recurrence=None)
    rendered = render_conference(single, ROOMS)
    assert rendered.shape is None and SeriesShape.from_text("") is None
    assert rendered.title == parse_event(rendered.ical, ROOMS).conference.title == "a\\,b"
    assert render_conference(single, ROOMS, privacy="busy").title == "Busy"


def test_every_series_of_the_demo_seed():
    tms = Tms.seeded("demo")
    admin = tms.user("admin")
    systems = tms.get_systems(admin)
    rooms = RoomTable(RoomInfo(s.system_id, s.name, s.time_zone or "UTC") for s in systems)
    found = tms.get_conferences_for_systems(
        admin, [s.system_id for s in systems], datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC), ConferenceStatus.ALL_EXCEPT_DELETED)
    series = {}
    for occurrence in found:
        if occurrence.recurrence_instance_id_utc is not None:
            whole = tms.get_recurrent_conference_by_id(admin, occurrence.conference_id)
            series[whole.conference_id] = whole
    assert len(series) >= 5
    for conference in series.values():
        rendered = render_conference(conference, rooms)
        text_shape = shape_of(parse_event(rendered.ical, rooms).conference)
        assert rendered.shape == text_shape, conference.title
