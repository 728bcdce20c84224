"""``[mirror]``: how the mirror is stored and kept fresh.

Keys (all optional)::

    [mirror]
    path = var/mirror.sqlite3     SQLite file of the mirror (older name: database); relative
                                  paths are relative to the configuration file
    url = postgresql://USER@HOST:PORT/DB
                                  a PostgreSQL mirror instead (shared by several nodes); path
                                  is then unused. Any libpq URL; the password is best kept out
                                  of it:
    password_file = FILE          the database password (its first line; relative to the
                                  configuration file), or libpq's ~/.pgpass / PGPASSWORD
    horizon_past_days = 90        full import and reconciliation cover now - this ...
    horizon_future_days = 365     ... to now + this
    poll_interval = 10            seconds between GetTransactionsSince polls (older name:
                                  sync_interval)
    reconcile_interval = 3600     seconds between comparisons with TMS (0 = never)
    tombstone_days = 30           how long deletions are remembered for sync tokens
    default_zone = UTC            IANA zone for rooms and conferences without one
    window_days = 30              width of one GetConferencesForSystems window (an import
                                  asks one room per call, over window_days × systems_per_call)
    systems_per_call = 100        SystemIds per GetConferencesForSystems call
    detail_workers = 4            concurrent TMS calls of an import or reconciliation (list
                                  calls, then GetRecurrentConferenceById)
    max_backoff = 300             longest wait, in seconds, after repeated TMS failures
    unreadable_retry = 60         seconds between retries of records the syncer set aside
    stale_after = 0               /health says degraded when TMS has not answered for this many
                                  seconds (0 = 3 poll intervals, at least 30 s)
    lease_seconds = 20            the syncer's lease: another process (or host) takes the syncer
                                  over at most this long plus a third of it after its holder died
    store_timeout = 5             seconds a request waits for the store before answering 503
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tmscal.settings.reader import Section
from tmscal.settings.tms import read_password

#: The URL schemes of a PostgreSQL mirror.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def redacted_url(url: str) -> str:
    """``url`` without its password, if it has one (for logs, errors and keys)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = f"{parts.hostname or ''}:{parts.port}" if parts.port else parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


@dataclass(frozen=True)
class MirrorSettings:
    """How the mirror is stored and kept fresh (see the module docstring for each key)."""

    path: str = "var/mirror.sqlite3"
    url: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    horizon_past_days: int = 90
    horizon_future_days: int = 365
    poll_interval: float = 10.0
    reconcile_interval: float = 3600.0
    tombstone_days: float = 30.0
    default_zone: str = "UTC"
    window_days: int = 30
    systems_per_call: int = 100
    detail_workers: int = 4
    max_backoff: float = 300.0
    unreadable_retry: float = 60.0
    stale_after: float = 0.0
    lease_seconds: float = 20.0
    store_timeout: float = 5.0

    @property
    def database(self) -> str:
        """What names the mirror's database: the PostgreSQL URL, else the SQLite path."""
        return self.url or self.path

    @property
    def loggable_database(self) -> str:
        """:attr:`database` as it may be logged (never a password)."""
        return redacted_url(self.url) if self.url else self.path

    @property
    def tms_silence_limit(self) -> float:
        """Seconds without an answer from TMS after which the mirror counts as stale."""
        return self.stale_after or max(30.0, 3 * self.poll_interval)

    def with_changes(self, **changes) -> "MirrorSettings":
        """A copy with the given values; None leaves a value as it is."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def read_mirror(section: Section, base: Path | None) -> MirrorSettings:
    defaults = MirrorSettings()
    zone = section.text("default_zone", defaults.default_zone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise section.error("default_zone", f"must be an IANA time zone, not {zone!r}") from None
    url = section.text("url")
    if url and not url.startswith(POSTGRES_SCHEMES):
        raise section.error("url", "must be a postgresql:// URL")
    password_file = section.path("password_file", "", base)
    return MirrorSettings(
        path=section.path("path", defaults.path, base, aliases=("database",)),
        url=url,
        password=read_password(password_file) if password_file else "",
        horizon_past_days=section.whole_number("horizon_past_days", defaults.horizon_past_days),
        horizon_future_days=section.whole_number("horizon_future_days",
                                                 defaults.horizon_future_days),
        poll_interval=section.number("poll_interval", defaults.poll_interval,
                                     aliases=("sync_interval",)),
        reconcile_interval=section.number("reconcile_interval", defaults.reconcile_interval),
        tombstone_days=section.number("tombstone_days", defaults.tombstone_days),
        default_zone=zone,
        window_days=section.whole_number("window_days", defaults.window_days, minimum=1),
        systems_per_call=section.whole_number("systems_per_call", defaults.systems_per_call,
                                              minimum=1),
        detail_workers=section.whole_number("detail_workers", defaults.detail_workers,
                                            minimum=1),
        max_backoff=section.number("max_backoff", defaults.max_backoff),
        unreadable_retry=section.number("unreadable_retry", defaults.unreadable_retry),
        stale_after=section.number("stale_after", defaults.stale_after),
        lease_seconds=section.number("lease_seconds", defaults.lease_seconds, minimum=1.0),
        store_timeout=section.number("store_timeout", defaults.store_timeout, minimum=0.1))
