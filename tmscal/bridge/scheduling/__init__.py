"""CalDAV scheduling of rooms (RFC 6638): rooms are calendar users whose agent is TMS.

Modules: :mod:`.inbox` (each user's schedule inbox: the rooms' REPLYs and the REQUESTs of
meetings TMS changed), :mod:`.implicit` (the organizer rules: which room ATTENDEEs the server
schedules, what a change of the rooms' answers delivers to the inbox), :mod:`.followed_event`
(changes TMS made to a booking's time, recurrence or title carried into the meeting).
"""
