"""Rooms as calendar users (RFC 6638): who they are, how they are found, when they are busy,
and how they answer the meetings that invite them (TMS is each room's scheduling agent).

:mod:`.principals` is the directory of room and user principals a user may see, with their
calendar-user addresses and the principal search; :mod:`.freebusy` answers free/busy requests
from the mirror. :mod:`.implicit` holds the organizer rules (which room ATTENDEEs the server
schedules, what a change of the rooms' answers or of the booking in TMS delivers to the
inbox), :mod:`.inbox` each user's schedule inbox (the rooms' REPLYs), :mod:`.followed_event`
the changes TMS made to a booking's time, recurrence or title carried into the meeting.
Nothing here knows HTTP or XML (that is :mod:`tmscal.web.scheduling`).
"""
