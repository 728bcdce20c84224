"""The write path: a calendar object written into a room calendar becomes a TMS booking.

:class:`RoomBooking` validates and converts the iCalendar text, saves it in TMS (with the
bridge's ExternalSourceId and the UID as ExternalPrimaryKey, so a retried write updates rather
than duplicates), and stores TMS's answer in the mirror before returning (read-your-writes).
A change that only adds overridden or excluded occurrences to a known series is sent as
per-occurrence calls, so the rest of the series stays untouched in TMS; a write that changes
nothing TMS stores makes no TMS call.

Rights follow the booking: every room a write adds, keeps or removes must be one the user may
book, and a write that resolves to an existing conference first reads it from TMS (only its
owner may change it under the service model; a version newer than the mirror's is a 412).
Writes of one UID are serialized within the process. When TMS does not answer a change, TMS is
asked what it holds before the answer; when it cannot be asked, the answer says the outcome is
unknown and the booking is marked pending for the syncer (:mod:`tmscal.bridge.outcome`).

Every refusal is a :mod:`tmscal.bridge.refusals` error with a one-line reason naming the room
and the time. Nothing is written to the mirror unless TMS accepted the change. Free of Radicale
types: the ICS feeds and room invitations reuse it.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from tmscal.bridge import refusals as refusal
from tmscal.bridge.outcome import TmsOutcome
from tmscal.settings import Settings
from tmscal.bridge.conflict_text import busy_with
from tmscal.mirror.records import MirrorRoomDirectory, UnstorableConference, iana_zone
from tmscal.mirror.sync import store_saved_conference
from tmscal.mirror.store import (
    ConferenceRef,
    MirrorStore,
    PendingWrite,
    Room,
    StoredObject,
    client_href_allowed,
    etag_for_text,
    href_for_uid,
    room_calendar_id,
)
from tmscal.model import (
    BookingMode,
    CannotBookInPast,
    Conference,
    ConferenceActive,
    ConferenceDeleted,
    ConferenceNotFound,
    ConferenceStatus,
    DatabaseDown,
    ExceptionType,
    InstanceNotFound,
    InvalidTimes,
    LicenseError,
    NoAccessToConference,
    OutsideBookingWindow,
    Participant,
    ParticipantCallType,
    RecurrenceNotSupported,
    StaleVersion,
    SystemAlreadyBooked,
    SystemNotAllowed,
    SystemNotFound,
    TmsAuthenticationError,
    TmsCalls,
    TmsError,
    TmsUnavailable,
    TmsUnreachable,
    UserNotFound,
)
from tmscal.bridge.reason_time import local_span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingResult:
    """What a write left in the mirror: the object now served at the written href, and
    whether it differs from what the client sent (so the client must refetch it)."""

    stored: StoredObject
    differs: bool
    created: bool


class RoomBooking:
    """Books rooms in TMS for calendar users; one instance per process.

    ``client_for(user)`` returns the TMS client that books for ``user`` (the service user in
    the service model, the user's own credentials in the per-user model); ``may_see(user,
    system_id)`` tells whether a room may be named to the user (in a conflict, a refusal);
    ``may_book(user, system_id)`` whether the user may book it.
    """

    def __init__(self, settings: Settings, store: MirrorStore,
                 client_for: Callable[[str], TmsCalls],
                 may_see: Callable[[str, int], bool] = lambda user, system_id: True,
                 may_book: Callable[[str, int], bool] = lambda user, system_id: True) -> None:
        self._settings = settings
        self._store = store
        self._client_for = client_for
        self._may_see = may_see
        self._may_book = may_book
        self._outcome = TmsOutcome(store, default_zone=settings.mirror.default_zone,
                                   privacy=settings.bridge.privacy,
                                   retry_after=settings.bridge.retry_after)
        #: ``tms_calls`` made by the write path (the read path makes none), ``saved`` writes,
        #: ``unchanged`` writes that needed no TMS call, and one counter per refusal class
        #: (``LicenceDenied`` …) for ``/health``
        self.counters: Counter[str] = Counter()

    # ---- public ------------------------------------------------------------------------------

    def put(self, *, user: str, system_id: int, href: str, text: str,
            bookable: bool = True) -> BookingResult:
        """Create or change the booking the object at ``href`` of room ``system_id`` stands for.

        ``href`` is the client's choice (RFC 4791 5.3.2): the room calendar serves the booking
        under it from then on; the booking's other rooms show it under the deterministic href.
        A UID booked without this room is refused (``no-uid-conflict``): a booking's rooms
        change through its ATTENDEEs, written in the calendar of one of its rooms.
        """
        room = self._room(system_id)
        if not bookable:
            raise refusal.NotAllowed(
                f"You may see room {room.name} but not book it; ask your TMS administrator "
                "for booking rights.")
        rooms = MirrorRoomDirectory.of_store(self._store, self._settings.mirror.default_zone)
        try:
            parsed = self._parse(text, rooms, room)
        except refusal.InvalidCalendar:
            self._wait_for_details(room, href)
            raise
        self._check_may_book(user, room, [room.system_id, *_rooms_of(parsed.conference),
                                          *(info.system_id for info in parsed.room_attendees)])
        calendar_id = room_calendar_id(system_id)
        with self._uid_lock(parsed.uid):
            check_client_href(href, parsed.uid, f"Room {room.name}",
                              at_href=next(iter(self._store.get_objects(calendar_id, [href])),
                                           None),
                              with_uid=self._store.object_for_uid(calendar_id, parsed.uid))
            existing = self._known(user, room, parsed.uid)
            if existing is not None and room.system_id not in existing.room_ids:
                raise refusal.InvalidCalendar(
                    f"Room {room.name}: the event {parsed.uid} is a booking of other rooms; "
                    "change its rooms (ATTENDEEs) in the calendar of one of them, or give this "
                    "event a UID of its own.", "no-uid-conflict")
            self._store.remember_href(calendar_id, parsed.uid, href)
            keep_href = False
            try:
                return self._put(user, room, href, text, parsed, existing)
            except refusal.OutcomeUnknown:
                keep_href = True  # TMS's answer, once known, is filed under the client's name
                raise
            finally:  # a refused or cancelled write leaves no choice behind
                if href != href_for_uid(parsed.uid) and not keep_href:
                    self._store.drop_unused_href(calendar_id, parsed.uid)

    def _put(self, user: str, room: Room, href: str, text: str, parsed,
             existing: ConferenceRef | None) -> BookingResult:
        client = self._client(user)
        if parsed.cancelled:
            # STATUS:CANCELLED cancels the booking; the object leaves the calendar, which the
            # client learns from its next sync (the answer carries no ETag)
            if existing is not None and self._guard(user, client, room, existing) is not None:
                self._cancel(user, client, room, existing, parsed.conference)
            self._store.remove_conference(parsed.uid)
            return BookingResult(stored=_unstored(room, href, parsed, text), differs=True,
                                 created=False)
        previous = None
        if existing is not None:
            previous = self._store.object_for_uid(room.calendar_id, existing.uid)
            if previous is not None and self._unchanged(previous.ical, parsed, room):
                self.counters["unchanged"] += 1
                return BookingResult(stored=previous, differs=previous.ical != text,
                                     created=False)
            if self._guard(user, client, room, existing) is None:
                self._store.remove_conference(existing.uid)
                raise refusal.PreconditionFailed(
                    f"The booking of room {room.name} was cancelled in TMS meanwhile; refresh "
                    "the calendar.")
        conference = self._prepare(parsed, room, user, existing)
        saved = None
        if existing is not None and previous is not None:
            saved = self._save_occurrences_only(user, client, room, conference, existing)
        if saved is None:
            saved = self._save(user, client, room, conference, existing,
                               lambda: client.save_conference(conference))
        stored = self._remember(saved, room)
        return BookingResult(stored=stored, differs=stored.ical != text,
                             created=existing is None)

    def delete(self, *, user: str, system_id: int, href: str, bookable: bool = True) -> None:
        """Cancel the booking at ``href`` of room ``system_id`` (the whole series), if TMS
        still holds the version the mirror shows (else 412)."""
        room = self._room(system_id)
        if not bookable:
            raise refusal.NotAllowed(
                f"You may see room {room.name} but not change its bookings.")
        objects = self._store.get_objects(room_calendar_id(system_id), [href])
        if not objects:
            return
        with self._uid_lock(objects[0].uid):
            ref = self._store.find_by_uid(objects[0].uid)
            if ref is None:
                return
            client = self._client(user)
            if self._guard(user, client, room, ref) is not None:
                self._cancel(user, client, room, ref, None)
            self._store.remove_conference(ref.uid)

    def book_meeting(self, *, user: str, parsed, system_ids: list[int]) -> Conference:
        """Book a meeting of a user's own calendar (:mod:`tmscal.bridge.invitations`) with exactly
        the rooms ``system_ids`` as one conference (SaveConferenceWithMode, Strict; the UID is
        the ExternalPrimaryKey), store TMS's answer in those room calendars and return it
        (series level). Refusals name ``system_ids[0]``; they are those of :meth:`put`, and a
        booking the user may not change (another owner, a room they may not book) is refused
        before any change is sent."""
        room = self._room(system_ids[0])
        rooms = MirrorRoomDirectory.of_store(self._store, self._settings.mirror.default_zone)
        wanted = set(system_ids)
        self._check_may_book(user, room, wanted)
        conference: Conference = parsed.conference
        conference.participants = [p for p in conference.participants
                                   if not p.call_type.is_system or p.participant_id in wanted]
        for exception in conference.recurrence.exceptions if conference.recurrence else ():
            if exception.modified is not None:
                exception.modified.participants = [
                    p for p in exception.modified.participants
                    if not p.call_type.is_system or p.participant_id in wanted]
        parsed.room_attendees = [info for info in (rooms.room_by_id(i) for i in system_ids[1:])
                                 if info is not None]
        with self._uid_lock(parsed.uid):
            existing = self._known(user, room, parsed.uid)
            client = self._client(user)
            if existing is not None and self._guard(user, client, room, existing,
                                                    check_version=False) is None:
                self._store.remove_conference(existing.uid)
                existing = None
            conference = self._prepare(parsed, room, user, existing)
            saved = None
            if existing is not None and set(existing.room_ids) == wanted:
                saved = self._save_occurrences_only(user, client, room, conference, existing)
            if saved is None:
                saved = self._save(user, client, room, conference, existing,
                                   lambda: client.save_conference_with_mode(
                                       conference, BookingMode.STRICT))
            self._remember(saved, room)
            return saved

    def cancel_meeting(self, *, user: str, uid: str) -> bool:
        """Cancel (delete in TMS) the conference booked for ``uid`` and drop it from the room
        calendars; False when the mirror knows no such conference."""
        with self._uid_lock(uid):
            existing = self._store.find_by_uid(uid)
            if existing is None:
                return False
            room = (self._store.get_room(existing.room_ids[0]) if existing.room_ids else None) \
                or Room(system_id=0, name="of the meeting")
            client = self._client(user)
            if self._guard(user, client, room, existing, check_version=False) is not None:
                self._cancel(user, client, room, existing, None)
            self._store.remove_conference(uid)
            return True

    # ---- steps -------------------------------------------------------------------------------

    def _uid_lock(self, uid: str) -> contextlib.AbstractContextManager[None]:
        """Writes of one UID run one at a time, across the processes sharing the mirror."""
        return self._store.booking_lock(f"uid:{uid}")

    def _room(self, system_id: int) -> Room:
        room = self._store.get_room(system_id)
        if room is None:
            raise refusal.NotAllowed(f"Room {system_id} is not a TMS system this bridge knows.")
        return room

    def _room_name(self, user: str, system_id: int) -> str:
        """The room's name when ``user`` may see it, else its SystemId."""
        other = self._store.get_room(system_id)
        return other.name if other is not None and self._may_see(user, system_id) \
            else str(system_id)

    def _zone(self, room: Room) -> str:
        return iana_zone(room.zone, self._settings.mirror.default_zone)

    def _check_may_book(self, user: str, room: Room, system_ids) -> None:
        """Refuse (403, before any TMS call) unless ``user`` may book every room listed."""
        for system_id in sorted(set(system_ids)):
            if not self._may_book(user, system_id):
                self.counters["NotAllowed"] += 1
                raise refusal.NotAllowed(
                    f"You may not book room {self._room_name(user, system_id)}, a room of this "
                    f"booking (written in room {room.name}); nothing was changed in TMS.")

    def _wait_for_details(self, room: Room, href: str) -> None:
        """Raise :class:`~tmscal.bridge.refusals.DetailsPending` when the object at ``href``
        awaits its details: a text refused then most likely came from the import's first
        rendering (a series as single dates), and the person should wait, not rewrite it."""
        stored = next(iter(self._store.get_objects(room.calendar_id, [href])), None)
        if stored is not None and self._store.details_pending(stored.uid):
            raise refusal.DetailsPending(
                f"Room {room.name}: this booking is still being read from TMS (its recurrence "
                "and participants are not in yet); try again in a few minutes.",
                self._settings.bridge.retry_after)

    def _known(self, user: str, room: Room, uid: str) -> ConferenceRef | None:
        """The mirrored conference of ``uid``; a write of it whose outcome was unknown is
        settled with TMS first."""
        pending = next((w for w in self._store.pending_writes() if w.uid == uid), None)
        if pending is not None:
            self._outcome.ask(self._client(user), pending, f"room {room.name}")
        return self._store.find_by_uid(uid)

    def _guard(self, user: str, client: TmsCalls, room: Room, existing: ConferenceRef, *,
               check_version: bool = True) -> Conference | None:
        """TMS's current state of ``existing`` (None when TMS no longer holds it), once the
        user may change it: its owner under the service model (TMS decides under the per-user
        model), and may book each of its rooms; with ``check_version``, a version newer than
        the mirror's (a change the client has not seen) is a 412 and the mirror catches up."""
        self._check_may_book(user, room, existing.room_ids)
        try:
            current = self._call(user, room, None, lambda: client.get_recurrent_conference_by_id(
                existing.series_id))
        except refusal.PreconditionFailed:
            return None  # not found or deleted in TMS
        if current is None or current.conference_id <= 0 \
                or current.status == ConferenceStatus.DELETED:
            return None
        if check_version and current.version != existing.version:
            self._outcome.record(existing.uid, current)
            self.counters["PreconditionFailed"] += 1
            raise refusal.PreconditionFailed(
                f"The booking of room {room.name} {self._span(room, current)} was changed in "
                "TMS meanwhile; refresh the calendar and try again.")
        if self._settings.bridge.booking_model == "service" and not _same_owner(
                current.owner_user_name, self._settings.bridge.owner_for(user)):
            self.counters["NotAllowed"] += 1
            raise refusal.NotAllowed(
                f"The booking of room {room.name} {self._span(room, current)} belongs to "
                f"{current.owner_user_name or 'another user'}; only its owner may change or "
                "cancel it. Nothing was changed.")
        self._check_may_book(user, room, _rooms_of(current))
        return current

    def _client(self, user: str) -> TmsCalls:
        try:
            return self._client_for(user)
        except (TmsUnavailable, TmsAuthenticationError) as error:
            raise refusal.TmsDown(f"TMS cannot be reached to book for {user}: {error}",
                                  self._settings.bridge.retry_after) from error
        except KeyError as error:
            raise refusal.NotAllowed(
                f"No TMS credentials for {user}; log in again to book rooms.") from error

    def _parse(self, text: str, rooms: MirrorRoomDirectory, room: Room):
        from tmscal import ical

        try:
            return ical.parse_event(text, rooms, default_zone=self._settings.mirror.default_zone,
                                    target_room=rooms.room_by_id(room.system_id))
        except ical.IcalError as error:
            raise _ical_refusal(error, room) from error

    def _unchanged(self, previous_ical: str, parsed, room: Room) -> bool:
        """Whether ``parsed`` asks TMS for exactly what the mirrored text stands for."""
        from tmscal import ical

        rooms = MirrorRoomDirectory.of_store(self._store, self._settings.mirror.default_zone)
        try:
            old = ical.parse_event(previous_ical, rooms,
                                   default_zone=self._settings.mirror.default_zone,
                                   target_room=rooms.room_by_id(room.system_id))
        except ical.IcalError:
            return False
        return (old.conference, old.room_attendees) == (parsed.conference,
                                                        parsed.room_attendees)

    def _prepare(self, parsed, room: Room, user: str, existing) -> Conference:
        conference: Conference = parsed.conference
        # a booking keeps the external ids TMS holds (a booking made in TMS has its own
        # ExternalSourceId, often empty)
        conference.external_source_id = (existing.external_source_id if existing is not None
                                          else self._settings.bridge.external_source_id)
        conference.external_primary_key = (existing.external_primary_key if existing is not None
                                           and existing.external_primary_key else parsed.uid)
        conference.conference_type = self._settings.bridge.conference_type
        if existing is not None:
            conference.conference_id = existing.series_id
            conference.version = existing.version
        else:
            conference.conference_id = -1
            conference.version = 0
        wanted = [room.system_id] + [info.system_id for info in parsed.room_attendees
                                     if info.system_id != room.system_id]
        others = [p for p in conference.participants if not p.call_type.is_system]
        present = {p.participant_id for p in conference.participants if p.call_type.is_system}
        systems = [p for p in conference.participants if p.call_type.is_system]
        for system_id in wanted:
            if system_id not in present:
                systems.append(Participant(call_type=ParticipantCallType.TMS,
                                           participant_id=system_id))
                present.add(system_id)
        conference.participants = systems + others
        if self._settings.bridge.booking_model == "service":
            conference.owner_user_name = self._settings.bridge.owner_for(user)
        return conference

    def _pending_write(self, uid: str, conference: Conference) -> PendingWrite:
        return PendingWrite(uid, conference.external_source_id or "",
                            conference.external_primary_key or uid)

    def _save(self, user: str, client: TmsCalls, room: Room, conference: Conference,
              existing: ConferenceRef | None, save: Callable[[], Conference]) -> Conference:
        """``save`` (one SaveConference call), then the series as TMS holds it. When TMS does
        not answer either, TMS is asked what it holds (:class:`TmsOutcome`); when the save
        never reached TMS, nothing was changed and the refusal says so."""
        saved = None
        try:
            saved = self._call(user, room, conference, save)
            if saved.is_series or saved.recurrence_instance_id_utc is not None:
                saved = self._call(user, room, conference,
                                   lambda: client.get_recurrent_conference_by_id(
                                       saved.conference_id))
            return saved
        except refusal.TmsDown as error:
            if saved is None and isinstance(error, refusal.TmsNotReached):
                raise  # the save never reached TMS: nothing was changed
            before = existing.version if existing is not None else None
            uid = existing.uid if existing is not None else conference.external_primary_key
            held = self._outcome.settle(
                client, self._pending_write(uid, conference), f"room {room.name}",
                before_version=before,
                done=lambda held: held is not None and held.version != before)
            assert held is not None
            return held

    def _save_occurrences_only(self, user: str, client: TmsCalls, room: Room,
                               conference: Conference, existing: ConferenceRef):
        """When the new text only adds overridden/excluded occurrences to the mirrored series
        (its shape, kept by the mirror), send just those occurrences; None when the series
        itself changed or its shape is not known."""
        from tmscal.ical.shape import shape_of

        old, new = existing.shape, shape_of(conference)
        if old is None or new is None or not old.same_series(new):
            return None
        added = [e for e in conference.recurrence.exceptions
                 if (e.exception_type.value, e.recurrence_id_utc) not in old.exceptions]
        if len(added) + len(old.exceptions) != len(conference.recurrence.exceptions) \
                or not added:
            return None
        write = self._pending_write(existing.uid, conference)
        done = 0  # occurrences TMS changed
        try:
            for exception in added:
                try:
                    self._change_occurrence(user, client, room, conference, exception)
                except refusal.BridgeRefusal:
                    if done:  # the occurrences changed before stay changed: show them
                        with contextlib.suppress(refusal.TmsDown):
                            self._outcome.ask(client, write, f"room {room.name}")
                    raise
                done += 1
            return self._call(user, room, conference,
                              lambda: client.get_recurrent_conference_by_id(existing.series_id))
        except refusal.TmsDown as error:
            if not done and isinstance(error, refusal.TmsNotReached):
                raise  # nothing reached TMS: nothing was changed
            wanted = {_exception_key(e) for e in added}
            return self._outcome.settle(
                client, write, f"room {room.name}", before_version=existing.version,
                done=lambda held: held is not None and wanted <= {
                    _exception_key(e) for e in (held.recurrence.exceptions
                                                if held.recurrence else ())})

    def _change_occurrence(self, user: str, client: TmsCalls, room: Room, conference: Conference,
                           exception) -> None:
        occurrence_id = self._call(user, room, conference, lambda:
                                   client.get_conference_id_by_external_id(
                                       conference.external_source_id,
                                       conference.external_primary_key,
                                       exception.recurrence_id_utc))
        if exception.exception_type == ExceptionType.DELETE:
            self._call(user, room, conference,
                       lambda: client.delete_conference_rec_instance_by_id(occurrence_id))
            return
        modified = (exception.modified or conference).copy(
            conference_id=occurrence_id, recurrence=None,
            recurrence_instance_id_utc=exception.recurrence_id_utc,
            external_source_id=conference.external_source_id,
            external_primary_key=conference.external_primary_key,
            participants=conference.participants, version=0)
        self._call(user, room, modified, lambda: client.save_conference_rec_instance(modified))

    def _cancel(self, user: str, client: TmsCalls, room: Room, existing: ConferenceRef,
                conference: Conference | None) -> None:
        """Delete the series in TMS; when TMS does not answer, it is asked what it holds."""
        try:
            self._call(user, room, conference,
                       lambda: client.delete_conference_by_id(existing.series_id))
        except refusal.PreconditionFailed:
            pass  # already gone in TMS: the mirror follows
        except refusal.TmsNotReached:
            raise  # the delete never reached TMS: nothing was changed
        except refusal.TmsDown:
            self._outcome.settle(
                client, PendingWrite(existing.uid, existing.external_source_id,
                                     existing.external_primary_key or existing.uid),
                f"room {room.name}", before_version=existing.version,
                done=lambda held: held is None or held.version != existing.version)

    def _remember(self, saved: Conference, room: Room) -> StoredObject:
        """Store TMS's answer (read-your-writes) and return the object now in ``room``; an
        answer the mirror cannot store is :class:`~tmscal.bridge.refusals.TmsAnswerInvalid`."""
        try:
            record = store_saved_conference(self._store, saved,
                                            default_zone=self._settings.mirror.default_zone,
                                            privacy=self._settings.bridge.privacy)
        except UnstorableConference as error:
            raise refusal.TmsAnswerInvalid(
                f"TMS answered the booking of room {room.name} with data the bridge cannot "
                f"store ({error}); the calendar shows the booking once TMS sends it correctly.",
                self._settings.bridge.retry_after) from error
        if record is not None:
            self._store.clear_pending(record.uid)
        if record is None or room.system_id not in record.room_ids:
            raise refusal.TmsDown(
                f"TMS saved the booking of room {room.name} without the room; try again.",
                self._settings.bridge.retry_after)
        self.counters["saved"] += 1
        stored = self._store.object_for_uid(room_calendar_id(room.system_id), record.uid)
        if stored is None:
            raise refusal.TmsDown(f"The booking of room {room.name} could not be stored; "
                                  "try again.", self._settings.bridge.retry_after)
        return stored

    # ---- TMS calls and their refusals --------------------------------------------------------

    def _span(self, room: Room, conference: Conference | None) -> str:
        if conference is None:
            return "then"
        return local_span(conference.start_utc, conference.end_utc, self._zone(room))

    def _call(self, user: str, room: Room, conference: Conference | None, action: Callable):
        self.counters["tms_calls"] += 1
        try:
            return action()
        except TmsError as error:
            translated = self._refusal_for(error, user, room, conference)
            self.counters[type(translated).__name__] += 1
            raise translated from error
        except (TmsUnreachable, TmsAuthenticationError) as error:
            self.counters["TmsDown"] += 1
            raise refusal.TmsNotReached(
                f"TMS could not be reached while booking room {room.name}; nothing was "
                "changed, try again later.", self._settings.bridge.retry_after) from error
        except TmsUnavailable as error:
            self.counters["TmsDown"] += 1
            raise refusal.TmsDown(
                f"TMS did not answer while booking room {room.name}; try again later.",
                self._settings.bridge.retry_after) from error

    def _refusal_for(self, error: TmsError, user: str, room: Room,
                     conference: Conference | None):
        when = self._span(room, conference)
        name = room.name
        if isinstance(error, SystemAlreadyBooked):
            return refusal.BookingConflict(self._conflict(user, room, conference))
        if isinstance(error, LicenseError):
            return refusal.LicenceDenied(
                f"Room {name} cannot be booked {when}: TMS has no free licence to switch on "
                "'Allow Remote Bookings' for it; ask your TMS administrator.")
        if isinstance(error, (SystemNotAllowed, NoAccessToConference, UserNotFound,
                              SystemNotFound)):
            return refusal.NotAllowed(
                f"You may not book room {name} {when}: {error.message}")
        if isinstance(error, CannotBookInPast):
            return refusal.OutsideWindow(
                f"Room {name} cannot be booked {when}: the meeting ends in the past.")
        if isinstance(error, OutsideBookingWindow):
            return refusal.OutsideWindow(
                f"Room {name} cannot be booked {when}: outside the TMS booking window "
                f"({error.message}).")
        if isinstance(error, ConferenceActive):
            return refusal.OutsideWindow(
                f"The booking of room {name} {when} is in progress; it can no longer be moved.")
        if isinstance(error, (StaleVersion, ConferenceNotFound, ConferenceDeleted)):
            return refusal.PreconditionFailed(
                f"The booking of room {name} {when} was changed in TMS meanwhile; refresh the "
                "calendar and try again.")
        if isinstance(error, (RecurrenceNotSupported, InvalidTimes, InstanceNotFound)):
            return refusal.InvalidCalendar(f"Room {name} {when}: {error.message}")
        if isinstance(error, DatabaseDown):
            return refusal.TmsDown(
                f"TMS's database is down while booking room {name}; nothing was changed.",
                self._settings.bridge.retry_after)
        return refusal.InvalidCalendar(f"TMS refused the booking of room {name} {when}: "
                                       f"{error.message}")

    def _conflict(self, user: str, room: Room, conference: Conference | None) -> str:
        """``Room X is already booked <when> by 'Title' (<its occurrence>) [in Room Y]``: the
        first occurrence of ``conference`` that collides, in a room the user may see, with a
        booking the mirror knows; else just the room and the requested time."""
        when = self._span(room, conference)
        if conference is None or conference.start_utc is None:
            return f"Room {room.name} is already booked {when}."
        from tmscal.ical import IcalError
        from tmscal.ical.series import conference_zone, lay_out

        rooms = MirrorRoomDirectory.of_store(self._store, self._settings.mirror.default_zone)
        try:
            occurrences = lay_out(conference, conference_zone(
                conference, rooms, self._settings.mirror.default_zone)).occurrences
        except IcalError:
            occurrences = [(conference.start_utc, conference.end_utc)]
        which = " on the occurrence of" if conference.recurrence is not None else ""
        for start, end in occurrences:
            for system_id in conference.system_ids or [room.system_id]:
                if not self._may_see(user, system_id):
                    continue
                detail = busy_with(self._store, rooms, system_id, start, end,
                                   uid=conference.external_primary_key,
                                   default_zone=self._settings.mirror.default_zone)
                if detail:
                    other = self._store.get_room(system_id)
                    where = f" in {other.name}" if other and system_id != room.system_id \
                        else ""
                    span = local_span(start, end, self._zone(room))
                    return f"Room {room.name} is already booked{which} {span}{detail}{where}."
        return f"Room {room.name} is already booked {when}."


