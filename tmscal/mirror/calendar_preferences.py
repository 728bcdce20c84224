"""How each user's client shows a calendar (colour, order, a name of their own), kept in the
mirror's SQLite database.

Calendar clients set these with PROPPATCH on calendars they subscribe to (Apple Calendar and
Thunderbird set ``calendar-color`` and ``calendar-order``). They belong to the user, not to
the calendar: one user's colour never shows in another user's client, and nothing here
reaches TMS.
"""

from __future__ import annotations

from collections.abc import Mapping

from tmscal.mirror.sqlite_store import SqliteMirrorStore
from tmscal.process_wide import ProcessWide

SCHEMA = """
CREATE TABLE IF NOT EXISTS calendar_preferences (
    user        TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (user, calendar_id, name)
) WITHOUT ROWID;
"""


class CalendarPreferences:
    """Per-user WebDAV properties of calendars in one :class:`SqliteMirrorStore`."""

    def __init__(self, store: SqliteMirrorStore) -> None:
        self.store = store
        with store._write_lock:
            store._db().executescript(SCHEMA)

    def get(self, user: str, calendar_id: str) -> dict[str, str]:
        """``{property: value}`` that ``user`` set on ``calendar_id`` (empty when none)."""
        rows = self.store._db().execute(
            "SELECT name, value FROM calendar_preferences WHERE user=? AND calendar_id=?",
            (user, calendar_id)).fetchall()
        return dict(rows)

    def replace(self, user: str, calendar_id: str, values: Mapping[str, str]) -> None:
        """Make ``values`` the whole set ``user`` has on ``calendar_id`` (one transaction)."""
        with self.store._write() as db:
            db.execute("DELETE FROM calendar_preferences WHERE user=? AND calendar_id=?",
                       (user, calendar_id))
            db.executemany("INSERT INTO calendar_preferences VALUES (?, ?, ?, ?)",
                           [(user, calendar_id, name, value)
                            for name, value in sorted(values.items())])


_OPEN: ProcessWide[SqliteMirrorStore, CalendarPreferences] = \
    ProcessWide(CalendarPreferences, weak_keys=True)


def calendar_preferences(store: SqliteMirrorStore) -> CalendarPreferences:
    """The process-wide :class:`CalendarPreferences` of ``store``."""
    return _OPEN.get(store)
