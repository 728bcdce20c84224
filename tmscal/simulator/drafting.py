"""Turning a requested Conference into a checked draft booking, before anything is stored.

A :class:`Draft` has the series-level fields filled as TMS fills them (owner, defaults, PIN,
ExternalPrimaryKey, time zone) and one :class:`OccurrencePlan` per occurrence, exceptions
applied. Drafting checks what depends only on the request and the caller: owner, rights,
systems, times and pattern. It does not look at other bookings, licences or the clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from tmscal.model import (
    UTC, Bandwidth, Conference, ConferenceType, DataConferenceMode, EncryptionRequested,
    ExceptionType, ExtendOptionRequested, InvalidTimes, InstanceNotFound, Participant,
    PictureMode, RecurrenceNotSupported, SystemNotAllowed, SystemNotFound, UserNotFound,
    format_tms_time,
)
from tmscal.simulator.accounts import SimUser
from tmscal.simulator.invitation import default_title
from tmscal.simulator.recurrence import normalized, occurrence_starts
from tmscal.simulator.state import SimState
from tmscal.simulator.timezones import SERVER_ZONE, iana_zone, time_zone_rules, zone_info

#: Conference Settings defaults, used where a new booking says ``Default``.
DEFAULT_SETTINGS = {
    "conference_type": ConferenceType.AUTOMATIC_CALL_LAUNCH,
    "bandwidth": Bandwidth.B30_1920,
    "picture_mode": PictureMode.ENHANCED_CP,
    "encrypted": EncryptionRequested.IF_POSSIBLE,
    "data_conference": DataConferenceMode.NO,
    "show_extend_option": ExtendOptionRequested.YES,
    "isdn_bandwidth": Bandwidth.B30_1920,
    "ip_bandwidth": Bandwidth.B30_1920,
}
DEFAULT_LANGUAGE = "en-US"

#: Fields copied from the request as they are (empty clears them).
_PLAIN_FIELDS = ("billing_code", "isdn_restrict", "email_to", "user_message_text", "location")


@dataclass
class OccurrencePlan:
    """One occurrence to store. ``recurrence_id`` is its slot in the pattern (None for a single
    conference); the optional overrides come from a MODIFY exception."""

    recurrence_id: datetime | None
    start: datetime
    end: datetime
    instance_type: str = ""  # '' | 'modify' | 'deleted'
    title: str | None = None
    participants: list[Participant] | None = None
    user_message_text: str | None = None

    @property
    def deleted(self) -> bool:
        return self.instance_type == "deleted"


@dataclass
class Draft:
    template: Conference
    owner: SimUser
    zone_id: str
    occurrences: list[OccurrencePlan] = field(default_factory=list)

    @property
    def is_series(self) -> bool:
        return self.template.recurrence is not None


def new_guid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_pin(rng: Random) -> str:
    return f"{rng.randrange(1000, 10000)}"


def resolve_owner(state: SimState, user: SimUser, requested: Conference,
                  existing: Conference | None) -> SimUser:
    """Owner per TMS rules: Book-on-behalf users may name one (OwnerUserName, then OwnerId),
    unknown names are created; everyone else books as themselves. An update keeps its owner
    unless a Book-on-behalf user names another."""
    directory = state.directory
    if user.may_act_for_others:
        name = (requested.owner_user_name or "").strip()
        if name:
            if "@" in name:
                for candidate in directory.all():
                    if candidate.email_address.lower() == name.lower():
                        return candidate
            return directory.resolve_or_create(name)
        if requested.owner_id > 0:
            owner = directory.by_id(requested.owner_id)
            if owner is None:
                raise UserNotFound(f"Owner with user id {requested.owner_id} does not exist")
            return owner
    if existing is not None:
        owner = directory.by_id(existing.owner_id)
        if owner is not None:
            return owner
    return user


def checked_participants(state: SimState, user: SimUser,
                         participants: list[Participant]) -> list[Participant]:
    """Participants with systems checked (exist, caller may book them) and named, duplicate
    systems dropped, external participants numbered 1, 2, 3 … where they have no id."""
    if not (user.booking or user.site_admin):
        raise SystemNotAllowed(f"User '{user.user_name}' has no booking rights")
    result: list[Participant] = []
    seen_systems: set[int] = set()
    taken_ids = {p.participant_id for p in participants
                 if not p.call_type.is_system and p.participant_id > 0}
    next_external = 1
    for given in participants:
        participant = Participant(given.call_type, given.participant_id, given.name_or_number,
                                  given.email_address)
        if participant.call_type.is_system:
            system = state.systems.get(participant.participant_id)
            if system is None:
                raise SystemNotFound(f"System {participant.participant_id} does not exist")
            if not user.may_book(system.system_id):
                raise SystemNotAllowed(
                    f"User '{user.user_name}' may not book room '{system.name}'")
            if system.system_id in state.closed_to_bookings:
                raise SystemNotAllowed(f"Room '{system.name}' does not allow bookings "
                                       "(Allow Bookings is No)")
            if system.system_id in seen_systems:
                continue
            seen_systems.add(system.system_id)
            participant.name_or_number = participant.name_or_number or system.name
        elif participant.participant_id <= 0:
            while next_external in taken_ids:
                next_external += 1
            participant.participant_id = next_external
            taken_ids.add(next_external)
        result.append(participant)
    return result


def _zone_for(state: SimState, requested: Conference, participants: list[Participant],
              existing_zone: str | None) -> str:
    if requested.time_zone_rules and requested.time_zone_rules[0].id:
        zone_id = requested.time_zone_rules[0].id
        iana_zone(zone_id)  # TmsError for an unknown zone
        return zone_id
    if existing_zone:
        return existing_zone
    for participant in participants:
        if participant.call_type.is_system:
            zone_id = state.systems[participant.participant_id].time_zone
            if zone_id:
                return zone_id
    return SERVER_ZONE


def checked_times(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if start is None or end is None:
        raise InvalidTimes("StartTimeUTC and EndTimeUTC are required")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start >= end:
        raise InvalidTimes(f"Start time {format_tms_time(start)} is not before end time "
                           f"{format_tms_time(end)}")
    return start, end


def draft_booking(state: SimState, user: SimUser, requested: Conference,
                  existing: Conference | None = None, existing_zone: str | None = None,
                  ) -> Draft:
    """Check ``requested`` and fill it as TMS would. ``existing`` is the template of the booking
    being updated: ``Default`` values and empty Title / Password / ExternalPrimaryKey keep its
    values."""
    owner = resolve_owner(state, user, requested, existing)
    participants = checked_participants(state, user, requested.participants)
    start, end = checked_times(requested.start_utc, requested.end_utc)
    zone_id = _zone_for(state, requested, participants, existing_zone)

    template = Conference(conference_id=existing.conference_id if existing else -1)
    for name, default in DEFAULT_SETTINGS.items():
        value = getattr(requested, name)
        if value == type(default).DEFAULT:
            value = getattr(existing, name) if existing else default
        setattr(template, name, value)
    for name in _PLAIN_FIELDS:
        setattr(template, name, getattr(requested, name))
    template.title = (requested.title or "").strip()[:255] or (
        existing.title if existing else default_title(start, zone_id))
    template.password = requested.password or (existing.password if existing
                                               else new_pin(state.rng))
    if requested.external_primary_key:
        template.external_source_id = requested.external_source_id or ""
        template.external_primary_key = requested.external_primary_key
    elif existing is not None:
        template.external_source_id = existing.external_source_id
        template.external_primary_key = existing.external_primary_key
    else:
        template.external_source_id = requested.external_source_id or ""
        template.external_primary_key = new_guid(state.rng)
    template.language = requested.language or (existing.language if existing
                                                else DEFAULT_LANGUAGE)
    template.time_zone_rules = time_zone_rules(zone_id)
    template.participants = participants
    template.owner_id = owner.user_id
    template.owner_user_name = owner.qualified_name
    template.owner_first_name = owner.first_name
    template.owner_last_name = owner.last_name
    template.owner_email_address = owner.email_address

    draft = Draft(template=template, owner=owner, zone_id=zone_id)
    if requested.recurrence is None:
        template.start_utc, template.end_utc = start, end
        draft.occurrences = [OccurrencePlan(None, start, end)]
        return draft

    pattern = requested.recurrence
    starts = occurrence_starts(start, pattern, zone_info(zone_id))
    duration = end - start
    template.recurrence = normalized(pattern, starts)
    template.start_utc, template.end_utc = starts[0], starts[0] + duration
    template.first_occurrence_utc = starts[0]
    plans = {s: OccurrencePlan(s, s, s + duration) for s in starts}
    for exception in pattern.exceptions:
        _apply_exception(state, user, plans, exception, duration)
    draft.occurrences = sorted(plans.values(), key=lambda p: (p.start, p.recurrence_id))
    return draft


def find_slot(slots, recurrence_id: datetime):
    """The key in ``slots`` equal to ``recurrence_id``, else the one on the same UTC day."""
    recurrence_id = recurrence_id.astimezone(UTC)
    if recurrence_id in slots:
        return recurrence_id
    for slot in slots:
        if slot.date() == recurrence_id.date():
            return slot
    raise InstanceNotFound(f"No such occurrence: {format_tms_time(recurrence_id)} is not an "
                           f"occurrence of the pattern")


def _apply_exception(state: SimState, user: SimUser, plans: dict, exception,
                     duration) -> None:
    if exception.exception_type is ExceptionType.ADD:
        raise RecurrenceNotSupported("ADD exceptions (extra occurrences) are not supported")
    plan = plans[find_slot(plans, exception.recurrence_id_utc)]
    if exception.exception_type is ExceptionType.DELETE:
        plan.instance_type = "deleted"
        return
    modified = exception.modified
    plan.instance_type = "modify"
    if modified is None:
        return
    if modified.start_utc is not None or modified.end_utc is not None:
        start = modified.start_utc or plan.start
        end = modified.end_utc or (start + duration)
        plan.start, plan.end = checked_times(start, end)
    if modified.title:
        plan.title = modified.title.strip()[:255]
    if modified.participants:
        plan.participants = checked_participants(state, user, modified.participants)
    if modified.user_message_text:
        plan.user_message_text = modified.user_message_text