def check_client_href(href: str, uid: str, subject: str, *, at_href: StoredObject | None = None,
                      with_uid: StoredObject | None = None) -> None:
    """Refuse filing the object ``uid`` under ``href`` when the name is not allowed
    (:func:`~tmscal.mirror.store.client_href_allowed`), or when the calendar holds ``uid``
    under another href (``with_uid``, its live object with that UID) or another UID under
    ``href`` (``at_href``, its live object there): RFC 4791 ``no-uid-conflict``."""
    if not client_href_allowed(href, uid):
        raise refusal.InvalidCalendar(
            f"{subject}: '{href}' cannot name an event here (1 to 255 characters, no '/' or "
            "control characters, not starting with 'tmscal~').")
    if with_uid is not None and with_uid.href != href:
        raise refusal.InvalidCalendar(
            f"{subject}: this calendar already holds the event {uid} as {with_uid.href}.",
            "no-uid-conflict")
    if at_href is not None and at_href.uid != uid:
        raise refusal.InvalidCalendar(
            f"{subject}: {href} holds another event ({at_href.uid}); an event keeps its UID.",
            "no-uid-conflict")


def _unstored(room: Room, href: str, parsed, text: str) -> StoredObject:
    """The client's own text as an object that is not (or no longer) in the mirror."""
    start = parsed.conference.start_utc or datetime.now(timezone.utc)
    return StoredObject(calendar_id=room_calendar_id(room.system_id), href=href, uid=parsed.uid,
                        etag=etag_for_text(text), ical=text, start_utc=start,
                        end_utc=parsed.conference.end_utc or start,
                        last_modified=datetime.now(timezone.utc))


