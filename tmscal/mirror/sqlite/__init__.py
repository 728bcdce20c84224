"""The SQLite (WAL) back end of the mirror: one file per mirror, shared by the worker
processes of one host.

``file`` (connections and transactions), ``schema`` (tables and migrations), ``calendars``
(the change-sequence machinery every calendar shares), ``rooms`` (the
:class:`~tmscal.mirror.store.MirrorStore`), ``personal`` and ``preferences`` (the concerns of
:mod:`tmscal.mirror.personal`, sharing the store's file).
"""
