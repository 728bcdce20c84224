"""``tmscal mirror copy --from SOURCE --to TARGET [--force] [--password-file FILE]``: move a
whole mirror to another database, e.g. from the embedded SQLite file to PostgreSQL when a
second node is added.

SOURCE and TARGET are ``sqlite:PATH`` or ``postgresql://USER@HOST:PORT/DB`` (the password from
``--password-file``, libpq's ``~/.pgpass`` or ``PGPASSWORD``, never on the command line).
Everything is copied (rooms, objects, change sequences and tombstones, sync tokens, cursor,
pending writes, personal calendars, preferences, feed tokens), so clients keep their ETags and
sync tokens. Stop the nodes (or at least their syncer) first; a target holding data is refused
unless ``--force``. Prints the rows copied per table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tmscal.mirror import MirrorUnavailable, open_store
from tmscal.mirror.copy import TargetNotEmpty, copy_mirror
from tmscal.settings.mirror import POSTGRES_SCHEMES, MirrorSettings, redacted_url
from tmscal.settings.tms import read_password

_SQLITE = "sqlite:"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    copy = sub.add_parser("copy", help="copy a whole mirror into another database")
    copy.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                      help="sqlite:PATH or postgresql://USER@HOST:PORT/DB")
    copy.add_argument("--to", dest="target", required=True, metavar="TARGET",
                      help="sqlite:PATH or postgresql://USER@HOST:PORT/DB")
    copy.add_argument("--force", action="store_true",
                      help="replace what the target holds")
    copy.add_argument("--password-file", metavar="FILE",
                      help="the PostgreSQL password (first line of FILE)")


class _BadDatabase(ValueError):
    pass


def _settings(text: str, password: str, *, must_exist: bool) -> MirrorSettings:
    """The mirror settings naming ``text`` (``sqlite:PATH`` or a PostgreSQL URL)."""
    if text.startswith(POSTGRES_SCHEMES):
        return MirrorSettings(url=text, password=password)
    if not text.startswith(_SQLITE) or not text[len(_SQLITE):]:
        raise _BadDatabase(f"{text!r} is neither sqlite:PATH nor a postgresql:// URL")
    path = Path(text[len(_SQLITE):]).resolve()
    if must_exist and not path.is_file():
        raise _BadDatabase(f"no SQLite mirror at {path}")
    return MirrorSettings(path=str(path))


def _loggable(text: str) -> str:
    return redacted_url(text) if text.startswith(POSTGRES_SCHEMES) else text


def _copy(source_settings: MirrorSettings, target_settings: MirrorSettings,
          replace: bool) -> dict[str, int]:
    """Copy between instances of this command's own (a process-wide store of the target would
    keep the epoch it had before the copy)."""
    source = open_store(source_settings, shared=False)
    try:
        target = open_store(target_settings, shared=False)
        try:
            return copy_mirror(source, target, replace=replace)
        finally:
            target.close()
    finally:
        source.close()


def run(args: argparse.Namespace) -> int:
    password = read_password(args.password_file) if args.password_file else ""
    try:
        source_settings = _settings(args.source, password, must_exist=True)
        target_settings = _settings(args.target, password, must_exist=False)
        if source_settings.database == target_settings.database:
            raise _BadDatabase("source and target are the same database")
        counts = _copy(source_settings, target_settings, args.force)
    except (_BadDatabase, TargetNotEmpty, MirrorUnavailable) as error:
        print(f"tmscal mirror copy: {error}", file=sys.stderr)
        return 1
    width = max(len(table) for table in counts)
    for table, count in counts.items():
        print(f"{table:<{width}}  {count}")
    print(f"copied {_loggable(args.source)} to {_loggable(args.target)}")
    return 0
