"""``tmscal rooms --config FILE [--user NAME] [--format text|tsv]``: every room with the
calendar-user address people invite it by.

Reads the local mirror only (run ``tmscal sync`` or ``tmscal serve`` first); no TMS call.
With ``--user``, only the rooms that user sees, and whether they may book them.
"""

from __future__ import annotations

import argparse
import sys

from tmscal.bridge.invitations.addresses import room_address
from tmscal.mirror import open_store
from tmscal.mirror.store import Room
from tmscal.settings import load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="bridge configuration file")
    parser.add_argument("--user", metavar="NAME",
                        help="only the rooms this calendar user sees (and may book)")
    parser.add_argument("--format", choices=("text", "tsv"), default="text",
                        help="aligned text (default) or tab-separated values")


def room_rows(config: str, user: str | None = None) -> list[tuple[str, ...]]:
    """``(SystemId, name, address, bookable, site)`` per room; bookable is ``yes``/``no``
    (``-`` without a user)."""
    settings = load_settings(config)
    template = settings.invitations.room_address
    store = open_store(settings.mirror)
    if user:
        from tmscal.bridge.room_access import RoomAccess
        from tmscal.bridge.credentials import UserCredentials

        access = RoomAccess(settings, store, UserCredentials(lambda *_: None))
        rooms: list[tuple[Room, str]] = [(room, "yes" if bookable else "no")
                                         for room, bookable in access.rooms_for(user)]
    else:
        rooms = [(room, "-") for room in store.list_rooms()]
    return [(str(room.system_id), room.name, room_address(template, room), bookable,
             room.site) for room, bookable in rooms]


def run(args: argparse.Namespace) -> int:
    rows = room_rows(args.config, args.user)
    if not rows:
        print("No rooms in the mirror yet: run 'tmscal sync --config FILE' first.",
              file=sys.stderr)
        return 1
    header = ("SystemId", "Room (CN)", "Calendar-user address", "Bookable", "Site")
    if args.format == "tsv":
        for row in (header, *rows):
            print("\t".join(row))
        return 0
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0
