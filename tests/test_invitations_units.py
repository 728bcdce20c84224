"""Units of the invitation path: personal calendars in the mirror (sequence, tombstones, UIDs
shared with conferences), room addresses and attendee resolution, and the answer written back
into a meeting (idempotent, the user's own text kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tmscal.bridge import refusals as refusal
from tmscal.bridge.invitations import decisions as answer
from tmscal.bridge.invitations.addresses import InvitationRooms, room_address
from tmscal.bridge.invitations.writeback import (
    BLOCK_MARKER, user_text, write_answer, written_answer,
)
from tmscal.mirror.personal_store import PersonalCalendars
from tmscal.mirror.sqlite_store import SqliteMirrorStore
from tmscal.mirror.store import ConferenceRecord, Room, UnknownSyncToken, personal_calendar_id
from tmscal.model import Conference
from tmscal.settings import Settings, load_settings

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
RANGE = (int(T0.timestamp()), int((T0 + timedelta(hours=1)).timestamp()))
ROOMS = [Room(101, "Oslo Fjord", "Europe/Oslo", "HQ", address="mailto:fjord@video.example.org"),
         Room(102, "Oslo – Holmenkollen", "Europe/Oslo", "HQ")]
MEETINGS = personal_calendar_id("alice", "meetings")


@pytest.fixture
def store(tmp_path):
    s = SqliteMirrorStore(tmp_path / "mirror.sqlite3")
    s.replace_rooms(ROOMS)
    yield s
    s.close()


def event(uid: str = "m1", attendees: str = "", description: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300304T090000Z\r\n"
            f"DTEND:20300304T100000Z\r\nSUMMARY:Plan\r\n{description}{attendees}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def test_personal_objects_share_the_change_sequence_and_tombstones(store):
    calendars = PersonalCalendars(store)
    empty = calendars.ensure(MEETINGS)
    stored = calendars.put(MEETINGS, "m1.ics", "m1", event(), RANGE)
    assert stored.etag and stored.ical == event()
    state = store.calendar_state(MEETINGS)
    assert state.sync_token != empty.sync_token and state.object_count == 1
    calendars.put(MEETINGS, "m1.ics", "m1", event(), RANGE)  # same text: no change
    assert store.calendar_state(MEETINGS).sync_token == state.sync_token
    assert calendars.has_uid(MEETINGS, "m1") and not calendars.has_uid(MEETINGS, "m2")
    assert calendars.delete(MEETINGS, "m1.ics") and not calendars.delete(MEETINGS, "m1.ics")
    changes = store.changes_since(MEETINGS, state.sync_token)
    assert changes.deleted == ["m1.ics"] and changes.changed == []
    assert calendars.get_objects(MEETINGS, ["m1.ics"]) == []
    with pytest.raises(UnknownSyncToken):
        store.changes_since(MEETINGS, "nope-1")


def test_conference_writes_leave_the_meeting_with_the_same_uid_alone(store):
    calendars = PersonalCalendars(store)
    calendars.put(MEETINGS, "m1.ics", "m1", event(), RANGE)
    record = ConferenceRecord(uid="m1", ical="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                              start_utc=T0, end_utc=T0 + timedelta(hours=1),
                              occurrences=[(T0, T0 + timedelta(hours=1))], room_ids=[101],
                              series_id=7)
    store.store_conference(record)
    assert store.has_uid("101", "m1")
    store.remove_conference("m1")
    assert not store.has_uid("101", "m1")
    assert [o.href for o in calendars.iter_objects(MEETINGS)] == ["m1.ics"]


def test_time_range_and_endless_series(store):
    calendars = PersonalCalendars(store)
    calendars.put(MEETINGS, "a.ics", "a", event("a"), RANGE)
    calendars.put(MEETINGS, "b.ics", "b", event("b"), (RANGE[0], 2 ** 40))  # endless
    later = T0 + timedelta(days=400)
    assert [o.href for o in calendars.objects_in_range(MEETINGS, later, None)] == ["b.ics"]
    assert [o.href for o in calendars.objects_in_range(MEETINGS, T0, T0 + timedelta(minutes=5))
            ] == ["a.ics", "b.ics"]


def test_room_addresses_resolve_by_template_sip_address_and_name():
    template = "mailto:room-{id}@rooms.example.org"
    assert room_address(template, ROOMS[0]) == "mailto:room-101@rooms.example.org"
    assert room_address("{name}@rooms.example.org", ROOMS[1]) \
        == "mailto:oslo-holmenkollen@rooms.example.org"
    rooms = InvitationRooms(ROOMS, template)
    assert rooms.room_by_address("MAILTO:Room-102@rooms.example.org").system_id == 102
    assert rooms.room_by_address("mailto:fjord@video.example.org").system_id == 101
    assert rooms.room_by_name("oslo fjord").system_id == 101
    assert rooms.room_by_address("mailto:bob@example.org") is None


def test_settings_defaults_and_validation(tmp_path):
    assert Settings().invitations.calendar == "meetings"
    path = tmp_path / "tmscal.conf"
    path.write_text("[invitations]\ncalendar = room-x\n")
    with pytest.raises(ValueError):
        load_settings(path)
    path.write_text("[invitations]\nroom_address = {name}@r.example.org\ncalendar = mine\n")
    settings = load_settings(path).invitations
    assert (settings.calendar, settings.room_address) == ("mine", "{name}@r.example.org")


def test_answer_written_back_is_idempotent_and_keeps_the_users_text():
    rooms = InvitationRooms(ROOMS, "mailto:room-{id}@rooms.example.org")
    text = event(description="DESCRIPTION:Bring slides\r\n", attendees=(
        "ATTENDEE;CUTYPE=ROOM;RSVP=TRUE:mailto:room-101@rooms.example.org\r\n"
        "ATTENDEE;CUTYPE=ROOM;CN=Oslo – Holmenkollen:mailto:x@example.org\r\n"
        "ATTENDEE;CN=Bob:mailto:bob@example.org\r\n"))
    decisions = {
        101: answer.accepted(101, "Oslo Fjord"),
        102: answer.refused(102, "Oslo – Holmenkollen", refusal.BookingConflict(
            'Room Oslo – Holmenkollen is already booked by "Board"; sorry, 09:00–10:00')),
    }
    conference = Conference(conference_info_text="Video: 800001@video.example.org\nPIN: 1234",
                            password="1234")
    once = write_answer(text, rooms, decisions, conference)
    twice = write_answer(once, rooms, decisions, conference)
    assert once == twice
    vevent = Calendar.from_ical(once).walk("VEVENT")[0]
    params = {str(v): v.params for v in vevent["ATTENDEE"]}
    fjord = params["mailto:room-101@rooms.example.org"]
    assert (fjord["PARTSTAT"], fjord["SCHEDULE-STATUS"], fjord["CN"]) == \
        ("ACCEPTED", "2.0", "Oslo Fjord") and "RSVP" not in fjord
    busy = params["mailto:x@example.org"]
    assert busy["PARTSTAT"] == "DECLINED" and busy["SCHEDULE-STATUS"] == "4.0"
    assert "'Board'" in busy["X-TMSCAL-REASON"]
    assert "PARTSTAT" not in params["mailto:bob@example.org"]
    description = str(vevent["DESCRIPTION"])
    assert description.startswith("Bring slides\n\n" + BLOCK_MARKER)
    assert "800001@video.example.org" in description and "Oslo – Holmenkollen: declined" \
        in description
    assert user_text(description) == "Bring slides"
    assert str(vevent["LOCATION"]) == "Oslo Fjord · 800001@video.example.org"
    assert written_answer(once, rooms) == decisions | {102: answer.RoomDecision(
        102, "Oslo – Holmenkollen", "DECLINED", "4.0",
        "Room Oslo – Holmenkollen is already booked by 'Board'; sorry, 09:00–10:00")}


def test_decisions_map_refusals_to_schedule_status():
    cases = [(refusal.BookingConflict("x"), "4.0", "DECLINED"),
             (refusal.LicenceDenied("x"), "5.3", "DECLINED"),
             (refusal.NotAllowed("x"), "3.8", "DECLINED"),
             (refusal.InvalidCalendar("x"), "3.1", "DECLINED"),
             (refusal.OutsideWindow("x"), "3.1", "DECLINED"),
             (refusal.PreconditionFailed("x"), "5.1", "NEEDS-ACTION"),
             (refusal.TmsDown("x"), "5.1", "NEEDS-ACTION")]
    for error, status, partstat in cases:
        decision = answer.refused(1, "R", error)
        assert (decision.schedule_status, decision.partstat, decision.reason) == \
            (status, partstat, "x")
    assert answer.is_per_room(refusal.BookingConflict("x"))
    assert not answer.is_per_room(refusal.InvalidCalendar("x"))


def test_drift_between_a_meeting_and_its_conference(store):
    calendars = PersonalCalendars(store)
    calendars.put(MEETINGS, "m1.ics", "m1", event(), RANGE, rooms=[101])
    assert calendars.booked(MEETINGS, "m1.ics")

    def conference(rooms):
        store.store_conference(ConferenceRecord(
            uid="m1", ical=f"BEGIN:VCALENDAR\r\nX:{rooms}\r\nEND:VCALENDAR\r\n", start_utc=T0,
            end_utc=T0 + timedelta(hours=1), occurrences=[(T0, T0 + timedelta(hours=1))],
            room_ids=rooms, series_id=7))

    conference([101])
    assert calendars.drifted_objects(MEETINGS) == []
    conference([101, 102])
    [(meeting, holds, held)] = calendars.drifted_objects(MEETINGS)
    assert (meeting.href, holds, held) == ("m1.ics", [101], [101, 102])
    token = store.calendar_state(MEETINGS).sync_token
    assert calendars.replace_if_unchanged(MEETINGS, "m1.ics", meeting.etag, meeting.ical,
                                          held)
    assert store.calendar_state(MEETINGS).sync_token == token  # same text: no change
    assert calendars.drifted_objects(MEETINGS) == []
    store.remove_conference("m1")
    [(meeting, holds, held)] = calendars.drifted_objects(MEETINGS)
    assert (holds, held) == ([101, 102], None)
    assert not calendars.replace_if_unchanged(MEETINGS, "m1.ics", '"stale"', "x", [])
    assert calendars.booked_elsewhere(personal_calendar_id("bob", "meetings"), "m1") == MEETINGS
