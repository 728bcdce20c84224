"""The mirror's settings: the ``[mirror]`` section of the bridge's INI file.

Keys (all optional)::

    [mirror]
    path = var/mirror.sqlite3     SQLite file of the mirror (alias: database); relative paths are
                                  relative to the configuration file
    horizon_past_days = 90        full import and reconciliation cover now - this ...
    horizon_future_days = 365     ... to now + this
    poll_interval = 10            seconds between GetTransactionsSince polls (alias: sync_interval)
    reconcile_interval = 3600     seconds between comparisons with TMS (0 = never)
    tombstone_days = 30           how long deletions are remembered for sync tokens
    default_zone = UTC            IANA zone for rooms and conferences without one
    window_days = 30              width of one GetConferencesForSystems window in an import
    systems_per_call = 100        SystemIds per GetConferencesForSystems call
    detail_workers = 4            concurrent GetRecurrentConferenceById calls in an import
    max_backoff = 300             longest wait, in seconds, after repeated TMS failures
    unreadable_retry = 60         seconds between retries of records the syncer set aside
    stale_after = 0               /health says degraded when TMS has not answered for this many
                                  seconds (0 = 3 poll intervals, at least 30 s)
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, replace
from pathlib import Path

from tmscal.config_section import section_values


@dataclass(frozen=True)
class MirrorSettings:
    """How the mirror is stored and kept fresh (see the module docstring for each key)."""

    path: str = "var/mirror.sqlite3"
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

    @property
    def tms_silence_limit(self) -> float:
        """Seconds without an answer from TMS after which the mirror counts as stale."""
        return self.stale_after or max(30.0, 3 * self.poll_interval)

    def with_changes(self, **changes) -> "MirrorSettings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_ALIASES = {"database": "path", "sync_interval": "poll_interval"}


def mirror_settings(parser: configparser.RawConfigParser,
                    base: Path | None = None) -> MirrorSettings:
    """Read ``[mirror]`` from a parsed INI file; ``base`` resolves a relative path."""
    values = section_values(parser, "mirror", MirrorSettings, _ALIASES)
    settings = MirrorSettings(**values)  # type: ignore[arg-type]
    if base is not None and not os.path.isabs(settings.path):
        settings = replace(settings, path=str((base / settings.path).resolve()))
    return settings
