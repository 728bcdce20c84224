"""The read path over HTTP: conditional GET and HEAD of calendars and objects (304, 200 again
after a change made through the bridge or in TMS), gzip, and the depth-1 PROPFIND the bridge
streams itself, compared with sync-collection and with what Radicale's own code answers."""

from __future__ import annotations

import base64
import gzip
import http.client
import io
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
import requests

import radicale_plugin.collection

from radicale_plugin import outcome, sync_window
from radicale_plugin.mirrored import MirroredCalendar
from tests.bridge_harness import serving_bridge, wait_until
from tests.test_caldav_e2e import RIGHTS, event_text, put, slot

ROOM = 101
PROPS = {
    "getetag": '<D:getetag/>',
    "listing": '<D:resourcetype/><D:getcontenttype/><D:getetag/>',
    "mixed": '<D:displayname/><D:getetag/><CS:getctag/><C:calendar-data/><D:resourcetype/>',
}


def propfind_body(props: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">'
            f'<D:prop>{props}</D:prop></D:propfind>')


@pytest.fixture
def bridge(tms, tmp_path):
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS,
                        users=("alice", "bob")) as running:
        for index in range(3):
            uid = f"read-{index}-{uuid.uuid4()}"
            assert put(running, "alice", ROOM, uid,
                       event_text(uid, slot(2 + index), f"Read {index}")).status_code == 201
        yield running


def calendar_url(bridge, user: str = "alice", room: int = ROOM) -> str:
    return f"{bridge.url}{user}/room-{room}/"


def get(url: str, method: str = "GET", **headers) -> requests.Response:
    return requests.request(method, url, auth=("alice", "alice"), headers=headers, timeout=30)