def _rooms_of(conference: Conference) -> list[int]:
    """Every room of a conference, its changed occurrences included."""
    ids = list(conference.system_ids)
    for exception in conference.recurrence.exceptions if conference.recurrence else ():
        if exception.modified is not None:
            ids.extend(exception.modified.system_ids)
    return ids


def _same_owner(tms_owner: str, wanted: str) -> bool:
    """Whether TMS's OwnerUserName (``DOMAIN\\user``) names the owner ``wanted`` (with or
    without a domain), ignoring case."""
    have, want = (tms_owner or "").strip().lower(), wanted.strip().lower()
    if "\\" not in want:
        have = have.rsplit("\\", 1)[-1]
    return bool(want) and have == want


def _exception_key(exception) -> tuple:
    """What TMS stores of a series exception: kind, slot and (moved) times."""
    modified = exception.modified
    return (exception.exception_type, exception.recurrence_id_utc,
            modified.start_utc if modified is not None else None,
            modified.end_utc if modified is not None else None)


def _ical_refusal(error, room: Room) -> refusal.InvalidCalendar:
    return ical_refusal(error, f"Room {room.name}")


def ical_refusal(error, subject: str) -> refusal.InvalidCalendar:
    """The refusal of a :class:`tmscal.ical.IcalError` about ``subject`` (``Room X``,
    ``Meeting``), with the RFC 4791 precondition its kind calls for."""
    from tmscal import ical

    reason = f"{subject}: {error.reason}"
    if isinstance(error, ical.MalformedCalendar):
        return refusal.InvalidCalendar(reason, "valid-calendar-data")
    if isinstance(error, ical.CalendarTooLarge):
        return refusal.InvalidCalendar(reason, "max-resource-size")
    if isinstance(error, ical.UnsupportedEvent):
        return refusal.InvalidCalendar(reason, "supported-calendar-component")
    return refusal.InvalidCalendar(reason)
