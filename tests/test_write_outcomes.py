"""An answer is true or says it does not know: raw HTTP against ``tmscal serve`` and the
simulator with fault injection (latency beyond the bridge's timeout, a fault rate), stale
If-Match after a change made in TMS, and writes that change nothing TMS stores."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from tests.bridge_harness import serving_bridge, wait_until
from tests.test_caldav_e2e import SOURCE, event_text, slot
from tmscal.mirror.sync import held_by_tms
from tmscal.bridge.reason_time import local_span
from tmscal.simulator.faults import FaultInjection
from tmscal.tms import TmsClient

RIGHTS = {"alice": "book=101,102,103,104,105,106"}
NOTHING = "nothing was changed"


def write(bridge, uid: str, text: str, *, room: int = 101, name: str | None = None,
          **headers) -> requests.Response:
    return requests.put(f"{bridge.url}alice/room-{room}/{name or uid + '.ics'}",
                        data=text.encode(), auth=("alice", "alice"),
                        headers={"Content-Type": "text/calendar", **headers}, timeout=60)


def title_in_tms(admin: TmsClient, uid: str) -> str | None:
    conference = held_by_tms(admin, SOURCE, uid)
    return None if conference is None else conference.title


def settled(bridge) -> bool:
    return not bridge.runtime.store.pending_writes()


def test_writes_tms_answers_after_the_timeout_are_told_truthfully(empty_simulator, admin,
                                                                  tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",), timeout=1.0) as bridge:
        warm = str(uuid.uuid4())  # the client has its TMS session: the next call is the save
        assert write(bridge, warm, event_text(warm, slot(2), "Warm")).status_code == 201
        uids = [str(uuid.uuid4()) for _ in range(3)]
        texts = {uid: event_text(uid, slot(3, hour=8 + n), f"Late {n}")
                 for n, uid in enumerate(uids)}
        empty_simulator.faults.latency = 1.5
        try:
            answers = {uid: write(bridge, uid, texts[uid], name=f"client-{uid[:8]}.ics")
                       for uid in uids}
        finally:
            empty_simulator.faults.latency = 0
        wait_until(lambda: settled(bridge), timeout=30)
        for uid, answer in answers.items():
            assert answer.status_code in (201, 503), answer.text
            if answer.status_code == 201:
                assert title_in_tms(admin, uid) is not None
            elif NOTHING in answer.text:
                assert title_in_tms(admin, uid) is None
            else:
                assert "not known yet" in answer.text and answer.headers["Retry-After"]
        # a client retrying under its own event name gets one booking
        for uid in uids:
            retry = write(bridge, uid, texts[uid], name=f"client-{uid[:8]}.ics")
            assert retry.status_code in (201, 204), retry.text
            served = requests.get(f"{bridge.url}alice/room-101/client-{uid[:8]}.ics",
                                  auth=("alice", "alice"))
            assert served.status_code == 200 and uid in served.text
        listed = admin.get_conferences_for_systems([101], slot(3) - timedelta(hours=1),
                                                   slot(4))
        assert sorted(c.title for c in listed) == ["Late 0", "Late 1", "Late 2"]


def test_at_a_fault_rate_every_acknowledged_write_is_in_tms(simulator_factory, tmp_path):
    tms = simulator_factory(seed="empty", faults=FaultInjection(rng=random.Random(11)))
    with serving_bridge(tmp_path, tms_url=tms.url, rights=RIGHTS, users=("alice",),
                        timeout=2.0) as bridge, TmsClient(tms.url, "admin", "admin") as admin:
        possible: dict[str, set[tuple | None]] = {}
        counts: dict[str, int] = {}

        def state(uid: str) -> tuple | None:
            """(title, excluded occurrences) TMS holds for ``uid``, or None."""
            series = held_by_tms(admin, SOURCE, uid)
            return None if series is None else (series.title, sum(
                1 for e in series.recurrence.exceptions if e.modified is None))

        def attempt(uid: str, text: str | None, after: tuple | None) -> None:
            """One write; what TMS may hold afterwards follows from the answer alone."""
            answer = (write(bridge, uid, text, room=104) if text is not None else
                      requests.delete(f"{bridge.url}alice/room-104/{uid}.ics",
                                      auth=("alice", "alice"), timeout=60))
            kind = answer.status_code if answer.status_code != 503 else (
                "503-nothing" if NOTHING in answer.text else "503-other")
            counts[str(kind)] = counts.get(str(kind), 0) + 1
            if answer.status_code in (200, 201, 204):
                possible[uid] = {after}
            elif answer.status_code == 503 and NOTHING not in answer.text:
                possible[uid] = possible[uid] | {after}
            else:
                assert answer.status_code in (503, 412, 404), answer.text  # nothing changed

        tms.faults.fault_rate = 0.25
        try:
            for n in range(8):
                uid = str(uuid.uuid4())
                possible[uid] = {None}
                rule = "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
                start = slot(5, hour=8 + n)  # weekly series that never overlap
                exdate = f"EXDATE:{(start + timedelta(weeks=1)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
                attempt(uid, event_text(uid, start, f"S{n}", extra=rule), (f"S{n}", 0))
                attempt(uid, event_text(uid, start, f"S{n} v2", extra=rule), (f"S{n} v2", 0))
                attempt(uid, event_text(uid, start, f"S{n} v2", extra=rule + exdate),
                        (f"S{n} v2", 1))
                if n % 2:
                    attempt(uid, None, None)
        finally:
            tms.faults.fault_rate = 0
        wait_until(lambda: settled(bridge), timeout=30)
        for uid, states in possible.items():
            assert state(uid) in states, (uid, states, counts)
        # and the mirror converges on what TMS holds
        for uid in possible:
            wait_until(lambda uid=uid: (bridge.runtime.store.find_by_uid(uid) is None)
                       == (title_in_tms(admin, uid) is None), timeout=30)


@pytest.fixture
def slow_sync_bridge(empty_simulator, tmp_path):
    """A bridge whose syncer does not catch up during a test (its mirror lags behind TMS)."""
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",), poll_interval=3600) as running:
        yield running


def change_in_tms(admin: TmsClient, uid: str, title: str) -> None:
    conference = admin.get_conference_by_external_id(SOURCE, uid)
    conference.title = title
    admin.save_conference(conference)


def test_stale_if_match_after_a_change_in_tms_is_412(slow_sync_bridge, admin):
    bridge = slow_sync_bridge
    uid = str(uuid.uuid4())
    assert write(bridge, uid, event_text(uid, slot(6), "Ours")).status_code == 201
    url = f"{bridge.url}alice/room-101/{uid}.ics"
    etag = requests.get(url, auth=("alice", "alice")).headers["ETag"]
    change_in_tms(admin, uid, "Changed in TMS")
    stale = {"If-Match": etag}
    assert requests.delete(url, auth=("alice", "alice"), headers=stale).status_code == 412
    assert write(bridge, uid, event_text(uid, slot(6), "Ours v2"), **stale).status_code == 412
    assert title_in_tms(admin, uid) == "Changed in TMS"
    # the refusal brought the mirror up to date: with the new ETag the delete goes through
    fresh = requests.get(url, auth=("alice", "alice"))
    assert "Changed in TMS" in fresh.text
    assert requests.delete(url, auth=("alice", "alice"),
                           headers={"If-Match": fresh.headers["ETag"]}).status_code == 200
    assert title_in_tms(admin, uid) is None


def test_stale_if_match_on_a_series_occurrence_is_412(slow_sync_bridge, admin):
    bridge = slow_sync_bridge
    uid = str(uuid.uuid4())
    start = slot(7, hour=10)
    rule = "RRULE:FREQ=WEEKLY;COUNT=4\r\n"
    assert write(bridge, uid, event_text(uid, start, "Weekly", extra=rule)).status_code == 201
    etag = requests.get(f"{bridge.url}alice/room-101/{uid}.ics",
                        auth=("alice", "alice")).headers["ETag"]
    change_in_tms(admin, uid, "Weekly (TMS)")
    exdate = f"EXDATE:{(start + timedelta(weeks=1)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
    answer = write(bridge, uid, event_text(uid, start, "Weekly", extra=rule + exdate),
                   **{"If-Match": etag})
    assert answer.status_code == 412, answer.text
    series = admin.get_conference_by_external_id(SOURCE, uid)
    assert series.title == "Weekly (TMS)" and not series.recurrence.exceptions


def test_a_write_that_changes_nothing_tms_stores_makes_no_tms_call(empty_simulator, admin,
                                                                  tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",)) as bridge:
        single, series = str(uuid.uuid4()), str(uuid.uuid4())
        start = slot(8, hour=11)
        moved = start + timedelta(days=1, weeks=1)
        override = ("BEGIN:VEVENT\r\nUID:" + series + "\r\nDTSTAMP:20260101T000000Z\r\n"
                    f"RECURRENCE-ID:{moved.strftime('%Y%m%dT%H%M%SZ')}\r\n"
                    f"DTSTART:{(moved + timedelta(hours=2)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
                    f"DTEND:{(moved + timedelta(hours=3)).strftime('%Y%m%dT%H%M%SZ')}\r\n"
                    "SUMMARY:Moved\r\nEND:VEVENT\r\n")
        assert write(bridge, single, event_text(single, start, "One")).status_code == 201
        assert write(bridge, series, event_text(series, start + timedelta(days=1), "Many",
                                                extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n",
                                                overrides=override)).status_code == 201
        alarm = ("BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\n"
                 "TRIGGER:-PT10M\r\nEND:VALARM\r\n")
        for uid in (single, series):
            url = f"{bridge.url}alice/room-101/{uid}.ics"
            served = requests.get(url, auth=("alice", "alice"))
            versions = admin.get_conference_by_external_id(SOURCE, uid).version
            calls = bridge.runtime.booking.counters["tms_calls"]
            for text in (served.text, served.text.replace("END:VEVENT", alarm + "END:VEVENT", 1)):
                answer = write(bridge, uid, text, **{"If-Match": served.headers["ETag"]})
                assert answer.status_code == 204, answer.text
            assert bridge.runtime.booking.counters["tms_calls"] == calls
            assert admin.get_conference_by_external_id(SOURCE, uid).version == versions


def test_first_override_of_a_series_made_in_tms_is_no_false_412(simulator, tmp_path):
    """The demo's 'Weekly sync' (booked in TMS, no ExternalSourceId): an override PUT with the
    ETag just read moves that occurrence only; the series is not saved again."""
    from icalendar import Calendar

    with serving_bridge(tmp_path, tms_url=simulator.url, rights=RIGHTS,
                        users=("alice",)) as bridge, \
            TmsClient(simulator.url, "admin", "admin") as admin:
        store = bridge.runtime.store
        stored = next(o for o in store.iter_objects("101") if "SUMMARY:Weekly sync" in o.ical)
        ref = store.find_by_uid(stored.uid)
        before = admin.get_recurrent_conference_by_id(ref.series_id)
        url = f"{bridge.url}alice/room-101/{stored.href}"
        served = requests.get(url, auth=("alice", "alice"))
        master = Calendar.from_ical(served.text).walk("VEVENT")[0]
        first = master["DTSTART"].dt
        taken = {e.recurrence_id_utc for e in before.recurrence.exceptions}
        slot_start = next(first + timedelta(weeks=k) for k in range(12, 29)
                          if (first + timedelta(weeks=k)).astimezone(before.start_utc.tzinfo)
                          not in taken)
        zone = first.tzinfo.key
        local = "%Y%m%dT%H%M%S"
        override = (f"BEGIN:VEVENT\r\nUID:{stored.uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                    f"RECURRENCE-ID;TZID={zone}:{slot_start.strftime(local)}\r\n"
                    f"DTSTART;TZID={zone}:{(slot_start + timedelta(hours=1)).strftime(local)}\r\n"
                    f"DTEND;TZID={zone}:{(slot_start + timedelta(hours=2)).strftime(local)}\r\n"
                    "SUMMARY:Weekly sync\r\nEND:VEVENT\r\n")
        text = served.text.replace("END:VCALENDAR", override + "END:VCALENDAR")
        answer = write(bridge, stored.uid, text, name=stored.href,
                       **{"If-Match": served.headers["ETag"]})
        assert answer.status_code == 204, answer.text
        after = admin.get_recurrent_conference_by_id(ref.series_id)
        moved = [e for e in after.recurrence.exceptions if e.modified is not None
                 and e.recurrence_id_utc == slot_start.astimezone(before.start_utc.tzinfo)]
        assert len(moved) == 1
        assert moved[0].modified.start_utc == slot_start + timedelta(hours=1)
        # only that occurrence changed: the series kept its conference ids
        assert after.conference_id == before.conference_id
        assert set(ref.conference_ids) <= set(store.find_by_uid(stored.uid).conference_ids)


def test_identical_parallel_puts_give_no_false_412(empty_simulator, admin, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",)) as bridge:
        uid = str(uuid.uuid4())
        assert write(bridge, uid, event_text(uid, slot(9), "Once")).status_code == 201
        text = event_text(uid, slot(9), "Twice")
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda _: write(bridge, uid, text).status_code, range(16)))
        assert statuses == [204] * 16
        assert title_in_tms(admin, uid) == "Twice"


def test_a_conflict_names_the_time_in_the_rooms_zone(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",)) as bridge:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        start = slot(10, hour=12)
        assert write(bridge, first, event_text(first, start, "First")).status_code == 201
        answer = write(bridge, second, event_text(second, start, "Second"))
        assert answer.status_code == 403  # a double booking (see README: 403, not 409)
        zone = bridge.runtime.store.get_room(101).zone
        span = local_span(start, start + timedelta(hours=1), zone)
        assert f"booked {span} by 'First'" in answer.text and "(UTC+0" in answer.text


def test_a_series_conflict_names_the_occurrences_that_collide(empty_simulator, tmp_path):
    with serving_bridge(tmp_path, tms_url=empty_simulator.url, rights=RIGHTS,
                        users=("alice",)) as bridge:
        zone = bridge.runtime.store.get_room(101).zone
        start = slot(11, hour=7)
        third = start + timedelta(weeks=2)
        hour = timedelta(hours=1)
        town_hall, weekly = str(uuid.uuid4()), str(uuid.uuid4())
        assert write(bridge, town_hall, event_text(town_hall, third, "Town hall")) \
            .status_code == 201
        answer = write(bridge, weekly, event_text(weekly, start, "Weekly",
                                                  extra="RRULE:FREQ=WEEKLY;COUNT=3\r\n"))
        assert answer.status_code == 403
        assert (f"on the occurrence of {local_span(third, third + hour, zone)} by 'Town hall' "
                f"({local_span(third, third + hour, zone)})") in answer.text
        # the other way round: the series' occurrence is named, not its whole span
        daily, single = str(uuid.uuid4()), str(uuid.uuid4())
        assert write(bridge, daily, event_text(daily, start, "Daily",
                                               extra="RRULE:FREQ=DAILY;COUNT=3\r\n"),
                     room=102).status_code == 201
        second = start + timedelta(days=1)
        answer = write(bridge, single, event_text(single, second, "Clash"), room=102)
        assert answer.status_code == 403
        assert f"by 'Daily' ({local_span(second, second + hour, zone)})" in answer.text


def test_a_write_that_never_reached_tms_says_nothing_was_changed(simulator_factory,
                                                                 demo_engine, tmp_path):
    """TMS's host refusing connections is not an unknown outcome: the change was never sent,
    so the answer says nothing was changed and no booking is left pending."""
    sim = simulator_factory(engine=demo_engine)
    with serving_bridge(tmp_path, tms_url=sim.url, rights=RIGHTS, users=("alice",)) as bridge:
        sim.stop()  # the port now refuses connections
        uid = str(uuid.uuid4())
        answer = write(bridge, uid, event_text(uid, slot(4), "Never sent"))
        assert answer.status_code == 503 and NOTHING in answer.text, answer.text
        assert answer.headers["Retry-After"]
        assert settled(bridge)
        with pytest.raises(Exception, match="(?i)not ?found"):
            sim.engine.get_conference_by_external_id(sim.engine.user("admin"), SOURCE, uid)
