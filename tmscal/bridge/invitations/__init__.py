"""Invite a room: meetings in a person's own calendar book the rooms they invite.

Radicale has no server-side scheduling; for rooms, tmscal provides it. A meeting written into a
user's personal calendar is stored as written; the rooms among its ATTENDEEs are booked in TMS as
one conference (the UID is the ExternalPrimaryKey), and TMS's answer is written back into the
meeting: PARTSTAT and SCHEDULE-STATUS per room, the dial-in details in DESCRIPTION and LOCATION.

Modules (``[invitations]`` is read by :mod:`tmscal.settings.invitations`): :mod:`.addresses`
(room calendar-user addresses and attendee resolution), :mod:`.decisions` (TMS's answer per room),
:mod:`.conflicts` (which occurrence a busy room blocks), :mod:`.writeback` (the answer written
into the event, and read back), :mod:`.dial_in_text` (TMS's dial-in text from the mirror),
:mod:`.meetings` (the write path of a personal calendar), :mod:`.reconciliation` (meetings follow
later changes of their booking in TMS).
"""
