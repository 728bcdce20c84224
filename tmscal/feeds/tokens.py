"""Feed tokens: the secret in a feed or display URL, stored only as its SHA-256.

A token is 32 URL-safe characters from :func:`secrets.token_urlsafe` (192 random bits). The
table ``feed_tokens`` lives in the mirror's database, SQLite or PostgreSQL (created by the
back end's schema, next to the mirror's own tables, which this module never touches). Each
row has a short public ``token_id`` (for ``tmscal feeds rotate|revoke`` and for logs), the
scope (``room`` + SystemId, ``site`` + site name, or ``all``), the privacy level, a label, and
created/revoked times.

:meth:`FeedTokenStore.lookup` finds a live token by its hash and compares the hashes with
:func:`hmac.compare_digest`; a revoked, unknown or malformed token gives None. The token itself
is never stored or logged (log :attr:`FeedToken.token_id`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tmscal.ical.privacy import Privacy
from tmscal.mirror import MirrorStore, open_tables
from tmscal.mirror.tables import SqlTables
from tmscal.process_wide import ProcessWide

SCOPES = ("room", "site", "all")
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def token_digest(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh secret token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class FeedToken:
    """A token's record. ``target`` is the SystemId (``room``), the site name (``site``) or ''
    (``all``)."""

    token_id: str
    scope: str
    target: str
    privacy: Privacy
    label: str
    created: datetime
    revoked: datetime | None = None
    replaced_by: str = ""

    @property
    def live(self) -> bool:
        return self.revoked is None

    def describe_scope(self) -> str:
        return {"room": f"room {self.target}", "site": f"site {self.target!r}",
                "all": "all rooms"}[self.scope]


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the record and the secret (shown once, never stored)."""

    record: FeedToken
    secret: str


def _dt(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class FeedTokenStore:
    """The ``feed_tokens`` table of one mirror database; thread-safe."""

    def __init__(self, tables: SqlTables) -> None:
        self.tables = tables

    def _run(self, db: Any, sql: str, params: tuple = ()) -> Any:
        """``sql`` (parameters marked ``?``) on ``db``, in the back end's parameter style."""
        return db.execute(sql.replace("?", self.tables.placeholder), params)

    _COLUMNS = ("SELECT token_id, scope, target, privacy, label, created, revoked, replaced_by "
                "FROM feed_tokens ")

    @staticmethod
    def _record(row: tuple) -> FeedToken:
        token_id, scope, target, privacy, label, created, revoked, replaced_by = row
        return FeedToken(token_id, scope, target, Privacy.of(privacy), label, _dt(created),
                         _dt(revoked), replaced_by)

    def create(self, scope: str, target: str = "", privacy: str = "title",
               label: str = "") -> IssuedToken:
        """Issue a token for ``scope``/``target`` at ``privacy``."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        if scope == "room" and not str(target).isdigit():
            raise ValueError("a room token needs the room's SystemId")
        if scope == "site" and not target:
            raise ValueError("a site token needs the site name")
        level = Privacy.of(privacy)
        with self.tables.write() as db:
            return self._insert(db, scope, "" if scope == "all" else str(target), level, label)

    def _insert(self, db: Any, scope: str, target: str, level: Privacy,
                label: str) -> IssuedToken:
        secret = new_token()
        token_id = secrets.token_hex(4)
        now = time.time()
        self._run(db, "INSERT INTO feed_tokens (token_id, token_sha256, scope, target, privacy, "
                  "label, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (token_id, token_digest(secret), scope, target, level.value, label, now))
        return IssuedToken(FeedToken(token_id, scope, target, level, label, _dt(now)), secret)

    def rotate(self, token_id: str) -> IssuedToken:
        """Revoke live token ``token_id`` and issue its replacement (same scope, privacy and
        label). KeyError when there is no live token with that id."""
        with self.tables.write() as db:
            row = self._run(db, self._COLUMNS + "WHERE token_id=? AND revoked IS NULL",
                            (token_id,)).fetchone()
            if row is None:
                raise KeyError(token_id)
            old = self._record(row)
            issued = self._insert(db, old.scope, old.target, old.privacy, old.label)
            self._run(db, "UPDATE feed_tokens SET revoked=?, replaced_by=? WHERE token_id=?",
                      (time.time(), issued.record.token_id, token_id))
            return issued

    def revoke(self, token_id: str) -> bool:
        """Revoke ``token_id``; False when there was no live token with that id."""
        with self.tables.write() as db:
            cursor = self._run(db, "UPDATE feed_tokens SET revoked=? WHERE token_id=? AND "
                               "revoked IS NULL", (time.time(), token_id))
            return cursor.rowcount == 1

    def list(self, include_revoked: bool = False) -> list[FeedToken]:
        """Tokens by creation time (live ones only unless ``include_revoked``)."""
        where = "" if include_revoked else "WHERE revoked IS NULL "
        with self.tables.read() as db:
            rows = self._run(db, self._COLUMNS + where + "ORDER BY created, token_id").fetchall()
        return [self._record(row) for row in rows]

    def lookup(self, secret: str) -> FeedToken | None:
        """The live token whose secret is ``secret``, or None."""
        if not _TOKEN_SHAPE.fullmatch(secret):
            return None
        digest = token_digest(secret)
        with self.tables.read() as db:
            row = self._run(
                db, "SELECT token_sha256, token_id, scope, target, privacy, label, created, "
                "revoked, replaced_by FROM feed_tokens WHERE token_sha256=?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row[0], digest) or row[7] is not None:
            return None
        return self._record(row[1:])



_OPEN: ProcessWide[MirrorStore, FeedTokenStore] = \
    ProcessWide(lambda store: FeedTokenStore(open_tables(store)), weak_keys=True)


def open_token_store(store: MirrorStore) -> FeedTokenStore:
    """The process-wide token store kept in ``store``'s database."""
    return _OPEN.get(store)
