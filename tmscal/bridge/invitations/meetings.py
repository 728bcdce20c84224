"""The write path of personal meetings calendars: store the meeting, book the invited rooms.

:meth:`MeetingCalendars.put` stores the meeting as written (only invalid iCalendar is refused).
When its ATTENDEEs name rooms, they are booked in TMS as one conference through
:meth:`tmscal.bridge.booking.RoomBooking.book_meeting` (UID = ExternalPrimaryKey, so a retried PUT
updates): all rooms at once first; when TMS refuses one room (busy, licence, rights), every room
is tried alone on top of the ones already booked, so the others stay booked (Strict saves never
change anything when they fail). TMS's answer is written back into the meeting
(:mod:`.writeback`). Removing every room, STATUS:CANCELLED or deleting the meeting cancels the
conference. Only the meeting that booked acts on TMS: another user's copy of it (same UID, an
accepted invitation) is only stored. Nothing here sends e-mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from icalendar import Calendar

from tmscal.bridge import refusals as refusal
from tmscal.bridge.booking import check_client_href, ical_refusal
from tmscal.ical.participants import read_attendee
from tmscal.ical.rooms import RoomInfo
from tmscal.bridge.invitations import decisions as answer
from tmscal.bridge.invitations.addresses import InvitationRooms, room_address
from tmscal.bridge.invitations.conflicts import blocked_occurrence
from tmscal.bridge.invitations.dial_in_text import mirrored_dial_in
from tmscal.bridge.invitations.reconciliation import MeetingReconciler, reconcile_meetings
from tmscal.bridge.invitations.writeback import user_text, write_answer, written_answer
from tmscal.bridge.scheduling.implicit import (
    announce_answers, scheduled_rooms, server_schedules,
)
from tmscal.bridge.scheduling.inbox import Inbox
from tmscal.mirror import PersonalCalendars, open_personal
from tmscal.mirror.objects import PERSONAL_PREFIX
from tmscal.mirror.store import Room, StoredObject, personal_calendar_id
from tmscal.model import Conference
from tmscal.process_wide import ProcessWide
from tmscal.settings import InvitationSettings

if TYPE_CHECKING:
    from tmscal.bridge.runtime import BridgeRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeetingResult:
    """The meeting as stored, and whether it differs from what the client sent."""

    stored: StoredObject
    differs: bool


class MeetingCalendars:
    """Every user's meetings calendar of one bridge runtime (one instance per process)."""

    def __init__(self, runtime: BridgeRuntime, settings: InvitationSettings) -> None:
        self._runtime = runtime
        self.settings = settings
        self.calendars: PersonalCalendars = open_personal(runtime.store)
        self.inbox = Inbox(self.calendars)
        self.reconciler = MeetingReconciler(self, runtime.settings.mirror.poll_interval)

    # ---- identity ----------------------------------------------------------------------------

    def calendar_id(self, user: str) -> str:
        return personal_calendar_id(user, self.settings.calendar)

    @property
    def default_zone(self) -> str:
        return self._runtime.settings.mirror.default_zone

    @property
    def shows_titles(self) -> bool:
        """Whether the room calendars show TMS's titles (privacy ``full`` or ``title``), so a
        title changed in TMS can be carried into the meeting."""
        from tmscal.ical.privacy import Privacy

        return Privacy.of(self._runtime.settings.bridge.privacy).shows_title

    def address_of(self, room: Room) -> str:
        """The calendar-user address of ``room`` (its calendar shows it; invite it by it)."""
        return room_address(self.settings.room_address, room)

    def rooms(self) -> InvitationRooms:
        """Room look-ups with the configured room addresses (a snapshot of the mirror)."""
        return InvitationRooms(self._runtime.store.list_rooms(), self.settings.room_address,
                               self._runtime.settings.mirror.default_zone)

    # ---- writes ------------------------------------------------------------------------------

    def put(self, *, user: str, href: str, uid: str, text: str,
            time_range: tuple[int, int]) -> MeetingResult:
        """Store the meeting at ``href`` (any name :func:`~tmscal.bridge.booking.check_client_href`
        allows) and book (change, cancel) its rooms in TMS."""
        check_client_href(href, uid, "Meeting")
        calendar_id = self.calendar_id(user)
        rooms = self.rooms()
        if self.calendars.booked_elsewhere(calendar_id, uid):
            # a copy of a meeting another user booked (their invitation): stored, nothing else
            stored = self.calendars.put(calendar_id, href, uid, text, time_range)
            return MeetingResult(stored=stored, differs=False)
        was_booked = self.calendars.booked(calendar_id, href)
        previous = next(iter(self.calendars.get_objects(calendar_id, [href])), None)
        before = written_answer(previous.ical, rooms) if previous is not None else {}
        invited, cancelled = _invited_rooms(text, rooms)
        decisions: dict[int, answer.RoomDecision] = {}
        conference: Conference | None = None
        parse_error = self._check(text, rooms) if invited and not cancelled else None
        if cancelled or not invited:
            if was_booked:
                self._cancel(user, uid)
        elif parse_error is not None:
            decisions = {room.system_id: answer.refused(room.system_id, room.name, parse_error)
                         for room in invited}
            if was_booked:
                self._cancel_if_declined(user, uid, decisions)
        else:
            kept = self._kept_answer(previous, uid, text, rooms, invited) \
                if was_booked and previous is not None else None
            if kept is not None:  # nothing TMS stores changed (an alarm, a category …)
                decisions, conference = kept
            else:
                decisions, conference = self._book(user, uid, text, rooms, invited)
                if was_booked:
                    self._cancel_if_declined(user, uid, decisions)
        stored_text = write_answer(text, rooms, decisions, conference) if decisions else text
        # the rooms this meeting holds booked: those not declined for it (a copy of another
        # user's booking holds none, so it never cancels or shadows that booking)
        kept = {system_id for system_id, decision in decisions.items()
                if decision.partstat != answer.DECLINED} if decisions else self._booked_rooms(uid)
        held = self._booked_rooms(uid) & kept if invited and not cancelled else set()
        stored = self.calendars.put(calendar_id, href, uid, stored_text, time_range, held)
        if decisions:
            announce_answers(self.inbox, user, stored_text, rooms, before, decisions)
        return MeetingResult(stored=stored, differs=stored_text != text)

    def follow_booking(self, uid: str) -> None:
        """Carry at once into the meeting that booked ``uid`` (if one did) what a write through
        a room calendar just changed of the booking (time, title, rooms, cancellation), so the
        meeting and the room calendars never disagree. A failure is logged: the reconciler of
        the owner's next read catches up."""
        owner = self.calendars.booked_elsewhere("", uid)
        if owner is None:
            return
        user = owner[len(PERSONAL_PREFIX):].split("/", 1)[0]
        try:
            reconcile_meetings(self, user)
        except Exception:  # the room calendar's write itself succeeded
            log.exception("could not carry the change of booking %s into its meeting", uid)

    def delete(self, *, user: str, href: str) -> bool:
        """Delete the meeting at ``href`` and cancel its conference; False when none is there.
        Another user's copy is just deleted. When TMS does not answer, nothing is deleted
        (:class:`~tmscal.bridge.refusals.TmsDown`)."""
        calendar_id = self.calendar_id(user)
        previous = self.calendars.get_objects(calendar_id, [href])
        if not previous:
            return False
        if self.calendars.booked(calendar_id, href):
            self._runtime.booking.cancel_meeting(user=user, uid=previous[0].uid)
        self.inbox.forget(user, previous[0].uid,
                          list(scheduled_rooms(previous[0].ical, self.rooms()).values()))
        return self.calendars.delete(calendar_id, href)

    # ---- steps -------------------------------------------------------------------------------

    def _check(self, text: str, rooms: InvitationRooms) -> refusal.InvalidCalendar | None:
        """Raise for invalid iCalendar; return the refusal for a meeting TMS cannot store
        (its rooms are declined, the meeting is kept), or None."""
        from tmscal import ical

        try:
            self.parse(text, rooms)
        except (ical.MalformedCalendar, ical.CalendarTooLarge, ical.UnsupportedEvent) as error:
            raise ical_refusal(error, "Meeting") from error
        except ical.IcalError as error:
            return refusal.InvalidCalendar(f"TMS cannot store this meeting: {error.reason}")
        return None

    def parse(self, text: str, rooms: InvitationRooms):
        """The meeting as TMS would store it (the bridge's DESCRIPTION block left out)."""
        from tmscal import ical

        parsed = ical.parse_event(text, rooms,
                                  default_zone=self._runtime.settings.mirror.default_zone,
                                  target_room=None)
        conference = parsed.conference
        conference.user_message_text = user_text(conference.user_message_text)
        for exception in conference.recurrence.exceptions if conference.recurrence else ():
            if exception.modified is not None:
                exception.modified.user_message_text = user_text(
                    exception.modified.user_message_text)
        return parsed

    def _book(self, user: str, uid: str, text: str, rooms: InvitationRooms,
              invited: list[RoomInfo]
              ) -> tuple[dict[int, answer.RoomDecision], Conference | None]:
        """Decide every invited room: all at once, else room by room on top of those booked."""
        decisions: dict[int, answer.RoomDecision] = {}
        wanted: list[RoomInfo] = []
        for room in invited:
            access = self._runtime.access.access(user, room.system_id)
            if access is None or not access[1]:
                decisions[room.system_id] = answer.refused(
                    room.system_id, room.name, refusal.NotAllowed(
                        f"You may not book room {room.name}; ask your TMS administrator for "
                        "booking rights."))
            else:
                wanted.append(room)
        if not wanted:
            return _ordered(decisions, invited), None

        def attempt(ids: list[int]) -> Conference:
            return self._runtime.booking.book_meeting(
                user=user, parsed=self.parse(text, rooms), system_ids=ids)

        try:
            conference = attempt([room.system_id for room in wanted])
        except (refusal.BridgeRefusal, refusal.TmsDown) as error:
            if len(wanted) == 1 or not answer.is_per_room(error):
                for room in wanted:
                    decisions[room.system_id] = answer.refused(
                        room.system_id, room.name, self._explained(error, text, rooms, room))
                return _ordered(decisions, invited), None
        else:
            for room in wanted:
                decisions[room.system_id] = answer.accepted(room.system_id, room.name)
            return _ordered(decisions, invited), conference
        conference = None
        kept: list[int] = []
        # rooms booked before go first, together (so no booked room is let go meanwhile)
        before = self._booked_rooms(uid)
        held = [room for room in wanted if room.system_id in before]
        steps = ([held] if len(held) > 1 else [[room] for room in held]) + \
            [[room] for room in wanted if room.system_id not in before]
        while steps:
            step = steps.pop(0)
            try:
                conference = attempt([*(r.system_id for r in step), *kept])
            except (refusal.BridgeRefusal, refusal.TmsDown) as error:
                if len(step) > 1 and answer.is_per_room(error):
                    steps[:0] = [[room] for room in step]  # find out which one
                    continue
                for room in step:
                    decisions[room.system_id] = answer.refused(
                        room.system_id, room.name, self._explained(error, text, rooms, room))
                if not answer.is_per_room(error):  # concerns every room not yet booked
                    for room in (r for later in steps for r in later):
                        decisions[room.system_id] = answer.refused(room.system_id, room.name,
                                                                   error)
                    break
            else:
                for room in step:
                    kept.append(room.system_id)
                    decisions[room.system_id] = answer.accepted(room.system_id, room.name)
        log.info("meeting rooms for %s: %s", user,
                 ", ".join(f"{d.name}={d.partstat}" for d in decisions.values()))
        return _ordered(decisions, invited), conference

    def _kept_answer(self, previous: StoredObject, uid: str, text: str,
                     rooms: InvitationRooms, invited: list[RoomInfo]
                     ) -> tuple[dict[int, answer.RoomDecision], Conference | None] | None:
        """The previous answer, when every invited room was booked, TMS still holds them, and
        the new text asks TMS for exactly the same conference as the ``previous`` one; else
        None."""
        from tmscal import ical
        from tmscal.ical.privacy import Privacy

        decisions = written_answer(previous.ical, rooms)
        if set(decisions) != {room.system_id for room in invited} or \
                not all(d.accepted for d in decisions.values()) or \
                self._booked_rooms(uid) != set(decisions):
            return None
        try:
            same = self.parse(previous.ical, rooms).conference == \
                self.parse(text, rooms).conference
        except ical.IcalError:
            return None
        ref = self._runtime.store.find_by_uid(uid)
        privacy = Privacy.of(self._runtime.settings.bridge.privacy)
        if not same or ref is None or not privacy.shows_details:
            return None  # (without details the mirror has no dial-in text to write back)
        return _ordered(decisions, invited), mirrored_dial_in(self._runtime.store, ref)

    def _explained(self, error: BaseException, text: str, rooms: InvitationRooms,
                   room: RoomInfo) -> BaseException:
        """``error``, or for a busy room in a recurring meeting a conflict naming the blocked
        occurrence (from the mirror)."""
        if not isinstance(error, refusal.BookingConflict):
            return error
        parsed = self.parse(text, rooms)
        if parsed.conference.recurrence is None:
            return error
        reason = blocked_occurrence(self._runtime.store, parsed, rooms, room.system_id,
                                    room.name, self._runtime.settings.mirror.default_zone)
        return refusal.BookingConflict(reason) if reason else error

    def _booked_rooms(self, uid: str) -> set[int]:
        """The rooms of the conference already booked for ``uid`` (from the mirror)."""
        existing = self._runtime.store.find_by_uid(uid)
        return set(existing.room_ids) if existing is not None else set()

    def _cancel_if_declined(self, user: str, uid: str,
                            decisions: dict[int, answer.RoomDecision]) -> None:
        """A meeting whose every room was declined keeps no (old) booking in TMS."""
        if decisions and all(d.partstat == answer.DECLINED for d in decisions.values()):
            try:
                self._cancel(user, uid)
            except refusal.TmsDown:
                log.warning("could not cancel the old booking of meeting %s", uid)

    def _cancel(self, user: str, uid: str) -> None:
        self._runtime.booking.cancel_meeting(user=user, uid=uid)


