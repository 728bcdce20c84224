"""Ready-made simulator contents: ``demo``, ``empty`` and ``large``.

* ``demo`` — 5 users, 14 rooms in 4 sites and time zones, a licence pool of 10 with 9 rooms
  licensed by their API bookings (1 licence free, the Adelaide and Bangalore rooms unlicensed:
  the second of them booked through the API is refused), and a year of bookings around "now"
  (singles, weekly / daily / monthly series with moved and deleted occurrences, multi-room
  meetings, dial-in participants), generated from a fixed random seed without conflicts.
* ``empty`` — the same users and rooms, no bookings, no room licensed yet and a pool with a
  licence for every room (so no booking is refused for want of a licence).
* ``large`` — 1,000 rooms in 10 sites and 100,000 single conferences, loaded in bulk without
  per-booking checks, for benchmarks; licence pool 900, 800 rooms licensed.

Password = user name for every seeded account.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from tmscal.model import (
    UTC, Conference, ConferenceStatus, DayOfWeek, ExceptionType, Participant,
    ParticipantCallType, RecurrenceEndType, RecurrenceException, RecurrencePattern,
    RecurringFrequency, System, SystemCategory, SystemStatus,
)
from tmscal.simulator.drafting import DEFAULT_SETTINGS
from tmscal.simulator.recurrence import occurrence_starts
from tmscal.simulator.timezones import time_zone_rules, zone_info

#: (site, Windows zone, IANA zone for local business hours, rooms as (id, name, seats))
SITES = [
    ("Oslo HQ", "W. Europe Standard Time", "Europe/Oslo",
     [(101, "Oslo Fjord", 12), (102, "Oslo Holmenkollen", 8), (103, "Oslo Vigeland", 6),
      (104, "Oslo Munch", 4), (105, "Oslo Boardroom", 16)]),
    ("New York", "Eastern Standard Time", "America/New_York",
     [(106, "NY Hudson", 10), (107, "NY Brooklyn", 6), (108, "NY Liberty", 14),
      (109, "NY Central Park", 4)]),
    ("Adelaide", "Cen. Australia Standard Time", "Australia/Adelaide",
     [(110, "Adelaide Torrens", 8), (111, "Adelaide Glenelg", 6), (112, "Adelaide Barossa", 10)]),
    ("Bangalore", "India Standard Time", "Asia/Kolkata",
     [(113, "Bangalore Cubbon", 8), (114, "Bangalore Lalbagh", 12)]),
]
OSLO = [101, 102, 103, 104, 105]
NEW_YORK = [106, 107, 108, 109]
ADELAIDE = [110, 111, 112]
BANGALORE = [113, 114]
#: Rooms whose seeded bookings came through the API (and so hold a licence).
API_ROOMS = OSLO + NEW_YORK
DEMO_LICENCE_POOL = 10

USERS = [
    # name, first, last, flags, bookable rooms (None = all), role shown at start
    ("admin", "Ada", "Admin", dict(site_admin=True, book_on_behalf=True), None,
     "site administrator, books every room, books on behalf"),
    ("tmscal-svc", "tmscal", "Service", dict(book_on_behalf=True, is_hidden=True), None,
     "service user: Book on behalf of, every room"),
    ("alice", "Alice", "Andersen", {}, frozenset(OSLO + [106]), "books Oslo rooms + NY Hudson"),
    ("bob", "Bob", "Brown", {}, frozenset(NEW_YORK + [101]), "books New York rooms + Oslo Fjord"),
    ("carol", "Carol", "Chen", {}, frozenset(ADELAIDE + BANGALORE + [108]),
     "books Adelaide and Bangalore rooms + NY Liberty"),
]

TITLES = ["Project sync", "1:1", "Customer call", "Design review", "Budget planning",
          "Interview", "Vendor demo", "Team lunch & learn", "Architecture board",
          "Quarterly planning", "Retrospective", "Incident review", "Training", "Town hall prep"]

SEED_RANDOM = 20260101


def seeded(tms_class, name: str, **kwargs):
    """A new ``tms_class`` instance loaded with seed ``name``."""
    builders = {"demo": _demo, "empty": _empty, "large": _large}
    if name not in builders:
        raise ValueError(f"unknown seed {name!r}; choose one of {', '.join(builders)}")
    return builders[name](tms_class, **kwargs)


def _room(system_id: int, name: str, seats: int, site: str, zone: str) -> System:
    slug = name.lower().replace(" ", ".")
    return System(
        system_id=system_id, name=name, description=f"{seats}-seat video room",
        location=f"{site}", site=site, time_zone=zone, system_type="Cisco Webex Room Kit",
        network_address=f"10.{system_id // 256}.{system_id % 256}.10",
        sip_uri=f"{slug}@video.example.org",
        h323_id=slug, e164_alias=f"5{system_id:05d}", contact="facilities@example.org",
        manufacturer="Cisco", category=SystemCategory.ROOM, status=SystemStatus.IDLE)


def _people(tms) -> None:
    accounts = []
    for name, first, last, flags, rooms, role in USERS:
        tms.add_user(name, name, first_name=first, last_name=last,
                     email_address=f"{name}@example.org", bookable_system_ids=rooms, **flags)
        accounts.append((name, name, role))
    tms.set_demo_accounts(accounts)


def _rooms(tms, licensed: set[int]) -> None:
    for site, zone, _, rooms in SITES:
        for system_id, name, seats in rooms:
            tms.add_system(_room(system_id, name, seats, site, zone),
                           allow_remote_bookings=system_id in licensed)


def _empty(tms_class, **kwargs):
    if kwargs.get("licence_pool") is None:
        kwargs["licence_pool"] = sum(len(rooms) for *_, rooms in SITES)
    tms = tms_class(**kwargs)
    _people(tms)
    _rooms(tms, set())
    return tms


# -- demo -------------------------------------------------------------------------------------


def _local(day: date, at: time, iana: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(iana)).astimezone(UTC)


def _tms(*system_ids: int) -> list[Participant]:
    return [Participant(ParticipantCallType.TMS, s) for s in system_ids]


def _series(start: datetime, minutes: int, title: str, owner: str, rooms: list[int],
            pattern: RecurrencePattern, extra: list[Participant] | None = None) -> Conference:
    return Conference(title=title, start_utc=start, end_utc=start + timedelta(minutes=minutes),
                      owner_user_name=owner, participants=_tms(*rooms) + (extra or []),
                      recurrence=pattern)


def _demo(tms_class, **kwargs):
    if kwargs.get("licence_pool") is None:
        kwargs["licence_pool"] = DEMO_LICENCE_POOL
    tms = tms_class(**kwargs)
    _people(tms)
    _rooms(tms, set())
    rng = Random(SEED_RANDOM)
    admin = tms.user("admin")
    now = tms._now()
    today = now.date()
    monday = today - timedelta(days=today.weekday())

    def book(conference: Conference, api: bool = True) -> Conference | None:
        return tms.book_directly(admin, conference, through_api=api)

    zone_of = {room: zone for _, zone, _, rooms in SITES for room, _, _ in rooms}

    def occurrence(start: datetime, pattern: RecurrencePattern, room: int, n: int) -> datetime:
        """The UTC start of occurrence ``n``: series repeat at the same local time in their
        room's zone, so across a DST change it is not ``start`` plus whole weeks."""
        return occurrence_starts(start, pattern, zone_info(zone_of[room]))[n]

    def exceptions(start: datetime, pattern: RecurrencePattern, room: int, moved: int,
                   deleted: int, shift: timedelta = timedelta(hours=1)
                   ) -> list[RecurrenceException]:
        moved_slot = occurrence(start, pattern, room, moved)
        return [
            RecurrenceException(ExceptionType.MODIFY, moved_slot, modified=Conference(
                start_utc=moved_slot + shift, end_utc=moved_slot + shift + timedelta(minutes=45))),
            RecurrenceException(ExceptionType.DELETE, occurrence(start, pattern, room, deleted)),
        ]

    week = timedelta(weeks=1)
    # Weekly sync, Oslo Fjord, Mondays 08:00Z, from 8 weeks ago, one moved and one deleted.
    start = datetime.combine(monday - 8 * week, time(8, 0), tzinfo=UTC)
    weekly = RecurrencePattern(RecurringFrequency.WEEKLY, days_of_week=[DayOfWeek.MONDAY],
                               instances=30)
    weekly.exceptions = exceptions(start, weekly, 101, moved=10, deleted=11)
    book(_series(start, 45, "Weekly sync", "alice", [101], weekly))
    # Two-weekly design crit on Tuesdays and Thursdays in Oslo Vigeland, end by date.
    start = datetime.combine(monday - 4 * week + timedelta(days=1), time(12, 0), tzinfo=UTC)
    book(_series(start, 60, "Design crit", "alice", [103], RecurrencePattern(
        RecurringFrequency.WEEKLY, interval=2, days_of_week=[DayOfWeek.TUESDAY, DayOfWeek.THURSDAY],
        end_type=RecurrenceEndType.END_BY_DATE, end_date_utc=start + 20 * week)))
    # Daily stand-up on weekdays in NY Brooklyn (14:00Z), end by date, one deleted day.
    start = datetime.combine(monday - 3 * week, time(14, 0), tzinfo=UTC)
    stand_up = RecurrencePattern(RecurringFrequency.DAILY_WEEKDAY,
                                 end_type=RecurrenceEndType.END_BY_DATE,
                                 end_date_utc=start + 12 * week)
    stand_up.exceptions = [RecurrenceException(ExceptionType.DELETE,
                                               occurrence(start, stand_up, 107, 20))]
    book(_series(start, 15, "Daily stand-up", "bob", [107], stand_up))
    # Monthly leadership meeting, first Tuesday, Oslo Boardroom + NY Liberty + a dial-in.
    first_of_month = today.replace(day=1)
    start = datetime.combine(first_of_month - timedelta(days=150), time(14, 0), tzinfo=UTC)
    leadership = RecurrencePattern(
        RecurringFrequency.MONTHLY, by_set_position=1, days_of_week=[DayOfWeek.TUESDAY],
        instances=12)
    slots = occurrence_starts(start, leadership, zone_info("W. Europe Standard Time"))
    leadership.exceptions = [RecurrenceException(ExceptionType.DELETE, slots[7])]
    book(_series(start, 90, "Leadership monthly", "admin", [105, 108], leadership,
                 [Participant(ParticipantCallType.IP_TEL_IN, 0, "CFO (phone)")]))
    # Monthly all-hands on the 10th, Oslo Munch + NY Hudson + SIP dial-out, by the service user.
    start = datetime.combine(first_of_month - timedelta(days=120), time(15, 0), tzinfo=UTC)
    start = start.replace(day=10)
    book(_series(start, 60, "All hands", "bob", [104, 106], RecurrencePattern(
        RecurringFrequency.MONTHLY, by_month_day=10, instances=10),
        [Participant(ParticipantCallType.SIP_OUT, 0, "allhands-stream@partner.example.com")]))
    # TMS-UI bookings in the unlicensed rooms: fortnightly sprint review in Adelaide, monthly
    # ops review in Bangalore.
    start = datetime.combine(monday - 6 * week + timedelta(days=3), time(23, 30), tzinfo=UTC)
    sprint = RecurrencePattern(RecurringFrequency.WEEKLY, interval=2,
                               days_of_week=[DayOfWeek.THURSDAY], instances=20)
    sprint.exceptions = exceptions(start, sprint, 110, moved=5, deleted=6)
    book(_series(start, 60, "Sprint review", "carol", [110], sprint), api=False)
    start = datetime.combine(first_of_month - timedelta(days=90), time(5, 30), tzinfo=UTC)
    book(_series(start, 60, "Ops review", "carol", [113], RecurrencePattern(
        RecurringFrequency.MONTHLY, by_month_day=15, instances=12)), api=False)
    book(_series(datetime.combine(monday - 2 * week, time(3, 30), tzinfo=UTC), 30,
                 "Bangalore daily check-in", "carol", [114], RecurrencePattern(
                     RecurringFrequency.DAILY, interval=1, instances=60)), api=False)

    _demo_singles(tms, book, rng, today)
    return tms


