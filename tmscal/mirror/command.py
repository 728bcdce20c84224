"""``tmscal sync``: bring the local mirror in step with TMS, once or continuously.

    tmscal sync --config bridge.ini [--full] [--watch] [--interval S] [--db PATH]
    tmscal sync --tms URL --user U --password-file F --db PATH [...]

Without ``--full`` one incremental sync runs (a full import if the mirror is new). ``--watch``
keeps polling (Ctrl-C stops). The password comes from ``[tms] password``/``password_file`` or
``--password-file``; it is never printed.
"""

from __future__ import annotations

import argparse
import configparser
import logging
import signal
import sys
import time
from pathlib import Path

from tmscal.mirror.runner import SyncRunner
from tmscal.mirror.settings import MirrorSettings, mirror_settings
from tmscal.mirror.status import describe_status
from tmscal.mirror.sync import Syncer


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


def _read_password(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\r\n")


def connection_from(args: argparse.Namespace) -> tuple[dict, MirrorSettings]:
    """TMS client arguments and mirror settings from the config file and the options."""
    parser = configparser.RawConfigParser()
    base = None
    if args.config:
        if not parser.read(args.config, encoding="utf-8"):
            raise SystemExit(f"tmscal sync: cannot read {args.config}")
        base = Path(args.config).resolve().parent
    settings = mirror_settings(parser, base)
    if args.db:
        settings = settings.with_changes(path=str(Path(args.db).resolve()))
    if args.interval:
        settings = settings.with_changes(poll_interval=args.interval)

    def option(name: str, default: str = "") -> str:
        return parser.get("tms", name, fallback=default).strip()

    password = option("password")
    password_file = args.password_file or option("password_file")
    if password_file:
        if base is not None and not Path(password_file).is_absolute() and not args.password_file:
            password_file = str(base / password_file)
        password = _read_password(password_file)
    verify_text = option("verify", "true").lower()
    verify: bool | str = verify_text in ("1", "true", "yes", "on") if verify_text in (
        "1", "true", "yes", "on", "0", "false", "no", "off") else option("verify")
    timeout = float(option("timeout", "30"))
    client = dict(base_url=args.tms or option("url"), username=args.user or option("username"),
                  password=password, auth=args.auth or option("auth", "basic"), verify=verify,
                  timeout=(min(5.0, timeout), timeout), deadline=timeout)
    api_version = option("api_version", "auto").lower()
    if api_version != "auto":
        if not api_version.isdigit():
            raise SystemExit("tmscal sync: [tms] api_version must be 'auto' or a number")
        client["api_version"] = int(api_version)
    if not client["base_url"]:
        raise SystemExit("tmscal sync: no TMS URL (use --tms or [tms] url in --config)")
    return client, settings


def run(args: argparse.Namespace) -> int:
    from tmscal.mirror import open_store
    from tmscal.tms import TmsClient

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    client_args, settings = connection_from(args)
    store = open_store(settings.path)
    syncer = Syncer(store, lambda: TmsClient(**client_args), settings)
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
    print(describe_status(store.sync_status()))
    return 0
