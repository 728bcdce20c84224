"""Conferences rendered and parsed per second by tmscal.ical.

Prints absolute rates and, as DESIGN.md asks, ratios against a baseline measured in the same
run: plain ``icalendar`` serializing/parsing a minimal single VEVENT.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from tmscal.ical import RoomInfo, RoomTable, parse_event, render_conference
from tmscal.ical.zones import time_zone_rule
from tmscal.model import (
    UTC, Conference, DayOfWeek, ExceptionType, Participant, ParticipantCallType,
    RecurrenceException, RecurrencePattern, RecurringFrequency,
)

ROOMS = RoomTable([RoomInfo(12, "Oslo Fjord", "Europe/Oslo", "mailto:room-12@example.org")])
START = datetime(2025, 3, 10, 8, tzinfo=UTC)


def conferences(count: int) -> list[Conference]:
    """Half single meetings, half weekly series of 20 with one deleted occurrence."""
    found = []
    for index in range(count):
        start = START + timedelta(days=index % 300, hours=index % 9)
        conference = Conference(
            conference_id=index, title=f"Meeting {index}", start_utc=start,
            end_utc=start + timedelta(hours=1), external_primary_key=f"uid-{index}",
            owner_first_name="Jane", owner_last_name="Doe", owner_email_address="j@example.org",
            participants=[Participant(ParticipantCallType.TMS, 12),
                          Participant(ParticipantCallType.SIP_OUT, 1, "bob@example.com")],
            time_zone_rules=[time_zone_rule("Europe/Oslo", 2025)], version=1000 + index,
            conference_info_text=f"Dial 99{index:04d}@video.example.org\nPIN 1234")
        if index % 2:
            conference.recurrence = RecurrencePattern(
                RecurringFrequency.WEEKLY, 1, [DayOfWeek.from_python_weekday(start.weekday())],
                instances=20, exceptions=[RecurrenceException(
                    ExceptionType.DELETE, start + timedelta(weeks=2))])
        found.append(conference)
    return found


def rate(work, items: list) -> float:
    began = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - began)


def baseline_text(index: int) -> str:
    event = Event()
    event.add("UID", f"uid-{index}")
    event.add("DTSTAMP", START)
    event.add("DTSTART", START)
    event.add("DTEND", START + timedelta(hours=1))
    event.add("SUMMARY", f"Meeting {index}")
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//bench//EN")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def main(count: int = 400) -> None:
    items = conferences(count)
    render_conference(items[0], ROOMS)  # warm the VTIMEZONE and zone caches
    base_render = rate(baseline_text, list(range(count)))
    texts = [baseline_text(i) for i in range(count)]
    base_parse = rate(Calendar.from_ical, texts)
    rendered_rate = rate(lambda c: render_conference(c, ROOMS), items)
    documents = [render_conference(c, ROOMS).ical for c in items]
    parsed_rate = rate(lambda text: parse_event(text, ROOMS), documents)
    print(f"conferences rendered per second: {rendered_rate:8.0f}  "
          f"(x{rendered_rate / base_render:.2f} of bare icalendar single-event serialization, "
          f"{base_render:.0f}/s)")
    print(f"conferences parsed per second:   {parsed_rate:8.0f}  "
          f"(x{parsed_rate / base_parse:.2f} of bare icalendar single-event parsing, "
          f"{base_parse:.0f}/s)")


if __name__ == "__main__":
    main()
