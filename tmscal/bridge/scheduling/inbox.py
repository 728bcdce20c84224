"""Each user's schedule inbox (RFC 6638 §2.2): ``/<user>/inbox/``, stored as a personal
calendar of the mirror (``user:<name>/inbox``).

The bridge delivers iTIP messages into it (:meth:`Inbox.deliver`): a room's REPLY when its
answer to a meeting changes or TMS changed the meeting's time, recurrence or title
(:mod:`.implicit`). Only its owner reads it; the owner deletes processed messages; nobody
writes into it. It holds one message per meeting and room: a newer answer replaces one not yet
processed (Thunderbird, for one, leaves REPLYs in the inbox of a server that schedules), and the
messages of a meeting go when the meeting is deleted.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time

from icalendar import Calendar

from tmscal.mirror import PersonalCalendars
from tmscal.mirror.objects import RESERVED_HREF_PREFIX, StoredObject, personal_calendar_id
from tmscal.model import UTC

#: the name of every user's inbox among their personal calendars (its URL is the plugin's)
INBOX = "inbox"
#: an open-ended series is indexed up to the last representable day
_ENDLESS = 2 ** 40


def message_range(itip_text: str) -> tuple[int, int]:
    """``[start, end)`` (POSIX seconds) enclosing the message's events."""
    starts: list[int] = []
    ends: list[int] = []
    for event in Calendar.from_ical(itip_text).walk("VEVENT"):
        start = _seconds(event.get("DTSTART"))
        end = _seconds(event.get("DTEND")) or start
        if start is None:
            continue
        starts.append(start)
        ends.append(_ENDLESS if "RRULE" in event else max(end or start, start))
    return (min(starts), max(ends)) if starts else (0, _ENDLESS)


def _seconds(prop) -> int | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, time(), UTC).timestamp())
    return None


class Inbox:
    """The schedule inboxes of one mirror."""

    def __init__(self, calendars: PersonalCalendars) -> None:
        self.calendars = calendars

    @staticmethod
    def calendar_id(user: str) -> str:
        return personal_calendar_id(user, INBOX)

    def deliver(self, user: str, itip_text: str) -> StoredObject:
        """Store one iTIP message (a VCALENDAR with METHOD, about one ATTENDEE) in ``user``'s
        inbox, replacing the one from the same attendee about the same meeting."""
        event = Calendar.from_ical(itip_text).walk("VEVENT")[0]
        uid = str(event["UID"])
        return self.calendars.put(self.calendar_id(user),
                                  message_href(uid, str(event.get("ATTENDEE", ""))), uid,
                                  itip_text, message_range(itip_text))

    def delete(self, user: str, href: str) -> bool:
        """Delete a processed message; False when there is none at ``href``."""
        return self.calendars.delete(self.calendar_id(user), href)

    def forget(self, user: str, uid: str, attendees: list[str]) -> None:
        """Delete the messages of ``attendees`` about the meeting ``uid`` (it is gone)."""
        for attendee in attendees:
            self.delete(user, message_href(uid, attendee))


def message_href(uid: str, attendee: str) -> str:
    """The href of the message of ``attendee`` about the meeting ``uid`` (one of the bridge's
    own: ``tmscal~reply-<hash>.ics``)."""
    digest = hashlib.sha256(f"{uid}\n{attendee.lower()}".encode()).hexdigest()[:40]
    return f"{RESERVED_HREF_PREFIX}reply-{digest}.ics"
