"""Per-user calendar preferences (:class:`~tmscal.mirror.personal.CalendarPreferences`) in the
SQLite mirror's ``calendar_preferences`` table."""

from __future__ import annotations

from collections.abc import Mapping

from tmscal.mirror.personal import CalendarPreferences
from tmscal.mirror.sqlite.rooms import SqliteMirrorStore
from tmscal.process_wide import ProcessWide


class SqliteCalendarPreferences(CalendarPreferences):
    """The preferences in the database of one :class:`SqliteMirrorStore` (its ``file``)."""

    def __init__(self, store: SqliteMirrorStore) -> None:
        self.file = store.file

    def get(self, user: str, calendar_id: str) -> dict[str, str]:
        rows = self.file.connection().execute(
            "SELECT name, value FROM calendar_preferences WHERE user=? AND calendar_id=?",
            (user, calendar_id)).fetchall()
        return dict(rows)

    def replace(self, user: str, calendar_id: str, values: Mapping[str, str]) -> None:
        with self.file.write() as db:
            db.execute("DELETE FROM calendar_preferences WHERE user=? AND calendar_id=?",
                       (user, calendar_id))
            db.executemany("INSERT INTO calendar_preferences VALUES (?, ?, ?, ?)",
                           [(user, calendar_id, name, value)
                            for name, value in sorted(values.items())])


_OPEN: ProcessWide[SqliteMirrorStore, SqliteCalendarPreferences] = \
    ProcessWide(SqliteCalendarPreferences, weak_keys=True)


def open_sqlite_preferences(store: SqliteMirrorStore) -> SqliteCalendarPreferences:
    """The process-wide preferences of ``store``."""
    return _OPEN.get(store)
