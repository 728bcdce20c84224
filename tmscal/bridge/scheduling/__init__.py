"""CalDAV scheduling of rooms (RFC 6638): rooms are calendar users whose agent is TMS.

Modules: :mod:`.inbox` (each user's schedule inbox: the rooms' REPLYs), :mod:`.implicit` (the
organizer rules: which room ATTENDEEs the server schedules, what a change of the rooms' answers
or of the booking in TMS delivers to the inbox), :mod:`.followed_event`
(changes TMS made to a booking's time, recurrence or title carried into the meeting).
"""
