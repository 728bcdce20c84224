"""RFC 6638 discovery against ``tmscal serve`` and the TMS simulator (127.0.0.1): the user's
principal (inbox, outbox, addresses, type, default calendar), room principals and their
collection, both principal searches, the DAV header, and what a user may not see."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from tests.bridge_harness import serving_bridge

RIGHTS = {"alice": "book=101,102 see=110", "bob": "book=106"}
D, C, CS = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}", "{http://calendarserver.org/ns/}"
XMLNS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" ' \
        'xmlns:CS="http://calendarserver.org/ns/"'


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        yield running


def dav(bridge, method: str, path: str, body: str = "", user: str = "alice",
        depth: str = "0") -> requests.Response:
    return requests.request(method, f"{bridge.url}{path.lstrip('/')}", data=body.encode(),
                            auth=(user, user), timeout=30,
                            headers={"Depth": depth, "Content-Type": "application/xml"})


def responses(answer: requests.Response) -> dict[str, ET.Element]:
    """``{href: the 200 DAV:prop}`` of a multistatus."""
    assert answer.status_code == 207, answer.text
    found = {}
    for response in ET.fromstring(answer.content).findall(f"{D}response"):
        prop = ET.Element("prop")
        for propstat in response.findall(f"{D}propstat"):
            if " 200 " in propstat.findtext(f"{D}status"):
                prop = propstat.find(f"{D}prop")
        found[response.findtext(f"{D}href")] = prop
    return found


def hrefs(prop: ET.Element, tag: str) -> list[str]:
    return [href.text for href in prop.findall(f"{tag}/{D}href")]


def names(answer: requests.Response) -> list[str]:
    return sorted(prop.findtext(f"{D}displayname") for prop in responses(answer).values())


def test_principal_advertises_inbox_outbox_addresses_and_default_calendar(bridge):
    principal = bridge.client("alice").principal()
    assert str(principal.schedule_inbox().url).endswith("/alice/inbox/")
    assert str(principal.schedule_outbox().url).endswith("/alice/outbox/")
    assert principal.calendar_user_address_set()[0] == "mailto:alice@example.org"
    assert str(principal.get_vcal_address().params["cutype"]) == "INDIVIDUAL"

    body = f"""<D:propfind {XMLNS}><D:prop><C:schedule-default-calendar-URL/>
      <D:principal-collection-set/><C:calendar-user-type/><D:displayname/></D:prop></D:propfind>"""
    prop = responses(dav(bridge, "PROPFIND", "/alice/", body))["/alice/"]
    assert hrefs(prop, f"{C}schedule-default-calendar-URL") == ["/alice/meetings/"]
    assert hrefs(prop, f"{D}principal-collection-set") == ["/", "/alice/.rooms/"]
    assert prop.findtext(f"{C}calendar-user-type") == "INDIVIDUAL"
    assert prop.findtext(f"{D}displayname") == "alice"  # Radicale's own answer is kept


def test_the_dav_header_announces_auto_scheduling_on_every_collection(bridge):
    for path in ("/", "/alice/", "/alice/room-101/", "/alice/meetings/", "/alice/outbox/"):
        for method in ("OPTIONS", "PROPFIND"):
            answer = dav(bridge, method, path)
            assert "calendar-auto-schedule" in answer.headers["DAV"], (method, path)
    assert bridge.client("alice").check_scheduling_support()
    outbox = responses(dav(bridge, "PROPFIND", "/alice/outbox/"))["/alice/outbox/"]
    assert outbox.find(f"{D}resourcetype/{C}schedule-outbox") is not None
    assert dav(bridge, "PROPFIND", "/bob/outbox/").status_code == 403


def test_room_principals_are_listed_with_type_addresses_and_calendar(bridge):
    answer = dav(bridge, "PROPFIND", "/alice/.rooms/", depth="1")
    found = responses(answer)
    assert sorted(found) == ["/alice/.rooms/", "/alice/.rooms/101/", "/alice/.rooms/102/",
                             "/alice/.rooms/110/"]
    fjord = found["/alice/.rooms/101/"]
    assert fjord.findtext(f"{D}displayname") == "Oslo Fjord"
    assert fjord.findtext(f"{C}calendar-user-type") == "ROOM"
    assert hrefs(fjord, f"{C}calendar-user-address-set") == [
        "mailto:room-101@rooms.example.org", "mailto:oslo.fjord@video.example.org",
        "urn:x-tms:system:101"]
    assert hrefs(fjord, f"{C}calendar-home-set") == ["/alice/room-101/"]
    assert fjord.find(f"{D}resourcetype/{D}principal") is not None
    assert [e.text for e in fjord.findall(f"{CS}email-address-set/{CS}email-address")] == [
        "room-101@rooms.example.org", "oslo.fjord@video.example.org"]
    # the room's calendar is where the principal says
    assert dav(bridge, "PROPFIND", "/alice/room-101/").status_code == 207


def test_rooms_a_user_may_not_see_are_not_found(bridge):
    assert dav(bridge, "PROPFIND", "/alice/.rooms/106/").status_code == 404
    assert dav(bridge, "PROPFIND", "/alice/.rooms/999/").status_code == 404
    assert dav(bridge, "PROPFIND", "/bob/.rooms/", user="alice").status_code == 404
    assert dav(bridge, "PROPFIND", "/bob/.rooms/106/", user="alice").status_code == 404
    assert names(dav(bridge, "PROPFIND", "/bob/.rooms/", user="bob", depth="1")) == [
        "NY Hudson", "Rooms"]
    assert requests.request("PROPFIND", f"{bridge.url}alice/.rooms/",
                            timeout=30).status_code == 401


def property_search(text: str, *, props: str = "<D:displayname/>", test: str = "",
                    match_type: str = "") -> str:
    match = f' match-type="{match_type}"' if match_type else ""
    return (f'<D:principal-property-search {XMLNS} {test}><D:property-search>'
            f'<D:prop>{props}</D:prop><D:match{match}>{text}</D:match></D:property-search>'
            '<D:prop><D:displayname/><C:calendar-user-address-set/><C:calendar-user-type/>'
            '<C:calendar-home-set/></D:prop></D:principal-property-search>')


def test_principal_property_search_by_part_of_a_room_name(bridge):
    found = bridge.client("alice").search_principals(name="fjo")
    assert [p.get_display_name() for p in found] == ["Oslo Fjord"]
    assert str(found[0].url).endswith("/alice/.rooms/101/")
    assert found[0].calendar_user_address_set()[0] == "mailto:room-101@rooms.example.org"

    assert names(dav(bridge, "REPORT", "/", property_search("OSLO"))) == [
        "Oslo Fjord", "Oslo Holmenkollen"]
    assert names(dav(bridge, "REPORT", "/alice/", property_search(
        "Oslo", match_type="starts-with"))) == ["Oslo Fjord", "Oslo Holmenkollen"]
    assert names(dav(bridge, "REPORT", "/alice/.rooms/", property_search(
        "video.example.org", props="<C:calendar-user-address-set/>"))) == [
        "Adelaide Torrens", "Oslo Fjord", "Oslo Holmenkollen"]
    # rooms alice may not see are never found, whatever the search
    assert names(dav(bridge, "REPORT", "/", property_search("hudson"))) == []
    assert names(dav(bridge, "REPORT", "/", property_search("hudson"), user="bob")) == [
        "NY Hudson"]


def test_property_search_combines_criteria_and_types(bridge):
    by_type_and_name = (
        f'<D:principal-property-search {XMLNS} test="allof">'
        '<D:property-search><D:prop><C:calendar-user-type/></D:prop>'
        '<D:match match-type="equals">ROOM</D:match></D:property-search>'
        '<D:property-search><D:prop><D:displayname/></D:prop><D:match>l</D:match>'
        '</D:property-search><D:prop><D:displayname/></D:prop></D:principal-property-search>')
    assert names(dav(bridge, "REPORT", "/", by_type_and_name)) == [
        "Adelaide Torrens", "Oslo Fjord", "Oslo Holmenkollen"]
    either = by_type_and_name.replace('test="allof"', 'test="anyof"')
    assert names(dav(bridge, "REPORT", "/", either)) == [
        "Adelaide Torrens", "Oslo Fjord", "Oslo Holmenkollen", "alice"]
    me = property_search("alice@example", props="<C:calendar-user-address-set/>")
    found = responses(dav(bridge, "REPORT", "/", me))
    assert list(found) == ["/alice/"]
    assert found["/alice/"].findtext(f"{C}calendar-user-type") == "INDIVIDUAL"
    assert names(dav(bridge, "REPORT", "/", property_search("bob"))) == []


def calendarserver_search(*tokens: str, context: str = "", limit: int = 0) -> str:
    context = f' context="{context}"' if context else ""
    limit_text = f"<CS:limit><CS:nresults>{limit}</CS:nresults></CS:limit>" if limit else ""
    return (f"<CS:calendarserver-principal-search {XMLNS}{context}>"
            + "".join(f"<CS:search-token>{t}</CS:search-token>" for t in tokens)
            + f"{limit_text}<D:prop><D:displayname/><C:calendar-user-address-set/>"
            "<CS:email-address-set/><CS:record-type/></D:prop>"
            "</CS:calendarserver-principal-search>")


def test_calendarserver_principal_search_finds_locations_by_token(bridge):
    found = responses(dav(bridge, "REPORT", "/alice/.rooms/",
                          calendarserver_search("kollen", context="location")))
    assert list(found) == ["/alice/.rooms/102/"]
    assert found["/alice/.rooms/102/"].findtext(f"{CS}record-type") == "locations"
    assert names(dav(bridge, "REPORT", "/", calendarserver_search(
        "oslo", "fjord", context="resource"))) == ["Oslo Fjord"]
    assert names(dav(bridge, "REPORT", "/", calendarserver_search(
        "o", context="location", limit=2))) == ["Oslo Fjord", "Oslo Holmenkollen"]
    assert names(dav(bridge, "REPORT", "/", calendarserver_search(
        "ali", context="location"))) == []
    assert names(dav(bridge, "REPORT", "/", calendarserver_search("ali"))) == ["alice"]
    assert names(dav(bridge, "REPORT", "/", calendarserver_search(
        "hudson", context="location"))) == []


def test_principal_search_property_set_names_the_searchable_properties(bridge):
    answer = dav(bridge, "REPORT", "/", f"<D:principal-search-property-set {XMLNS}/>")
    assert answer.status_code == 200
    root = ET.fromstring(answer.content)
    searchable = [prop[0].tag for prop in root.iter(f"{D}prop")]
    assert searchable == [f"{D}displayname", f"{C}calendar-user-address-set",
                          f"{CS}email-address-set", f"{C}calendar-user-type"]


def test_other_reports_still_reach_radicale(bridge):
    query = (f'<C:calendar-query {XMLNS}><D:prop><D:getetag/></D:prop><C:filter>'
             '<C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>')
    assert dav(bridge, "REPORT", "/alice/room-101/", query, depth="1").status_code == 207
    assert dav(bridge, "REPORT", "/bob/", property_search("x"), user="alice").status_code \
        == 403
