"""``[bridge]``: how the bridge books and what it stores.

::

    [bridge]
    external_source_id = tmscal      ExternalSourceId of every booking the bridge makes
    conference_type = Reservation Only   ConferenceType of new bookings
    booking_model = service          service | per-user
    owner_template = {user}          TMS owner the service user books for (e.g. DOMAIN\\{user})
    room_visibility = config         config ([room_rights]) | tms (what TMS lets the user book)
    show_unbookable = true           per-user + tms: also show rooms the user may not book
    retry_after = 30                 Retry-After (seconds) of a 503 when TMS does not answer
    privacy = full                   full | title | busy: what the mirror stores of a booking
    max_pending_writes = 0           writes waiting on TMS at once; 0 = half the threads
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tmscal.model import ConferenceType
from tmscal.settings.reader import Section

BOOKING_MODELS = ("service", "per-user")
VISIBILITY_SOURCES = ("tms", "config")
PRIVACY_LEVELS = ("full", "title", "busy")  # the names of tmscal.ical.privacy.Privacy


@dataclass(frozen=True)
class BridgeSettings:
    """The ``[bridge]`` section (see the module docstring)."""

    external_source_id: str = "tmscal"
    conference_type: ConferenceType = ConferenceType.RESERVATION_ONLY
    booking_model: str = "service"
    owner_template: str = "{user}"
    room_visibility: str = "config"
    show_unbookable: bool = True
    retry_after: int = 30
    privacy: str = "full"
    max_pending_writes: int = 0

    def owner_for(self, user: str) -> str:
        """The TMS owner name the service user books on behalf of ``user``."""
        return self.owner_template.replace("{user}", user)


def read_bridge(section: Section, base: Path | None) -> BridgeSettings:
    defaults = BridgeSettings()
    type_name = section.choice("conference_type", defaults.conference_type.value,
                               [kind.value for kind in ConferenceType])
    return BridgeSettings(
        external_source_id=section.text("external_source_id", defaults.external_source_id),
        conference_type=ConferenceType(type_name),
        booking_model=section.choice("booking_model", defaults.booking_model, BOOKING_MODELS),
        owner_template=section.text("owner_template", defaults.owner_template),
        room_visibility=section.choice("room_visibility", defaults.room_visibility,
                                       VISIBILITY_SOURCES),
        show_unbookable=section.flag("show_unbookable", defaults.show_unbookable),
        retry_after=section.whole_number("retry_after", defaults.retry_after),
        privacy=section.choice("privacy", defaults.privacy, PRIVACY_LEVELS),
        max_pending_writes=section.whole_number("max_pending_writes",
                                                defaults.max_pending_writes))
