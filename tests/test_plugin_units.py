"""Small contracts of the plugin's parts: the URL namespace, room grants, feed text, the
Radicale signatures the plugin must accept, and the refusal responses."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from radicale_plugin import namespace
from radicale_plugin.collection import SITE_COLOURS, RoomCalendar, SiteColours
from radicale_plugin.feed_text import render_calendar
from radicale_plugin.storage import Storage
from tmscal.bridge import refusals as bridge_errors
from tmscal.settings import RoomGrant, parse_grant
from tmscal.ical.vtimezones import vtimezone_text
from tmscal.mirror.store import StoredObject
from tmscal.web.errors import refusal_response


@pytest.mark.parametrize("path,expected", [
    ("/", namespace.Root()), ("", namespace.Root()),
    ("/alice/", namespace.Home("alice")),
    ("/alice/room-12/", namespace.RoomPath("alice", 12)),
    ("/alice/room-12/x.ics", namespace.ItemPath("alice", 12, "x.ics")),
    ("/alice/other/", namespace.Unknown()), ("/alice/room-0/", namespace.Unknown()),
    ("/alice/room-1/a/b", namespace.Unknown()),
])
def test_parse_path(path, expected):
    assert namespace.parse_path(path) == expected


def test_parse_grant():
    assert parse_grant("book=1,2 see=*") == RoomGrant(book=frozenset({1, 2}), see=None)
    assert parse_grant("see=3; book=*") == RoomGrant(book=None, see=frozenset({3}))
    grant = parse_grant("book=1 see=2")
    assert grant.may_book(1) and not grant.may_book(2) and grant.may_see(2)
    assert not grant.may_see(3)


def test_site_colours_differ_per_site_and_do_not_depend_on_the_order_asked():
    sites = ["Oslo HQ", "New York", "Adelaide", "Bangalore"]
    first, second = SiteColours(lambda: sites), SiteColours(lambda: sites)
    asked = {site: first.colour(site) for site in sites}
    again = {site: second.colour(site) for site in reversed(sites)}
    assert asked == again and len(set(asked.values())) == len(sites)
    assert set(asked.values()) <= set(SITE_COLOURS)


def test_site_colours_follow_the_sites_in_the_store():
    """A site added (by another node's syncer) moves the colours of the next request, whatever
    this process answered before; the store is read once per request."""
    sites, reads = ["Adelaide", "Oslo HQ"], []

    def stored() -> list[str]:
        reads.append(1)
        return list(sites)

    before = SiteColours(stored)
    assert [before.colour("Oslo HQ"), before.colour("Adelaide")] == list(SITE_COLOURS[1::-1])
    sites.insert(1, "Bangalore")
    after = SiteColours(stored)
    assert after.colour("Oslo HQ") == SITE_COLOURS[2] and after.colour("Adelaide") == \
        SITE_COLOURS[0]
    assert len(reads) == 2


def test_render_calendar_keeps_one_timezone_per_tzid_covering_every_object():
    def stored(index: int, zone: str, year: int) -> StoredObject:
        text = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{zone}BEGIN:VEVENT\r\nUID:{index}\r\n"
                "END:VEVENT\r\nEND:VCALENDAR\r\n")
        start = datetime(year, 6, 1, tzinfo=UTC)
        return StoredObject("101", f"{index}.ics", str(index), '"e"', text, start,
                            start + timedelta(hours=1), start)

    # Asia/Jerusalem follows no yearly rule iCalendar can say: its onsets are listed per year
    objects = [stored(0, vtimezone_text("Asia/Jerusalem", 2026, 2026), 2026),
               stored(1, vtimezone_text("Asia/Jerusalem", 2029, 2029), 2029),
               stored(2, vtimezone_text("Europe/Oslo", 2026, 2026), 2026)]
    text = render_calendar(objects, "Room, A", "")
    assert text.count("BEGIN:VTIMEZONE") == 2 and text.count("BEGIN:VEVENT") == 3
    assert vtimezone_text("Asia/Jerusalem", 2025, 2030) in text
    assert "X-WR-CALNAME:Room\\, A" in text and text.endswith("END:VCALENDAR\r\n")


def test_radicale_39_signatures():
    discover = inspect.signature(Storage.discover).parameters
    assert list(discover)[:5] == ["self", "path", "depth", "child_context_manager",
                                  "user_groups"]
    lock = inspect.signature(Storage.acquire_lock).parameters
    assert "args" in lock and "kwargs" in lock
    assert inspect.isgeneratorfunction(Storage.discover)
    serialize = inspect.signature(RoomCalendar.serialize).parameters
    assert "vcf_to_ics" in serialize and "ShareActions" in serialize


def test_refusals_keep_stock_radicale_statuses():
    assert "[Errno 13]" in str(bridge_errors.BookingConflict("busy"))
    assert "[Errno" not in str(bridge_errors.InvalidCalendar("bad"))
    assert not isinstance(bridge_errors.TmsDown("down"), ValueError)


def test_refusal_response_bodies():
    status, headers, body = refusal_response(503, "TMS is down", None, {"Retry-After": "5"})
    assert status.startswith("503") and ("Retry-After", "5") in headers
    assert body == b"TMS is down\n"
    status, headers, body = refusal_response(403, "a <b>", ("C", "valid-calendar-data"), {})
    assert b"<C:valid-calendar-data/>" in body and b"a &lt;b&gt;" in body