def raw_get(url: str, method: str = "GET", **headers) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names, without Date/Server) and the undecoded body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    token = base64.b64encode(b"alice:alice").decode()
    connection.request(method, parts.path, headers={"Authorization": f"Basic {token}",
                                                    **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    kept = {name.lower(): value for name, value in response.getheaders()
            if name.lower() not in ("date", "server", "connection")}
    return response.status, kept, body


def book_in_tms(admin, title: str):
    from tmscal.model import Participant, ParticipantCallType

    conference = admin.get_default_conference()
    conference.title = title
    conference.start_utc = slot(9)
    conference.end_utc = conference.start_utc + timedelta(hours=1)
    conference.participants = [Participant(ParticipantCallType.TMS, ROOM)]
    conference.external_primary_key = f"tms-{uuid.uuid4()}"
    conference.external_source_id = "TMS"
    admin.save_conference(conference)


# ---- conditional GET and HEAD --------------------------------------------------------------


def not_rendered(*args, **kwargs):
    raise AssertionError("the calendar was rendered")


def test_calendar_get_is_304_while_unchanged_and_200_after_each_change(bridge, admin,
                                                                      monkeypatch):
    url = calendar_url(bridge)
    first = get(url)
    assert first.status_code == 200 and first.text.count("BEGIN:VEVENT") == 3
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Vary"] == "Accept-Encoding"
    with monkeypatch.context() as patched:  # neither a 304 nor a HEAD renders the calendar
        patched.setattr(radicale_plugin.collection, "calendar_text_chunks", not_rendered)
        for validators in ({"If-None-Match": etag}, {"If-Modified-Since": modified},
                           {"If-None-Match": f'"other", {etag}'}):
            again = get(url, **validators)
            assert again.status_code == 304 and again.content == b""
            assert again.headers["ETag"] == etag
        assert get(url, "HEAD").headers["ETag"] == etag
    assert get(url, **{"If-None-Match": '"other"'}).status_code == 200

    uid = str(uuid.uuid4())
    assert put(bridge, "alice", ROOM, uid, event_text(uid, slot(8), "Added")).status_code == 201
    after_put = get(url, **{"If-None-Match": etag})
    assert after_put.status_code == 200 and uid in after_put.text
    assert after_put.headers["ETag"] != etag

    book_in_tms(admin, "Booked in TMS")
    changed = wait_until(lambda: (lambda r: r if r.status_code == 200 else None)(
        get(url, **{"If-None-Match": after_put.headers["ETag"]})), timeout=30)
    assert "Booked in TMS" in changed.text and changed.text.count("BEGIN:VEVENT") == 5


@pytest.mark.single_process  # the second GET must reach the process that kept the text
def test_an_unchanged_calendar_is_rendered_once_and_a_changed_one_again(bridge, monkeypatch):
    url = calendar_url(bridge)
    first = get(url)
    assert first.status_code == 200 and first.text.count("BEGIN:VEVENT") == 3
    with monkeypatch.context() as patched:  # kept: served without a pass over the objects
        patched.setattr(radicale_plugin.collection, "calendar_text_chunks", not_rendered)
        again = get(url)
        assert again.status_code == 200 and again.content == first.content
        status, headers, body = raw_get(url, **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == first.content
    uid = str(uuid.uuid4())
    assert put(bridge, "alice", ROOM, uid, event_text(uid, slot(8), "Added")).status_code == 201
    after = get(url)
    assert after.status_code == 200 and uid in after.text
    assert after.text.count("BEGIN:VEVENT") == 4


def test_object_get_is_304_for_its_etag(bridge):
    hrefs = sorted(re.findall(r"<href>([^<]+\.ics)</href>", requests.request(
        "PROPFIND", calendar_url(bridge), data=propfind_body(PROPS["getetag"]),
        headers={"Depth": "1"}, auth=("alice", "alice")).text))
    url = bridge.url.rstrip("/") + hrefs[0]
    first = get(url)
    assert first.status_code == 200 and "BEGIN:VEVENT" in first.text
    again = get(url, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_head_answers_the_headers_of_get(bridge):
    url = calendar_url(bridge)
    item = bridge.url.rstrip("/") + re.findall(r"<href>([^<]+\.ics)</href>", requests.request(
        "PROPFIND", url, data=propfind_body(PROPS["getetag"]), headers={"Depth": "1"},
        auth=("alice", "alice")).text)[0]
    for target in (url, item):
        for encoding in ({}, {"Accept-Encoding": "gzip"}):
            status, head_headers, head_body = raw_get(target, "HEAD", **encoding)
            get_status, get_headers, _ = raw_get(target, **encoding)
            for headers in (head_headers, get_headers):  # how a body without length is sent
                headers.pop("transfer-encoding", None)
            assert (status, head_body) == (200, b"") and get_status == 200
            assert head_headers == get_headers


def test_gzip_round_trip_of_a_calendar(bridge):
    url = calendar_url(bridge)
    status, plain_headers, plain = raw_get(url)
    status_gz, headers, packed = raw_get(url, **{"Accept-Encoding": "gzip, deflate"})
    assert status == status_gz == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == plain and plain.startswith(b"BEGIN:VCALENDAR")
    assert headers["etag"] == plain_headers["etag"]  # what If-Match on a write compares
    assert headers["vary"] == "Accept-Encoding"
    assert raw_get(url, **{"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
                   )[0] == 304
    assert raw_get(url, **{"Accept-Encoding": "gzip;q=0"})[1].get("content-encoding") is None


# ---- depth-1 PROPFIND ----------------------------------------------------------------------


def radicale_answer(bridge, path: str, body: str, depth: str = "1",
                    method: str = "PROPFIND") -> tuple[str, bytes]:
    """What Radicale's own code answers (the Radicale application without tmscal.web)."""
    environ: dict = {}
    setup_testing_defaults(environ)
    data = body.encode()
    environ.update({
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
        "HTTP_DEPTH": depth, "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/xml", "wsgi.input": io.BytesIO(data),
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"alice:alice").decode()})
    captured = {}
    try:
        answer = b"".join(bridge.server.application.radicale(
            environ, lambda status, headers, exc_info=None: captured.update(status=status)))
    finally:
        outcome.end()
    return captured["status"], answer


def etags_by_href(document: str) -> dict[str, str]:
    pairs = re.findall(r"<response><href>([^<]+)</href><propstat><prop><getetag>([^<]+)"
                       r"</getetag>", document.replace("&quot;", '"'))
    return {href: etag for href, etag in pairs if not href.endswith("/")}


@pytest.mark.parametrize("props", sorted(PROPS))
def test_depth_one_propfind_is_what_radicale_answers(bridge, props, monkeypatch):
    def no_items(calendar):
        raise AssertionError("the bridge built Radicale items for a depth-1 PROPFIND")

    for path in (f"/alice/room-{ROOM}/", "/alice/room-110/", "/alice/meetings/"):
        body = propfind_body(PROPS[props])
        with monkeypatch.context() as patched:
            patched.setattr(MirroredCalendar, "get_all", no_items)
            ours = requests.request("PROPFIND", bridge.url.rstrip("/") + path, data=body,
                                    headers={"Depth": "1"}, auth=("alice", "alice"))
        status, theirs = radicale_answer(bridge, path, body)
        assert ours.status_code == 207 and status.startswith("207")
        assert ours.content == theirs


def test_depth_one_propfind_gzip_and_refusals(bridge):
    body = propfind_body(PROPS["listing"])
    url = calendar_url(bridge)
    plain = requests.request("PROPFIND", url, data=body, headers={"Depth": "1"},
                             auth=("alice", "alice"))
    packed = requests.request("PROPFIND", url, data=body, auth=("alice", "alice"),
                              headers={"Depth": "1", "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and packed.content == plain.content
    # a room alice may not see, another user's room: the same refusal Radicale gives
    for path in ("/alice/room-107/", f"/bob/room-{ROOM}/"):
        ours = requests.request("PROPFIND", bridge.url.rstrip("/") + path, data=body,
                                headers={"Depth": "1"}, auth=("alice", "alice"))
        status, _ = radicale_answer(bridge, path, body)
        assert ours.status_code == int(status.split()[0]) and ours.status_code in (403, 404)


def test_depth_one_propfind_lists_what_sync_collection_lists(bridge, admin):
    book_in_tms(admin, "Listed")
    url = calendar_url(bridge)
    wait_until(lambda: "Listed" in get(url).text, timeout=30)
    listing = requests.request("PROPFIND", url, data=propfind_body(PROPS["getetag"]),
                               headers={"Depth": "1"}, auth=("alice", "alice"))
    sync = requests.request("REPORT", url, auth=("alice", "alice"), data=(
        '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        '<D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>'
        '</D:sync-collection>'))
    listed, synced = etags_by_href(listing.text), etags_by_href(sync.text)
    assert len(listed) == 4 and listed == synced


def sync_body(token: str = "", props: str = "<D:getetag/>") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
            f'<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>'
            f'<D:prop>{props}</D:prop></D:sync-collection>')


def test_sync_collection_in_slices_is_what_radicale_answers_at_once(bridge, admin,
                                                                    monkeypatch):
    monkeypatch.setattr(sync_window, "SLICE", 2)  # 4 objects: two runs of the REPORT
    book_in_tms(admin, "Sliced")
    url = calendar_url(bridge)
    wait_until(lambda: "Sliced" in get(url).text, timeout=30)
    path = f"/alice/room-{ROOM}/"

    def both(body: str, **headers) -> tuple[requests.Response, bytes]:
        ours = requests.request("REPORT", url, data=body, auth=("alice", "alice"),
                                headers=headers)
        status, theirs = radicale_answer(bridge, path, body, method="REPORT")
        assert ours.status_code == 207 and status.startswith("207")
        return ours, theirs

    ours, theirs = both(sync_body(props="<D:getetag/><D:getcontenttype/>"))
    assert ours.content == theirs and len(etags_by_href(ours.text)) == 4
    token = re.search(r"<sync-token>([^<]+)</sync-token>", ours.text).group(1)
    gone = sorted(etags_by_href(ours.text))[0]
    assert requests.delete(bridge.url.rstrip("/") + gone,
                           auth=("alice", "alice")).status_code in (200, 204)
    uid = str(uuid.uuid4())
    assert put(bridge, "alice", ROOM, uid, event_text(uid, slot(11), "New")).status_code == 201
    ours, theirs = both(sync_body(token), **{"Accept-Encoding": "gzip"})
    assert ours.headers["Content-Encoding"] == "gzip" and ours.content == theirs
    assert f"<response><href>{gone}</href><status>HTTP/1.1 404 Not Found" in ours.text
    assert len(etags_by_href(ours.text)) == 1
    # properties outside DAV: are left to Radicale whole
    ours, theirs = both(sync_body(props='<D:getetag/><C:calendar-data xmlns:C='
                                  '"urn:ietf:params:xml:ns:caldav"/>'))
    assert ours.content == theirs
    bad = requests.request("REPORT", url, data=sync_body("http://radicale.org/ns/sync/x"),
                           auth=("alice", "alice"))
    assert bad.status_code == 403 and "valid-sync-token" in bad.text


def test_caldav_library_lists_the_same_objects(bridge):
    calendar = bridge.client("alice").calendar(url=calendar_url(bridge))
    children = calendar.children()
    objects = calendar.objects_by_sync_token(load_objects=False, disable_fallback=True)
    assert sorted(str(url) for url, _type, _name in children) == \
        sorted(str(o.url) for o in objects)
    assert len(children) == 3
