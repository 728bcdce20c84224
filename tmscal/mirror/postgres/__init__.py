"""The PostgreSQL back end of the mirror: one database shared by any number of ``tmscal``
processes on any number of hosts (``[mirror] url = postgresql://…``).

``database`` (the connection pool, transactions, the typed error of a lost server), ``schema``
(tables, migrations under an advisory lock), ``calendars`` (the change-sequence machinery every
calendar shares, safe under concurrent writers), ``rooms`` (the
:class:`~tmscal.mirror.store.MirrorStore`), ``personal`` and ``preferences`` (the concerns of
:mod:`tmscal.mirror.personal`), ``locks`` (a booking UID's writes one at a time across
processes). The tables are the SQLite back end's (:mod:`tmscal.mirror.sqlite`).
"""
