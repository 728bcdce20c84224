"""Conferences and mirrors for the feed tests: a rich weekly series in Oslo (dial-in, PIN,
e-mail addresses, a moved and a deleted occurrence), rendered in full into a mirror exactly as
the syncer stores it, relative to the real clock (feed windows are)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tmscal.ical.zones import time_zone_rule
from tmscal.mirror import Room, open_store
from tmscal.mirror.records import MirrorRoomDirectory, record_for
from tmscal.model import (
    Conference,
    DayOfWeek,
    ExceptionType,
    Participant,
    ParticipantCallType,
    RecurrenceException,
    RecurrencePattern,
    RecurringFrequency,
)

OSLO_ROOM = Room(12, "Oslo Fjord", zone="Europe/Oslo", site="Oslo HQ",
                 address="mailto:room-12@rooms.example.org")
NY_ROOM = Room(30, "NY Hudson", zone="America/New_York", site="New York",
               address="mailto:hudson@rooms.example.org")
EMPTY_ROOM = Room(40, "Oslo Cellar", zone="W. Europe Standard Time", site="Oslo HQ")
ROOMS = [OSLO_ROOM, NY_ROOM, EMPTY_ROOM]

#: Strings only the ``full`` level may show.
SECRETS = ["9817", "jane.doe@example.org", "guest@example.net", "bob@video.example.com",
           "991234@video.example.org", "Conference ID", "X-TMS", "DESCRIPTION", "LOCATION",
           "CONFERENCE", "Guest Person", "owner-secret"]
#: Strings ``busy`` must not show (``title`` may).
TITLES = ["Board strategy", "Moved board talk", "Jane Doe", "Quick chat"]
INFO = ("Board strategy\nVideo: dial 991234@video.example.org\nPIN: 9817\n"
        "Conference ID: 501")


def next_monday_nine_oslo(now: datetime) -> datetime:
    """Next week's Monday 09:00 Oslo time, in UTC (08:00Z in winter, 07:00Z in summer)."""
    from zoneinfo import ZoneInfo

    oslo = ZoneInfo("Europe/Oslo")
    local = now.astimezone(oslo)
    monday = (local + timedelta(days=7 - local.weekday())).replace(hour=9, minute=0, second=0,
                                                                     microsecond=0)
    return monday.astimezone(UTC)


def rich_series(now: datetime) -> Conference:
    """A weekly series of 6 in Oslo: occurrence 2 deleted, occurrence 3 moved two hours later
    with another title."""
    first = next_monday_nine_oslo(now)
    week = timedelta(days=7)

    def weeks_later(weeks: int) -> datetime:
        """The occurrence ``weeks`` after the first: 09:00 Oslo time, across a DST change too."""
        from zoneinfo import ZoneInfo

        return (first.astimezone(ZoneInfo("Europe/Oslo")) + weeks * week).astimezone(UTC)

    moved_from = weeks_later(2)
    moved = Conference(conference_id=503, title="Moved board talk",
                       start_utc=moved_from + timedelta(hours=2),
                       end_utc=moved_from + timedelta(hours=3))
    return Conference(
        conference_id=501, title="Board strategy", start_utc=first,
        end_utc=first + timedelta(hours=1), external_primary_key="board-series-1",
        owner_id=77, owner_user_name="owner-secret", owner_first_name="Jane",
        owner_last_name="Doe", owner_email_address="jane.doe@example.org",
        participants=[
            Participant(ParticipantCallType.TMS, 12, "Oslo Fjord"),
            Participant(ParticipantCallType.SIP_OUT, 1, "bob@video.example.com"),
            Participant(ParticipantCallType.IP_VIDEO_IN, 2, "Guest Person",
                        "guest@example.net")],
        time_zone_rules=[time_zone_rule("Europe/Oslo", first.year)], version=4001,
        password="9817", conference_info_text=INFO,
        recurrence=RecurrencePattern(
            RecurringFrequency.WEEKLY, 1, [DayOfWeek.from_python_weekday(first.weekday())],
            instances=6, exceptions=[
                RecurrenceException(ExceptionType.DELETE, weeks_later(1)),
                RecurrenceException(ExceptionType.MODIFY, moved_from, modified=moved)]))


def single(now: datetime, conference_id: int, title: str, start: datetime, minutes: int = 60,
           rooms: tuple[int, ...] = (30,)) -> Conference:
    return Conference(
        conference_id=conference_id, title=title, start_utc=start,
        end_utc=start + timedelta(minutes=minutes),
        external_primary_key=f"single-{conference_id}", owner_first_name="Jane",
        owner_last_name="Doe", owner_email_address="jane.doe@example.org", version=conference_id,
        participants=[Participant(ParticipantCallType.TMS, room) for room in rooms])


def fill_mirror(path: Path, conferences: list[Conference], rooms: list[Room] = ROOMS):
    """A mirror at ``path`` holding ``rooms`` and ``conferences`` rendered in full."""
    store = open_store(str(path))
    store.replace_rooms(rooms)
    directory = MirrorRoomDirectory(rooms)
    store.store_conferences([record for record in (
        record_for(conference, directory) for conference in conferences) if record])
    store.set_cursor(1)
    return store
