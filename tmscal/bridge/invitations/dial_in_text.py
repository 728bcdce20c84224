"""TMS's dial-in text of a booked meeting, read back from the mirror (no TMS call).

The room calendars hold the conference as TMS answered it, rendered with TMS's invitation text
(ConferenceInfoText) as DESCRIPTION; that text is what a meeting shows as its dial-in details.
"""

from __future__ import annotations

from icalendar import Calendar

from tmscal.mirror.store import ConferenceRef, MirrorStore, room_calendar_id
from tmscal.model import Conference


def mirrored_dial_in(store: MirrorStore, ref: ConferenceRef) -> Conference | None:
    """A Conference carrying only the mirrored ConferenceInfoText of ``ref``, or None."""
    for system_id in ref.room_ids:
        found = store.object_for_uid(room_calendar_id(system_id), ref.uid)
        if found is not None:
            events = Calendar.from_ical(found.ical).walk("VEVENT")
            info = str(events[0].get("DESCRIPTION", "")) if events else ""
            return Conference(conference_info_text=info)
    return None
