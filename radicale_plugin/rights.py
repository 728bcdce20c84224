"""``Rights`` for ``[rights] type = radicale_plugin.rights``: room calendars per user.

* ``/``: ``R`` for authenticated users; ``/<user>/``: ``RW`` for its owner only;
* ``/<user>/<personal>/``: ``rw`` for its owner (the meetings calendar, tmscal.bridge.invitations;
  the schedule inbox ``/<user>/inbox/``, whose collection refuses PUT);
* ``/<user>/room-<id>/``: ``rwd`` if the user may book the room (``d``: the calendar itself
  cannot be deleted), ``r`` if they may only see it (``rw`` on the calendar itself for a
  PROPPATCH, which can only set the user's own colour and order), nothing otherwise (other
  users' homes are invisible).

Rooms seen read-only are noted in the request's outcome, so the web layer can say why a write
was refused. Needs ``[storage] tmscal_config`` like the storage.
"""

from __future__ import annotations

from radicale.rights import BaseRights

from radicale_plugin import namespace, outcome
from radicale_plugin.meetings import personal_segments
from radicale_plugin.options import config_path
from tmscal.bridge.runtime import BridgeRuntime, runtime_for


class Rights(BaseRights):
    """Room rights from :class:`tmscal.bridge.room_access.RoomAccess`."""

    def __init__(self, configuration) -> None:
        super().__init__(configuration)
        self._config_path = config_path(configuration)
        self._runtime: BridgeRuntime | None = None  # resolved once, not per check

    def authorization(self, user: str, user_groups: set, path: str) -> str:
        if not user:
            return ""
        runtime = self._runtime
        if runtime is None:
            runtime = self._runtime = runtime_for(self._config_path)
        runtime.access.note_groups(user, user_groups)
        location = namespace.parse_path(path, personal_segments(runtime))
        if isinstance(location, namespace.Root):
            return "R"
        if isinstance(location, namespace.Home):
            return "RW" if location.user == user else ""
        if isinstance(location, (namespace.MeetingsPath, namespace.MeetingItemPath)):
            return "rw" if location.user == user else ""  # own meetings calendar
        if isinstance(location, (namespace.RoomPath, namespace.ItemPath)):
            if location.user != user:
                return ""
            access = runtime.access.access(user, location.system_id, user_groups)
            if access is None:
                return ""
            room, bookable = access
            notes = outcome.current()
            notes.notes["room"] = room.name
            if isinstance(location, namespace.RoomPath):
                notes.notes["target"] = "calendar"
            if not bookable:
                notes.read_only_room = room.name
                own_view = isinstance(location, namespace.RoomPath) and notes.method == "PROPPATCH"
                return "rw" if own_view else "r"
            return "rwd"  # d: a room calendar itself can never be deleted
        return ""