def _ordered(decisions: dict[int, answer.RoomDecision], invited: list[RoomInfo]
             ) -> dict[int, answer.RoomDecision]:
    return {room.system_id: decisions[room.system_id] for room in invited
            if room.system_id in decisions}


def _invited_rooms(text: str, rooms: InvitationRooms) -> tuple[list[RoomInfo], bool]:
    """The rooms the server schedules among the ATTENDEEs of every VEVENT (first mention
    first), and whether the meeting (its master VEVENT) is cancelled."""
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as error:
        raise refusal.InvalidCalendar(f"The meeting is not iCalendar: {error}",
                                      "valid-calendar-data") from error
    found: dict[int, RoomInfo] = {}
    cancelled = False
    for event in calendar.walk("VEVENT"):
        if "RECURRENCE-ID" not in event:
            cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        values = event.get("ATTENDEE", [])
        for value in values if isinstance(values, list) else [values]:
            if not server_schedules(value.params):
                continue  # SCHEDULE-AGENT=CLIENT or NONE: the client schedules it, or nobody
            room = read_attendee(str(value), dict(value.params), rooms).room
            if room is not None:
                found.setdefault(room.system_id, room)
    return list(found.values()), cancelled


_SERVICES: ProcessWide[BridgeRuntime, MeetingCalendars] = ProcessWide(
    lambda runtime: MeetingCalendars(runtime, runtime.settings.invitations),
    weak_keys=True)


def meetings_for(runtime: BridgeRuntime) -> MeetingCalendars:
    """The process-wide :class:`MeetingCalendars` of ``runtime``."""
    return _SERVICES.get(runtime)