def _demo_singles(tms, book, rng: Random, today: date) -> None:
    """Single meetings on weekdays from 182 days back to 182 days ahead."""
    users_for_room = {
        room: [name for name, *_rest in USERS[2:] if room in _rest[2]] or ["admin"]
        for _, _, _, rooms in SITES for room, _, _ in rooms}
    dial_ins = [
        Participant(ParticipantCallType.IP_VIDEO_IN, 0, "Guest (video)"),
        Participant(ParticipantCallType.SIP_OUT, 0, "partner.room@partner.example.com"),
        Participant(ParticipantCallType.TELEPHONE_IN, 0, "Dial-in guest"),
    ]
    for offset in range(-182, 183):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        # a cross-Atlantic meeting most days: 15:00 Oslo = 09:00 New York
        if rng.random() < 0.4:
            start = _local(day, time(15, 0), "Europe/Oslo")
            book(Conference(title="Oslo / New York sync", start_utc=start,
                            end_utc=start + timedelta(minutes=45), owner_user_name="alice",
                            participants=_tms(rng.choice(OSLO), rng.choice(NEW_YORK))))
        for _, _, iana, rooms in SITES:
            for room, _name, _seats in rooms:
                for _ in range(rng.choice((0, 1, 1, 2))):
                    at = time(rng.randrange(8, 17), rng.choice((0, 30)))
                    start = _local(day, at, iana)
                    extra = [rng.choice(dial_ins)] if rng.random() < 0.25 else []
                    book(Conference(
                        title=rng.choice(TITLES), start_utc=start,
                        end_utc=start + timedelta(minutes=rng.choice((30, 45, 60, 60, 90, 120))),
                        owner_user_name=rng.choice(users_for_room[room]),
                        participants=_tms(room) + extra), api=room in API_ROOMS)


