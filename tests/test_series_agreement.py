"""The calendar side and the TMS side agree on what a series means.

A client's recurring event goes through ``tmscal.ical.parse_event`` into a TMS Conference, is
booked in the simulator's engine, and comes back through ``GetRecurrentConferenceById`` and
``tmscal.ical.render_conference``. Three expansions must give the same occurrence instants:
the client's own event (expanded independently by ``recurring-ical-events``), the occurrences the
simulator stored (each its own conference), and the event the bridge renders back. This is what
catches a disagreement about DaysOfWeek in UTC, monthly positions or end dates between layers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmscal.ical import MalformedCalendar, RoomInfo, RoomTable, parse_event, render_conference
from tmscal.ical.shape import shape_of
from tmscal.model import ConferenceStatus, Participant
from tmscal.simulator.engine import Tms

UTC = timezone.utc
ZONES = ["Europe/Oslo", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "UTC"]
CLOCK = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

RULES = st.one_of(
    st.builds(lambda n, i: f"FREQ=DAILY;INTERVAL={i};COUNT={n}",
              st.integers(2, 12), st.integers(1, 3)),
    st.builds(lambda n: f"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={n}", st.integers(2, 15)),
    st.builds(lambda n, i, days: f"FREQ=WEEKLY;INTERVAL={i};BYDAY={','.join(days)};COUNT={n}",
              st.integers(2, 12), st.integers(1, 2),
              st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)),
    st.builds(lambda n: f"FREQ=MONTHLY;COUNT={n}", st.integers(2, 8)),
    st.builds(lambda n, pos, day: f"FREQ=MONTHLY;BYDAY={pos}{day};COUNT={n}",
              st.integers(2, 8), st.sampled_from(["1", "2", "3", "4", "-1"]),
              st.sampled_from(DAYS)),
)


def _event_text(zone: str, start: datetime, minutes: int, rule: str,
                deleted: datetime | None = None, moved: datetime | None = None) -> str:
    """A client's series (local naive times in ``zone``), optionally with one EXDATE and one
    occurrence moved an hour later by an overriding VEVENT."""
    end = start + timedelta(minutes=minutes)
    fmt = "%Y%m%dT%H%M%S"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//agreement//EN", "BEGIN:VEVENT",
        "UID:agreement-1", "DTSTAMP:20250101T000000Z", "SUMMARY:Series",
        f"DTSTART;TZID={zone}:{start.strftime(fmt)}", f"DTEND;TZID={zone}:{end.strftime(fmt)}",
        f"RRULE:{rule}",
    ]
    if deleted is not None:
        lines.append(f"EXDATE;TZID={zone}:{deleted.strftime(fmt)}")
    lines.append("END:VEVENT")
    if moved is not None:
        new_start = moved + timedelta(hours=1)
        lines += [
            "BEGIN:VEVENT", "UID:agreement-1", "DTSTAMP:20250101T000000Z", "SUMMARY:Moved",
            f"RECURRENCE-ID;TZID={zone}:{moved.strftime(fmt)}",
            f"DTSTART;TZID={zone}:{new_start.strftime(fmt)}",
            f"DTEND;TZID={zone}:{(new_start + timedelta(minutes=minutes)).strftime(fmt)}",
            "END:VEVENT",
        ]
    return "\r\n".join(lines + ["END:VCALENDAR", ""])


def _expanded(text: str) -> set[tuple[datetime, datetime]]:
    """Occurrence starts from recurring-ical-events, each with its component's exact duration.

    RFC 5545 §3.8.5.3 gives every instance the exact duration of its DTSTART–DTEND; the
    expander keeps the wall-clock end instead, which differs for an instance on a DST change.
    So the starts are compared independently, and the exact durations are read from the text
    (the series' master, or the override of a moved occurrence)."""
    calendar = icalendar.Calendar.from_ical(text)
    length = {}
    for component in calendar.walk("VEVENT"):
        exact = (component["DTEND"].dt.astimezone(UTC)
                 - component["DTSTART"].dt.astimezone(UTC))
        length["RECURRENCE-ID" in component] = exact
    events = recurring_ical_events.of(calendar).between(date(2024, 1, 1), date(2028, 1, 1))
    return {(e["DTSTART"].dt.astimezone(UTC),
             e["DTSTART"].dt.astimezone(UTC) + length[str(e.get("SUMMARY")) == "Moved"])
            for e in events}


def _exists(local: datetime, zone: str) -> bool:
    """Whether the wall-clock time ``local`` happens in ``zone`` (not skipped by a DST change)."""
    aware = local.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local


def _first_occurrence(day: date, at: time, rule: str) -> datetime:
    """The rule's first occurrence from ``day`` (clients start a series there; dateutil, unlike
    RFC 5545 expansion, does not count a non-matching DTSTART as an occurrence)."""
    return rrulestr(rule, dtstart=datetime.combine(day, at))[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), rule=RULES,
       day=st.dates(date(2025, 1, 5), date(2026, 6, 30)),
       hour=st.integers(0, 23), minute=st.sampled_from([0, 30]),
       minutes=st.sampled_from([30, 60, 90]), with_exceptions=st.booleans())
