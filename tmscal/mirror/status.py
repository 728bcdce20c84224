"""How fresh the mirror is, for people (``tmscal sync``) and for health checks."""

from __future__ import annotations

from tmscal.mirror.store import SyncStatus


def is_stale(status: SyncStatus, poll_interval: float, factor: float = 3.0) -> bool:
    """True when the last successful sync is older than ``factor`` poll intervals (or never)."""
    return status.lag_seconds is None or status.lag_seconds > factor * max(poll_interval, 1.0)


def status_summary(status: SyncStatus) -> dict[str, object]:
    """A JSON-ready summary for a health endpoint."""
    def iso(value):
        return value.isoformat() if value else None

    return {
        "cursor": status.cursor,
        "last_success": iso(status.last_success),
        "last_error": status.last_error or None,
        "last_error_at": iso(status.last_error_at),
        "last_full_import": iso(status.last_full_import),
        "last_reconcile": iso(status.last_reconcile),
        "lag_seconds": None if status.lag_seconds is None else round(status.lag_seconds, 1),
        "counters": dict(status.counters),
    }


def describe_status(status: SyncStatus) -> str:
    """One line: cursor, lag and the last error if it is newer than the last success."""
    lag = "never synced" if status.lag_seconds is None else f"lag {status.lag_seconds:.1f} s"
    text = f"mirror: cursor {status.cursor}, {lag}"
    if status.last_error and (status.last_success is None or (
            status.last_error_at and status.last_error_at > status.last_success)):
        text += f", last error: {status.last_error}"
    return text
