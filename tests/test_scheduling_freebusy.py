"""Free/busy through the schedule outbox (RFC 6638 §5) against ``tmscal serve`` and the TMS
simulator on 127.0.0.1: the ``caldav`` library's request and Thunderbird's (with Originator and
Recipient headers), busy periods equal to TMS's occurrences across a DST change, rights, and
refused bodies. Bookings are made through the bridge (so TMS holds them) and compared with
what TMS lists (GetConferencesForSystems)."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar

from tests.bridge_harness import serving_bridge
from tests.test_caldav_e2e import put
from tmscal.bridge.scheduling.freebusy import merged_busy

RIGHTS = {"alice": "book=101,102 see=110", "bob": "book=106"}
OSLO = ZoneInfo("Europe/Oslo")
C = "{urn:ietf:params:xml:ns:caldav}"
STAMP = "%Y%m%dT%H%M%SZ"


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        yield running


def next_dst_change(after: datetime) -> datetime:
    """Local midnight (Oslo) of the first day after ``after`` whose UTC offset differs from
    the day before's."""
    day = after.astimezone(OSLO).replace(hour=12, minute=0, second=0, microsecond=0)
    while (day + timedelta(days=1)).utcoffset() == day.utcoffset():
        day = (day + timedelta(days=1)).replace(tzinfo=OSLO)
    return (day + timedelta(days=1)).replace(hour=0)


def book(bridge, room: int, start_local: datetime, title: str, *, minutes: int = 60,
         rrule: str = "") -> str:
    """Book ``room`` through alice's room calendar (TMS saves it); the UID."""
    uid = str(uuid.uuid4())
    end_local = start_local + timedelta(minutes=minutes)
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tmscal tests//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=Europe/Oslo:{start_local:%Y%m%dT%H%M%S}\r\n"
            f"DTEND;TZID=Europe/Oslo:{end_local:%Y%m%dT%H%M%S}\r\n"
            f"SUMMARY:{title}\r\n{rrule}END:VEVENT\r\nEND:VCALENDAR\r\n")
    answer = put(bridge, "alice", room, uid, text)
    assert answer.status_code == 201, answer.text
    return uid


def tms_busy(admin, room: int, start: datetime, end: datetime):
    """TMS's occurrences of ``room`` in the window, clipped and merged."""
    listed = admin.get_conferences_for_systems([room], start, end)
    return merged_busy(((c.start_utc, c.end_utc) for c in listed), start, end)


def reply_busy(calendar_data: str) -> list[tuple[datetime, datetime]]:
    vfreebusy = Calendar.from_ical(calendar_data).walk("VFREEBUSY")[0]
    values = vfreebusy.get("FREEBUSY", [])
    return [period.dt for period in (values if isinstance(values, list) else [values])]


def freebusy_body(start: datetime, end: datetime, *attendees: str,
                  organizer: str = "mailto:alice@example.org") -> str:
    people = "".join(f"ATTENDEE:{a}\r\n" for a in attendees)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar "
            "V1.1//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n"
            f"DTSTAMP:20260101T000000Z\r\nORGANIZER:{organizer}\r\n"
            f"DTSTART:{start.strftime(STAMP)}\r\nDTEND:{end.strftime(STAMP)}\r\n"
            f"UID:{uuid.uuid4()}\r\n{people}END:VFREEBUSY\r\nEND:VCALENDAR\r\n")


def post(bridge, body: str, *, user: str = "alice", outbox: str = "alice",
         headers: dict | None = None) -> requests.Response:
    data = body.encode("latin-1") if "\xf6" in body else body.encode()
    return requests.post(f"{bridge.url}{outbox}/outbox/", data=data,
                         auth=(user, user), timeout=30,
                         headers={"Content-Type": "text/calendar; charset=utf-8",
                                  **(headers or {})})


