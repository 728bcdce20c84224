"""Per-user calendar preferences (:class:`~tmscal.mirror.personal.CalendarPreferences`) in the
PostgreSQL mirror's ``calendar_preferences`` table."""

from __future__ import annotations

from collections.abc import Mapping

from tmscal.mirror.personal import CalendarPreferences
from tmscal.mirror.postgres.rooms import PostgresMirrorStore
from tmscal.process_wide import ProcessWide


class PostgresCalendarPreferences(CalendarPreferences):
    """The preferences in the database of one :class:`PostgresMirrorStore`."""

    def __init__(self, store: PostgresMirrorStore) -> None:
        self.database = store.database

    def get(self, user: str, calendar_id: str) -> dict[str, str]:
        with self.database.query() as db:
            rows = db.execute('SELECT name, value FROM calendar_preferences WHERE "user"=%s '
                              "AND calendar_id=%s", (user, calendar_id)).fetchall()
        return dict(rows)

    def replace(self, user: str, calendar_id: str, values: Mapping[str, str]) -> None:
        with self.database.write() as db:
            db.execute('DELETE FROM calendar_preferences WHERE "user"=%s AND calendar_id=%s',
                       (user, calendar_id))
            if values:
                with db.cursor() as cursor:
                    cursor.executemany("INSERT INTO calendar_preferences VALUES (%s, %s, %s, %s)",
                                       [(user, calendar_id, name, value)
                                        for name, value in sorted(values.items())])


_OPEN: ProcessWide[PostgresMirrorStore, PostgresCalendarPreferences] = \
    ProcessWide(PostgresCalendarPreferences, weak_keys=True)


def open_postgres_preferences(store: PostgresMirrorStore) -> PostgresCalendarPreferences:
    """The process-wide preferences of ``store``."""
    return _OPEN.get(store)
