"""Rooms as calendar users (RFC 6638): who they are, how they are found, when they are busy.

:mod:`.principals` is the directory of room and user principals a user may see, with their
calendar-user addresses and the principal search; :mod:`.freebusy` answers free/busy requests
from the mirror. Nothing here knows HTTP or XML (that is :mod:`tmscal.web.scheduling`).
"""
