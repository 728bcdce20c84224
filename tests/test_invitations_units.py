"""Units of the invitation path: room addresses and attendee resolution, and the answer written
back into a meeting (idempotent, the user's own text kept). Personal calendars in the mirror
are part of the mirror's contract (``tests/test_mirror_contract.py``)."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from tmscal.bridge import refusals as refusal
from tmscal.bridge.invitations import decisions as answer
from tmscal.bridge.invitations.addresses import InvitationRooms, room_address
from tmscal.bridge.invitations.writeback import (
    BLOCK_MARKER, user_text, write_answer, written_answer,
)
from tmscal.mirror.store import Room
from tmscal.model import Conference
from tmscal.settings import Settings, load_settings

ROOMS = [Room(101, "Oslo Fjord", "Europe/Oslo", "HQ", address="mailto:fjord@video.example.org"),
         Room(102, "Oslo – Holmenkollen", "Europe/Oslo", "HQ")]


def event(uid: str = "m1", attendees: str = "", description: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300304T090000Z\r\n"
            f"DTEND:20300304T100000Z\r\nSUMMARY:Plan\r\n{description}{attendees}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


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
        ("ACCEPTED", "1.2", "Oslo Fjord") and "RSVP" not in fjord
    busy = params["mailto:x@example.org"]
    assert busy["PARTSTAT"] == "DECLINED" and busy["SCHEDULE-STATUS"] == "1.2"
    assert "'Board'" in busy["X-TMSCAL-REASON"]
    assert "PARTSTAT" not in params["mailto:bob@example.org"]
    description = str(vevent["DESCRIPTION"])
    assert description.startswith("Bring slides\n\n" + BLOCK_MARKER)
    assert "800001@video.example.org" in description and "Oslo – Holmenkollen: declined" \
        in description
    assert user_text(description) == "Bring slides"
    assert str(vevent["LOCATION"]) == "Oslo Fjord · 800001@video.example.org"
    assert written_answer(once, rooms) == decisions | {102: answer.RoomDecision(
        102, "Oslo – Holmenkollen", "DECLINED", "1.2",
        "Room Oslo – Holmenkollen is already booked by 'Board'; sorry, 09:00–10:00")}


def test_decisions_map_refusals_to_schedule_status():
    cases = [(refusal.BookingConflict("x"), "1.2", "DECLINED", "4.0"),
             (refusal.LicenceDenied("x"), "5.3", "DECLINED", "5.3"),
             (refusal.NotAllowed("x"), "3.8", "DECLINED", "3.8"),
             (refusal.InvalidCalendar("x"), "1.2", "DECLINED", "3.1"),
             (refusal.OutsideWindow("x"), "1.2", "DECLINED", "3.1"),
             (refusal.PreconditionFailed("x"), "5.1", "NEEDS-ACTION", "5.1"),
             (refusal.TmsDown("x"), "5.1", "NEEDS-ACTION", "5.1")]
    for error, status, partstat, request_status in cases:
        decision = answer.refused(1, "R", error)
        assert (decision.schedule_status, decision.partstat, decision.reason,
                decision.request_status.split(";")[0]) == (status, partstat, "x", request_status)
    assert answer.accepted(1, "R").schedule_status == "1.2"
    assert answer.withdrawn(1, "R", "gone").schedule_status == "1.2"
    assert answer.is_per_room(refusal.BookingConflict("x"))
    assert not answer.is_per_room(refusal.InvalidCalendar("x"))