def test_series_occurrences_agree_between_client_tms_and_rendering(zone, rule, day, hour,
                                                                   minute, minutes,
                                                                   with_exceptions):
    start = _first_occurrence(day, time(hour, minute), rule)
    deleted = moved = None
    if with_exceptions:
        local_starts = list(rrulestr(rule, dtstart=start))
        if len(local_starts) < 4:
            with_exceptions = False
        else:
            deleted, moved = local_starts[1], local_starts[-2]
    text = _event_text(zone, start, minutes, rule, deleted, moved)
    client_view = _expanded(text)

    tms = Tms.seeded("empty", clock=lambda: CLOCK, booking_window_days=2000)
    room = tms.get_systems(tms.user("admin"))[0]
    rooms = RoomTable([RoomInfo(room.system_id, room.name, zone)])
    written = [start, start + timedelta(minutes=minutes)]
    if moved is not None:
        written += [moved + timedelta(hours=1), moved + timedelta(hours=1, minutes=minutes)]
    if not all(_exists(t, zone) for t in written):
        with pytest.raises(MalformedCalendar, match="does not exist in"):
            parse_event(text, rooms, target_room=rooms.room_by_id(room.system_id))
        return  # a time skipped by the clocks moving forward is refused, not booked
    parsed = parse_event(text, rooms, target_room=rooms.room_by_id(room.system_id))
    assert [p.participant_id for p in parsed.conference.participants] == [room.system_id]

    admin = tms.user("admin")
    saved = tms.save_conference(admin, parsed.conference)
    stored = tms.get_conferences_for_systems(
        admin, [room.system_id], datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2028, 1, 1, tzinfo=UTC), ConferenceStatus.ALL_EXCEPT_DELETED)
    tms_view = {(c.start_utc, c.end_utc) for c in stored}
    assert tms_view == client_view, f"{rule} in {zone} from {start}"

    series = tms.get_recurrent_conference_by_id(admin, saved.conference_id)
    rendered = render_conference(series, rooms, default_zone=zone)
    assert rendered is not None
    assert set(rendered.occurrences) == client_view
    assert _expanded(rendered.ical) == client_view
    # the shape the mirror keeps for the write path is what the rendered text parses to
    reread = parse_event(rendered.ical, rooms, target_room=rooms.room_by_id(room.system_id))
    assert rendered.shape == shape_of(reread.conference)
    assert isinstance(series.participants[0], Participant)
    if with_exceptions:
        kinds = sorted(e.exception_type.value for e in series.recurrence.exceptions)
        assert kinds == ["DELETE", "MODIFY"]
