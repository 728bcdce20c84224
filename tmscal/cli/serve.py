"""``tmscal serve --config FILE``: the CalDAV bridge (:class:`tmscal.web.server.BridgeServer`)
until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import logging

from tmscal.settings import load_settings
from tmscal.web.server import BridgeServer

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="bridge configuration file (see config/tmscal.conf.example)")
    parser.add_argument("--host", help="address to listen on (default: [server] host)")
    parser.add_argument("--port", type=int, help="port (default: [server] port)")
    parser.add_argument("--no-sync", action="store_true",
                        help="do not run the background syncer in this process")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    logging.basicConfig(level=getattr(logging, settings.logging.level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = BridgeServer(args.config, host=args.host, port=args.port, syncer=not args.no_sync)
    log.info("configuration: %s", settings.describe())
    server.serve_forever()
    return 0
