"""Feed bodies built from the mirror, without HTTP: each privacy level equals what the renderer
produces at that level, nothing hidden leaks, windows, expansion and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tests.feed_fixtures import (
    OSLO_ROOM,
    ROOMS,
    SECRETS,
    TITLES,
    fill_mirror,
    next_monday_nine_oslo,
    rich_series,
    single,
)
from tmscal.feeds.feed import FeedBuilder, FeedRequest
from tmscal.feeds.occurrences import OccurrenceIndex
from tmscal.settings import FeedSettings
from tmscal.feeds.tokens import FeedToken
from tmscal.feeds.window import feed_window
from tmscal.ical import render_conference
from tmscal.ical.privacy import Privacy
from tmscal.mirror.records import MirrorRoomDirectory

NOW = datetime.now(UTC)


@pytest.fixture
def builder(tmp_path):
    conferences = [rich_series(NOW), single(NOW, 900, "Quick chat", NOW + timedelta(hours=2))]
    path = tmp_path / "mirror.sqlite3"
    store = fill_mirror(path, conferences)
    return FeedBuilder(store, OccurrenceIndex(path), FeedSettings())


def feed(builder: FeedBuilder, privacy: str, scope: str = "room", target: str = "12",
         expand: bool = False, **window) -> str:
    token = FeedToken("t1", scope, target, Privacy.of(privacy), "", NOW)
    request = FeedRequest(token, feed_window(builder.settings, NOW, **window), expand)
    version = builder.version(request)
    return builder.body(request, version).identity.decode("utf-8")


def events_of(text: str) -> list[dict[str, str]]:
    """Every VEVENT as {property: ical text of its values}, for comparisons."""
    out = []
    for component in Calendar.from_ical(text).walk("VEVENT"):
        out.append({name: component[name].to_ical().decode() if hasattr(component[name],
                    "to_ical") else str(component[name]) for name in component})
    return sorted(out, key=lambda e: (e.get("UID", ""), e.get("RECURRENCE-ID", "")))


@pytest.mark.parametrize("privacy", ["busy", "title", "full"])
def test_each_level_equals_the_renderer_at_that_level(builder, privacy):
    expected = render_conference(rich_series(NOW), MirrorRoomDirectory(ROOMS),
                                 privacy=privacy).ical
    assert unstamped(events_of(feed(builder, privacy))) == unstamped(events_of(expected))


def unstamped(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events without DTSTAMP and LAST-MODIFIED (the mirror sets them when it stores)."""
    return [{name: value for name, value in event.items()
             if name not in ("DTSTAMP", "LAST-MODIFIED")} for event in events]


@pytest.mark.parametrize("privacy,hidden", [("busy", SECRETS + TITLES), ("title", SECRETS)])
def test_lower_levels_leak_nothing_in_any_property_or_override(builder, privacy, hidden):
    for expand in (False, True):
        text = feed(builder, privacy, expand=expand).replace("\r\n ", "")
        for secret in hidden:
            assert secret not in text, (privacy, expand, secret)
    full = feed(builder, "full").replace("\r\n ", "")
    assert all(secret in full for secret in ("9817", "jane.doe@example.org", "Guest Person"))


def test_busy_events_say_busy_and_keep_the_times(builder):
    calendar = Calendar.from_ical(feed(builder, "busy"))
    events = calendar.walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {"Busy"}
    assert any("RECURRENCE-ID" in e for e in events) and any("EXDATE" in e for e in events)


def test_calendar_properties_and_one_vtimezone_per_tzid(builder):
    text = feed(builder, "title")
    lines = text.split("\r\n")
    assert "X-WR-CALNAME:Oslo Fjord" in lines and "NAME:Oslo Fjord" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in lines
    assert "X-PUBLISHED-TTL:PT15M" in lines
    assert not any(line.startswith("METHOD") for line in lines)
    assert lines.count("BEGIN:VTIMEZONE") == 1 and "TZID:Europe/Oslo" in lines
    assert all(len(line.encode()) <= 75 for line in lines)


def test_site_and_all_scopes_merge_rooms_without_duplicates(builder):
    site = feed(builder, "title", scope="site", target="Oslo HQ")
    assert "X-WR-CALNAME:Oslo HQ rooms" in site and "Quick chat" not in site
    everything = feed(builder, "title", scope="all", target="")
    assert everything.count("UID:board-series-1\r\n") == 2  # master + moved override
    assert "Quick chat" in everything
    assert everything.count("TZID:America/New_York\r\n") == 1
    assert everything.count("TZID:Europe/Oslo\r\n") == 1


def test_expanded_feed_has_exactly_the_occurrences_in_utc(builder):
    calendar = Calendar.from_ical(feed(builder, "title", expand=True))
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    board = [e for e in events if str(e["UID"]).startswith("board-series-1-")]
    assert len(board) == 5  # 6 minus the deleted one
    assert [str(e["SUMMARY"]) for e in board].count("Moved board talk") == 1
    assert all("RRULE" not in e and "RECURRENCE-ID" not in e for e in events)
    assert all(e.decoded("DTSTART").tzinfo == UTC or str(e.decoded("DTSTART").tzinfo) == "UTC"
               for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_window_excludes_what_is_outside(builder):
    # the series starts next week's Monday (1 to 7 days from now, whatever today is): a window
    # ending the UTC midnight before that day holds none of it, one more day holds it
    first = next_monday_nine_oslo(NOW)
    days = (first.date() - NOW.astimezone(UTC).date()).days
    assert "board-series-1" not in feed(builder, "title", future=str(days - 1), past="0")
    assert "board-series-1" in feed(builder, "title", future=str(days), past="0")


def test_room_without_bookings_is_a_valid_empty_calendar(builder):
    text = feed(builder, "title", target="40")
    calendar = Calendar.from_ical(text)
    assert calendar.walk("VEVENT") == [] and "X-WR-CALNAME:Oslo Cellar" in text
    assert OSLO_ROOM.name not in text
