"""What parsers that read the VTIMEZONEs in the data show is what TMS holds, for every body.

The demo seed's 14 rooms in Oslo, New York, Adelaide and Bangalore hold single meetings and
series with moved and deleted occurrences across DST changes. Over 90 days back and 730 ahead,
every object GET, REPORT calendar-data (as stored, and expanded by the server), collection GET
and feed variant (room, site and all rooms; busy, title, full; series and expanded) expands,
in ical.js (Thunderbird), libical (Evolution, KDE, Cyrus), icalendar (recurring-ical-events)
and vobject, to exactly the occurrences the simulator holds (start and end in UTC), and
libical finds nothing invalid. No DTSTAMP or LAST-MODIFIED served is after the instant the
mirror stored the change.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests

from tests import calendar_parsers as parsers
from tests.bridge_harness import serving_bridge
from tmscal.feeds.tokens import open_token_store
from tmscal.mirror import open_store
from tmscal.model import ConferenceStatus

PAST, FUTURE = 90, 730
PRIVACY = ("busy", "title", "full")
KINDS = ("objects", "report", "expanded report", "collection", "feeds")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, bridge_workers):
    """A demo simulator and a bridge whose mirror holds more than the window."""
    from tmscal.simulator.server import SimulatorServer

    directory = tmp_path_factory.mktemp("zones-clients")
    tms = SimulatorServer(seed="demo")
    tms.start()
    try:
        with serving_bridge(directory, tms_url=tms.url, users=("alice",),
                            rights={"alice": "book=*"}, horizon=(PAST + 2, FUTURE + 2)) as bridge:
            bridge.tms = tms
            yield bridge
    finally:
        tms.stop()


def window() -> tuple[int, int]:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (int((day - timedelta(days=PAST)).timestamp()),
            int((day + timedelta(days=FUTURE + 1)).timestamp()))


def tms_spans(bridge, system_ids: list[int]) -> list[tuple[int, int]]:
    """(start, end) of every live occurrence TMS holds in the window, once per room."""
    start, end = (datetime.fromtimestamp(t, UTC) for t in window())
    engine = bridge.tms.engine
    listed = engine.get_conferences_for_systems(engine.user("admin"), system_ids, start, end,
                                                ConferenceStatus.ALL_EXCEPT_DELETED)
    return sorted((int(c.start_utc.timestamp()), int(c.end_utc.timestamp())) for c in listed
                  if parsers.in_window(int(c.start_utc.timestamp()),
                                       int(c.end_utc.timestamp()), window()))


class Body:
    """One kind of body (objects, collection, feeds) for one room or scope, on disk."""

    def __init__(self, kind: str, label: str, files: list[Path], expected: list[tuple[int, int]],
                 room: int | None = None) -> None:
        self.kind, self.label, self.files = kind, label, files
        self.expected = expected
        #: the room's SystemId; None for several rooms
        self.room = room

    def agrees(self, found: list[tuple[int, int]]) -> bool:
        if self.room is None:  # a meeting in several rooms is one event, listed once per room
            return set(found) == set(self.expected)
        return sorted(found) == self.expected


@pytest.fixture(scope="module")
def bodies(demo, tmp_path_factory) -> list[Body]:
    directory = tmp_path_factory.mktemp("bodies")
    session = requests.Session()
    session.auth = ("alice", "alice")
    rooms = demo.runtime.store.list_rooms()
    tokens = open_token_store(open_store(Path(demo.config).parent / "mirror.sqlite3"))
    found: list[Body] = []

    def save(name: str, text: str) -> Path:
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="")
        return path

    def feed(name: str, scope: str, target: str, privacy: str, expand: int) -> Path:
        secret = tokens.create(scope, target, privacy).secret
        response = session.get(f"{demo.url}feeds/{secret}.ics",
                               params={"past": PAST, "future": FUTURE, "expand": expand})
        assert response.status_code == 200, response.text
        return save(f"feed-{name}-{privacy}-{expand}.ics", response.text)

    for room in rooms:
        expected = tms_spans(demo, [room.system_id])
        base = f"{demo.url}alice/room-{room.system_id}/"
        objects = []
        for href, _ in demo.runtime.store.list_hrefs(room.calendar_id):
            response = session.get(base + href)
            assert response.status_code == 200, response.text
            objects.append(save(f"object-{room.system_id}-{href}", response.text))
        found.append(Body("objects", room.name, objects, expected, room.system_id))
        for kind, expand in (("report", False), ("expanded report", True)):
            texts = calendar_query(session, base, expand)
            found.append(Body(kind, room.name, [
                save(f"{kind.replace(' ', '-')}-{room.system_id}-{index}.ics", text)
                for index, text in enumerate(texts)], expected, room.system_id))
        response = session.get(base)
        assert response.status_code == 200 and "BEGIN:VCALENDAR" in response.text
        found.append(Body("collection", room.name,
                          [save(f"collection-{room.system_id}.ics", response.text)], expected,
                          room.system_id))
        for privacy in PRIVACY:
            for expand in (0, 1):
                found.append(Body("feeds", f"{room.name} {privacy} expand={expand}",
                                  [feed(str(room.system_id), "room", str(room.system_id),
                                        privacy, expand)], expected, room.system_id))
    scopes = [("site", site) for site in sorted({room.site for room in rooms})] + [("all", "")]
    for scope, target in scopes:
        ids = [room.system_id for room in rooms if scope == "all" or room.site == target]
        expected = tms_spans(demo, ids)
        for privacy in PRIVACY:
            for expand in (0, 1):
                found.append(Body("feeds", f"{scope} {target} {privacy} expand={expand}",
                                  [feed(f"{scope}{len(found)}", scope, target, privacy, expand)],
                                  expected))
    return found


def calendar_query(session: requests.Session, url: str, expand: bool) -> list[str]:
    """The calendar-data of every object with an occurrence in the window (REPORT
    calendar-query), expanded by the server (CALDAV:expand) when ``expand``."""
    start, end = (datetime.fromtimestamp(t, UTC).strftime("%Y%m%dT%H%M%SZ") for t in window())
    data = f'<C:expand start="{start}" end="{end}"/>' if expand else ""
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data>{data}</C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
    response = session.request("REPORT", url, data=body.encode(),
                               headers={"Depth": "1", "Content-Type": "application/xml"})
    assert response.status_code == 207, response.text
    tree = ElementTree.fromstring(response.content)
    texts = [element.text.replace("\r\n", "\n").replace("\n", "\r\n")
             for element in tree.iter("{urn:ietf:params:xml:ns:caldav}calendar-data")]
    assert texts
    return texts


def compare(bodies: list[Body], answers: dict[Path, list[tuple[int, int]]],
            minimum: int = 1000) -> Counter:
    """Assert every body agrees with TMS; count the occurrences compared per body kind (at
    least ``minimum`` of each)."""
    compared: Counter = Counter()
    wrong = []
    for body in bodies:
        found = [span for path in body.files for span in answers[path]]
        if not body.agrees(found):
            missing = sorted(set(body.expected) - set(found))[:3]
            extra = sorted(set(found) - set(body.expected))[:3]
            wrong.append(f"{body.kind} {body.label}: {len(found)} found, {len(body.expected)} "
                         f"in TMS; missing {missing}, unexpected {extra}")
        compared[body.kind] += len(body.expected)
    assert not wrong, "\n".join(wrong)
    assert all(compared[kind] >= minimum for kind in KINDS)
    return compared


def test_ical_js_reads_every_body_as_tms_holds_it(bodies):
    files = [path for body in bodies for path in body.files]
    results = parsers.ical_js(files, window())
    assert all(result["missing_zones"] == [] for result in results)
    print("ical.js:", dict(compare(bodies, dict(zip(files, map(parsers.spans, results))))))


def test_libical_reads_every_body_as_tms_holds_it_and_finds_nothing_invalid(bodies):
    files = [path for body in bodies for path in body.files]
    results = parsers.libical(files, window())
    errors = {str(path.name): result["errors"] for path, result in zip(files, results)
              if result["errors"]}
    assert errors == {}
    assert all(result["missing_zones"] == [] for result in results)
    print("libical:", dict(compare(bodies, dict(zip(files, map(parsers.spans, results))))))


@pytest.mark.parametrize("name", ["icalendar", "vobject"])
def test_python_parsers_read_one_room_per_site_as_tms_holds_it(demo, bodies, name):
    """Where they are cheap (they are 10 to 100 times slower than the others): for one room
    of each site (each zone), its objects, its collection and its feeds in series form."""
    expand = parsers.icalendar_spans if name == "icalendar" else parsers.vobject_spans
    sampled: dict[str, int] = {}
    for room in demo.runtime.store.list_rooms():
        sampled.setdefault(room.site, room.system_id)
    zoned = [body for body in bodies
             if body.room in sampled.values() and "expand=1" not in body.label]
    answers = {path: expand(path.read_text(encoding="utf-8"), window())
               for body in zoned for path in body.files}
    print(f"{name}:", dict(compare(zoned, answers, minimum=100)))


def test_no_served_stamp_is_after_the_mirror_stored_the_change(demo, bodies):
    served = {path.name: path for body in bodies if body.kind == "objects"
              for path in body.files}
    checked = 0
    for room in demo.runtime.store.list_rooms():
        for stored in demo.runtime.store.iter_objects(room.calendar_id):
            text = served[f"object-{room.system_id}-{stored.href}"].read_text(encoding="utf-8")
            values = re.findall(r"^(?:DTSTAMP|LAST-MODIFIED):(\S+)\r?$", text, re.MULTILINE)
            stamps = {datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                      for v in values}
            assert stamps and max(stamps) <= stored.last_modified, (stored.href, values)
            checked += 1
    assert checked > 1000