# -- large ------------------------------------------------------------------------------------

LARGE_ZONES = ["W. Europe Standard Time", "Eastern Standard Time", "Pacific Standard Time",
               "GMT Standard Time", "India Standard Time", "China Standard Time",
               "Tokyo Standard Time", "AUS Eastern Standard Time",
               "Cen. Australia Standard Time", "Central Europe Standard Time"]


def _large(tms_class, rooms: int = 1000, conferences: int = 100_000, **kwargs):
    if kwargs.get("licence_pool") is None:
        kwargs["licence_pool"] = rooms * 9 // 10
    tms = tms_class(**kwargs)
    _people(tms)
    licensed = rooms * 8 // 10
    for index in range(rooms):
        zone = LARGE_ZONES[index % len(LARGE_ZONES)]
        site = f"Site {index % len(LARGE_ZONES) + 1:02d} ({zone})"
        tms.add_system(_room(1001 + index, f"Room {index + 1:04d}", 4 + index % 12, site, zone),
                       allow_remote_bookings=index < licensed)
    admin = tms.user("admin")
    owners = [tms.user(n) for n, *_ in USERS]
    rules = {zone: time_zone_rules(zone) for zone in LARGE_ZONES}
    rng = Random(SEED_RANDOM)
    now = tms._now().replace(minute=0, second=0)
    per_room = max(1, conferences // rooms)
    first = now - timedelta(days=182)
    step = timedelta(days=364) / per_room

    prototype = Conference(language="en-US", status=ConferenceStatus.PENDING,
                           **DEFAULT_SETTINGS).__dict__
    room_names = [f"Room {index + 1:04d}" for index in range(rooms)]
    minute = timedelta(minutes=1)

    def generate():
        # Built by copying a prototype's __dict__: a dataclass __init__ per conference would
        # dominate the load time.
        made = 0
        bits = rng.getrandbits
        for index in range(rooms):
            zone_rules = rules[LARGE_ZONES[index % len(LARGE_ZONES)]]
            system_id = 1001 + index
            for slot in range(per_room):
                if made >= conferences:
                    return
                start = first + slot * step
                start = start.replace(second=0, microsecond=0) + minute * (
                    15 * rng.randrange(0, 96) - start.minute % 15)
                owner = owners[made % len(owners)]
                made += 1
                guid = f"{bits(128):032x}"
                conference = Conference.__new__(Conference)
                fields = conference.__dict__
                fields.update(prototype)
                fields.update(
                    title=TITLES[made % len(TITLES)], start_utc=start,
                    end_utc=start + minute * (30 * (1 + made % 4)),
                    owner_id=owner.user_id, owner_user_name=owner.qualified_name,
                    owner_first_name=owner.first_name, owner_last_name=owner.last_name,
                    owner_email_address=owner.email_address, password=f"{1000 + made % 9000}",
                    external_primary_key=(f"{guid[:8]}-{guid[8:12]}-4{guid[13:16]}-"
                                          f"a{guid[17:20]}-{guid[20:]}"),
                    participants=[Participant(ParticipantCallType.TMS, system_id,
                                              room_names[index])],
                    time_zone_rules=zone_rules)
                yield conference

    tms.import_conferences(generate(), performed_by=admin)
    return tms