def schedule_responses(answer: requests.Response) -> dict[str, tuple[str, str]]:
    """``{recipient: (request-status, calendar-data)}``."""
    assert answer.status_code == 200, answer.text
    root = ET.fromstring(answer.content)
    assert root.tag == f"{C}schedule-response"
    return {r.findtext(f"{C}recipient/{{DAV:}}href"): (r.findtext(f"{C}request-status"),
                                                       r.findtext(f"{C}calendar-data") or "")
            for r in root.findall(f"{C}response")}


def test_caldav_free_busy_of_two_rooms_follows_tms_across_a_dst_change(bridge, admin):
    change = next_dst_change(datetime.now(UTC) + timedelta(days=9))
    first = (change - timedelta(days=7)).replace(hour=10)  # weekly: before, on, after
    book(bridge, 101, first, "Weekly", rrule="RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    book(bridge, 101, first + timedelta(hours=1), "Right after")  # touches the first
    start = first.astimezone(UTC) - timedelta(hours=2)
    end = start + timedelta(days=16)

    principal = bridge.client("alice").principal()
    answers = principal.freebusy_request(start, end, ["mailto:room-101@rooms.example.org",
                                                      "mailto:room-102@rooms.example.org"])
    assert answers.pop("errors") == {}
    busy = {str(address): reply_busy(freebusy.data) for address, freebusy in answers.items()}
    expected = tms_busy(admin, 101, start, end)
    assert len(expected) == 3 and expected[0][1] - expected[0][0] == timedelta(hours=2)
    assert {period[0].hour for period in expected} == {9, 8}  # 10:00 Oslo, CET and CEST
    assert busy == {"mailto:room-101@rooms.example.org": expected,
                    "mailto:room-102@rooms.example.org": []}


def test_thunderbird_request_with_originator_and_recipient_headers(bridge, admin):
    first = (datetime.now(UTC) + timedelta(days=3)).astimezone(OSLO).replace(
        hour=10, minute=0, second=0, microsecond=0)
    book(bridge, 102, first, "Planning", minutes=90)
    # the window starts in the middle of the booking: the busy period is clipped to it
    start, end = first.astimezone(UTC) + timedelta(minutes=30), first.astimezone(UTC) + \
        timedelta(days=1)
    body = freebusy_body(start, end, "mailto:room-102@rooms.example.org",
                         "urn:x-tms:system:110", "mailto:room-106@rooms.example.org",
                         "mailto:bob@example.org", "mailto:nobody@nowhere.example")
    answer = post(bridge, body, headers={
        "Originator": "mailto:alice@example.org",
        "Recipient": "mailto:room-102@rooms.example.org, urn:x-tms:system:110"})
    found = schedule_responses(answer)
    assert {k: v[0] for k, v in found.items()} == {
        "mailto:room-102@rooms.example.org": "2.0;Success",
        "urn:x-tms:system:110": "2.0;Success",
        "mailto:room-106@rooms.example.org": "3.8;No authority",
        "mailto:bob@example.org": "3.7;Invalid calendar user",
        "mailto:nobody@nowhere.example": "3.7;Invalid calendar user"}
    reply = found["mailto:room-102@rooms.example.org"][1]
    assert reply_busy(reply) == tms_busy(admin, 102, start, end) == [
        (start, first.astimezone(UTC) + timedelta(minutes=90))]
    vfreebusy = Calendar.from_ical(reply).walk("VFREEBUSY")[0]
    assert (str(vfreebusy["ORGANIZER"]), str(vfreebusy["ATTENDEE"])) == (
        "mailto:alice@example.org", "mailto:room-102@rooms.example.org")
    assert (vfreebusy["DTSTART"].dt, vfreebusy["DTEND"].dt) == (start, end)
    assert "METHOD:REPLY" in reply and reply_busy(found["urn:x-tms:system:110"][1]) == []


def test_nobody_asks_in_another_users_name(bridge):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    body = freebusy_body(start, start + timedelta(days=1), "mailto:room-101@rooms.example.org")
    assert post(bridge, body, user="alice", outbox="bob").status_code == 403
    forged = post(bridge, body.replace("ORGANIZER:mailto:alice@", "ORGANIZER:mailto:bob@"))
    assert forged.status_code == 403 and "not your calendar-user address" in forged.text
    other = post(bridge, body, headers={"Originator": "mailto:bob@example.org"})
    assert other.status_code == 403
    anonymous = requests.post(f"{bridge.url}alice/outbox/", data=body.encode(), timeout=30,
                              headers={"Content-Type": "text/calendar"})
    assert anonymous.status_code == 401
    assert post(bridge, body, user="bob", outbox="bob").status_code == 403  # alice's ORGANIZER


@pytest.mark.parametrize(("change", "status", "reason"), [
    (lambda body: "not a calendar", 400, "not an iCalendar object"),
    (lambda body: body.replace("VFREEBUSY", "VEVENT"), 400,
     "free/busy requests (VFREEBUSY) only, not VEVENT"),
    (lambda body: body.replace("METHOD:REQUEST", "METHOD:PUBLISH"), 400, "METHOD:REQUEST"),
    (lambda body: body.replace("DTEND:", "X-DTEND:"), 400, "has no DTEND"),
    (lambda body: body.replace("DTEND:2", "DTEND:1"), 400, "DTEND is not after its DTSTART"),
    (lambda body: body.replace("DTSTART:", "DTSTART;TZID=Mars/Olympus:").replace(
        "Z\r\nDTEND", "\r\nDTEND"), 400,
     "unknown time zone 'Mars/Olympus'"),
    (lambda body: body.replace("ATTENDEE:", "X-ATTENDEE:"), 400, "names no ATTENDEE"),
    (lambda body: body.replace("END:VCALENDAR", ""), 400, "never closed"),
    (lambda body: re.sub(r"DTEND:(\d{4})", lambda m: f"DTEND:{int(m[1]) + 2}", body), 400,
     "limited to 366 days"),
    (lambda body: body + "X" * 600_000, 413, "limited to 524288 bytes"),
    (lambda body: body.encode("utf-8").decode("latin-1").replace("Mozilla", "M\xf6zilla"),
     400, "not UTF-8"),
])
def test_bodies_that_are_no_free_busy_request_are_refused_with_a_reason(bridge, change,
                                                                         status, reason):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    body = change(freebusy_body(start, start + timedelta(days=1),
                                "mailto:room-101@rooms.example.org"))
    answer = post(bridge, body)
    assert answer.status_code == status and reason in answer.text, answer.text
    assert "\n" not in answer.text.strip()


def test_the_outbox_takes_calendar_text_only(bridge):
    answer = requests.post(f"{bridge.url}alice/outbox/", data=b"<x/>", auth=("alice", "alice"),
                           headers={"Content-Type": "application/xml"}, timeout=30)
    assert answer.status_code == 415
    assert requests.post(f"{bridge.url}alice/meetings/", data=b"x", auth=("alice", "alice"),
                         timeout=30).status_code == 405  # other POSTs stay Radicale's


def test_free_busy_is_answered_from_the_mirror_while_tms_is_down(bridge, admin, tms):
    first = (datetime.now(UTC) + timedelta(days=2)).astimezone(OSLO).replace(
        hour=14, minute=0, second=0, microsecond=0)
    book(bridge, 101, first, "Review", minutes=45)
    start, end = first.astimezone(UTC) - timedelta(hours=1), first.astimezone(UTC) + \
        timedelta(hours=5)
    expected = tms_busy(admin, 101, start, end)
    tms.stop()  # no TMS call can succeed from here on
    found = schedule_responses(post(bridge, freebusy_body(
        start, end, "mailto:room-101@rooms.example.org")))
    status, reply = found["mailto:room-101@rooms.example.org"]
    assert status == "2.0;Success" and reply_busy(reply) == expected and len(expected) == 1
