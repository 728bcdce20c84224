"""The ``tmscal`` command: one sub-command per module, loaded only when used.

Each command module provides ``configure(parser)`` (adds its arguments) and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tmscal.settings import SettingsError

#: sub-command → (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "simulator": ("tmscal.cli.simulator", "run the TMS Booking API simulator"),
    "sync": ("tmscal.cli.sync", "synchronize the local mirror with TMS"),
    "serve": ("tmscal.cli.serve", "serve TMS rooms as CalDAV calendars (Radicale + plugin)"),
    "demo": ("tmscal.cli.demo", "run the TMS simulator and the CalDAV bridge against it"),
    "feeds": ("tmscal.cli.feeds", "manage read-only room feed and display tokens"),
    "rooms": ("tmscal.cli.rooms", "list rooms with the address to invite them by"),
    "check": ("tmscal.cli.check", "check the TMS connection, rights and licences (pre-flight)"),
    "mirror": ("tmscal.cli.mirror", "copy the mirror into another database (SQLite, PostgreSQL)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tmscal", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        command_parser.set_defaults(_module=module_name)
        importlib.import_module(module_name).configure(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return importlib.import_module(args._module).run(args) or 0
    except SettingsError as error:  # a configuration a command cannot use: one line, no trace
        print(f"tmscal {args.command}: {error}", file=sys.stderr)
        return 2
