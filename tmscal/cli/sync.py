"""``tmscal sync``: bring the local mirror in step with TMS, once or continuously.

    tmscal sync --config bridge.ini [--full] [--watch] [--interval S] [--db PATH]
    tmscal sync --tms URL --user U --password-file F --db PATH [...]

Without ``--full`` one incremental sync runs (a full import if the mirror is new). ``--watch``
keeps polling (Ctrl-C stops). The configuration is read as ``tmscal serve`` reads it (the same
mirror settings and ``[bridge] privacy``), so both store the same objects. The password comes
from ``[tms] password``/``password_file`` or ``--password-file``; it is never printed.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from tmscal.mirror.runner import SyncRunner


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="bridge INI file ([tms], [mirror])")
    parser.add_argument("--tms", metavar="URL", help="TMS base URL (overrides [tms] url)")
    parser.add_argument("--user", metavar="U", help="TMS user name (overrides [tms] username)")
    parser.add_argument("--password-file", metavar="F",
                        help="file holding the TMS password (first line)")
    parser.add_argument("--auth", choices=("basic", "ntlm"), help="TMS authentication")
    parser.add_argument("--db", metavar="PATH", help="mirror database (overrides [mirror] path)")
    parser.add_argument("--full", action="store_true", help="run a full import")
    parser.add_argument("--watch", action="store_true", help="keep syncing until interrupted")
    parser.add_argument("--interval", type=float, metavar="S",
                        help="seconds between polls with --watch (default 10)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


class _ProgressBar:
    """A one-line progress bar on stderr for ``--full``."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.2:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        self.stream.write(f"\r{phase:>8} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{done}/{total}   ")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def settings_from(args: argparse.Namespace):
    """The bridge's settings (read by :func:`tmscal.settings.load_settings`, as every command
    reads them) with the command line's overrides."""
    from tmscal.settings import Settings, SettingsError, load_settings, read_password

    try:
        settings = load_settings(args.config) if args.config else Settings()
        password = read_password(args.password_file) if args.password_file else None
    except SettingsError as error:
        raise SystemExit(f"tmscal sync: {error}") from None
    mirror = settings.mirror.with_changes(
        path=str(Path(args.db).resolve()) if args.db else None, poll_interval=args.interval)
    overrides = {"url": args.tms, "username": args.user, "password": password,
                 "auth": args.auth}
    tms = replace(settings.tms,
                  **{key: value for key, value in overrides.items() if value is not None})
    settings = replace(settings, tms=tms, mirror=mirror)
    if not settings.tms.url:
        raise SystemExit("tmscal sync: no TMS URL (use --tms or [tms] url in --config)")
    return settings


def run(args: argparse.Namespace) -> int:
    from tmscal.bridge.runtime import new_syncer
    from tmscal.mirror import open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_from(args)
    store = open_store(settings.mirror)
    syncer = new_syncer(settings, store)
    runner = SyncRunner(syncer)
    if not store.acquire_lease("syncer", runner.owner, runner.lease_ttl):
        holder = store.lease_holder("syncer")
        print(f"another syncer holds this mirror ({holder[0] if holder else '?'}); "
              "waiting for its lease" if args.watch else
              f"another syncer holds this mirror ({holder[0] if holder else '?'})",
              file=sys.stderr)
        if not args.watch:
            return 2
    try:
        if args.full:
            progress = None if args.quiet else _ProgressBar()
            started = time.monotonic()
            report = syncer.full_import(progress)
            print(f"full import: {report.listed} conferences listed, {report.stored} stored, "
                  f"{report.removed} removed in {time.monotonic() - started:.1f} s")
        elif not args.watch:
            report = syncer.sync_once()
            print(f"{report.kind} sync: {report.transactions} transactions, "
                  f"{report.stored} stored, {report.removed} removed")
        if args.watch:
            signal.signal(signal.SIGTERM, lambda *_: runner.stop())
            try:
                runner.run()
            except KeyboardInterrupt:
                runner.stop()
    finally:
        store.release_lease("syncer", runner.owner)
    print(store.sync_status().describe())
    return 0
